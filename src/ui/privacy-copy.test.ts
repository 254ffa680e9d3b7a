import { describe, expect, it } from 'vitest';
import { selectModelSource } from '../state/index.ts';
import { createHarness, fakeFetch, TEST_DEVICE } from '../state/testing.ts';
import { connectDestinationText, footerText, privacyText } from './privacy-copy.ts';

describe('where the page says images go', () => {
  it('switches from “never leave your device” to the server’s address, before and after connecting', () => {
    const { store, client } = createHarness();
    const text = (): string => privacyText(selectModelSource(store.getState()));
    expect(text()).toBe('Everything runs in this browser tab: your images never leave your device.');
    store.getState().selectModel('server');
    expect(text()).toBe(
      'With a model server, your images and questions are sent to that server. Nothing is sent before you connect.',
    );
    store.getState().setServerField('url', 'https://gpu.example:8443/v1');
    store.getState().setServerField('model', 'vt');
    expect(text()).toBe(
      'Images and questions will be sent to https://gpu.example:8443 (the model server you chose) once you connect.',
    );
    expect(connectDestinationText(selectModelSource(store.getState()))).toBe(
      'Once connected, your images and questions are sent to https://gpu.example:8443; the API key, if any, goes only to that server.',
    );
    store.getState().connectServer();
    expect(text()).toBe('Images and questions are sent to https://gpu.example:8443 (the model server you chose).');
    client.emit({
      type: 'loaded',
      requestId: client.last('load'),
      modelId: 'server',
      geometry: { patchSize: 14, mergeSize: 2, temporalPatchSize: 2, minPixels: 3136, maxPixels: 12_845_056 },
      device: TEST_DEVICE,
      backend: { kind: 'server', baseUrl: 'https://gpu.example:8443/v1', model: 'vt', confidenceUnavailable: null },
    });
    expect(text()).toBe('Images and questions are sent to https://gpu.example:8443 (the model server you chose).');
    expect(footerText(selectModelSource(store.getState()))).toMatch(/the model on the server you chose/);
    store.getState().selectModel('visionthink-test');
    expect(text()).toBe('Everything runs in this browser tab: your images never leave your device.');
  });

  it('names the link as the source of an address it filled in', () => {
    const { store, client } = createHarness(fakeFetch({}), '#server=http%3A%2F%2Fgpu.test%2Fv1&server-model=vt');
    expect(privacyText(selectModelSource(store.getState()))).toBe(
      'Images and questions will be sent to http://gpu.test (the model server named in the link you opened) once you connect; none has been sent yet.',
    );
    // Once a connection was tried, the page can no longer promise that nothing went there.
    store.getState().connectServer();
    client.emit({
      type: 'failed',
      requestId: client.last('load'),
      error: { code: 'server-unreachable', message: 'Nothing answered at http://gpu.test/v1.' },
    });
    expect(privacyText(selectModelSource(store.getState()))).toBe(
      'Images and questions will be sent to http://gpu.test (the model server you chose) once you connect.',
    );
  });
});
