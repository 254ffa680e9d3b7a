/**
 * The `app` fixture: the page under test with what the scenarios observe recorded from before the
 * first load: every request (page and workers), main-thread long tasks, console output of the page
 * and its workers, uncaught page errors. Actions and assertions go through the stable test
 * ids only.
 */
import { test as base, expect, type Locator, type Page, type TestInfo } from '@playwright/test';
import { PALETTE_NAMES, type Colour, type TestImage } from './images.ts';

/** A main-thread long task as the PerformanceObserver saw it (ms on the page's clock). */
export interface LongTask {
  start: number;
  duration: number;
}

/** Test ids of the contract. */
export type TestId =
  | 'dropzone'
  | 'dropzone.input'
  | 'image-url'
  | 'question'
  | 'ask'
  | 'stop'
  | 'answer'
  | 'trace'
  | 'meter'
  | 'meter.used'
  | 'meter.baseline'
  | 'meter.saved'
  | 'session.used'
  | 'session.baseline'
  | 'session.saved'
  | 'session.escalations'
  | 'device'
  | 'load-progress'
  | 'error'
  | 'policy'
  | 'budget'
  | 'model'
  | 'preview'
  | 'share'
  | 'share.dialog'
  | 'share.link'
  | 'share.copy'
  | 'share.status'
  | 'share.local'
  | 'share.notice'
  | 'model.confirm'
  | 'policy.why'
  | 'threshold'
  | 'threshold.value'
  | 'answer.decision'
  | 'answer.final'
  | `answer.round-${number}`
  | `trace.round-${number}.answer`
  | `trace.round-${number}.decision`
  | 'ask.hint'
  | 'answer.turn'
  | 'meter.prefilled'
  | 'meter.stage'
  | 'new-conversation'
  | 'share.close'
  | 'share.first-question'
  | 'conversation'
  | 'conversation.totals'
  | 'conversation.questions'
  | 'conversation.used'
  | 'conversation.baseline'
  | `conversation.turn-${number}`
  | `conversation.turn-${number}.answer`
  | `conversation.turn-${number}.visual`;

/** The generated test model's id (it ships with the app, so it loads offline). */
export const TEST_MODEL_ID = 'visionthink-test';

/** How long a whole question may take: SwiftShader is slow, and the first run compiles shaders. */
export const RUN_TIMEOUT = 120_000;

/**
 * Registered before any page script: collects long tasks from the start, buffered, so a run's
 * entries can be read afterwards.
 */
function observeLongTasks(): void {
  const entries: LongTask[] = [];
  (window as unknown as { __longTasks: LongTask[] }).__longTasks = entries;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) entries.push({ start: entry.startTime, duration: entry.duration });
  }).observe({ type: 'longtask', buffered: true });
}

const PLAIN_NUMBER = /^-?\d+(\.\d+)?$/;

/**
 * The number an element shows: its `data-value` when it has one, otherwise its text. Either must
 * be a plain number ("-192", "0.25"): no grouping, units or typographic minus.
 */
export async function readNumber(locator: Locator): Promise<number> {
  const value = await locator.getAttribute('data-value');
  const raw = (value ?? (await locator.textContent()) ?? '').trim();
  if (!PLAIN_NUMBER.test(raw)) {
    throw new Error(
      `expected a plain number ${value === null ? 'as text' : 'in data-value'}, found ${JSON.stringify(raw)}`,
    );
  }
  return Number(raw);
}

export class App {
  /** Every URL requested by the page, its frames and its workers, in order. */
  readonly requests: string[] = [];
  readonly pageErrors: string[] = [];
  readonly console: string[] = [];
  /** Named durations of this test, reported as annotations. */
  readonly timings: Record<string, number> = {};

  constructor(
    readonly page: Page,
    readonly testInfo: TestInfo,
  ) {}

  get project(): string {
    return this.testInfo.project.name;
  }

  get origin(): string {
    const baseURL = this.testInfo.project.use.baseURL;
    if (!baseURL) throw new Error('playwright.config.ts sets no baseURL');
    return new URL(baseURL).origin;
  }

  byId(id: TestId): Locator {
    return this.page.getByTestId(id);
  }

  /**
   * Opens the app at `hash` (by default a link to the test model that ships with the app: the
   * default model downloads from the hub, which these machines cannot reach) and waits until it
   * says which device runs the model.
   */
  async open(hash = `#model=${TEST_MODEL_ID}`): Promise<void> {
    const started = Date.now();
    await this.goto(hash);
    await expect(this.byId('device')).not.toBeEmpty({ timeout: RUN_TIMEOUT });
    this.timings.deviceShownMs = Date.now() - started;
  }

  /**
   * Goes to the app (relative to the project's base URL, which may be a sub-path) and waits for
   * cross-origin isolation: on a first visit coi-serviceworker installs and reloads the page once.
   * `isolated: false` where the test blocks service workers.
   */
  async goto(hash = '', { isolated = true }: { isolated?: boolean } = {}): Promise<void> {
    await this.page.goto(`./${hash}`);
    if (!isolated) return;
    await expect
      .poll(() => this.page.evaluate(() => self.crossOriginIsolated).catch(() => false), {
        message: 'the page should become cross-origin isolated (coi-serviceworker)',
        timeout: 30_000,
      })
      .toBe(true);
  }

  /**
   * Keeps coi-serviceworker from registering (before the first `goto`): the page is then not
   * cross-origin isolated, and `route` sees every request (it cannot see a service worker's).
   */
  async withoutServiceWorker(): Promise<void> {
    await this.page.addInitScript(() => {
      (window as unknown as { coi: object }).coi = { shouldRegister: () => false };
    });
  }

  /** Chooses a model in Settings, as a person clicks it in the list. */
  async chooseModel(id: string): Promise<void> {
    await this.byId('model').locator(`[data-testid="model.option"][value="${id}"]`).check();
  }

  /** Chooses an image through the file input inside the drop zone (the file picker). */
  async chooseFile(file: { name: string; mimeType: string; buffer: Buffer }): Promise<void> {
    await this.byId('dropzone').getByTestId('dropzone.input').setInputFiles(file);
  }

  async chooseImage(image: TestImage): Promise<void> {
    await this.chooseFile({ name: image.name, mimeType: 'image/png', buffer: image.png });
  }

  /** Pastes an image as Ctrl/Cmd+V does: a `paste` event with the file in its clipboard data. */
  async paste(image: TestImage): Promise<void> {
    await this.page.evaluate(
      ({ base64, name }) => {
        const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
        const data = new DataTransfer();
        data.items.add(new File([bytes], name, { type: 'image/png' }));
        document.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
      },
      { base64: image.png.toString('base64'), name: image.name },
    );
  }

  /** Types an image address into the URL field and submits it with Enter. */
  async enterUrl(url: string): Promise<void> {
    const field = this.byId('image-url');
    await field.fill(url);
    await field.press('Enter');
  }

  /** Types the question and presses Ask once it can be pressed; returns the page's clock then. */
  async ask(question = 'What colour is this image?'): Promise<number> {
    await this.byId('question').fill(question);
    const ask = this.byId('ask');
    await expect(ask).toBeEnabled({ timeout: RUN_TIMEOUT });
    const at = await this.now();
    await ask.click();
    return at;
  }

  /**
   * Waits inside the page, with a MutationObserver, until the run has ended (an answer is shown
   * and Stop is no longer usable). Unlike polling assertions it reads no layout, so the test
   * itself adds no main-thread work to a window it measures.
   */
  async waitForRunEndQuietly(): Promise<void> {
    await this.page.evaluate(
      (timeout) =>
        new Promise<void>((resolve, reject) => {
          const ended = (): boolean => {
            const stop = document.querySelector<HTMLButtonElement>('[data-testid="stop"]');
            const answer = document.querySelector('[data-testid="answer.final"]');
            return answer !== null && (stop === null || stop.disabled);
          };
          if (ended()) {
            resolve();
            return;
          }
          const observer = new MutationObserver(() => {
            if (!ended()) return;
            observer.disconnect();
            resolve();
          });
          observer.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
          setTimeout(() => {
            observer.disconnect();
            reject(new Error('the run did not end'));
          }, timeout);
        }),
      RUN_TIMEOUT,
    );
  }

  /** The page's `performance.now()`. */
  now(): Promise<number> {
    return this.page.evaluate(() => performance.now());
  }

  /**
   * Waits for the final answer to name `colour`, as a word, and no other palette colour, then for
   * the run to end (Stop no longer usable).
   */
  async expectAnswer(colour: Colour): Promise<void> {
    const answer = this.byId('answer.final');
    const named = new RegExp(`\\b${colour}\\b`, 'i');
    await expect(answer).toHaveText(named, { timeout: RUN_TIMEOUT });
    // An answer may stream in and then give way to another look (the confidence gate): judge
    // the one the finished run shows.
    await expect(this.byId('answer')).toHaveAttribute('data-status', 'done', { timeout: RUN_TIMEOUT });
    await expect(answer).toHaveText(named, { timeout: 5_000 });
    const others = PALETTE_NAMES.filter((c) => c !== colour);
    await expect(answer).not.toHaveText(new RegExp(`\\b(${others.join('|')})\\b`, 'i'), { timeout: 1 });
    await this.expectIdle();
  }

  /** No run in progress: Stop is hidden or disabled. */
  async expectIdle(): Promise<void> {
    await expect
      .poll(
        async () => {
          const stop = this.byId('stop');
          return (await stop.count()) > 0 && (await stop.isVisible()) && (await stop.isEnabled());
        },
        { timeout: RUN_TIMEOUT, message: 'Stop should no longer be usable once the run ended' },
      )
      .toBe(false);
  }

  /** Waits until the element shows exactly `expected` (text or data-value). */
  async expectNumber(id: TestId, expected: number): Promise<void> {
    await expect
      .poll(() => readNumber(this.byId(id)), { timeout: RUN_TIMEOUT, message: `${id} should show ${expected}` })
      .toBe(expected);
  }

  async expectMeter(expected: { used: number; baseline: number; saved: number }): Promise<void> {
    await this.expectNumber('meter.used', expected.used);
    await this.expectNumber('meter.baseline', expected.baseline);
    await this.expectNumber('meter.saved', expected.saved);
  }

  async expectSession(expected: { used: number; baseline: number; saved: number; escalations: number }): Promise<void> {
    await this.expectNumber('session.used', expected.used);
    await this.expectNumber('session.baseline', expected.baseline);
    await this.expectNumber('session.saved', expected.saved);
    await this.expectNumber('session.escalations', expected.escalations);
  }

  /** The error element is shown with a message a person can read, mentioning `about`. */
  async expectReadableError(about: RegExp): Promise<string> {
    const error = this.byId('error');
    await expect(error).toBeVisible({ timeout: RUN_TIMEOUT });
    const text = (await error.innerText()).trim();
    expect(text, 'the error message').toMatch(about);
    expect(text.length, `the error message ${JSON.stringify(text)} should say what went wrong`).toBeGreaterThan(20);
    // Not a stack trace, an exception name or a stringified value.
    expect(text).not.toMatch(
      /\n\s*at \S|\[object |\bundefined\b|\bnull\b|\bNaN\b|DOMException|TypeError|InvalidStateError/,
    );
    this.testInfo.annotations.push({ type: 'error shown', description: text });
    return text;
  }

  /**
   * A failed model load shows one message with its actions (Retry, the offline model), and
   * nothing that looks as if loading went on: no progress card, no moving bar.
   */
  async expectOneFailureMessage(): Promise<void> {
    // Live regions kept empty until they have something to say do not count.
    await expect(this.page.getByRole('alert').filter({ hasText: /\S/ })).toHaveCount(1);
    await expect(this.byId('error')).toContainText(/could not be (loaded|downloaded)/i);
    await expect(this.page.getByTestId('error.retry')).toBeVisible();
    await expect(this.byId('load-progress')).toHaveCount(0);
    await expect(this.page.getByRole('progressbar')).toHaveCount(0);
  }

  /**
   * Requests recorded so far that went anywhere but under `prefix` (by default the app's origin);
   * `blob:` and `data:` URLs never leave the page.
   */
  requestsOutside(prefix = `${this.origin}/`): string[] {
    return this.requests.filter(
      (url) => !(url.startsWith(prefix) || url.startsWith('blob:') || url.startsWith('data:')),
    );
  }

  /** Long tasks that overlapped the page-clock interval [from, to]. */
  async longTasksBetween(from: number, to: number): Promise<LongTask[]> {
    const all = await this.page.evaluate(() => (window as unknown as { __longTasks?: LongTask[] }).__longTasks ?? []);
    return all.filter((task) => task.start < to && task.start + task.duration > from);
  }

  /** Records a duration for the report (annotation and a console line). */
  time(name: string, ms: number): void {
    this.timings[name] = Math.round(ms);
  }
}

/**
 * For a test that runs `scenarios` scenarios as steps on one page: the configured timeout for each
 * of them, as if each were a test of its own (call once, at the start of the test).
 */
export function allowTimeForScenarios(scenarios: number): void {
  test.setTimeout(test.info().timeout * scenarios);
}

export const test = base.extend<{ app: App }>({
  app: async ({ page }, use, testInfo) => {
    const app = new App(page, testInfo);
    const record = (source: string) => (request: { url: () => string }) => {
      app.requests.push(request.url());
      if (process.env.E2E_DEBUG) console.log(`[request ${source}] ${request.url()}`);
    };
    // The context sees the requests of the page, its workers and its service worker.
    page.context().on('request', record('context'));
    page.on('pageerror', (error) => app.pageErrors.push(`${error.name}: ${error.message}`));
    page.on('console', (message) => app.console.push(`[page ${message.type()}] ${message.text()}`));
    page.on('worker', (worker) => {
      app.console.push(`[worker started] ${worker.url()}`);
      worker.on('console', (message) => app.console.push(`[worker ${message.type()}] ${message.text()}`));
    });
    await page.addInitScript(observeLongTasks);

    await use(app);

    if (Object.keys(app.timings).length > 0) {
      const line = Object.entries(app.timings)
        .map(([name, ms]) => `${name} ${ms} ms`)
        .join(', ');
      testInfo.annotations.push({ type: 'timing', description: line });
      console.log(`[timing] ${testInfo.project.name} › ${testInfo.title}: ${line}`);
    }
    if (testInfo.status !== testInfo.expectedStatus) {
      await testInfo.attach('console.txt', { body: app.console.join('\n'), contentType: 'text/plain' });
      await testInfo.attach('requests.txt', { body: app.requests.join('\n'), contentType: 'text/plain' });
    }
    expect(app.pageErrors, 'uncaught errors in the page').toEqual([]);
  },
});

export { expect };
