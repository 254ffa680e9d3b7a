/**
 * Stop at arbitrary moments through a run: wherever the run is, it ends at the engine's next
 * check, the page says "Stopped" everywhere (no reasoning still "thinking", no saving for a
 * question that was never answered), the session keeps the stopped questions apart, and the next
 * question runs normally. The time from the click to the idle page is reported per phase.
 */
import { expect, test } from './support/app.ts';
import { expectedTokens, sampleImage } from './support/images.ts';
import { askThenStopAfter, timedRun } from './support/stop.ts';

/** When Stop is clicked, as fractions of an uninterrupted run of the same question. */
const STOP_AT = {
  // WASM runs take a few seconds: many clicks, spread over the whole run.
  wasm: [0.04, 0.15, 0.26, 0.37, 0.48, 0.59, 0.7],
  // SwiftShader spends most of a 20-40 s run in two prefills: fewer clicks, still spread out.
  webgpu: [0.06, 0.27, 0.48, 0.7],
} as const;

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
  const runMs = await timedRun(app, { fresh: true });
  await app.expectAnswer('green');
  app.time('uninterruptedRunMs', runMs);

  const fractions = app.project === 'webgpu' ? STOP_AT.webgpu : STOP_AT.wasm;
  const byPhase: Record<string, number[]> = {};
  let stops = 0;
  // The warm-up and the timed run.
  let answered = 2;
  for (const fraction of fractions) {
    const outcome = await askThenStopAfter(app, Math.round(fraction * runMs), { fresh: true });
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
