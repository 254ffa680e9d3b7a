import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ImageGeometry } from '../engine/visual-tokens.ts';
import type { BackendInfo } from '../protocol/messages.ts';
import {
  selectAskBlocker,
  selectDeviceLabel,
  selectQuestionPrefillMsSaved,
  selectSessionSummary,
  selectVisibleError,
} from './selectors.ts';
import { selectModelSource, selectServerFieldErrors, selectUnlistedModel } from './server-selectors.ts';
import { selectPolicy, selectPolicyFallback } from './settings-slice.ts';
import { retryWaitOf } from './error-slice.ts';
import { selectShareHash } from './share-slice.ts';
import {
  createHarness,
  emitRun,
  FakePreferences,
  fakeFetch,
  readyWithImage,
  TEST_DEVICE,
  usage,
  type Harness,
} from './testing.ts';

const URL_TYPED = ' http://localhost:8000/v1/ ';
const BASE_URL = 'http://localhost:8000/v1';
const MODEL = 'Senqiao/VisionThink-Efficient';
const KEY = 'sk-test-4f1c9a';

/** Qwen2.5-VL at the server's default pixel limits, as the worker reports it. */
const SERVER_GEOMETRY: ImageGeometry = {
  patchSize: 14,
  mergeSize: 2,
  temporalPatchSize: 2,
  minPixels: 3136,
  maxPixels: 12_845_056,
};

/** A harness with the Server source chosen and its form filled (not connected). */
function serverForm(harness: Harness = createHarness(), key = KEY): Harness {
  const { store } = harness;
  store.getState().selectModel('server');
  store.getState().setServerField('url', URL_TYPED);
  store.getState().setServerField('model', MODEL);
  if (key !== '') store.getState().setServerField('apiKey', key);
  return harness;
}

function connected(harness: Harness, backend: Partial<Extract<BackendInfo, { kind: 'server' }>> = {}): Harness {
  harness.store.getState().connectServer();
  harness.client.emit({
    type: 'loaded',
    requestId: harness.client.last('load'),
    modelId: 'server',
    geometry: SERVER_GEOMETRY,
    device: TEST_DEVICE,
    backend: { kind: 'server', baseUrl: BASE_URL, model: MODEL, confidenceUnavailable: null, ...backend },
  });
  return harness;
}

/** Everything this device stored, as one string (to look for the key in it). */
const stored = (preferences: FakePreferences): string => JSON.stringify([...preferences.values]);

afterEach(() => {
  vi.useRealTimers();
});

describe('choosing a model server', () => {
  it('sends nothing until Connect, and says what to do', () => {
    const { store, client } = createHarness();
    const loads = client.count('load');
    store.getState().selectModel('server');
    expect(client.count('load')).toBe(loads);
    expect(client.count('list-server-models')).toBe(0);
    expect(store.getState().model.status).toBe('idle');
    expect(selectAskBlocker(store.getState())).toBe('Connect to the model server first (Settings, under Model).');
    expect(selectModelSource(store.getState())).toMatchObject({ kind: 'server', status: 'setup', origin: null });
    expect(selectDeviceLabel(store.getState())).toBe('Server: not connected');
  });

  it('connects with the right load: the address normalised, the key in memory only', () => {
    const { store, client, preferences } = serverForm();
    store.getState().connectServer();
    expect(client.calls.at(-1)).toEqual({
      type: 'load',
      requestId: client.last('load'),
      model: {
        id: 'server',
        label: `${MODEL} on localhost:8000`,
        source: BASE_URL,
        local: false,
        server: { baseUrl: BASE_URL, model: MODEL, apiKey: KEY, minPixels: 3136, maxPixels: 12_845_056 },
      },
    });
    expect(selectModelSource(store.getState())).toMatchObject({ status: 'connecting', host: 'localhost:8000' });
    expect(selectDeviceLabel(store.getState())).toBe('Server: connecting to localhost:8000…');
    // The form is remembered, the key is not.
    expect(stored(preferences)).toContain(MODEL);
    expect(stored(preferences)).not.toContain(KEY);
  });

  it('sends no key when none is typed, and the pixel limits as typed', () => {
    const { store, client } = serverForm(createHarness(), '');
    store.getState().setServerField('minPixels', '6272');
    store.getState().setServerField('maxPixels', '1 003 520');
    store.getState().connectServer();
    const call = client.calls.at(-1);
    expect(call?.type === 'load' && call.model.server).toEqual({
      baseUrl: BASE_URL,
      model: MODEL,
      minPixels: 6272,
      maxPixels: 1_003_520,
    });
  });

  it('shows each problem instead of connecting, and focuses the first', () => {
    const { store, client } = createHarness();
    store.getState().selectModel('server');
    store.getState().setServerField('url', 'localhost:8000/v1');
    store.getState().setServerField('maxPixels', '100');
    const loads = client.count('load');
    store.getState().connectServer();
    expect(client.count('load')).toBe(loads);
    expect(selectServerFieldErrors(store.getState())).toEqual({
      url: 'The address needs http:// or https:// in front, e.g. http://localhost:8000/v1.',
      model: 'Enter the model’s name as the server lists it (Refresh fills the list).',
      pixels: 'Max pixels must be a whole number from the min pixels (3136) to 1073741824.',
    });
    expect(store.getState().server.focus).toEqual({ field: 'url', seq: 1 });
    // What was typed stays.
    expect(store.getState().server.fields.url).toBe('localhost:8000/v1');
    for (const [typed, problem] of [
      ['javascript:alert(1)', 'Only http:// and https:// servers can be used, not “javascript:”.'],
      ['http://user:pw@gpu.test/v1', 'Put the API key in its own field below, not in the address.'],
      ['http://gpu.test/v1?key=1', 'The address ends with the API’s path (usually /v1), without “?” or “#” after it.'],
    ] as const) {
      store.getState().setServerField('url', typed);
      expect(selectServerFieldErrors(store.getState()).url).toBe(problem);
    }
  });

  it('remembers the key on this device only when asked, for its server only; unticking deletes it', () => {
    const harness = serverForm();
    const { store, preferences } = harness;
    store.getState().setRememberKey(true);
    expect(stored(preferences)).toContain(KEY);
    expect(stored(preferences)).toContain('http://localhost:8000');

    // The next visit has the form and the key back.
    const next = createHarness(fakeFetch({}), '', undefined, undefined, preferences);
    // The address as it will be used (a half-typed one is never stored).
    expect(next.store.getState().server).toMatchObject({
      fields: { url: BASE_URL, model: MODEL },
      apiKey: KEY,
      rememberKey: true,
    });
    next.store.getState().setRememberKey(false);
    expect(stored(preferences)).not.toContain(KEY);
    // The key typed stays for this visit.
    expect(next.store.getState().server.apiKey).toBe(KEY);
    const after = createHarness(fakeFetch({}), '', undefined, undefined, preferences);
    expect(after.store.getState().server).toMatchObject({ apiKey: '', rememberKey: false });
  });

  it('withholds the key once the address names another server, and stores no address half typed', () => {
    const harness = serverForm();
    const { store, preferences } = harness;
    store.getState().setRememberKey(true);
    store.getState().setServerField('url', 'http://user:secret@other-host:8000/v1');
    expect(store.getState().server).toMatchObject({ apiKey: '', keyWithheld: true });
    expect(stored(preferences)).not.toContain('secret');
    expect(stored(preferences)).toContain('http://localhost:8000');
    store.getState().setServerField('url', 'http://other-host:8000/v1');
    void store.getState().listServerModels();
    expect(harness.client.calls.at(-1)).toEqual({ type: 'list-server-models', baseUrl: 'http://other-host:8000/v1' });
    // Back at the server the key was remembered for, it is filled in again.
    store.getState().setServerField('url', BASE_URL);
    expect(store.getState().server).toMatchObject({ apiKey: KEY, keyWithheld: false });
  });

  it('starts with the server of last time, connecting at once unless it needs a key not remembered', () => {
    const first = connected(serverForm(createHarness(), ''));
    expect(first.store.getState().server.saved).toEqual({ usedKey: false });
    const again = createHarness(fakeFetch({}), '', undefined, undefined, first.preferences);
    expect(again.client.calls.filter((call) => call.type === 'load').map((call) => call.model.id)).toEqual(['server']);

    const withKey = connected(serverForm());
    const later = createHarness(fakeFetch({}), '', undefined, undefined, withKey.preferences);
    expect(later.client.count('load')).toBe(0);
    expect(later.store.getState().model).toMatchObject({ selectedId: 'server', status: 'idle' });

    // Choosing a model in this browser: the next visit starts with it.
    withKey.store.getState().selectModel('visionthink-test');
    withKey.client.emit({
      type: 'loaded',
      requestId: withKey.client.last('load'),
      modelId: 'visionthink-test',
      geometry: SERVER_GEOMETRY,
      device: TEST_DEVICE,
    });
    const local = createHarness(fakeFetch({}), '', undefined, undefined, withKey.preferences);
    expect(local.store.getState().model.selectedId).toBe('visionthink-test');
  });
});

describe('a connected server', () => {
  it('names the server as where answers come from and takes its own cap as the default budget', () => {
    const { store } = connected(serverForm());
    expect(selectModelSource(store.getState())).toMatchObject({
      kind: 'server',
      status: 'connected',
      origin: 'http://localhost:8000',
      model: MODEL,
    });
    expect(selectDeviceLabel(store.getState())).toBe(`Server: ${MODEL} at localhost:8000`);
    // 12845056 pixels / 784 per visual token.
    expect(store.getState().settings.maxVisualTokens).toBe(16_384);
    expect(selectAskBlocker(store.getState())).toBe(
      'Choose an image first: drop one, paste one, pick a file or a sample.',
    );
  });

  it('keeps a budget the person chose', () => {
    const harness = serverForm();
    harness.store.getState().setBudget(900);
    connected(harness);
    expect(harness.store.getState().settings.maxVisualTokens).toBe(900);
  });

  it('falls back from confidence to visionthink where the server gives no probabilities, and says why', () => {
    const harness = serverForm();
    const { store } = harness;
    store.getState().setPolicy('confidence');
    const reason = 'The server returns no token probabilities (logprobs).';
    connected(harness, { confidenceUnavailable: reason });
    expect(selectPolicy(store.getState())).toBe('visionthink');
    expect(selectPolicyFallback(store.getState())).toEqual({ wanted: 'confidence', reason });
    // The same object while nothing changed: React re-renders a subscriber to a new one without end.
    expect(selectPolicyFallback(store.getState())).toBe(selectPolicyFallback(store.getState()));
    readyWithImageOnServer(harness);
    store.getState().ask('What does the sign say?');
    expect(harness.client.calls.at(-1)).toMatchObject({ type: 'run', policy: 'visionthink' });
    // Back on a model in this browser, the choice applies again.
    store.getState().selectModel('visionthink-test');
    expect(selectPolicy(store.getState())).toBe('confidence');
    expect(selectPolicyFallback(store.getState())).toBeNull();
  });

  it('keeps confidence on a server that gives probabilities', () => {
    const harness = serverForm();
    harness.store.getState().setPolicy('confidence');
    connected(harness);
    expect(selectPolicy(harness.store.getState())).toBe('confidence');
    expect(selectPolicyFallback(harness.store.getState())).toBeNull();
  });
});

/** Opens an image on the connected server (as `readyWithImage` does after a local load). */
function readyWithImageOnServer({ store, client }: Harness): void {
  store.getState().openImage(new Blob([new Uint8Array([0x89])], { type: 'image/png' }), 'sign.png', 'file');
  client.emit({ type: 'image-opened', requestId: client.last('open-image'), imageId: 3, width: 896, height: 672 });
}

describe('the server’s model list', () => {
  it('lists with the key, fills a lone model in, and tells a model the server does not list', async () => {
    const { store, client } = createHarness();
    store.getState().selectModel('server');
    store.getState().setServerField('url', URL_TYPED);
    store.getState().setServerField('apiKey', KEY);
    const listing = store.getState().listServerModels();
    expect(client.calls.at(-1)).toEqual({ type: 'list-server-models', baseUrl: BASE_URL, apiKey: KEY });
    expect(store.getState().server.listing.status).toBe('loading');
    client.answerModels([MODEL]);
    await listing;
    expect(store.getState().server.listing).toMatchObject({ status: 'ready', models: [MODEL] });
    expect(store.getState().server.fields.model).toBe(MODEL);

    // Leaving the address unchanged does not ask again; Refresh does.
    await store.getState().listServerModels({ onlyIfNew: true });
    expect(client.count('list-server-models')).toBe(1);
    store.getState().setServerField('model', 'qwen2.5-vl');
    const refresh = store.getState().listServerModels();
    client.answerModels(['a', 'b']);
    await refresh;
    expect(store.getState().server.fields.model).toBe('qwen2.5-vl');
    expect(selectUnlistedModel(store.getState())).toEqual({ model: 'qwen2.5-vl', listed: ['a', 'b'] });
  });

  it('shows why the list failed, in the server’s words; only the latest listing counts', async () => {
    const { store, client } = createHarness();
    store.getState().selectModel('server');
    store.getState().setServerField('url', 'http://gpu.test:8000/v1');
    const first = store.getState().listServerModels();
    const second = store.getState().listServerModels();
    expect(client.calls.at(-1)).toEqual({ type: 'list-server-models', baseUrl: 'http://gpu.test:8000/v1' });
    client.answerModels(['stale']);
    client.failModels({
      code: 'server-unreachable',
      message: 'Nothing answered at http://gpu.test:8000/v1. Is the server running?',
    });
    await Promise.all([first, second]);
    expect(store.getState().server.listing).toMatchObject({
      status: 'error',
      models: [],
      error: {
        code: 'server-unreachable',
        message: 'Nothing answered at http://gpu.test:8000/v1. Is the server running?',
      },
    });
  });

  it('does not ask a server whose address cannot be used', async () => {
    const { store, client } = createHarness();
    store.getState().selectModel('server');
    store.getState().setServerField('url', 'ftp://files.test/v1');
    await store.getState().listServerModels();
    expect(client.count('list-server-models')).toBe(0);
    expect(selectServerFieldErrors(store.getState()).url).toBe(
      'Only http:// and https:// servers can be used, not “ftp:”.',
    );
  });
});

describe('server errors', () => {
  it('a failed Connect offers Retry and the server settings; a model in this browser still works', () => {
    const harness = serverForm();
    const { store, client } = harness;
    store.getState().connectServer();
    client.emit({
      type: 'failed',
      requestId: client.last('load'),
      error: { code: 'server-auth', message: 'The server refused the API key (401).' },
    });
    expect(selectVisibleError(store.getState())).toMatchObject({
      source: 'model',
      code: 'server-auth',
      message: 'The server refused the API key (401).',
      retryable: true,
      serverSettings: true,
    });
    expect(selectDeviceLabel(store.getState())).toBe('Server: not connected');
    store.getState().openServerSettings();
    expect(store.getState().server.focus).toEqual({ field: 'apiKey', seq: 1 });
    store.getState().retry();
    const retried = client.calls.at(-1);
    expect(retried?.type === 'load' && retried.model.server?.baseUrl).toBe(BASE_URL);
    store.getState().selectModel('visionthink-test');
    expect(client.calls.at(-1)).toMatchObject({ type: 'load', model: { id: 'visionthink-test' } });
    client.emit({
      type: 'loaded',
      requestId: client.last('load'),
      modelId: 'visionthink-test',
      geometry: SERVER_GEOMETRY,
      device: TEST_DEVICE,
    });
    expect(selectVisibleError(store.getState())).toBeNull();
    expect(selectModelSource(store.getState())).toEqual({ kind: 'local' });
  });

  it('a busy server’s Retry counts down and is offered when the time is up; the question stays', () => {
    vi.useFakeTimers();
    const harness = connected(serverForm());
    const { store, client } = harness;
    readyWithImageOnServer(harness);
    store.getState().setDraft('What does the sign say?');
    store.getState().ask('What does the sign say?');
    emitRun(client, {
      type: 'error',
      error: { code: 'server-busy', message: 'The server is busy (429).', retryAfterSeconds: 3 },
    });
    expect(selectVisibleError(store.getState())).toMatchObject({ code: 'server-busy', retryable: true });
    expect(retryWaitOf(store.getState())).toBe(3);
    const runs = client.count('run');
    store.getState().retry();
    expect(client.count('run')).toBe(runs);
    vi.advanceTimersByTime(1000);
    expect(retryWaitOf(store.getState())).toBe(2);
    vi.advanceTimersByTime(2000);
    expect(retryWaitOf(store.getState())).toBeNull();
    expect(store.getState().draft).toBe('What does the sign say?');
    store.getState().retry();
    expect(client.count('run')).toBe(runs + 1);
    expect(client.calls.at(-1)).toMatchObject({ type: 'run', question: 'What does the sign say?' });
  });

  it('a question running on the server is stopped when the source changes, so no later round goes there', () => {
    const harness = connected(serverForm());
    const { store, client } = harness;
    readyWithImageOnServer(harness);
    store.getState().ask('What does the sign say?');
    expect(store.getState().run.status).toBe('running');
    const cancels = client.count('cancel');
    store.getState().selectModel('visionthink-test');
    expect(client.count('cancel')).toBe(cancels + 1);
    expect(store.getState().run.stopping).toBe(true);
    // Connecting to another server stops a running question too.
    const again = connected(serverForm());
    readyWithImageOnServer(again);
    again.store.getState().ask('Why?');
    const before = again.client.count('cancel');
    again.store.getState().connectServer();
    expect(again.client.count('cancel')).toBe(before + 1);
  });

  it('names the settings for an unreachable server during a run, but not for a busy one', () => {
    const harness = connected(serverForm());
    const { store, client } = harness;
    readyWithImageOnServer(harness);
    store.getState().ask('Why?');
    emitRun(client, { type: 'error', error: { code: 'server-unreachable', message: 'Nothing answered.' } });
    expect(selectVisibleError(store.getState())).toMatchObject({ source: 'run', serverSettings: true });
    store.getState().openServerSettings();
    expect(store.getState().server.focus?.field).toBe('url');
    store.getState().ask('Why?');
    emitRun(client, { type: 'error', error: { code: 'server-busy', message: 'Busy.' } });
    expect(selectVisibleError(store.getState())).toMatchObject({ serverSettings: false, retryable: true });
    expect(retryWaitOf(store.getState())).toBeNull();
  });
});

describe('share links and the model server', () => {
  it('carries the address and the model, never the key', () => {
    const harness = connected(serverForm());
    harness.store.getState().setRememberKey(true);
    const hash = selectShareHash(harness.store.getState());
    expect(hash).toBe(
      '#model=server&server=http%3A%2F%2Flocalhost%3A8000%2Fv1&server-model=Senqiao%2FVisionThink-Efficient&policy=visionthink&budget=16384',
    );
    expect(hash).not.toContain(KEY);
    expect(decodeURIComponent(hash)).not.toContain(KEY);
  });

  it('opening one fills the form and sends nothing until Connect', () => {
    const link = '#model=server&server=http%3A%2F%2Fgpu.test%3A8000%2Fv1%2F&server-model=VT&question=Why%3F';
    const { store, client } = createHarness(fakeFetch({}), link);
    expect(client.count('load')).toBe(0);
    expect(client.count('list-server-models')).toBe(0);
    expect(store.getState().server.fields).toMatchObject({ url: 'http://gpu.test:8000/v1', model: 'VT' });
    expect(selectModelSource(store.getState())).toMatchObject({
      kind: 'server',
      status: 'setup',
      origin: 'http://gpu.test:8000',
      fromLink: true,
    });
    expect(store.getState().draft).toBe('Why?');
    store.getState().connectServer();
    expect(client.calls.at(-1)).toMatchObject({ type: 'load', model: { source: 'http://gpu.test:8000/v1' } });
    expect(selectModelSource(store.getState())).toMatchObject({ fromLink: false });
  });

  it('round-trips through the link it makes', () => {
    const made = selectShareHash(connected(serverForm()).store.getState());
    const { store, client } = createHarness(fakeFetch({}), made);
    expect(client.count('load')).toBe(0);
    expect(store.getState().server.fields).toMatchObject({ url: BASE_URL, model: MODEL });
    expect(store.getState().server.apiKey).toBe('');
  });

  it('does not connect at once to a remembered server when a link names one', () => {
    const first = connected(serverForm(createHarness(), ''));
    const opened = createHarness(
      fakeFetch({}),
      '#server=http%3A%2F%2Fother.test%2Fv1',
      undefined,
      undefined,
      first.preferences,
    );
    expect(opened.client.count('load')).toBe(0);
    expect(opened.store.getState().server.fields.url).toBe('http://other.test/v1');
  });

  it('withholds a key remembered for another server, and disconnects from the one in use', () => {
    const harness = connected(serverForm());
    const { store, client, changeHash } = harness;
    changeHash('#server=http%3A%2F%2Fevil.test%2Fv1&server-model=x');
    expect(store.getState().server).toMatchObject({ apiKey: '', keyWithheld: true, fromLink: true });
    expect(store.getState().model.status).toBe('idle');
    expect(selectModelSource(store.getState())).toMatchObject({ status: 'setup', origin: 'http://evil.test' });
    store.getState().connectServer();
    const call = client.calls.at(-1);
    expect(call?.type === 'load' && call.model.server).toEqual({
      baseUrl: 'http://evil.test/v1',
      model: 'x',
      minPixels: 3136,
      maxPixels: 12_845_056,
    });
  });

  it('keeps the connection when the link names the server in use', () => {
    const harness = connected(serverForm());
    harness.changeHash(`#server=${encodeURIComponent(BASE_URL)}&server-model=${encodeURIComponent(MODEL)}`);
    expect(harness.store.getState().model.status).toBe('ready');
    expect(harness.store.getState().server.apiKey).toBe(KEY);
  });

  it('ignores an unusable server address with a readable line, and a server beside a browser model', () => {
    const { store, client } = createHarness(fakeFetch({}), '#server=javascript%3Aalert(1)');
    expect(store.getState().share.ignored).toEqual([
      'Model server: “javascript:alert(1)” cannot be used: only http:// and https:// servers can be used, not “javascript:”.',
    ]);
    expect(store.getState().model.selectedId).toBe('visionthink-test');
    expect(client.count('load')).toBe(1);

    const both = createHarness(fakeFetch({}), '#model=visionthink-test&server=http%3A%2F%2Fgpu.test%2Fv1');
    expect(both.store.getState().share.ignored).toEqual([
      'Model server: the link also names a model that runs in this browser, which is used instead.',
    ]);
    expect(both.store.getState().model.selectedId).toBe('visionthink-test');
  });

  it('leaves links without a server as they were', () => {
    const harness = createHarness();
    readyWithImage(harness);
    expect(selectShareHash(harness.store.getState())).toBe('#model=visionthink-test&policy=visionthink&budget=1024');
  });
});

describe('the session’s prefill estimate', () => {
  it('measures this device only: a server’s rounds give no cost per token', () => {
    const harness = connected(serverForm());
    const { store, client } = harness;
    readyWithImageOnServer(harness);
    store.getState().ask('Why?');
    const round = {
      ...usage(1, 'low', 192),
      server: { promptTokens: 1815, completionTokens: 7, cachedTokens: null },
    };
    const result = {
      answer: 'red',
      escalated: false,
      policy: 'visionthink' as const,
      rounds: [round],
      visualTokens: { used: 192, fullResolution: 768, saved: 576 },
      transcript: '',
    };
    emitRun(client, { type: 'done', result, conversation: { turn: 1, visualTokens: result.visualTokens } });
    expect(store.getState().run.status).toBe('done');
    expect(selectSessionSummary(store.getState())).toMatchObject({
      questions: 1,
      saved: 576,
      msPerPrefillToken: null,
      prefillMsSaved: null,
    });
    expect(selectQuestionPrefillMsSaved(store.getState())).toBeNull();
  });
});
