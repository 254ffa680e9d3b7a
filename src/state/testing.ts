/** Fakes for the store's tests: an engine client that records calls, object URLs, fetch. */
import { EngineRequestError, type EngineClient, type EvaluateParams, type RunParams } from '../client/engine-client.ts';
import type { EngineEvent, RoundUsage, RunResult } from '../engine/events.ts';
import type { ImageGeometry } from '../engine/visual-tokens.ts';
import type { DeviceInfo, ErrorInfo, ModelChoice, WorkerMessage } from '../protocol/messages.ts';
import type { AppStore } from './app-state.ts';
import type { AppDependencies, EvalStore, FetchFn, Preferences, StorageAccess, ViewAddress } from './dependencies.ts';
import { TEST_MODEL } from '../engine/model-registry.ts';
import { modelChoices, type AppModelChoice } from './model-choices.ts';
import { createAppStore } from './store.ts';

export type ClientCall =
  | { type: 'probe'; requestId: number }
  | { type: 'load'; requestId: number; model: ModelChoice }
  | { type: 'open-image'; requestId: number; image: Blob }
  | ({ type: 'run'; requestId: number } & RunParams)
  | ({ type: 'evaluate'; requestId: number } & EvaluateParams)
  | { type: 'cancel' }
  | { type: 'cancel-evaluation' }
  | { type: 'cancel-load' }
  | { type: 'end-conversation' }
  | { type: 'list-server-models'; baseUrl: string; apiKey?: string };

/** Numbers requests like the real client and records every call. */
export class FakeEngineClient implements EngineClient {
  readonly calls: ClientCall[] = [];
  private nextId = 1;
  private readonly listeners = new Set<(message: WorkerMessage) => void>();
  /** Model listings not answered yet, oldest first (see `answerModels`, `failModels`). */
  private readonly listings: { resolve: (models: string[]) => void; reject: (error: Error) => void }[] = [];

  probe(): number {
    const requestId = this.nextId++;
    this.calls.push({ type: 'probe', requestId });
    return requestId;
  }
  load(model: ModelChoice): number {
    const requestId = this.nextId++;
    this.calls.push({ type: 'load', requestId, model });
    return requestId;
  }
  openImage(image: Blob): number {
    const requestId = this.nextId++;
    this.calls.push({ type: 'open-image', requestId, image });
    return requestId;
  }
  run(params: RunParams): number {
    const requestId = this.nextId++;
    this.calls.push({ type: 'run', requestId, ...params });
    return requestId;
  }
  cancel(): void {
    this.calls.push({ type: 'cancel' });
  }
  evaluate(params: EvaluateParams): number {
    const requestId = this.nextId++;
    this.calls.push({ type: 'evaluate', requestId, ...params });
    return requestId;
  }
  cancelEvaluation(): void {
    this.calls.push({ type: 'cancel-evaluation' });
  }
  cancelLoad(): void {
    this.calls.push({ type: 'cancel-load' });
  }
  endConversation(): void {
    this.calls.push({ type: 'end-conversation' });
  }
  listServerModels(baseUrl: string, apiKey?: string): Promise<string[]> {
    this.calls.push({ type: 'list-server-models', baseUrl, ...(apiKey === undefined ? {} : { apiKey }) });
    return new Promise((resolve, reject) => {
      this.listings.push({ resolve, reject });
    });
  }
  /** Answers the oldest model listing not answered yet, as the worker would. */
  answerModels(models: string[]): void {
    this.listings.shift()?.resolve(models);
  }
  /** Fails the oldest model listing not answered yet. */
  failModels(error: ErrorInfo): void {
    this.listings.shift()?.reject(new EngineRequestError(error));
  }
  subscribe(listener: (message: WorkerMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Delivers a message as the worker would. */
  emit(message: WorkerMessage): void {
    for (const listener of this.listeners) listener(message);
  }
  /** The request id of the latest call of `type`. */
  last(type: 'probe' | 'load' | 'open-image' | 'run' | 'evaluate'): number {
    const call = this.calls.findLast((entry) => entry.type === type);
    if (!call || !('requestId' in call)) throw new Error(`No ${type} call`);
    return call.requestId;
  }
  count(type: ClientCall['type']): number {
    return this.calls.filter((entry) => entry.type === type).length;
  }
}

/** Object URLs as `blob:fake/N`, tracking which are still live. */
export class FakeObjectUrls {
  readonly live = new Set<string>();
  readonly revoked: string[] = [];
  /** What each URL was made from. */
  readonly blobs = new Map<string, Blob>();
  private next = 1;
  create = (blob: Blob): string => {
    const url = `blob:fake/${this.next++}`;
    this.blobs.set(url, blob);
    this.live.add(url);
    return url;
  };
  revoke = (url: string): void => {
    this.live.delete(url);
    this.revoked.push(url);
  };
}

/** Answers `fetch` from a table of URL → response (or error); anything else is a 404. */
export function fakeFetch(table: Record<string, Response | Error | (() => Promise<Response>)>): FetchFn & {
  requests: string[];
} {
  const requests: string[] = [];
  const fn = async (url: string): Promise<Response> => {
    requests.push(url);
    const entry = table[url];
    if (entry instanceof Error) throw entry;
    if (typeof entry === 'function') return entry();
    return entry?.clone() ?? new Response('not found', { status: 404, statusText: 'Not Found' });
  };
  return Object.assign(fn, { requests });
}

export const BASE_URL = 'http://app.test/';

/** The test model's image settings (public/models/visionthink-test/preprocessor_config.json). */
export const TEST_GEOMETRY: ImageGeometry = {
  patchSize: 14,
  mergeSize: 2,
  temporalPatchSize: 2,
  minPixels: 3136,
  maxPixels: 1_003_520,
};

/** The device the fake worker reports. */
export const TEST_DEVICE: DeviceInfo = { kind: 'wasm', rung: 'wasm', description: 'WASM, 1 thread' };

/** A fake `StorageAccess` over an in-memory list of cached files. */
export class FakeStorage implements StorageAccess {
  files: { url: string; bytes: number }[] = [];
  estimateValue: { usage: number; quota: number } | null = { usage: 0, quota: 10_000_000 };
  persistedValue: boolean | null = false;
  grantPersist: boolean | null = true;
  cachedFiles = (): Promise<{ url: string; bytes: number }[] | null> => Promise.resolve([...this.files]);
  deleteFiles = (urls: readonly string[]): Promise<void> => {
    this.files = this.files.filter((file) => !urls.includes(file.url));
    return Promise.resolve();
  };
  estimate = (): Promise<{ usage: number; quota: number } | null> => Promise.resolve(this.estimateValue);
  persisted = (): Promise<boolean | null> => Promise.resolve(this.persistedValue);
  persist = (): Promise<boolean | null> => {
    this.persistedValue = this.grantPersist;
    return Promise.resolve(this.grantPersist);
  };
}

/** Preferences in memory; `values` is what a real browser would have in localStorage. */
export class FakePreferences implements Preferences {
  readonly values = new Map<string, string>();
  get = (key: string): string | null => this.values.get(key) ?? null;
  set = (key: string, value: string): void => {
    this.values.set(key, value);
  };
  remove = (key: string): void => {
    this.values.delete(key);
  };
}

/**
 * The evaluation's storage in memory; `value` is what IndexedDB would hold. `fail` makes every
 * call reject with it (a full quota, a private window); `loading` holds `load` until resolved.
 */
export class FakeEvalStore implements EvalStore {
  value: unknown = undefined;
  fail: Error | null = null;
  saves = 0;
  private gate: Promise<void> = Promise.resolve();
  private open: (() => void) | null = null;
  /** Holds `load` until {@link release}: the page reads storage while it starts. */
  hold(): void {
    this.gate = new Promise((resolve) => {
      this.open = resolve;
    });
  }
  release(): void {
    this.open?.();
  }
  load = async (): Promise<unknown> => {
    await this.gate;
    if (this.fail) throw this.fail;
    return structuredClone(this.value);
  };
  save = (value: unknown): Promise<void> => {
    if (this.fail) return Promise.reject(this.fail);
    this.saves++;
    this.value = structuredClone(value);
    return Promise.resolve();
  };
  clear = (): Promise<void> => {
    if (this.fail) return Promise.reject(this.fail);
    this.value = undefined;
    return Promise.resolve();
  };
}

/** The address's `view` key in memory. */
export class FakeViewAddress implements ViewAddress {
  constructor(public value: string | null = null) {}
  read = (): string | null => this.value;
  write = (view: string | null): void => {
    this.value = view;
  };
}

export interface Harness {
  store: AppStore;
  client: FakeEngineClient;
  urls: FakeObjectUrls;
  clock: { now: number };
  storage: FakeStorage;
  preferences: FakePreferences;
  changeHash: (hash: string) => void;
  evalStore: FakeEvalStore;
  viewAddress: FakeViewAddress;
  /** Milliseconds since the epoch, as `Date.now()` would answer. */
  wallClock: { now: number };
}

/**
 * A store on fakes; `fetch` defaults to answering 404 for everything, `hash` is the page's URL
 * hash at startup. `changeHash` delivers a later `hashchange`. The evaluation's storage and the
 * address's view may be shared with another harness (a reload).
 */
export function createHarness(
  fetchFn: FetchFn = fakeFetch({}),
  hash = '',
  models: readonly AppModelChoice[] = [TEST_MODEL, ...modelChoices().filter((choice) => choice !== TEST_MODEL)],
  storage = new FakeStorage(),
  preferences = new FakePreferences(),
  {
    evalStore = new FakeEvalStore(),
    viewAddress = new FakeViewAddress(),
  }: { evalStore?: FakeEvalStore; viewAddress?: FakeViewAddress } = {},
): Harness {
  const hashListeners: ((hash: string) => void)[] = [];
  const client = new FakeEngineClient();
  const urls = new FakeObjectUrls();
  const clock = { now: 1000 };
  const wallClock = { now: Date.UTC(2026, 0, 2, 3, 4, 5) };
  const deps: AppDependencies = {
    urls,
    fetch: fetchFn,
    now: () => clock.now,
    baseUrl: BASE_URL,
    models,
    storage,
    preferences,
    hash: () => hash,
    onHashChange: (listener) => {
      hashListeners.push(listener);
    },
    wallClock: () => wallClock.now,
    evalStore,
    view: viewAddress,
  };
  const changeHash = (next: string): void => {
    for (const listener of hashListeners) listener(next);
  };
  return {
    store: createAppStore(client, deps),
    client,
    urls,
    clock,
    storage,
    preferences,
    changeHash,
    evalStore,
    viewAddress,
    wallClock,
  };
}

export const pngBlob = (): Blob => new Blob([new Uint8Array([0x89, 0x50, 0x4e, 0x47])], { type: 'image/png' });

/** The test model loaded, as the worker reports it. */
export function loaded({ client }: Pick<Harness, 'client'>): void {
  client.emit({
    type: 'loaded',
    requestId: client.last('load'),
    modelId: 'visionthink-test',
    geometry: TEST_GEOMETRY,
    device: TEST_DEVICE,
  });
}

/** Loads the model and opens a `width` × `height` image; returns the image id. */
export function readyWithImage({ store, client }: Harness, width = 896, height = 672): number {
  loaded({ client });
  store.getState().openImage(pngBlob(), 'picture.png', 'file');
  const imageId = 7;
  client.emit({ type: 'image-opened', requestId: client.last('open-image'), imageId, width, height });
  return imageId;
}

/** Delivers run events of the latest run. */
export function emitRun(client: FakeEngineClient, ...events: EngineEvent[]): void {
  for (const event of events) client.emit({ type: 'run-event', requestId: client.last('run'), event });
}

export function usage(round: number, resolution: 'low' | 'full' | null, visualTokens: number): RoundUsage {
  const sizes = { low: { width: 448, height: 336 }, full: { width: 896, height: 672 } };
  return {
    round,
    image: resolution ? { ...sizes[resolution], resolution } : null,
    visualTokens,
    promptTokens: 400 + visualTokens,
    prefilledTokens: 300 + visualTokens,
    generatedTokens: 20,
    output: '',
    confidence: null,
    decision: 'answer',
    reason: 'Answered',
    ms: { encode: 5, prefill: (300 + visualTokens) / 10, decode: 40 },
  };
}

/** The events of a 896×672 question (192 low / 768 full tokens), escalated or not. */
export function runEvents(escalate: boolean): { events: EngineEvent[]; result: RunResult } {
  const plan: EngineEvent = {
    type: 'plan',
    turn: 1,
    original: { width: 896, height: 672 },
    low: { width: 448, height: 336, visualTokens: 192 },
    full: { width: 896, height: 672, visualTokens: 768 },
  };
  const round1: EngineEvent[] = [
    { type: 'round', round: 1, image: { width: 448, height: 336, resolution: 'low', visualTokens: 192 } },
    { type: 'phase', round: 1, phase: 'encode-low' },
    { type: 'phase', round: 1, phase: 'prefill' },
    { type: 'phase', round: 1, phase: 'decode' },
  ];
  const rounds = [usage(1, 'low', 192)];
  const events: EngineEvent[] = [plan, ...round1];
  if (escalate) {
    rounds.push(usage(2, 'full', 768));
    events.push(
      { type: 'text', round: 1, delta: '<think>Fine detail.</think>' },
      {
        type: 'text',
        round: 1,
        delta: '<tool_call>\n{"name": "resize_image", "arguments": {"action": "resize"}}\n</tool_call>',
      },
      {
        type: 'usage',
        usage: rounds[0] as RoundUsage,
        totals: { used: 192, fullResolution: 768, saved: 576 },
        tokens: [],
      },
      { type: 'decision', round: 1, decision: 'escalate' },
      { type: 'round', round: 2, image: { width: 896, height: 672, resolution: 'full', visualTokens: 768 } },
      { type: 'phase', round: 2, phase: 'encode-full' },
      { type: 'text', round: 2, delta: '<think>Now I see.</think><answer>blue</answer>' },
      {
        type: 'usage',
        usage: rounds[1] as RoundUsage,
        totals: { used: 960, fullResolution: 768, saved: -192 },
        tokens: [],
      },
      { type: 'decision', round: 2, decision: 'answer' },
    );
  } else {
    events.push(
      { type: 'text', round: 1, delta: '<think>Simple.</think><answer>red</answer>' },
      {
        type: 'usage',
        usage: rounds[0] as RoundUsage,
        totals: { used: 192, fullResolution: 768, saved: 576 },
        tokens: [],
      },
      { type: 'decision', round: 1, decision: 'answer' },
    );
  }
  const used = escalate ? 960 : 192;
  const result: RunResult = {
    answer: escalate ? 'blue' : 'red',
    escalated: escalate,
    policy: 'visionthink',
    rounds,
    visualTokens: { used, fullResolution: 768, saved: 768 - used },
    transcript: '',
  };
  return {
    events: [...events, { type: 'done', result, conversation: { turn: 1, visualTokens: result.visualTokens } }],
    result,
  };
}
