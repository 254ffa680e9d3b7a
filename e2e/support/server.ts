/**
 * The model server in the e2e tests: the test peer (src/node/openai-peer, an OpenAI-compatible
 * server on the project's Node engine and the generated test model) started in the Playwright
 * runner's own process, its test controls (failure injection, the request log), the server form's
 * test ids, and what the page and its workers send over the network.
 */
import { createServer } from 'node:net';
import type { Locator, Request } from '@playwright/test';
import { startPeer, type Peer, type PeerOptions } from '../../src/node/openai-peer/server.ts';
import type { FailureKind, LoggedRequest } from '../../src/node/openai-peer/failure-injection.ts';
import { expect, TEST_MODEL_ID, type App } from './app.ts';
import { TEST_MODEL_GEOMETRY } from './images.ts';

/** Test ids of the server source (Settings' model list, the form, the trace, the privacy line). */
export type ServerTestId =
  | 'model.server'
  | 'server.form'
  | 'server.url'
  | 'server.model'
  | 'server.models'
  | 'server.models.option'
  | 'server.model.unlisted'
  | 'server.refresh-models'
  | 'server.model.error'
  | 'server.key'
  | 'server.remember'
  | 'server.advanced'
  | 'server.min-pixels'
  | 'server.max-pixels'
  | 'server.destination'
  | 'server.connect'
  | 'server.status'
  | 'server.prompt'
  | 'server.prompt.connect'
  | 'privacy.notice'
  | 'error.message'
  | 'error.retry'
  | 'error.server-settings'
  | 'error.dismiss'
  | 'answer.stopped'
  | 'policy.unavailable'
  | `trace.round-${number}`
  | `trace.round-${number}.server-usage`;

export function serverId(app: App, id: ServerTestId): Locator {
  return app.page.getByTestId(id);
}

/** A peer serving the test model, with its controls. */
export class TestPeer {
  private constructor(readonly peer: Peer) {}

  /**
   * Starts a peer on a free port of localhost: another origin than the app's (another port). Not
   * at 127.0.0.1: the browser's host resolver here resolves nothing but `localhost`.
   */
  static async start(options: PeerOptions = {}): Promise<TestPeer> {
    return new TestPeer(await startPeer({ host: 'localhost', port: 0, servedModelName: TEST_MODEL_ID, ...options }));
  }

  /** The API's base URL, as a person types it: `http://localhost:<port>/v1`. */
  get url(): string {
    return this.peer.url;
  }

  get origin(): string {
    return new URL(this.peer.url).origin;
  }

  get chatUrl(): string {
    return `${this.peer.url}/chat/completions`;
  }

  /** The next chat completion (or `times` of them) fails as `failure` (see the peer's README). */
  async inject(
    failure: FailureKind,
    options: { times?: number; retryAfter?: number | null; afterTokens?: number } = {},
  ): Promise<void> {
    await this.control('inject', { failure, ...options });
  }

  /** Clears injections and the request log. */
  async reset(): Promise<void> {
    await this.control('reset');
  }

  /** Every request the peer received since the last reset (never an image or a key). */
  async log(): Promise<LoggedRequest[]> {
    const response = await fetch(`${this.origin}/_peer/log`);
    expect(response.ok, 'the peer log answers').toBe(true);
    return ((await response.json()) as { requests: LoggedRequest[] }).requests;
  }

  /** The chat completions in the log, in order. */
  async chats(): Promise<LoggedRequest[]> {
    return (await this.log()).filter((entry) => entry.method === 'POST' && entry.path === '/v1/chat/completions');
  }

  /** Frees the KV caches the peer kept (vLLM's development endpoint `POST /reset_prefix_cache`). */
  async resetPrefixCache(): Promise<void> {
    const response = await fetch(`${this.origin}/reset_prefix_cache`, { method: 'POST' });
    expect(response.ok, 'the peer frees its caches').toBe(true);
  }

  /**
   * A one-token text completion from here: the peer answers one request at a time, in order, so
   * once this is answered every request before it has ended.
   */
  async settle(): Promise<void> {
    const response = await fetch(this.chatUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        model: this.peer.servedModelName,
        messages: [{ role: 'user', content: 'Hi' }],
        max_tokens: 1,
        temperature: 0,
      }),
    });
    expect(response.status, await response.clone().text()).toBe(200);
  }

  /** How many finished requests' KV caches the peer keeps for reuse. */
  cachedSequences(): number {
    return this.peer.cachedSequences().length;
  }

  close(): Promise<void> {
    return this.peer.close();
  }

  private async control(name: 'inject' | 'reset', body: unknown = {}): Promise<void> {
    const response = await fetch(`${this.origin}/_peer/${name}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(response.ok, `the peer's ${name} control: ${await response.clone().text()}`).toBe(true);
  }
}

/** A port of localhost that nothing listens on (taken from the system, then let go). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, 'localhost', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise<void>((resolve) =>
    server.close(() => {
      resolve();
    }),
  );
  return port;
}

/** One request of the page, its workers or its service worker, as the network saw it. */
export interface SentRequest {
  url: string;
  method: string;
  /** The body holds an image as a PNG data URL (what the server backend sends). */
  carriesImage: boolean;
  bodyBytes: number;
}

/** Records every request of the page's browser context, with what its body carried. */
export function recordRequests(app: App): SentRequest[] {
  const sent: SentRequest[] = [];
  app.page.context().on('request', (request: Request) => {
    const body = request.postDataBuffer();
    sent.push({
      url: request.url(),
      method: request.method(),
      carriesImage: body?.includes('data:image/png;base64,') ?? false,
      bodyBytes: body?.length ?? 0,
    });
  });
  return sent;
}

/**
 * Chooses Server in Settings' model list, types the address and leaves the field (which lists the
 * server's models: the one it serves fills the model field), sets the pixel limits the test
 * model's processor has, and connects.
 */
export async function connectToServer(app: App, peer: TestPeer, { choose = true } = {}): Promise<void> {
  if (choose) await serverId(app, 'model.server').check();
  await expect(serverId(app, 'server.form')).toBeVisible();
  await serverId(app, 'server.url').fill(peer.url);
  await serverId(app, 'server.url').press('Tab');
  await expect(serverId(app, 'server.models')).toHaveAttribute('data-status', 'ready');
  await expect(serverId(app, 'server.models')).toHaveAttribute('data-count', '1');
  // The one model it serves fills the field, and the field's list offers it.
  await expect(serverId(app, 'server.model')).toHaveValue(TEST_MODEL_ID);
  const list = await serverId(app, 'server.model').getAttribute('list');
  await expect(app.page.locator(`datalist[id="${list}"] option`)).toHaveAttribute('value', TEST_MODEL_ID);
  await setPixelLimits(app);
  await serverId(app, 'server.connect').click();
  await expectConnected(app, peer);
}

/** The server processor's limits as the test model has them (its preprocessor_config.json). */
export async function setPixelLimits(app: App): Promise<void> {
  const advanced = serverId(app, 'server.advanced');
  if ((await advanced.getAttribute('open')) === null) await advanced.locator('summary').click();
  await serverId(app, 'server.min-pixels').fill(String(TEST_MODEL_GEOMETRY.minPixels));
  await serverId(app, 'server.max-pixels').fill(String(TEST_MODEL_GEOMETRY.maxPixels));
}

export async function expectConnected(app: App, peer: TestPeer): Promise<void> {
  await expect(serverId(app, 'server.status')).toHaveText(
    `Connected: answers come from ${TEST_MODEL_ID} at ${new URL(peer.url).host}.`,
    { timeout: 60_000 },
  );
}
