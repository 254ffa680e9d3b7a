import { describe, expect, it } from 'vitest';
import { selectAskBlocker, selectSuggestedQuestions, selectUrlFieldError, selectVisibleError } from './selectors.ts';
import { BASE_URL, createHarness, fakeFetch, pngBlob, readyWithImage } from './testing.ts';

const flush = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

describe('opening an image', () => {
  it('keeps the new image pending until the worker has decoded it, then shows its preview', () => {
    const harness = createHarness();
    const { store, client, urls } = harness;
    const blob = pngBlob();
    store.getState().openImage(blob, 'cat.png', 'drop');
    expect(client.calls.at(-1)).toEqual({ type: 'open-image', requestId: client.last('open-image'), image: blob });
    const requestId = client.last('open-image');
    expect(store.getState().image.pending).toMatchObject({ requestId, name: 'cat.png', origin: 'drop' });
    expect(store.getState().image.current).toBeNull();
    expect(selectAskBlocker(store.getState())).toBe('The model is still loading.');

    client.emit({ type: 'image-opened', requestId, imageId: 3, width: 640, height: 480 });
    const { image } = store.getState();
    expect(image.pending).toBeNull();
    expect(image.current).toEqual({
      imageId: 3,
      name: 'cat.png',
      origin: 'drop',
      sampleId: null,
      address: null,
      width: 640,
      height: 480,
      previewUrl: 'blob:fake/1',
    });
    expect([...urls.live]).toEqual(['blob:fake/1']);
    expect(urls.blobs.get('blob:fake/1')).toBe(blob);
  });

  it('revokes the old preview when an image is replaced', () => {
    const harness = createHarness();
    const { store, client, urls } = harness;
    readyWithImage(harness);
    const first = store.getState().image.current?.previewUrl;
    store.getState().openImage(pngBlob(), 'second.png', 'paste');
    client.emit({ type: 'image-opened', requestId: client.last('open-image'), imageId: 8, width: 10, height: 10 });
    expect(urls.revoked).toEqual([first]);
    expect(store.getState().image.current?.name).toBe('second.png');
    expect(urls.live.size).toBe(1);
  });

  it('keeps the current image and the question when a new image fails to decode', () => {
    const harness = createHarness();
    const { store, client } = harness;
    readyWithImage(harness);
    store.getState().setDraft('What colour is it?');
    const before = store.getState().image.current;
    store.getState().openImage(new Blob(['garbage'], { type: 'image/png' }), 'broken.png', 'file');
    client.emit({
      type: 'failed',
      requestId: client.last('open-image'),
      error: { code: 'invalid-image', message: 'The file is not a readable image.' },
    });
    const state = store.getState();
    expect(state.image.current).toBe(before);
    expect(state.image.pending).toBeNull();
    expect(state.draft).toBe('What colour is it?');
    expect(selectVisibleError(state)).toMatchObject({ source: 'image', code: 'invalid-image', retryable: false });
    expect(selectAskBlocker(state)).toBeNull();
  });

  it('refuses a file that is not an image without bothering the worker', () => {
    const harness = createHarness();
    const { store, client } = harness;
    readyWithImage(harness);
    const calls = client.calls.length;
    store.getState().openImage(new Blob(['hello'], { type: 'text/plain' }), 'notes.txt', 'file');
    expect(client.calls.length).toBe(calls);
    expect(store.getState().image.error).toMatchObject({
      code: 'not-an-image',
      message: '“notes.txt” is not an image (it is text). Choose a PNG, JPEG, WebP, GIF, AVIF, BMP or ICO image.',
    });
    expect(store.getState().image.current?.name).toBe('picture.png');
    store.getState().openImage(new Blob([]), 'empty.png', 'file');
    expect(store.getState().image.error?.code).toBe('invalid-image');
  });

  it('drops a decode result for an image that has been superseded', () => {
    const { store, client } = createHarness();
    store.getState().openImage(pngBlob(), 'first.png', 'file');
    const first = client.last('open-image');
    store.getState().openImage(pngBlob(), 'second.png', 'file');
    client.emit({ type: 'image-opened', requestId: first, imageId: 1, width: 5, height: 5 });
    client.emit({ type: 'failed', requestId: first, error: { code: 'invalid-image', message: 'x' } });
    expect(store.getState().image.current).toBeNull();
    expect(store.getState().image.error).toBeNull();
    expect(store.getState().image.pending?.name).toBe('second.png');
  });

  it('clears a finished run when a new image opens', () => {
    const harness = createHarness();
    const { store, client } = harness;
    readyWithImage(harness);
    store.getState().ask('Colour?');
    client.emit({ type: 'round-image', requestId: client.last('run'), round: 1, image: pngBlob() });
    client.emit({
      type: 'run-event',
      requestId: client.last('run'),
      event: { type: 'error', error: { code: 'internal', message: 'boom' } },
    });
    const thumbnail = store.getState().run.rounds[0]?.thumbnailUrl;
    store.getState().openImage(pngBlob(), 'next.png', 'file');
    client.emit({ type: 'image-opened', requestId: client.last('open-image'), imageId: 9, width: 10, height: 10 });
    expect(store.getState().run.status).toBe('idle');
    expect(harness.urls.revoked).toContain(thumbnail);
    expect(store.getState().draft).toBe('Colour?');
  });
});

describe('opening an image from an address', () => {
  const imageUrl = 'https://images.example/photos/cat%20one.png';

  it('downloads it without cookies and opens it', async () => {
    const fetch = fakeFetch({ [imageUrl]: new Response(pngBlob(), { headers: { 'content-type': 'image/png' } }) });
    const { store, client } = createHarness(fetch);
    await store.getState().openImageUrl(`  ${imageUrl} `);
    expect(fetch.requests).toContain(imageUrl);
    const call = client.calls.at(-1);
    expect(call?.type).toBe('open-image');
    expect(store.getState().image.pending).toMatchObject({ name: 'cat one.png', origin: 'url' });
  });

  it.each([
    ['', 'Type or paste the address of an image first.'],
    ['not a url', '“not a url” is not a web address. Use the full address of an image, starting with https://.'],
    [
      'file:///etc/passwd',
      'Only web addresses (http:// or https://) can be loaded; this one starts with “file:”. To use a file from this device, drop it on the page or choose it with the file picker.',
    ],
    ['javascript:alert(1)', /this one starts with “javascript:”/],
  ])('refuses %j with a clear message', async (input, message) => {
    const fetch = fakeFetch({});
    const { store } = createHarness(fetch);
    const requestsBefore = fetch.requests.length;
    await store.getState().openImageUrl(input);
    expect(fetch.requests.length).toBe(requestsBefore);
    // Shown beside the address field, not in the banner.
    expect(selectVisibleError(store.getState())).toBeNull();
    const error = selectUrlFieldError(store.getState());
    expect(error).toMatchObject({ code: 'invalid-url', retryable: false });
    expect(error?.message).toMatch(message);
  });

  it('explains a network failure and retries the download', async () => {
    let attempts = 0;
    const fetch = fakeFetch({
      [imageUrl]: () => {
        attempts++;
        return attempts === 1
          ? Promise.reject(new TypeError('Failed to fetch'))
          : Promise.resolve(new Response(pngBlob(), { headers: { 'content-type': 'image/png' } }));
      },
    });
    const { store, client } = createHarness(fetch);
    await store.getState().openImageUrl(imageUrl);
    expect(selectVisibleError(store.getState())).toBeNull();
    const error = selectUrlFieldError(store.getState());
    expect(error).toMatchObject({ code: 'fetch-failed', retryable: true });
    expect(error?.message).toBe(
      'Could not download the image from images.example. The site may be unreachable, or it may not let other pages use its images. Save the image and drop the file here instead.',
    );
    store.getState().retryImage();
    await flush();
    expect(attempts).toBe(2);
    expect(client.calls.at(-1)?.type).toBe('open-image');
    expect(store.getState().image.error).toBeNull();
  });

  it('reports an HTTP error status', async () => {
    const { store } = createHarness(fakeFetch({}));
    await store.getState().openImageUrl(imageUrl);
    expect(store.getState().image.error).toMatchObject({
      code: 'fetch-failed',
      message: 'images.example answered “404 Not Found” for that address instead of an image.',
    });
  });

  it('refuses a page that is not an image', async () => {
    const fetch = fakeFetch({
      [imageUrl]: new Response('<html></html>', { headers: { 'content-type': 'text/html; charset=utf-8' } }),
    });
    const { store, client } = createHarness(fetch);
    await store.getState().openImageUrl(imageUrl);
    expect(client.count('open-image')).toBe(0);
    expect(store.getState().image.error).toMatchObject({
      code: 'not-an-image',
      message:
        'That address gives a web page, not an image. Use the address of the image itself (right-click the image and copy its address).',
    });
  });

  it('drops a download that finishes after another image was chosen', async () => {
    let resolve: (response: Response) => void = () => undefined;
    const fetch = fakeFetch({
      [imageUrl]: () =>
        new Promise<Response>((done) => {
          resolve = done;
        }),
    });
    const { store, client } = createHarness(fetch);
    const download = store.getState().openImageUrl(imageUrl);
    store.getState().openImage(pngBlob(), 'chosen.png', 'file');
    resolve(new Response(pngBlob(), { headers: { 'content-type': 'image/png' } }));
    await download;
    expect(client.count('open-image')).toBe(1);
    expect(store.getState().image.pending?.name).toBe('chosen.png');
  });
});

describe('samples', () => {
  const index = [
    { id: 'chart', file: 'chart.png', label: 'A bar chart', questions: ['Which bar is tallest?'] },
    { id: 'bad', file: '../secret.png', label: 'Escapes the folder', questions: [] },
    { id: 'no-label', file: 'x.png' },
    { id: 'text', file: 'page.png', label: 'Small print', questions: ['What does it say?', 42] },
  ];

  it('reads the index and lists the valid entries', async () => {
    const fetch = fakeFetch({ [`${BASE_URL}samples/index.json`]: Response.json(index) });
    const { store } = createHarness(fetch);
    await store.getState().loadSamples();
    expect(store.getState().samples).toEqual({
      status: 'ready',
      items: [
        {
          id: 'chart',
          file: 'chart.png',
          label: 'A bar chart',
          questions: ['Which bar is tallest?'],
          url: `${BASE_URL}samples/chart.png`,
        },
        {
          id: 'text',
          file: 'page.png',
          label: 'Small print',
          questions: ['What does it say?'],
          url: `${BASE_URL}samples/page.png`,
        },
      ],
    });
  });

  it('has no gallery when the index is missing or not JSON', async () => {
    const { store } = createHarness(fakeFetch({}));
    await store.getState().loadSamples();
    expect(store.getState().samples.status).toBe('missing');
    const broken = createHarness(fakeFetch({ [`${BASE_URL}samples/index.json`]: new Response('{') }));
    await broken.store.getState().loadSamples();
    expect(broken.store.getState().samples.status).toBe('missing');
  });

  it('opens a sample and suggests its questions', async () => {
    const fetch = fakeFetch({
      [`${BASE_URL}samples/index.json`]: Response.json(index),
      [`${BASE_URL}samples/chart.png`]: new Response(pngBlob(), { headers: { 'content-type': 'image/png' } }),
    });
    const { store, client } = createHarness(fetch);
    await store.getState().loadSamples();
    expect(selectSuggestedQuestions(store.getState())).toContain('Describe the image in one sentence.');
    await store.getState().openSample('chart');
    client.emit({ type: 'image-opened', requestId: client.last('open-image'), imageId: 4, width: 800, height: 600 });
    expect(store.getState().image.current).toMatchObject({ name: 'A bar chart', origin: 'sample', sampleId: 'chart' });
    expect(selectSuggestedQuestions(store.getState())).toEqual(['Which bar is tallest?']);
  });
});
