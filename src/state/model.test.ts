import { describe, expect, it } from 'vitest';
import { selectDeviceLabel, selectLoadFiles, selectLoadTotals, selectVisibleError } from './selectors.ts';
import { TEST_DEVICE, TEST_GEOMETRY, createHarness } from './testing.ts';

describe('model loading', () => {
  it('loads the first model once on startup, from the app’s own origin', () => {
    const { store, client } = createHarness();
    expect(client.calls.filter((call) => call.type === 'load')).toEqual([
      {
        type: 'load',
        requestId: 1,
        model: {
          id: 'visionthink-test',
          label: 'VisionThink test model (tiny, synthetic)',
          source: 'http://app.test/models/visionthink-test',
          local: true,
        },
      },
    ]);
    expect(store.getState().model.status).toBe('loading');
    expect(store.getState().model.requestId).toBe(1);
  });

  it('shows the device and the fallback reason', () => {
    const { store, client } = createHarness();
    client.emit({
      type: 'device',
      requestId: 1,
      device: {
        kind: 'wasm',
        rung: 'wasm',
        description: 'WASM, 4 threads',
        fallbackReason: 'navigator.gpu is missing',
      },
    });
    expect(store.getState().model.device?.fallbackReason).toBe('navigator.gpu is missing');
    expect(selectDeviceLabel(store.getState())).toBe('WASM, 4 threads');
    client.emit({
      type: 'device',
      requestId: 1,
      device: { kind: 'webgpu', rung: 'webgpu', description: 'SwiftShader Device' },
    });
    expect(selectDeviceLabel(store.getState())).toBe('WebGPU — SwiftShader Device');
  });

  it('tracks bytes per file and in total', () => {
    const { store, client } = createHarness();
    client.emit({ type: 'load-progress', requestId: 1, file: 'config.json', loaded: 100, total: 1000 });
    client.emit({ type: 'load-progress', requestId: 1, file: 'onnx/decoder.onnx', loaded: 0, total: 5000 });
    client.emit({ type: 'load-progress', requestId: 1, file: 'config.json', loaded: 1000, total: 1000 });
    const state = store.getState();
    expect(state.model.files).toEqual([
      { file: 'config.json', loaded: 1000, total: 1000 },
      { file: 'onnx/decoder.onnx', loaded: 0, total: 5000 },
    ]);
    expect(selectLoadTotals(state)).toEqual({ loaded: 1000, total: 6000, sizesKnown: true });
    // Unchanged state gives the same object (React needs stable snapshots).
    expect(selectLoadTotals(store.getState())).toBe(selectLoadTotals(state));
  });

  it('counts files still to come from the sizes learned up front, and prefers those sizes', () => {
    const { store, client } = createHarness();
    client.emit({ type: 'load-sizes', requestId: 1, sizes: { 'onnx/a.onnx': 3000, 'onnx/b.onnx': 2000 } });
    // No Content-Length (a compressed response): the file's own total is just its bytes so far.
    client.emit({ type: 'load-progress', requestId: 1, file: 'onnx/a.onnx', loaded: 1000, total: 1000 });
    client.emit({ type: 'load-progress', requestId: 1, file: 'tokenizer.json', loaded: 50, total: 50 });
    const state = store.getState();
    expect(selectLoadFiles(state)).toEqual([
      { file: 'onnx/a.onnx', loaded: 1000, total: 3000 },
      { file: 'tokenizer.json', loaded: 50, total: 50 },
      { file: 'onnx/b.onnx', loaded: 0, total: 2000 },
    ]);
    expect(selectLoadTotals(state)).toEqual({ loaded: 1050, total: 5050, sizesKnown: true });
    // A file whose size is unknown leaves the total unknown.
    client.emit({ type: 'load-progress', requestId: 1, file: 'extra.json', loaded: 10, total: 0 });
    expect(selectLoadTotals(store.getState()).sizesKnown).toBe(false);
  });

  it('ignores sizes from an earlier load', () => {
    const { store, client } = createHarness();
    client.emit({ type: 'load-sizes', requestId: 99, sizes: { 'onnx/a.onnx': 3000 } });
    expect(store.getState().model.sizes).toEqual({});
  });

  it('is ready with the geometry and the load time when loaded', () => {
    const { store, client, clock } = createHarness();
    clock.now += 1250;
    client.emit({
      type: 'loaded',
      requestId: 1,
      modelId: 'visionthink-test',
      geometry: TEST_GEOMETRY,
      device: TEST_DEVICE,
    });
    const { model } = store.getState();
    expect(model.status).toBe('ready');
    expect(model.geometry).toEqual(TEST_GEOMETRY);
    expect(model.loadMs).toBe(1250);
  });

  it('clamps the budget to what the loaded model allows', () => {
    const { store, client } = createHarness();
    store.getState().setBudget(5000);
    expect(store.getState().settings.maxVisualTokens).toBe(5000);
    client.emit({
      type: 'loaded',
      requestId: 1,
      modelId: 'visionthink-test',
      geometry: TEST_GEOMETRY,
      device: TEST_DEVICE,
    });
    // 1 003 520 pixels / 28² = 1280 tokens.
    expect(store.getState().settings.maxVisualTokens).toBe(1280);
  });

  it('reports a failed load, and Retry loads again and ignores the failed attempt’s messages', () => {
    const { store, client } = createHarness();
    client.emit({
      type: 'failed',
      requestId: 1,
      error: { code: 'model-missing', message: 'The model files could not be found.' },
    });
    let state = store.getState();
    expect(state.model.status).toBe('error');
    expect(selectVisibleError(state)).toMatchObject({
      source: 'model',
      code: 'model-missing',
      message: 'The model files could not be found.',
      retryable: true,
    });

    state.retry();
    expect(client.count('load')).toBe(2);
    state = store.getState();
    expect(state.model.status).toBe('loading');
    expect(state.model.error).toBeNull();
    expect(selectVisibleError(state)).toBeNull();

    // Late messages of the first attempt change nothing.
    client.emit({ type: 'load-progress', requestId: 1, file: 'a', loaded: 1, total: 2 });
    client.emit({
      type: 'loaded',
      requestId: 1,
      modelId: 'visionthink-test',
      geometry: TEST_GEOMETRY,
      device: TEST_DEVICE,
    });
    expect(store.getState()).toBe(state);

    client.emit({
      type: 'loaded',
      requestId: client.last('load'),
      modelId: 'visionthink-test',
      geometry: TEST_GEOMETRY,
      device: TEST_DEVICE,
    });
    expect(store.getState().model.status).toBe('ready');
  });

  it('ignores progress after the model is ready', () => {
    const { store, client } = createHarness();
    client.emit({
      type: 'loaded',
      requestId: 1,
      modelId: 'visionthink-test',
      geometry: TEST_GEOMETRY,
      device: TEST_DEVICE,
    });
    const state = store.getState();
    client.emit({ type: 'load-progress', requestId: 1, file: 'late', loaded: 1, total: 1 });
    client.emit({
      type: 'device',
      requestId: 1,
      device: { kind: 'wasm', rung: 'wasm', description: 'WASM, 1 thread' },
    });
    expect(store.getState()).toBe(state);
  });

  it('fails a loaded model when the worker stops', () => {
    const { store, client } = createHarness();
    client.emit({
      type: 'loaded',
      requestId: 1,
      modelId: 'visionthink-test',
      geometry: TEST_GEOMETRY,
      device: TEST_DEVICE,
    });
    client.emit({ type: 'failed', requestId: 1, error: { code: 'internal', message: 'The model worker stopped.' } });
    expect(store.getState().model.status).toBe('error');
  });

  it('does not reload the model that is already loading or ready', () => {
    const { store, client } = createHarness();
    store.getState().selectModel('visionthink-test');
    store.getState().selectModel('no-such-model');
    expect(client.count('load')).toBe(1);
  });

  it('cancels a load: the worker is told, nothing is an error, and the same model can be loaded again', () => {
    const { store, client } = createHarness();
    client.emit({ type: 'load-progress', requestId: 1, file: 'onnx/decoder.onnx', loaded: 10, total: 100 });
    store.getState().cancelLoad();
    expect(client.count('cancel-load')).toBe(1);
    expect(store.getState().model).toMatchObject({ status: 'cancelled', files: [], error: null });
    // The worker confirms with an aborted failure: still cancelled, no error shown.
    client.emit({
      type: 'failed',
      requestId: 1,
      error: { code: 'aborted', message: 'The model download was cancelled.' },
    });
    expect(store.getState().model.status).toBe('cancelled');
    expect(selectVisibleError(store.getState())).toBeNull();
    store.getState().cancelLoad();
    expect(client.count('cancel-load')).toBe(1);

    // Choosing the same model again loads it again.
    store.getState().selectModel('visionthink-test');
    expect(client.count('load')).toBe(2);
    expect(store.getState().model.status).toBe('loading');
  });

  it('uses a model that finished loading before the cancel reached the worker', () => {
    const { store, client } = createHarness();
    store.getState().cancelLoad();
    client.emit({
      type: 'loaded',
      requestId: 1,
      modelId: 'visionthink-test',
      geometry: TEST_GEOMETRY,
      device: TEST_DEVICE,
    });
    expect(store.getState().model.status).toBe('ready');
  });
});
