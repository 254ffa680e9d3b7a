/**
 * Models, downloads and storage: the default model asks before it downloads and, with the hub out
 * of reach (these machines have no internet; Chromium resolves nothing but localhost), the app
 * offers the test model that ships with it. The storage panel shows and clears a stored model, a
 * full quota and an interrupted download are explained, and the ladder's rung is the one this
 * browser offers.
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { allowTimeForScenarios, expect, RUN_TIMEOUT, test, TEST_MODEL_ID } from './support/app.ts';
import { sampleImage } from './support/images.ts';

const HUB = 'https://huggingface.co/';
const TEST_MODEL_FOLDER = fileURLToPath(new URL(`../public/models/${TEST_MODEL_ID}/`, import.meta.url));

/**
 * A server that sends the first half of `file` with its full length announced, then nothing,
 * holding the connection open: a download that stalls mid-file.
 */
async function stallingServer(file: string) {
  const bytes = await readFile(file);
  const sent = Math.floor(bytes.length / 2);
  let started = 0;
  let closed = 0;
  const server = createServer((request, response) => {
    // The size check before a download asks for one byte: answer it as a server would.
    if (request.headers.range) {
      response.writeHead(206, { 'Content-Range': `bytes 0-0/${bytes.length}`, 'Content-Length': 1 });
      response.end(bytes.subarray(0, 1));
      return;
    }
    started++;
    response.on('close', () => {
      closed++;
    });
    response.writeHead(200, { 'Content-Length': bytes.length, 'Content-Type': 'application/octet-stream' });
    response.write(bytes.subarray(0, sent));
  });
  // On every interface: the browser resolves nothing but "localhost" here.
  await new Promise<void>((resolve) => server.listen(0, resolve));
  return {
    url: `http://localhost:${(server.address() as AddressInfo).port}/decoder_model_merged.onnx`,
    sent,
    started: () => started,
    closed: () => closed,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

test('the default model shows its size before downloading; offline, the app offers the test model', async ({ app }) => {
  await app.goto();
  const card = app.byId('model.confirm');
  await expect(card).toBeVisible({ timeout: RUN_TIMEOUT });
  await expect(app.byId('model')).toHaveAttribute('data-value', 'qwen3.5-0.8b');
  // One size, in the one unit convention of the app and the README (decimal megabytes).
  await expect(app.page.getByTestId('model.size')).toHaveText('735 MB');
  await expect(app.byId('model').locator('[data-model-id="qwen3.5-0.8b"]')).toContainText('735 MB');
  // Nothing is loading before the person agrees: the hint beside Ask says what to do.
  await expect(app.page.getByTestId('ask.hint')).toHaveText('Download the model first, or use the offline test model.');
  expect(
    app.requests.filter((url) => url.startsWith(HUB)),
    'nothing downloads before the person agrees',
  ).toEqual([]);

  await app.page.getByTestId('model.download').click();
  const text = await app.expectReadableError(/hub cannot be reached/i);
  expect(text).toMatch(/Qwen3\.5-0\.8B/);
  await expect(app.byId('error')).toHaveAttribute('data-code', 'model-unreachable');
  await app.expectOneFailureMessage();
  expect(
    app.requests.some((url) => url.startsWith(HUB)),
    'the download was attempted',
  ).toBe(true);

  await app.page.getByTestId('error.offline').click();
  await expect(app.byId('model')).toHaveAttribute('data-value', TEST_MODEL_ID);
  await expect(app.byId('error')).toHaveCount(0);
  await app.chooseImage(await sampleImage('plain', 'blue', 448, 336));
  await app.ask();
  await app.expectAnswer('blue');
});

test('a full quota: the model still loads and answers, and the page says it was not stored', async ({ app }) => {
  await app.goto();
  await expect(app.byId('model.confirm')).toBeVisible({ timeout: RUN_TIMEOUT });
  const cdp = await app.page.context().newCDPSession(app.page);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: app.origin, quotaSize: 20_000 });

  await app.chooseModel(TEST_MODEL_ID);
  await expect(app.page.getByTestId('storage.notice')).toContainText(/did not store all of its files/, {
    timeout: RUN_TIMEOUT,
  });
  await app.chooseImage(await sampleImage('plain', 'green', 448, 336));
  await app.ask();
  await app.expectAnswer('green');
});

test.describe('without the service worker', () => {
  test('an interrupted download: Retry loads the model; without cross-origin isolation it answers, WASM on one thread', async ({
    app,
  }) => {
    allowTimeForScenarios(2);
    await app.withoutServiceWorker();
    await app.goto('', { isolated: false });

    await test.step('an interrupted download: a clear message, and Retry loads the model', async () => {
      await expect(app.byId('model.confirm')).toBeVisible({ timeout: RUN_TIMEOUT });
      // The connection drops on the largest file until the network is back.
      let down = true;
      let dropped = 0;
      await app.page.route('**/models/visionthink-test/onnx/decoder_model_merged*.onnx', async (route) => {
        if (down) {
          dropped++;
          await route.abort('connectionreset');
        } else {
          await route.continue();
        }
      });

      await app.chooseModel(TEST_MODEL_ID);
      await app.expectReadableError(/could not be (loaded|downloaded)/i);
      expect(dropped).toBeGreaterThan(0);
      await app.expectOneFailureMessage();
      down = false;
      await app.page.getByTestId('error.retry').click();
      await expect(app.byId('load-progress')).toHaveAttribute('data-status', 'ready', { timeout: RUN_TIMEOUT });
      await expect(app.byId('error')).toHaveCount(0);
      await app.chooseImage(await sampleImage('plain', 'yellow', 448, 336));
      await app.ask();
      await app.expectAnswer('yellow');
    });

    // The same page, never isolated: the model it loaded after Retry.
    await test.step('without cross-origin isolation the app still answers; WASM runs on one thread', async () => {
      await expect(app.byId('load-progress')).toHaveAttribute('data-status', 'ready', { timeout: RUN_TIMEOUT });
      expect(await app.page.evaluate(() => self.crossOriginIsolated)).toBe(false);
      if (app.project === 'wasm') await expect(app.byId('device')).toHaveText('WASM, 1 thread');
      else await expect(app.byId('device')).toHaveAttribute('data-kind', 'webgpu');
      await app.chooseImage(await sampleImage('plain', 'black', 448, 336));
      await app.ask();
      await app.expectAnswer('black');
    });
  });

  test('a download that stalls mid-file: Cancel ends it, and another model does not wait for it', async ({ app }) => {
    const stall = await stallingServer(join(TEST_MODEL_FOLDER, 'onnx/decoder_model_merged.onnx'));
    try {
      await app.withoutServiceWorker();
      // The decoder comes from a server that sends half of it, then nothing.
      await app.page.route('**/models/visionthink-test/onnx/decoder_model_merged.onnx', (route) =>
        route.continue({ url: stall.url }),
      );
      await app.goto(`#model=${TEST_MODEL_ID}`, { isolated: false });
      const decoder = app.byId('load-progress').getByRole('progressbar', { name: 'onnx/decoder_model_merged.onnx' });
      await expect(decoder).toHaveAttribute('aria-valuenow', String(stall.sent), { timeout: RUN_TIMEOUT });

      await app.page.getByTestId('load-progress.cancel').click();
      await expect(app.page.getByTestId('model.cancelled')).toBeVisible();
      await expect(app.byId('load-progress')).toHaveCount(0);
      await expect(app.page.getByTestId('ask.hint')).toContainText('cancelled');
      await expect(app.byId('error')).toHaveCount(0);
      // The browser really let go of the download (and of the library's look at the file).
      await expect.poll(() => stall.closed() === stall.started() && stall.started() > 0).toBe(true);

      // Another model loads at once and answers.
      await app.chooseModel('visionthink-test-qwen3_5');
      await expect(app.byId('load-progress')).toHaveAttribute('data-status', 'ready', { timeout: RUN_TIMEOUT });
      await app.chooseImage(await sampleImage('plain', 'cyan', 448, 336));
      await app.ask();
      await app.expectAnswer('cyan');

      // Without Cancel: choosing another model while a download stalls switches all the same.
      const before = stall.started();
      await app.chooseModel(TEST_MODEL_ID);
      await expect(decoder).toHaveAttribute('aria-valuenow', String(stall.sent), { timeout: RUN_TIMEOUT });
      expect(stall.started()).toBeGreaterThan(before);
      await app.chooseModel('visionthink-test-qwen3_5');
      await expect(app.byId('load-progress')).toHaveAttribute('data-status', 'ready', { timeout: RUN_TIMEOUT });
      await expect.poll(() => stall.closed() === stall.started()).toBe(true);
      await app.ask();
      await app.expectAnswer('cyan');
    } finally {
      await stall.close();
    }
  });
});

test("the loaded test model: the ladder's rung, the storage panel, and the Qwen3.5-layout model", async ({ app }) => {
  allowTimeForScenarios(3);
  await app.open();

  await test.step('the ladder: the rung this browser offers, with threads for WASM under cross-origin isolation', async () => {
    const device = app.byId('device');
    await expect(app.byId('load-progress')).toHaveAttribute('data-status', 'ready', { timeout: RUN_TIMEOUT });
    expect(await app.page.evaluate(() => self.crossOriginIsolated)).toBe(true);
    if (app.project === 'webgpu') {
      // SwiftShader has no shader-f16: the rung below half precision.
      await expect(device).toHaveAttribute('data-rung', 'webgpu');
      await expect(app.page.getByTestId('device.notice')).toContainText('shader-f16');
    } else {
      // After loading, the badge shows the threads ONNX Runtime started with (it falls back to one
      // by itself where shared memory is unavailable; see the test without a service worker).
      // Why, said once: the CPU fallback and the browser's reason, without repeating either.
      await expect(app.page.getByTestId('device.notice')).toHaveText(
        'Running on the CPU (WASM): much slower than a GPU, so images get a smaller budget. No WebGPU adapter is available: the GPU may be disabled or blocked.',
      );
      const cores = await app.page.evaluate(() => navigator.hardwareConcurrency);
      const threads = Math.min(4, cores);
      await expect(device).toHaveAttribute('data-rung', 'wasm');
      await expect(device).toHaveText(`WASM, ${String(threads)} thread${threads === 1 ? '' : 's'}`);
      await app.chooseImage(await sampleImage('plain', 'white', 448, 336));
      await app.ask();
      await app.expectAnswer('white');
    }
  });

  await test.step('the storage panel shows the stored test model with its size, and clears it', async () => {
    await expect(app.byId('load-progress')).toHaveAttribute('data-status', 'ready', { timeout: RUN_TIMEOUT });
    const row = app.page.locator(`[data-testid="storage.model"][data-model-id="${TEST_MODEL_ID}"]`);
    await expect(row).toBeVisible({ timeout: RUN_TIMEOUT });
    await expect(row).toContainText(/VisionThink test model.*\d+ kB, \d+ files/);
    expect(Number(await row.getAttribute('data-bytes'))).toBeGreaterThan(250_000);
    await expect(app.page.getByTestId('storage.usage')).toContainText(/This site uses .* of the .* the browser allows/);

    await row.getByTestId('storage.clear').click();
    await expect(row).toHaveCount(0);
    await expect(app.page.getByTestId('storage.empty')).toHaveText('No models are stored in this browser.');
    const cached = await app.page.evaluate(async () =>
      (await (await caches.open('transformers-cache')).keys()).map((request) => request.url),
    );
    expect(cached.filter((url) => url.includes(`/models/${TEST_MODEL_ID}/`))).toEqual([]);

    // A loaded model keeps answering after its files are cleared.
    await app.chooseImage(await sampleImage('plain', 'red', 448, 336));
    await app.ask();
    await app.expectAnswer('red');

    // The panel says what the browser decided, whichever way it decides.
    await app.page.getByTestId('storage.persist').click();
    await expect(
      app.page
        .getByTestId('storage.notice')
        .or(app.page.locator('[data-testid="storage.persisted"][data-persisted="true"]')),
    ).toBeVisible();
    const granted = await app.page.evaluate(() => navigator.storage.persisted());
    if (granted) {
      await expect(app.page.getByTestId('storage.persisted')).toHaveAttribute('data-persisted', 'true');
    } else {
      await expect(app.page.getByTestId('storage.notice')).toContainText(/did not grant persistent storage/);
    }
  });

  await test.step('the Qwen3.5-layout test model (hybrid attention cache) answers and escalates in the browser', async () => {
    await app.chooseModel('visionthink-test-qwen3_5');
    await expect(app.byId('model')).toHaveAttribute('data-value', 'visionthink-test-qwen3_5');
    await app.chooseImage(await sampleImage('detailed', 'magenta', 448, 336));
    await app.ask();
    await app.expectAnswer('magenta');
    await expect(app.byId('trace')).toContainText(/full/i);
  });
});
