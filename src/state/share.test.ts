import { describe, expect, it, vi } from 'vitest';
import { selectImageStaysLocal, selectShareHash } from './share-slice.ts';
import { BASE_URL, createHarness, fakeFetch, pngBlob, readyWithImage, TEST_DEVICE, TEST_GEOMETRY } from './testing.ts';

const png = (): Response => new Response(pngBlob(), { headers: { 'content-type': 'image/png' } });
const index = [{ id: 'chart', file: 'chart.png', label: 'A bar chart', questions: [] }];
const gallery = () =>
  fakeFetch({
    [`${BASE_URL}samples/index.json`]: Response.json(index),
    [`${BASE_URL}samples/chart.png`]: png(),
    'https://example.com/cat.png': png(),
  });

describe('share links in the store', () => {
  it('applies the startup hash: settings, question and sample, without starting a run', async () => {
    const fetch = gallery();
    const { store, client } = createHarness(
      fetch,
      '#model=visionthink-test&policy=full-only&budget=512&question=How+many+bars%3F&sample=chart',
    );
    await vi.waitFor(() => {
      expect(client.count('open-image')).toBe(1);
    });
    const state = store.getState();
    expect(state.settings).toEqual({
      policy: 'full-only',
      policyChosen: true,
      threshold: 0.6,
      thresholdChosen: false,
      maxVisualTokens: 512,
      budgetChosen: true,
    });
    expect(state.draft).toBe('How many bars?');
    expect(state.model.selectedId).toBe('visionthink-test');
    expect(state.share.ignored).toEqual([]);
    expect(fetch.requests).toContain(`${BASE_URL}samples/chart.png`);
    // The model loads once (the link names the model already loading) and nothing runs.
    expect(client.count('load')).toBe(1);
    expect(client.count('run')).toBe(0);
    client.emit({
      type: 'loaded',
      requestId: client.last('load'),
      modelId: 'visionthink-test',
      geometry: TEST_GEOMETRY,
      device: TEST_DEVICE,
    });
    client.emit({ type: 'image-opened', requestId: client.last('open-image'), imageId: 2, width: 800, height: 600 });
    expect(store.getState().image.current).toMatchObject({
      sampleId: 'chart',
      address: { kind: 'sample', sampleId: 'chart' },
    });
    expect(store.getState().settings.maxVisualTokens).toBe(512);
    expect(client.count('run')).toBe(0);
  });

  it('ignores what fails its check and lists it; applies the rest', async () => {
    const { store, client } = createHarness(
      fakeFetch({}),
      '#image=javascript:alert(1)&budget=-5&policy=evil&question=<img src=x onerror=alert(1)>',
    );
    await vi.waitFor(() => {
      expect(store.getState().samples.status).toBe('missing');
    });
    const state = store.getState();
    expect(state.settings).toEqual({
      policy: 'visionthink',
      policyChosen: false,
      threshold: 0.6,
      thresholdChosen: false,
      maxVisualTokens: 1024,
      budgetChosen: false,
    });
    expect(state.draft).toBe('<img src=x onerror=alert(1)>');
    expect(state.share.ignored).toHaveLength(3);
    expect(client.count('open-image')).toBe(0);
    store.getState().dismissShareNotice();
    expect(store.getState().share.ignored).toEqual([]);
  });

  it('says so when the sample is not in the gallery', async () => {
    const { store } = createHarness(gallery(), '#sample=gone');
    await vi.waitFor(() => {
      expect(store.getState().share.ignored).toEqual(['Sample image: “gone” is not in this app’s gallery.']);
    });
  });

  it('downloads an image address from a link, and applies a link given later by hashchange', async () => {
    const fetch = gallery();
    const { store, client, changeHash } = createHarness(fetch);
    client.emit({
      type: 'loaded',
      requestId: client.last('load'),
      modelId: 'visionthink-test',
      geometry: TEST_GEOMETRY,
      device: TEST_DEVICE,
    });
    changeHash('#image=https%3A%2F%2Fexample.com%2Fcat.png&budget=2000');
    await vi.waitFor(() => {
      expect(client.count('open-image')).toBe(1);
    });
    expect(fetch.requests).toContain('https://example.com/cat.png');
    // Checked against the loaded model's limits (4 to 1280).
    expect(store.getState().share.ignored).toEqual(['Budget: “2000” is not a whole number from 4 to 1280.']);
    expect(store.getState().settings.maxVisualTokens).toBe(1024);
  });

  it('keeps the image the person chose while the gallery was loading', async () => {
    let release = (): void => undefined;
    const fetch = fakeFetch({
      [`${BASE_URL}samples/index.json`]: () =>
        new Promise((resolve) => {
          release = () => {
            resolve(Response.json(index));
          };
        }),
      [`${BASE_URL}samples/chart.png`]: png(),
    });
    const harness = createHarness(fetch, '#sample=chart');
    readyWithImage(harness);
    release();
    await vi.waitFor(() => {
      expect(harness.store.getState().samples.status).toBe('ready');
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(fetch.requests).not.toContain(`${BASE_URL}samples/chart.png`);
    expect(harness.client.count('open-image')).toBe(1);
    expect(harness.store.getState().image.current?.name).toBe('picture.png');
  });

  it('builds the link for the current state; a local file stays out of it', async () => {
    const fetch = gallery();
    const harness = createHarness(fetch);
    const { store, client } = harness;
    readyWithImage(harness);
    store.getState().setPolicy('low-only');
    store.getState().setBudget(256);
    store.getState().setDraft('  Which colour?  ');
    expect(selectImageStaysLocal(store.getState())).toBe(true);
    expect(selectShareHash(store.getState())).toBe(
      '#model=visionthink-test&policy=low-only&budget=256&question=Which+colour%3F',
    );

    await store.getState().loadSamples();
    await store.getState().openSample('chart');
    client.emit({ type: 'image-opened', requestId: client.last('open-image'), imageId: 9, width: 800, height: 600 });
    expect(selectImageStaysLocal(store.getState())).toBe(false);
    expect(selectShareHash(store.getState())).toBe(
      '#model=visionthink-test&policy=low-only&budget=256&question=Which+colour%3F&sample=chart',
    );

    await store.getState().openImageUrl('https://example.com/cat.png');
    client.emit({ type: 'image-opened', requestId: client.last('open-image'), imageId: 10, width: 800, height: 600 });
    expect(selectShareHash(store.getState())).toBe(
      '#model=visionthink-test&policy=low-only&budget=256&question=Which+colour%3F&image=https%3A%2F%2Fexample.com%2Fcat.png',
    );
  });

  it('carries the threshold only under the confidence policy, and a link applies it', () => {
    const harness = createHarness(gallery());
    const { store } = harness;
    readyWithImage(harness);
    store.getState().setBudget(256);
    expect(selectShareHash(store.getState())).toBe('#model=visionthink-test&policy=visionthink&budget=256');
    store.getState().setPolicy('confidence');
    expect(selectShareHash(store.getState())).toBe(
      '#model=visionthink-test&policy=confidence&threshold=0.6&budget=256',
    );
    store.getState().setThreshold(0.35);
    expect(selectShareHash(store.getState())).toContain('&threshold=0.35&');

    const opened = createHarness(gallery(), '#model=visionthink-test&policy=confidence&threshold=0.8');
    expect(opened.store.getState().settings).toMatchObject({
      policy: 'confidence',
      policyChosen: true,
      threshold: 0.8,
      thresholdChosen: true,
    });
  });
});
