import { describe, expect, it } from 'vitest';
import { TEST_MODEL, type ModelEntry } from '../engine/model-registry.ts';
import { expectedFiles, groupCachedFiles } from './storage-slice.ts';
import { selectDownloadBytes, selectLoadEtaMs } from './selectors.ts';
import {
  BASE_URL,
  createHarness,
  FakeStorage,
  fakeFetch,
  runEvents,
  emitRun,
  readyWithImage,
  TEST_GEOMETRY,
} from './testing.ts';
import type { DeviceInfo } from '../protocol/messages.ts';

const flush = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/** A model from the hub, with external data on its decoder. */
const HUB: ModelEntry = {
  ...TEST_MODEL,
  id: 'hub-model',
  label: 'Hub model',
  source: { hub: 'org/hub-model', revision: 'abc123' },
  rungs: {
    'webgpu-f16': {
      dtype: { embed_tokens: 'q4f16', vision_encoder: 'fp16', decoder_model_merged: 'q4f16' },
      downloadBytes: 900_000_000,
    },
    webgpu: {
      dtype: { embed_tokens: 'q4', vision_encoder: 'q4', decoder_model_merged: 'q4' },
      downloadBytes: 1_000_000_000,
    },
    wasm: {
      dtype: { embed_tokens: 'q4', vision_encoder: 'q4', decoder_model_merged: 'q4' },
      downloadBytes: 1_000_000_000,
    },
  },
  externalData: { 'decoder_model_merged_q4.onnx': 2, 'decoder_model_merged_q4f16.onnx': 1 },
  defaultBudget: { gpu: 1024, cpu: 256 },
};
const HUB_PREFIX = 'https://huggingface.co/org/hub-model/resolve/abc123/';
const TEST_PREFIX = `${BASE_URL}models/visionthink-test/`;
const GPU: DeviceInfo = { kind: 'webgpu', rung: 'webgpu', description: 'Fake GPU' };

/** The hub model's files of `rung` as the cache lists them. */
const hubFiles = (rung: 'webgpu' | 'webgpu-f16'): { url: string; bytes: number }[] =>
  expectedFiles(HUB, rung).map((name) => ({ url: `${HUB_PREFIX}${name}`, bytes: 1000 }));

function setup(storage = new FakeStorage()) {
  return createHarness(fakeFetch({}), '', [TEST_MODEL, HUB], storage);
}

describe('choosing a model that must be downloaded', () => {
  it('names the files a rung downloads: five JSON files, each session and its external data', () => {
    expect(expectedFiles(HUB, 'webgpu').filter((name) => name.startsWith('onnx/'))).toEqual([
      'onnx/embed_tokens_q4.onnx',
      'onnx/vision_encoder_q4.onnx',
      'onnx/decoder_model_merged_q4.onnx',
      'onnx/decoder_model_merged_q4.onnx_data',
      'onnx/decoder_model_merged_q4.onnx_data_1',
    ]);
    expect(expectedFiles(HUB, 'webgpu-f16')).toHaveLength(5 + 3 + 1);
    expect(expectedFiles(TEST_MODEL, 'wasm')).toHaveLength(8);
  });

  it('asks first when another rung’s files are stored, even as many of them', async () => {
    const storage = new FakeStorage();
    storage.files = [...hubFiles('webgpu-f16'), { url: `${HUB_PREFIX}README.md`, bytes: 10 }];
    const { store, client } = setup(storage);
    client.emit({ type: 'device', requestId: client.last('probe'), device: GPU });
    store.getState().selectModel('hub-model');
    await flush();
    expect(store.getState().model.status).toBe('confirm');
    expect(store.getState().storage.models).toMatchObject([{ id: 'hub-model', files: 10, complete: false }]);
  });

  it('asks first when the model is not stored: its size for this device, nothing loads until Download', async () => {
    const { store, client } = setup();
    client.emit({ type: 'device', requestId: client.last('probe'), device: GPU });
    store.getState().selectModel('hub-model');
    expect(store.getState().model.status).toBe('checking');
    await flush();
    expect(store.getState().model.status).toBe('confirm');
    expect(selectDownloadBytes(store.getState())).toBe(1_000_000_000);
    expect(client.count('load')).toBe(1);

    store.getState().loadModel();
    expect(client.calls.at(-1)).toEqual({
      type: 'load',
      requestId: client.last('load'),
      model: { id: 'hub-model', label: 'Hub model', source: 'org/hub-model', local: false },
    });
    expect(store.getState().model.status).toBe('loading');
  });

  it('loads at once when every file of this rung is stored', async () => {
    const storage = new FakeStorage();
    storage.files = hubFiles('webgpu');
    const { store, client } = setup(storage);
    client.emit({ type: 'device', requestId: client.last('probe'), device: GPU });
    store.getState().selectModel('hub-model');
    await flush();
    expect(store.getState().model.status).toBe('loading');
    expect(client.count('load')).toBe(2);
  });

  it('a hub model that cannot be reached: the test model is one call away', async () => {
    const { store, client } = setup();
    store.getState().selectModel('hub-model');
    await flush();
    store.getState().loadModel();
    client.emit({
      type: 'failed',
      requestId: client.last('load'),
      error: { code: 'model-unreachable', message: 'The hub cannot be reached.' },
    });
    expect(store.getState().model.status).toBe('error');
    store.getState().useOfflineModel();
    expect(store.getState().model.selectedId).toBe('visionthink-test');
    expect(store.getState().model.status).toBe('loading');
    expect(client.calls.at(-1)).toMatchObject({ type: 'load', model: { id: 'visionthink-test', local: true } });
  });

  it('uses the model’s smaller CPU budget on WASM, unless the person chose one', () => {
    const harness = setup();
    const { store, client } = harness;
    client.emit({
      type: 'loaded',
      requestId: client.last('load'),
      modelId: 'visionthink-test',
      geometry: TEST_GEOMETRY,
      device: { kind: 'wasm', rung: 'wasm', description: 'WASM' },
    });
    expect(store.getState().settings.maxVisualTokens).toBe(TEST_MODEL.defaultBudget.cpu);

    const chosen = setup();
    chosen.store.getState().setBudget(300);
    chosen.client.emit({
      type: 'loaded',
      requestId: chosen.client.last('load'),
      modelId: 'visionthink-test',
      geometry: TEST_GEOMETRY,
      device: GPU,
    });
    expect(chosen.store.getState().settings.maxVisualTokens).toBe(300);
  });
});

describe('download progress', () => {
  it('estimates the time left from the average speed, once a second of progress is in', () => {
    const { store, client, clock } = setup();
    const requestId = client.last('load');
    clock.now += 500;
    client.emit({ type: 'load-sizes', requestId, sizes: { 'a.onnx': 600, 'b.onnx': 400 } });
    client.emit({ type: 'load-progress', requestId, file: 'a.onnx', loaded: 100, total: 600 });
    expect(selectLoadEtaMs(store.getState())).toBeNull();
    clock.now += 1500;
    client.emit({ type: 'load-progress', requestId, file: 'a.onnx', loaded: 400, total: 600 });
    // 400 bytes in 2 s: 600 more take 3 s.
    expect(selectLoadEtaMs(store.getState())).toBe(3000);
  });
});

describe('a device failure', () => {
  it('during loading: the device changes, loading restarts, and a notice says why', () => {
    const { store, client } = setup();
    const requestId = client.last('load');
    client.emit({ type: 'load-progress', requestId, file: 'a.onnx', loaded: 5, total: 10 });
    client.emit({
      type: 'fallback',
      requestId,
      runRequestId: null,
      device: GPU,
      reason: 'requires f16',
      needsDownload: false,
    });
    const { model } = store.getState();
    expect(model).toMatchObject({ status: 'loading', device: GPU, files: [] });
    expect(model.fallback).toEqual({
      reason: 'requires f16',
      duringRun: false,
      needsDownload: false,
      modelId: 'visionthink-test',
    });
    store.getState().dismissFallback();
    expect(store.getState().model.fallback).toBeNull();

    client.emit({
      type: 'fallback',
      requestId,
      runRequestId: null,
      device: GPU,
      reason: 'requires f16',
      needsDownload: false,
    });
    store.getState().loadModel();
    expect(store.getState().model.fallback).toBeNull();
  });

  it('during a run: what the failed attempt showed is cleared, the question stays', () => {
    const harness = setup();
    const { store, client, urls } = harness;
    readyWithImage(harness);
    store.getState().ask('What colour?');
    const { events } = runEvents(true);
    emitRun(client, ...events.slice(0, 6));
    client.emit({ type: 'round-image', requestId: client.last('run'), round: 1, image: new Blob(['x']) });
    expect(store.getState().run.rounds.length).toBeGreaterThan(0);
    client.emit({
      type: 'fallback',
      requestId: client.last('load'),
      runRequestId: client.last('run'),
      device: GPU,
      reason: 'Device was lost',
      needsDownload: false,
    });
    const state = store.getState();
    expect(state.run).toMatchObject({ status: 'running', question: 'What colour?', rounds: [], plan: null });
    expect(state.model.fallback).toEqual({
      reason: 'Device was lost',
      duringRun: true,
      needsDownload: false,
      modelId: 'visionthink-test',
    });
    expect(urls.live.size).toBe(1); // only the image preview; the round's thumbnail was revoked
  });
});

describe('the storage panel', () => {
  it('groups cached files by model and says whether a model is complete', () => {
    const files = [
      ...hubFiles('webgpu'),
      { url: `${TEST_PREFIX}config.json`, bytes: 1200 },
      { url: 'https://huggingface.co/other/model/resolve/main/config.json', bytes: 9 },
    ];
    expect(groupCachedFiles(files, [TEST_MODEL, HUB], BASE_URL, (choice) => expectedFiles(choice, 'webgpu'))).toEqual([
      { id: 'visionthink-test', bytes: 1200, files: 1, complete: false },
      { id: 'hub-model', bytes: 10_000, files: 10, complete: true },
    ]);
  });

  it('shows stored models with their sizes and clears one, leaving the others', async () => {
    const storage = new FakeStorage();
    storage.files = [
      ...hubFiles('webgpu').slice(0, 2),
      { url: `${TEST_PREFIX}onnx/decoder_model_merged.onnx`, bytes: 200_000 },
    ];
    const { store } = setup(storage);
    await store.getState().refreshStorage();
    expect(store.getState().storage.models.map((m) => [m.id, m.bytes])).toEqual([
      ['visionthink-test', 200_000],
      ['hub-model', 2000],
    ]);
    await store.getState().clearCachedModel('hub-model');
    expect(storage.files.map((file) => file.url)).toEqual([`${TEST_PREFIX}onnx/decoder_model_merged.onnx`]);
    expect(store.getState().storage.models.map((m) => m.id)).toEqual(['visionthink-test']);
    expect(store.getState().storage.clearing).toBeNull();
  });

  it('asks for persistent storage and says so when the browser declines', async () => {
    const storage = new FakeStorage();
    storage.grantPersist = false;
    const { store } = setup(storage);
    await store.getState().requestPersistentStorage();
    expect(store.getState().storage.persisted).toBe(false);
    expect(store.getState().storage.notice).toMatch(/did not grant persistent storage/);
    store.getState().dismissStorageNotice();
    expect(store.getState().storage.notice).toBeNull();
  });

  it('after a load the browser did not store (quota): a notice says the model will download again', async () => {
    const storage = new FakeStorage();
    const { store, client } = setup(storage);
    storage.files = [{ url: `${TEST_PREFIX}config.json`, bytes: 1000 }];
    client.emit({
      type: 'loaded',
      requestId: client.last('load'),
      modelId: 'visionthink-test',
      geometry: TEST_GEOMETRY,
      device: GPU,
    });
    await flush();
    await flush();
    expect(store.getState().storage.notice).toMatch(/did not store all of its files/);
  });

  it('no notice when every file was stored, and none without Cache Storage', async () => {
    const storage = new FakeStorage();
    storage.files = expectedFiles(TEST_MODEL, 'webgpu').map((name) => ({ url: `${TEST_PREFIX}${name}`, bytes: 1 }));
    const { store, client } = setup(storage);
    client.emit({ type: 'loaded', requestId: 1, modelId: 'visionthink-test', geometry: TEST_GEOMETRY, device: GPU });
    await flush();
    await flush();
    expect(store.getState().storage.notice).toBeNull();

    const none = new FakeStorage();
    none.cachedFiles = () => Promise.resolve(null);
    const other = setup(none);
    other.client.emit({
      type: 'loaded',
      requestId: 1,
      modelId: 'visionthink-test',
      geometry: TEST_GEOMETRY,
      device: GPU,
    });
    await flush();
    await flush();
    expect(other.store.getState().storage).toMatchObject({ status: 'unavailable', notice: null });
  });
});
