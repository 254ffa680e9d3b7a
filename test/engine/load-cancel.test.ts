/**
 * Cancelling a model download that stalls mid-file: a local HTTP server plays the hub, sending
 * half of the decoder's bytes and then nothing. The load must end at once with `aborted`, the
 * connection must be closed (the download really stops), and the worker must go on to load the
 * next model instead of waiting behind the stalled one.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { env } from '@huggingface/transformers';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AbortedError } from '../../src/engine/errors.ts';
import { VisionModel } from '../../src/engine/vision-model.ts';
import { TEST_MODEL_DIR } from '../../src/node/paths.ts';
import type { ModelChoice, WorkerMessage } from '../../src/protocol/messages.ts';
import { createRequestHandler, type WorkerPlatform } from '../../src/worker/handler.ts';

const STALLING_FILE = 'onnx/decoder_model_merged.onnx';

/** Serves the test model as `<repo>/resolve/main/<file>`; the decoder stalls half way. */
function stallingHub(): {
  server: Server;
  closedStalls: () => number;
  stalls: () => number;
  listen: () => Promise<string>;
} {
  let stalls = 0;
  let closedStalls = 0;
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const file = /\/resolve\/[^/]+\/(.+)$/.exec(request.url ?? '')?.[1];
    if (!file) {
      response.writeHead(404).end();
      return;
    }
    readFile(join(TEST_MODEL_DIR, file)).then(
      (bytes) => {
        response.writeHead(200, { 'Content-Length': bytes.length, 'Content-Type': 'application/octet-stream' });
        if (file !== STALLING_FILE || request.headers.range) {
          response.end(request.headers.range ? bytes.subarray(0, 1) : bytes);
          return;
        }
        stalls++;
        response.write(bytes.subarray(0, Math.floor(bytes.length / 2)));
        // ...and nothing more: the connection stays open until the client gives up.
        request.socket.on('close', () => {
          closedStalls++;
        });
      },
      () => response.writeHead(404).end(),
    );
  });
  return {
    server,
    stalls: () => stalls,
    closedStalls: () => closedStalls,
    listen: () =>
      new Promise((resolve) => {
        server.listen(0, '127.0.0.1', () => {
          resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
        });
      }),
  };
}

const saved = { ...env };
let hub: ReturnType<typeof stallingHub>;
let cacheDir: string;

beforeAll(async () => {
  hub = stallingHub();
  env.remoteHost = await hub.listen();
  env.allowRemoteModels = true;
  // What this test downloads lands in a folder of its own (Node loads sessions from the file cache).
  cacheDir = await mkdtemp(join(tmpdir(), 'visionthink-load-cancel-'));
  env.cacheDir = cacheDir;
});

afterEach(() => {
  hub.server.closeAllConnections();
});

afterAll(async () => {
  Object.assign(env, {
    remoteHost: saved.remoteHost,
    allowRemoteModels: saved.allowRemoteModels,
    cacheDir: saved.cacheDir,
  });
  await new Promise((resolve) => hub.server.close(resolve));
  await rm(cacheDir, { recursive: true, force: true });
});

/** Resolves once `file` has started arriving (some bytes, not all). */
function partlyDownloaded(file: string): {
  onProgress: (p: { file: string; loaded: number; total: number }) => void;
  started: Promise<void>;
} {
  let resolve = (): void => undefined;
  const started = new Promise<void>((r) => (resolve = r));
  return {
    started,
    onProgress: (progress) => {
      if (progress.file === file && progress.loaded > 0 && progress.loaded < progress.total) resolve();
    },
  };
}

describe('cancelling a stalled model download', () => {
  it('rejects at once with aborted and closes the connection', async () => {
    const controller = new AbortController();
    const { onProgress, started } = partlyDownloaded(STALLING_FILE);
    const loading = VisionModel.load('test/stalling-model', { device: 'cpu', signal: controller.signal, onProgress });
    const outcome = loading.then(
      () => 'loaded',
      (error: unknown) => error,
    );
    await started;
    expect(hub.stalls()).toBe(1);
    controller.abort();
    const error = await outcome;
    expect(error).toBeInstanceOf(AbortedError);
    expect(error).toMatchObject({ code: 'aborted', message: 'The model download was cancelled.' });
    await expect.poll(() => hub.closedStalls(), { timeout: 5_000 }).toBe(1);
  });

  it('in the worker: cancel-load ends the stalled load, and the next load goes ahead', async () => {
    const messages: WorkerMessage[] = [];
    const platform: WorkerPlatform = {
      post: (message) => messages.push(message),
      detectDevice: () => Promise.resolve({ kind: 'wasm', rung: 'wasm', description: 'CPU' }),
      deviceFor: (rung) => ({ kind: 'wasm', rung, description: 'CPU' }),
      loadModel: (choice, _device, onProgress, _onSizes, signal) =>
        VisionModel.load(choice.source, {
          device: 'cpu',
          localFilesOnly: choice.local,
          onProgress: ({ file, loaded, total }) => {
            onProgress(file, loaded, total);
          },
          ...(signal ? { signal } : {}),
        }),
      openImage: () => Promise.reject(new Error('not used')),
      encodePng: () => Promise.reject(new Error('not used')),
    };
    const handle = createRequestHandler(platform);
    const stalled: ModelChoice = { id: 'stalling', label: 'Stalling', source: 'test/stalling-model', local: false };
    const local: ModelChoice = { id: 'visionthink-test', label: 'Test', source: TEST_MODEL_DIR, local: true };

    const first = handle({ type: 'load', requestId: 1, model: stalled });
    const second = handle({ type: 'load', requestId: 2, model: local });
    await expect
      .poll(() => messages.some((m) => m.type === 'load-progress' && m.requestId === 1 && m.file === STALLING_FILE))
      .toBe(true);
    await handle({ type: 'cancel-load', requestId: 1 });
    await Promise.all([first, second]);

    expect(messages.find((m) => m.type === 'failed' && m.requestId === 1)).toEqual({
      type: 'failed',
      requestId: 1,
      error: { code: 'aborted', message: 'The model download was cancelled.' },
    });
    expect(messages.at(-1)).toMatchObject({ type: 'loaded', requestId: 2, modelId: 'visionthink-test' });
  });
});
