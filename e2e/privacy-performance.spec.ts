/**
 * Images never leave the device and the page stays responsive: every request the page and its
 * workers make goes to the app's own origin, and no main-thread task blocks for more than 200 ms
 * while the model runs. One page for both: the requests are recorded from before its first load
 * to its last question, and the model loads once.
 */
import { allowTimeForScenarios, expect, test } from './support/app.ts';
import { expectedTokens, sampleImage } from './support/images.ts';

test('no request leaves the page origin, and no main-thread long task over 200 ms during a run', async ({ app }) => {
  allowTimeForScenarios(2);
  await app.open();

  await test.step('no request leaves the page origin', async () => {
    await expect(app.page.getByText('your images never leave your device')).toBeVisible();
    await app.chooseImage(await sampleImage('plain', 'white', 448, 336));
    await app.ask();
    await app.expectAnswer('white');
    await app.enterUrl(new URL('/samples/detailed-green-896x672.png', app.origin).href);
    await app.ask();
    await app.expectAnswer('green');

    expect(app.requests.length, 'requests were recorded').toBeGreaterThan(0);
    expect(
      app.requests.some((url) => url.includes('/models/')),
      'the model files were fetched (so requests from the worker are recorded too)',
    ).toBe(true);
    expect(app.requestsOutside(), `requests outside ${app.origin}`).toEqual([]);
  });

  /*
   * Three runs, and the median of their longest long tasks must stay within 200 ms. A long task
   * caused by the page (model code or heavy rendering on the main thread) shows in every run; on
   * a saturated 2-core machine the OS can also stall the main thread in a single run (a trace of
   * such a task showed ~6 ms of CPU in a 100+ ms task), which one outlier must not decide.
   */
  await test.step('no main-thread long task over 200 ms during a run', async () => {
    const image = await sampleImage('detailed', 'red', 896, 672);
    await app.chooseImage(image);
    const longest: number[] = [];
    const seen: unknown[] = [];
    for (let run = 0; run < 3; run++) {
      // Each run a whole question: a follow-up would reuse the conversation's image.
      if (run > 0) await app.byId('new-conversation').click();
      const from = await app.ask();
      await app.waitForRunEndQuietly();
      const to = await app.now();
      await app.expectAnswer('red');
      await app.expectMeter(expectedTokens(image.width, image.height, true));
      const tasks = await app.longTasksBetween(from, to);
      longest.push(Math.max(0, ...tasks.map((t) => t.duration)));
      seen.push(tasks);
      app.time(`run${String(run + 1)}Ms`, to - from);
    }
    const median = [...longest].sort((a, b) => a - b)[1] ?? 0;
    app.time('longestLongTaskMs', median);
    expect(
      median,
      `longest long task per run: ${JSON.stringify(longest)}; tasks: ${JSON.stringify(seen)}`,
    ).toBeLessThanOrEqual(200);
  });

  // And none after the last question either.
  expect(app.requestsOutside(), `requests outside ${app.origin}`).toEqual([]);
});
