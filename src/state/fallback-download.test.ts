/**
 * A fallback that needs files the person has not agreed to download (a hub model whose rung below
 * loads another precision): the page asks first, with the size, as for the first download; files
 * stored earlier load at once; a question stopped by it is asked again once the model has loaded.
 */
import { describe, expect, it } from 'vitest';
import { TEST_MODEL, type ModelEntry } from '../engine/model-registry.ts';
import type { DeviceInfo } from '../protocol/messages.ts';
import { probeDownloadBytes } from './download-size.ts';
import { selectDownloadBytes, selectDownloadSizeStatus, selectVisibleError } from './selectors.ts';
import { selectPendingSwitch } from './server-selectors.ts';
import { expectedFiles } from './storage-slice.ts';
import { BASE_URL, createHarness, emitRun, FakeStorage, fakeFetch, runEvents, TEST_GEOMETRY } from './testing.ts';

const flush = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/** A hub model whose half-precision rung is known in size and whose 32-bit rung is not. */
const HUB: ModelEntry = {
  ...TEST_MODEL,
  id: 'hub-model',
  label: 'Hub model',
  source: { hub: 'org/hub-model', revision: 'abc123' },
  rungs: {
    'webgpu-f16': {
      dtype: { embed_tokens: 'q4f16', vision_encoder: 'q4f16', decoder_model_merged: 'q4f16' },
      downloadBytes: 900_000_000,
    },
    webgpu: { dtype: { embed_tokens: 'q4', vision_encoder: 'q4', decoder_model_merged: 'q4' }, downloadBytes: null },
    wasm: { dtype: { embed_tokens: 'q4', vision_encoder: 'q4', decoder_model_merged: 'q4' }, downloadBytes: null },
  },
};
const PREFIX = 'https://huggingface.co/org/hub-model/resolve/abc123/';
const F16: DeviceInfo = { kind: 'webgpu', rung: 'webgpu-f16', description: 'Fake GPU' };
const GPU: DeviceInfo = { kind: 'webgpu', rung: 'webgpu', description: 'Fake GPU' };

/** The hub answering a one-byte range request for each file of the 32-bit rung: 100 kB each. */
function hubSizes(bytes = 100_000): Record<string, () => Promise<Response>> {
  return Object.fromEntries(
    expectedFiles(HUB, 'webgpu').map((file) => [
      `${PREFIX}${file}`,
      () =>
        Promise.resolve(new Response('x', { status: 206, headers: { 'Content-Range': `bytes 0-0/${String(bytes)}` } })),
    ]),
  );
}

/** The hub model loaded on the half-precision rung, an image open, ready to ask. */
async function loadedOnF16(fetchTable: Record<string, () => Promise<Response>> = {}, storage = new FakeStorage()) {
  const harness = createHarness(fakeFetch(fetchTable), '', [HUB, TEST_MODEL], storage);
  const { store, client } = harness;
  client.emit({ type: 'device', requestId: client.last('probe'), device: F16 });
  await flush();
  store.getState().loadModel();
  const load = client.last('load');
  client.emit({ type: 'loaded', requestId: load, modelId: 'hub-model', geometry: TEST_GEOMETRY, device: F16 });
  store
    .getState()
    .openImage(new Blob([new Uint8Array([0x89, 0x50, 0x4e, 0x47])], { type: 'image/png' }), 'a.png', 'file');
  client.emit({ type: 'image-opened', requestId: client.last('open-image'), imageId: 7, width: 896, height: 672 });
  return { ...harness, load };
}

describe('the size of a download the registry does not know', () => {
  it('is the sum of what the hub says each file weighs', async () => {
    const fetch = fakeFetch(hubSizes());
    expect(await probeDownloadBytes(HUB, 'webgpu', BASE_URL, fetch)).toBe(
      100_000 * expectedFiles(HUB, 'webgpu').length,
    );
    expect(fetch.requests).toEqual(expectedFiles(HUB, 'webgpu').map((file) => `${PREFIX}${file}`));
  });

  it('is unknown when a file does not say, or the hub cannot be reached', async () => {
    const table = hubSizes();
    table[`${PREFIX}config.json`] = () => Promise.resolve(new Response('', { status: 404 }));
    expect(await probeDownloadBytes(HUB, 'webgpu', BASE_URL, fakeFetch(table))).toBeNull();
    const failing = (): Promise<Response> => Promise.reject(new TypeError('Failed to fetch'));
    expect(await probeDownloadBytes(HUB, 'webgpu', BASE_URL, failing)).toBeNull();
  });
});

describe('a fallback that needs a download', () => {
  it('while loading: asks first, with the size learned from the hub, and loads only on Download', async () => {
    const { store, client, load } = await loadedOnF16(hubSizes());
    client.emit({
      type: 'fallback',
      requestId: load,
      runRequestId: null,
      device: GPU,
      reason: 'requires f16',
      needsDownload: true,
    });
    client.emit({
      type: 'failed',
      requestId: load,
      error: { code: 'needs-download', message: 'The GPU failed…' },
    });
    await flush();
    let state = store.getState();
    expect(state.model).toMatchObject({ status: 'confirm', device: GPU });
    expect(state.model.fallback).toMatchObject({ needsDownload: true, modelId: 'hub-model' });
    expect(selectVisibleError(state)).toBeNull();
    expect(client.count('load')).toBe(1);

    await state.probeDownloadSize();
    state = store.getState();
    expect(selectDownloadSizeStatus(state)).toBe('known');
    expect(selectDownloadBytes(state)).toBe(100_000 * expectedFiles(HUB, 'webgpu').length);

    state.loadModel();
    expect(client.count('load')).toBe(2);
    expect(store.getState().model.status).toBe('loading');
    // The notice of the fallback stays once the person agreed; it no longer waits for anything.
    expect(store.getState().model.fallback).toMatchObject({ needsDownload: false });
  });

  it('during a follow-up: it is not asked again on its own, without the conversation it followed', async () => {
    const { store, client, load } = await loadedOnF16(hubSizes());
    store.getState().ask('What colour?');
    emitRun(client, ...runEvents(false).events);
    store.getState().ask('And the corner?');
    const run = client.last('run');
    emitRun(client, {
      type: 'plan',
      turn: 2,
      original: { width: 896, height: 672 },
      low: { width: 448, height: 336, visualTokens: 192 },
      full: { width: 896, height: 672, visualTokens: 768 },
    });
    client.emit({
      type: 'fallback',
      requestId: load,
      runRequestId: run,
      device: GPU,
      reason: 'lost',
      needsDownload: true,
    });
    emitRun(client, { type: 'error', error: { code: 'needs-download', message: 'The GPU failed…' } });
    await flush();
    expect(store.getState().model).toMatchObject({ status: 'confirm', resumeQuestion: null });
  });

  it('during a run: the run is not shown as failed, and the question is asked again once loaded', async () => {
    const { store, client, load } = await loadedOnF16(hubSizes());
    store.getState().ask('What colour?');
    const run = client.last('run');
    emitRun(client, ...runEvents(true).events.slice(0, 4));
    client.emit({
      type: 'fallback',
      requestId: load,
      runRequestId: run,
      device: GPU,
      reason: 'lost',
      needsDownload: true,
    });
    emitRun(client, { type: 'error', error: { code: 'needs-download', message: 'The GPU failed…' } });
    await flush();
    expect(store.getState().model).toMatchObject({
      status: 'confirm',
      resumeQuestion: { question: 'What colour?', imageId: 7 },
    });
    // The person types something else meanwhile: it stays in the box.
    store.getState().setDraft('And the border?');
    expect(selectVisibleError(store.getState())).toBeNull();

    store.getState().loadModel();
    const reload = client.last('load');
    client.emit({ type: 'loaded', requestId: reload, modelId: 'hub-model', geometry: TEST_GEOMETRY, device: GPU });
    expect(client.count('run')).toBe(2);
    expect(client.calls.at(-1)).toMatchObject({ type: 'run', question: 'What colour?', imageId: 7 });
    // Asked by the app, not by the person: the page is not scrolled for it.
    expect(store.getState().run).toMatchObject({ status: 'running', resumed: true });
    expect(store.getState().model.resumeQuestion).toBeNull();
    expect(store.getState().draft).toBe('And the border?');
  });

  it('loads at once when the lower rung’s files are already stored', async () => {
    const storage = new FakeStorage();
    storage.files = expectedFiles(HUB, 'webgpu').map((file) => ({ url: `${PREFIX}${file}`, bytes: 1000 }));
    const { store, client, load } = await loadedOnF16({}, storage);
    client.emit({
      type: 'fallback',
      requestId: load,
      runRequestId: null,
      device: GPU,
      reason: 'lost',
      needsDownload: true,
    });
    await flush();
    expect(client.count('load')).toBe(2);
    expect(store.getState().model.status).toBe('loading');
  });

  it('choosing another model drops the question that waited for the download', async () => {
    const { store, client, load } = await loadedOnF16(hubSizes());
    store.getState().ask('What colour?');
    client.emit({
      type: 'fallback',
      requestId: load,
      runRequestId: client.last('run'),
      device: GPU,
      reason: 'lost',
      needsDownload: true,
    });
    store.getState().selectModel('visionthink-test');
    expect(store.getState().model).toMatchObject({ resumeQuestion: null, fallback: null });
  });

  it('a Cancel is not undone by a fallback that arrives after it', async () => {
    const { store, client } = await loadedOnF16(hubSizes());
    store.getState().loadModel();
    const load = client.last('load');
    store.getState().cancelLoad();
    client.emit({
      type: 'fallback',
      requestId: load,
      runRequestId: null,
      device: GPU,
      reason: 'lost',
      needsDownload: true,
    });
    await flush();
    expect(store.getState().model.status).toBe('cancelled');
    expect(client.count('load')).toBe(2);
  });
});

describe('choosing another model while one downloads from the hub', () => {
  it('asks before cancelling the download; keeping it changes nothing, switching cancels it', async () => {
    const { store, client } = await loadedOnF16(hubSizes());
    store.getState().loadModel();
    const loads = client.count('load');
    // Passing over another model (a click, or the arrow keys in the list) only asks.
    store.getState().selectModel('visionthink-test');
    expect(store.getState().model).toMatchObject({
      selectedId: 'hub-model',
      status: 'loading',
      pendingSwitch: 'visionthink-test',
    });
    // The same object while nothing changed: React re-renders a subscriber to a new one without end.
    expect(selectPendingSwitch(store.getState())).toBe(selectPendingSwitch(store.getState()));
    expect(client.count('cancel-load')).toBe(0);
    store.getState().keepDownloading();
    expect(store.getState().model).toMatchObject({ status: 'loading', pendingSwitch: null });

    store.getState().selectModel('visionthink-test');
    store.getState().confirmSwitch();
    expect(client.count('cancel-load')).toBeGreaterThan(0);
    expect(client.count('load')).toBe(loads + 1);
    expect(store.getState().model).toMatchObject({
      selectedId: 'visionthink-test',
      status: 'loading',
      pendingSwitch: null,
    });
  });

  it('a model that ships with the app, still loading, is replaced at once, also by a hub model that must ask first', async () => {
    const harness = createHarness(fakeFetch(hubSizes()), '', [TEST_MODEL, HUB]);
    const { store, client } = harness;
    expect(store.getState().model).toMatchObject({ selectedId: 'visionthink-test', status: 'loading' });
    store.getState().selectModel('hub-model');
    expect(client.count('cancel-load')).toBe(1);
    expect(store.getState().model).toMatchObject({ selectedId: 'hub-model', status: 'checking', pendingSwitch: null });
    await flush();
    expect(store.getState().model.status).toBe('confirm');
  });

  it('the question goes away with the download: loaded, cancelled or failed', async () => {
    for (const end of ['loaded', 'cancelled', 'failed'] as const) {
      const { store, client } = await loadedOnF16(hubSizes());
      store.getState().loadModel();
      const load = client.last('load');
      store.getState().selectModel('visionthink-test');
      expect(store.getState().model.pendingSwitch).toBe('visionthink-test');
      if (end === 'loaded') {
        client.emit({ type: 'loaded', requestId: load, modelId: 'hub-model', geometry: TEST_GEOMETRY, device: F16 });
      } else if (end === 'cancelled') {
        store.getState().cancelLoad();
      } else {
        client.emit({ type: 'failed', requestId: load, error: { code: 'model-unreachable', message: 'offline' } });
      }
      expect(store.getState().model.pendingSwitch, end).toBeNull();
    }
  });

  it('a hub model loading from the browser’s storage is replaced without asking', async () => {
    const storage = new FakeStorage();
    storage.files = expectedFiles(HUB, 'webgpu-f16').map((file) => ({ url: `${PREFIX}${file}`, bytes: 1000 }));
    const { store, client } = await loadedOnF16({}, storage);
    await store.getState().refreshStorage();
    store.getState().loadModel();
    store.getState().selectModel('visionthink-test');
    expect(store.getState().model).toMatchObject({ selectedId: 'visionthink-test', pendingSwitch: null });
    expect(client.count('cancel-load')).toBeGreaterThan(0);
  });
});
