/**
 * The browser half of `npm run bench`: the built app (`vite preview`) in headless Chromium with
 * the test model that ships with it. Per backend (WASM; WebGPU on the software adapter when it
 * finishes in time) it measures the JavaScript the page loads before the model worker starts,
 * the time until the page accepts a question and until the model is ready, decoding a
 * 12-megapixel photo in the worker and resizing it for the first pass, and the main thread's
 * long tasks while a question runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { chromium, type Page } from '@playwright/test';
import sharp from 'sharp';
import { renderSample } from '../samples/test-images.ts';
import { ms } from './stats.ts';

export type Backend = 'wasm' | 'webgpu';

export interface BrowserFigures {
  backend: Backend;
  status: 'ok' | 'timed out' | 'failed';
  error?: string;
  /** Device the app reported (e.g. "WASM, 2 threads"). */
  device?: string;
  /** Gzipped bytes of JavaScript the page loads before it starts the worker. */
  jsBeforeWorkerGzipBytes?: number;
  timeToInteractiveMs?: number;
  timeToModelReadyMs?: number;
  photo?: { width: number; height: number; decodeMs: number; resizeMs: number; resizedTo: string };
  run?: { ms: number; longTasks: { count: number; longestMs: number } };
}

export interface BrowserBenchOptions {
  backends: readonly Backend[];
  port: number;
  /** Per backend; WebGPU on a software adapter can be very slow. */
  timeoutMs: number;
  executablePath: string;
  log?: (line: string) => void;
}

const PHOTO = { width: 4000, height: 3000 };

/**
 * Records, in the page, when it first accepts a question and when the model is ready, and every
 * long task. A string, not a function: tsx's transform would put helpers the page lacks into it.
 */
const OBSERVE_MILESTONES = `(() => {
  const marks = {};
  const longTasks = [];
  window.__bench = { marks, longTasks };
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) longTasks.push({ start: entry.startTime, duration: entry.duration });
  }).observe({ type: 'longtask', buffered: true });
  const check = () => {
    const question = document.querySelector('[data-testid="question"]');
    if (marks.interactive === undefined && question && !question.disabled) marks.interactive = performance.now();
    if (marks.ready === undefined && document.querySelector('[data-testid="load-progress"][data-status="ready"]')) {
      marks.ready = performance.now();
    }
  };
  new MutationObserver(check).observe(document, { subtree: true, childList: true, attributes: true });
})();`;

interface PageBench {
  marks: Record<string, number>;
  longTasks: { start: number; duration: number }[];
}

async function startPreview(port: number): Promise<ChildProcess> {
  const server = spawn('npx', ['vite', 'preview', '--port', String(port), '--strictPort'], { stdio: 'ignore' });
  const url = `http://localhost:${port}/`;
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(url)).ok) return server;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  server.kill();
  throw new Error(`vite preview did not start on port ${port}`);
}

async function photoJpeg(): Promise<Buffer> {
  const { width, height } = PHOTO;
  const pixels = renderSample('detailed', 'green', width, height);
  return sharp(pixels.data, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 90 })
    .toBuffer();
}

async function measureBackend(
  backend: Backend,
  options: BrowserBenchOptions,
  photo: Buffer,
  origin: string,
): Promise<BrowserFigures> {
  const quiet = [
    '--disable-background-networking',
    '--disable-component-update',
    '--no-first-run',
    '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost',
  ];
  const browser = await chromium.launch({
    executablePath: options.executablePath,
    args: backend === 'webgpu' ? ['--enable-unsafe-webgpu', ...quiet] : quiet,
  });
  try {
    const context = await browser.newContext();
    // The first visit installs coi-serviceworker and reloads; measure a visit it already isolates.
    const first = await context.newPage();
    await first.goto(`${origin}/#model=visionthink-test`);
    await first.waitForFunction(() => self.crossOriginIsolated, null, { timeout: 60_000 });
    await first.close();

    const page = await context.newPage();
    await page.addInitScript(OBSERVE_MILESTONES);
    const scripts: Promise<number>[] = [];
    let workerStarted = false;
    page.on('worker', () => {
      workerStarted = true;
    });
    page.on('response', (response) => {
      if (workerStarted || response.request().resourceType() !== 'script') return;
      scripts.push(response.body().then((body) => gzipSync(body).length));
    });
    await page.goto(`${origin}/#model=visionthink-test&policy=low-only`);
    await page.waitForSelector('[data-testid="load-progress"][data-status="ready"]', { timeout: options.timeoutMs });
    const jsBytes = (await Promise.all(scripts)).reduce((total, bytes) => total + bytes, 0);
    const device = (await page.getByTestId('device').textContent()) ?? '';
    const decode = await openPhoto(page, photo);
    const run = await askOnce(page, options.timeoutMs);
    // The low-only policy sizes the image once, for the first (and only) pass.
    const resize = await latestMeasure(page, 'visionthink:resize');
    const { marks } = await page.evaluate(() => (window as unknown as { __bench: PageBench }).__bench);
    return {
      backend,
      status: 'ok',
      device,
      jsBeforeWorkerGzipBytes: jsBytes,
      timeToInteractiveMs: ms(marks.interactive ?? Number.NaN),
      timeToModelReadyMs: ms(marks.ready ?? Number.NaN),
      photo: {
        ...PHOTO,
        decodeMs: ms(decode.duration),
        resizeMs: ms(resize.duration),
        resizedTo: resize.detail ? `${resize.detail.width}×${resize.detail.height}` : '',
      },
      run,
    };
  } catch (error) {
    const message = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
    return { backend, status: /Timeout/i.test(message) ? 'timed out' : 'failed', error: message };
  } finally {
    await browser.close();
  }
}

/** The app's model worker (its User Timing measures hold the image timings). */
function modelWorker(page: Page) {
  const worker = page.workers().find((candidate) => candidate.url().includes('vlm.worker'));
  if (!worker) throw new Error('the model worker is not running');
  return worker;
}

interface Measure {
  duration: number;
  detail: { width: number; height: number } | null;
}

async function latestMeasure(page: Page, name: string): Promise<Measure> {
  const found = await modelWorker(page).evaluate((measureName) => {
    const entry = performance.getEntriesByName(measureName).at(-1) as PerformanceMeasure | undefined;
    return entry ? { duration: entry.duration, detail: entry.detail as Measure['detail'] } : null;
  }, name);
  if (!found) throw new Error(`the worker recorded no ${name}`);
  return found;
}

/** Drops the photo into the page and waits until the worker has decoded it. */
async function openPhoto(page: Page, photo: Buffer): Promise<Measure> {
  await page
    .getByTestId('dropzone.input')
    .setInputFiles({ name: 'photo-12mp.jpg', mimeType: 'image/jpeg', buffer: photo });
  await page
    .getByTestId('preview.size')
    .filter({ hasText: `${PHOTO.width}×${PHOTO.height}` })
    .waitFor();
  return latestMeasure(page, 'visionthink:decode');
}

/** Asks one question at low resolution; the long tasks of the main thread while it runs. */
async function askOnce(page: Page, timeoutMs: number): Promise<NonNullable<BrowserFigures['run']>> {
  await page.getByTestId('question').fill('What does the sign say?');
  const started = await page.evaluate(() => performance.now());
  await page.getByTestId('ask').click();
  await page.waitForSelector('[data-testid="answer.final"]:not(.streaming)', { timeout: timeoutMs });
  const ended = await page.evaluate(() => performance.now());
  const { longTasks } = await page.evaluate(() => (window as unknown as { __bench: PageBench }).__bench);
  const during = longTasks.filter((task) => task.start >= started && task.start <= ended);
  return {
    ms: ms(ended - started),
    longTasks: { count: during.length, longestMs: ms(Math.max(0, ...during.map((task) => task.duration))) },
  };
}

export async function runBrowserBench(options: BrowserBenchOptions): Promise<BrowserFigures[]> {
  const log = options.log ?? (() => undefined);
  const server = await startPreview(options.port);
  try {
    const photo = await photoJpeg();
    const results: BrowserFigures[] = [];
    for (const backend of options.backends) {
      log(`browser: ${backend}`);
      results.push(await measureBackend(backend, options, photo, `http://localhost:${options.port}`));
    }
    return results;
  } finally {
    server.kill();
  }
}
