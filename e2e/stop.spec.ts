/**
 * Stop at arbitrary moments through a run: wherever the run is, it ends at the engine's next
 * check, the page says "Stopped" everywhere (no reasoning still "thinking", no saving for a
 * question that was never answered), the session keeps the stopped questions apart, and the next
 * question runs normally. The time from the click to the idle page is reported per phase.
 */
import { expect, RUN_TIMEOUT, test, type App } from './support/app.ts';
import { expectedTokens, sampleImage } from './support/images.ts';

/** When Stop is clicked, as fractions of an uninterrupted run of the same question. */
const STOP_AT = {
  // WASM runs take a few seconds: many clicks, spread over the whole run.
  wasm: [0.04, 0.15, 0.26, 0.37, 0.48, 0.59, 0.7],
  // SwiftShader spends most of a 20-40 s run in two prefills: fewer clicks, still spread out.
  webgpu: [0.06, 0.27, 0.48, 0.7],
} as const;

interface StopOutcome {
  /** Stop was still enabled when the moment came (the run had not ended by itself). */
  clicked: boolean;
  /** Where the run was at the click, as the trace says (`round-1:prefill`, `between-rounds`…). */
  phase: string;
  /** From the click until the page was idle. */
  clickToIdleMs: number;
  /** What the answer area ended as. */
  status: string;
}

/**
 * Presses Ask, then Stop `delayMs` later, from inside the page (so that the delay is the page's
 * own clock, whatever the test runner is doing), and waits until the run has ended.
 */
function askThenStopAfter(app: App, delayMs: number): Promise<StopOutcome> {
  return app.page.evaluate(
    ({ delayMs, timeout }) =>
      new Promise<StopOutcome>((resolve, reject) => {
        const find = (id: string) => document.querySelector<HTMLElement>(`[data-testid="${id}"]`);
        const status = () => find('answer')?.dataset.status ?? 'missing';
        // A whole question each time, not a follow-up on the conversation so far.
        const fresh = find('new-conversation') as HTMLButtonElement | null;
        if (fresh && !fresh.disabled) fresh.click();
        find('ask')?.click();
        setTimeout(() => {
          const stop = find('stop') as HTMLButtonElement | null;
          if (!stop || stop.disabled || status() !== 'running') {
            resolve({ clicked: false, phase: 'ended', clickToIdleMs: 0, status: status() });
            return;
          }
          const phase = find('trace')?.dataset.phase ?? 'unknown';
          const clickedAt = performance.now();
          stop.click();
          const finish = (): boolean => {
            if (status() === 'running') return false;
            resolve({ clicked: true, phase, clickToIdleMs: performance.now() - clickedAt, status: status() });
            return true;
          };
          if (finish()) return;
          const observer = new MutationObserver(() => {
            if (finish()) observer.disconnect();
          });
          observer.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
          setTimeout(() => {
            observer.disconnect();
            reject(new Error(`The run did not end within ${timeout} ms of Stop (clicked during ${phase})`));
          }, timeout);
        }, delayMs);
      }),
    { delayMs, timeout: RUN_TIMEOUT },
  );
}

/** Presses Ask and resolves with the page-clock time until the run ended by itself. */
function timedRun(app: App): Promise<number> {
  return app.page.evaluate(
    (timeout) =>
      new Promise<number>((resolve, reject) => {
        const answer = () => document.querySelector<HTMLElement>('[data-testid="answer"]');
        // A whole question each time, not a follow-up on the conversation so far.
        const fresh = document.querySelector<HTMLButtonElement>('[data-testid="new-conversation"]');
        if (fresh && !fresh.disabled) fresh.click();
        document.querySelector<HTMLElement>('[data-testid="ask"]')?.click();
        const started = performance.now();
        const observer = new MutationObserver(() => {
          if (answer()?.dataset.status === 'running') return;
          observer.disconnect();
          resolve(performance.now() - started);
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

test('Stop at arbitrary moments ends the run wherever it is, says so everywhere, and the next question runs', async ({
  app,
}) => {
  test.setTimeout(600_000);
  const image = await sampleImage('detailed', 'green', 896, 672);
  const expected = expectedTokens(image.width, image.height, true);
  expect(expected.used).toBe(960);
  await app.open();
  await app.chooseImage(image);

  // A first run warms up (shaders, caches); a second, uninterrupted, sets the time scale of the clicks.
  await app.ask('What colour is this image?');
  await app.expectAnswer('green');
  const runMs = await timedRun(app);
  await app.expectAnswer('green');
  app.time('uninterruptedRunMs', runMs);

  const fractions = app.project === 'webgpu' ? STOP_AT.webgpu : STOP_AT.wasm;
  const byPhase: Record<string, number[]> = {};
  let stops = 0;
  // The warm-up and the timed run.
  let answered = 2;
  for (const fraction of fractions) {
    const outcome = await askThenStopAfter(app, Math.round(fraction * runMs));
    test.info().annotations.push({ type: `Stop at ${fraction} of the run`, description: JSON.stringify(outcome) });
    if (!outcome.clicked) {
      // The run had ended by itself before the moment came: it counts as answered.
      if (outcome.status === 'done') answered++;
      continue;
    }
    // A click during the last tokens of the answer may lose the race to it, fairly: nowhere else.
    if (outcome.status === 'done' && outcome.phase === 'round-2:decode') {
      answered++;
      continue;
    }
    stops++;
    (byPhase[outcome.phase] ??= []).push(Math.round(outcome.clickToIdleMs));

    // Stopped, not answered: whatever phase the click landed in, the run ended without an answer.
    expect(outcome.status, `Stop clicked during ${outcome.phase}`).toBe('stopped');
    const answer = app.byId('answer');
    await expect(answer.getByTestId('answer.stopped')).toBeVisible();
    await expect(answer).not.toContainText('thinking…');
    await expect(answer.getByTestId('answer.final')).toHaveCount(0);
    await expect(app.page.getByTestId('trace.stopped')).toBeVisible();
    // The meter says what was spent and claims no saving.
    await expect(app.page.getByTestId('meter.stage')).toHaveAttribute('data-status', 'stopped');
    await expect(app.byId('meter.saved')).toHaveCount(0);
    const used = Number(await app.byId('meter.used').getAttribute('data-value'));
    expect([0, expected.plan.low.visualTokens, expected.used]).toContain(used);
    await expect(app.byId('error')).toBeHidden();
    await expect(app.page.getByTestId('session.stopped')).toHaveAttribute('data-value', String(stops));
  }
  for (const [phase, times] of Object.entries(byPhase)) app.time(`stop→idle during ${phase} (max)`, Math.max(...times));
  expect(stops, 'clicks that found the run still going').toBeGreaterThanOrEqual(fractions.length - 1);

  // The stopped questions are not in the comparison; the next question is answered as usual.
  await app.byId('new-conversation').click();
  await app.ask('What colour is this image?');
  await app.expectAnswer('green');
  await app.expectMeter(expected);
  answered++;
  await expect(app.page.getByTestId('session.questions')).toHaveAttribute('data-value', String(answered));
  await app.expectSession({
    used: answered * expected.used,
    baseline: answered * expected.baseline,
    saved: answered * expected.saved,
    escalations: answered,
  });
});
