/**
 * The VisionThink peer: an HTTP server that answers like vLLM's OpenAI server (`vllm serve`), with
 * this project's engine and generated test models behind it, for tests and development of the
 * server backend. Not a production server: one request at a time, greedy decoding only, images as
 * data URLs only, and test controls under `/_peer/` (see failure-injection.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Tensor } from '@huggingface/transformers';
import { VisionModel } from '../../engine/vision-model.ts';
import { loadModelForNode } from '../load-model.ts';
import { answerChat, type ChatSettings } from './chat-handler.ts';
import { countImageParts } from './chat-request.ts';
import { CompletionEngine } from './completion-engine.ts';
import { answerInjected, PeerControls, type Injection } from './failure-injection.ts';
import { authorised, CorsPolicy, readBody, sendJson } from './http-layer.ts';
import { errorBody, invalidBody, PeerHttpError } from './peer-error.ts';
import {
  DEFAULT_CACHE_CAPACITY,
  DEFAULT_HOST,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MODEL,
  DEFAULT_PORT,
  type PeerOptions,
} from './peer-options.ts';
import { modelList } from './vllm-shapes.ts';

export type { PeerOptions } from './peer-options.ts';

/** A running peer. */
export interface Peer {
  /** The API's base URL, e.g. `http://127.0.0.1:8000/v1`. */
  url: string;
  servedModelName: string;
  /** The model answering (tests run the engine on it directly to compare). */
  model: VisionModel;
  /** The KV caches kept for reuse, most recently used first: how many tokens each holds and its tensors. */
  cachedSequences(): { tokens: number; tensors: Tensor[] }[];
  /** Stops serving, ends open connections, frees the caches (and the model, if the peer loaded it). */
  close(): Promise<void>;
}

/** Loads the model (unless given one), starts serving, and resolves once the peer answers. */
export async function startPeer(options: PeerOptions = {}): Promise<Peer> {
  const source = options.model ?? DEFAULT_MODEL;
  const model = source instanceof VisionModel ? source : await loadModelForNode(source);
  const ownsModel = !(source instanceof VisionModel);
  const root = source instanceof VisionModel ? source.source : source;
  const maxModelLen = options.maxModelLen ?? model.contextTokens;
  if (!Number.isInteger(maxModelLen) || maxModelLen < 1 || maxModelLen > model.contextTokens) {
    if (ownsModel) await model.dispose();
    throw new Error(
      `The context length must be a whole number from 1 to the model's ${model.contextTokens} tokens (got ${maxModelLen}).`,
    );
  }
  const engine = new CompletionEngine(
    model,
    options.prefixCaching === false ? 0 : (options.cacheCapacity ?? DEFAULT_CACHE_CAPACITY),
  );
  const servedModelName = options.servedModelName ?? root;
  const chat: ChatSettings = {
    model,
    engine,
    servedModelName,
    maxModelLen,
    logprobs: options.logprobs ?? true,
    cachedTokens: options.cachedTokens ?? true,
  };
  const routes = new Routes(chat, {
    root,
    apiKey: options.apiKey ?? null,
    cors: new CorsPolicy(options.allowedOrigins ?? ['*']),
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    created: Math.floor(Date.now() / 1000),
  });
  const server = createServer((request, response) => {
    routes.handle(request, response).catch((error: unknown) => {
      // Nothing is left to answer with once the answer has begun.
      if (!response.headersSent) sendJson(response, 500, errorBody(500, String(error), 'InternalServerError'));
      else response.destroy();
    });
  });
  const host = options.host ?? DEFAULT_HOST;
  await listen(server, host, options.port ?? DEFAULT_PORT).catch(async (error: unknown) => {
    if (ownsModel) await model.dispose();
    throw error;
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}/v1`,
    servedModelName,
    model,
    cachedSequences: () =>
      engine.cachedSequences.map((sequence) => ({
        tokens: sequence.ids.length,
        tensors: Object.values(sequence.entries),
      })),
    close: async () => {
      const closed = new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
      server.closeAllConnections();
      await closed;
      await engine.close();
      if (ownsModel) await model.dispose();
    },
  };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        new Error(
          error.code === 'EADDRINUSE'
            ? `Port ${port} on ${host} is in use: choose another with --port.`
            : `The peer cannot listen on ${host}:${port} (${error.message}).`,
        ),
      );
    });
    server.listen(port, host, () => {
      resolve();
    });
  });
}

interface ServerSettings {
  root: string;
  apiKey: string | null;
  cors: CorsPolicy;
  maxBodyBytes: number;
  created: number;
}

/** The routes, behind vLLM's layers (see http-layer.ts), and the test controls beside them. */
class Routes {
  readonly #controls = new PeerControls();

  constructor(
    private readonly chat: ChatSettings,
    private readonly settings: ServerSettings,
  ) {}

  async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://peer').pathname;
    const method = request.method ?? 'GET';
    if (path.startsWith('/_peer/')) {
      await this.#control(method, path, request, response);
      return;
    }

    // Read first, whatever the answer: the log records what arrived, images included.
    let body: Buffer | PeerHttpError;
    try {
      body = await readBody(request, this.settings.maxBodyBytes);
    } catch (error) {
      if (!(error instanceof PeerHttpError)) throw error;
      body = error;
    }
    const json = body instanceof Buffer && body.length > 0 ? parseJson(body) : null;
    const { origin } = request.headers;
    this.#controls.record({
      method,
      path,
      origin: origin ?? null,
      imageParts: countImageParts(json instanceof Error ? null : json),
      bodyBytes: body instanceof Buffer ? body.length : Number(request.headers['content-length'] ?? 0),
      authorization: request.headers.authorization !== undefined,
    });

    const chatCompletion = method === 'POST' && path === '/v1/chat/completions';
    const failure = chatCompletion ? this.#controls.takeFailure() : null;
    const cors = failure?.failure === 'no-cors' ? {} : this.settings.cors.headersFor(origin, !!request.headers.cookie);
    if (failure && answerInjected(failure, response, cors, json instanceof Error ? null : json)) return;

    const { apiKey } = this.settings;
    if (apiKey !== null && path.startsWith('/v1') && method !== 'OPTIONS' && !authorised(request, apiKey)) {
      // Outside the CORS layer, as in vLLM: the 401 carries no CORS headers.
      sendJson(response, 401, { error: 'Unauthorized' });
      return;
    }
    if (CorsPolicy.isPreflight(request)) {
      this.settings.cors.answerPreflight(request, response);
      return;
    }

    try {
      if (body instanceof PeerHttpError) throw body;
      if (json instanceof Error) throw invalidBody(`JSON decode error: ${json.message}`);
      await this.#route(method, path, json, response, cors, failure);
    } catch (error) {
      if (!(error instanceof PeerHttpError)) throw error;
      sendJson(response, error.status, error.body(), { ...cors, ...error.headers });
    }
  }

  async #route(
    method: string,
    path: string,
    json: unknown,
    response: ServerResponse,
    cors: Record<string, string>,
    failure: Injection | null,
  ): Promise<void> {
    const { chat, settings } = this;
    const known: Record<string, string> = {
      '/v1/models': 'GET',
      '/v1/chat/completions': 'POST',
      '/health': 'GET',
      '/reset_prefix_cache': 'POST',
    };
    const allowed = known[path];
    if (allowed === undefined) sendJson(response, 404, { detail: 'Not Found' }, cors);
    else if (allowed !== method) sendJson(response, 405, { detail: 'Method Not Allowed' }, cors);
    else if (path === '/v1/models') {
      const list = modelList(chat.servedModelName, settings.root, chat.maxModelLen, settings.created);
      sendJson(response, 200, list, cors);
    } else if (path === '/v1/chat/completions') await this.#chat(json, response, cors, failure);
    else {
      if (path === '/reset_prefix_cache') await this.chat.engine.resetPrefixCache();
      response.writeHead(200, { ...cors, 'Content-Length': 0 });
      response.end();
    }
  }

  async #chat(json: unknown, response: ServerResponse, cors: Record<string, string>, failure: Injection | null) {
    const client = new AbortController();
    response.on('close', () => {
      if (!response.writableFinished) client.abort();
    });
    await answerChat(this.chat, { body: json, response, headers: cors, signal: client.signal, failure });
  }

  async #control(method: string, path: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (method === 'GET' && path === '/_peer/log') sendJson(response, 200, { requests: this.#controls.log });
    else if (method === 'POST' && path === '/_peer/reset') {
      this.#controls.reset();
      sendJson(response, 200, { reset: true });
    } else if (method === 'POST' && path === '/_peer/inject') {
      try {
        const json = parseJson(await readBody(request, this.settings.maxBodyBytes));
        if (json instanceof Error) throw new Error(`The body is not JSON (${json.message}).`);
        sendJson(response, 200, { injected: this.#controls.inject(json) });
      } catch (error) {
        sendJson(response, 400, { error: (error as Error).message });
      }
    } else {
      sendJson(response, 404, {
        error: 'The peer controls are POST /_peer/inject, POST /_peer/reset and GET /_peer/log.',
      });
    }
  }
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}
