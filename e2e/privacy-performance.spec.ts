/**
 * Images never leave the device and the page stays responsive: every request the page and its
 * workers make goes to the app's own origin, and no main-thread task blocks for more than 200 ms
 * while the model runs.
 */
import { expect, test } from './support/app.ts';
import { expectedTokens, sampleImage } from './support/images.ts';

test('no request leaves the page origin', async ({ app }) => {
  await app.open();
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
  const foreign = app.requests.filter(
    (url) => !(url.startsWith(`${app.origin}/`) || url.startsWith('blob:') || url.startsWith('data:')),
  );
  expect(foreign, `requests outside ${app.origin}`).toEqual([]);
});

test('no main-thread long task over 200 ms during a run', async ({ app }) => {
  const image = await sampleImage('detailed', 'red', 896, 672);
  await app.open();
  await app.chooseImage(image);
  const from = await app.ask();
  await app.waitForRunEndQuietly();
  const to = await app.now();
  await app.expectAnswer('red');
  await app.expectMeter(expectedTokens(image.width, image.height, true));

  const tasks = await app.longTasksBetween(from, to);
  const longest = Math.max(0, ...tasks.map((t) => t.duration));
  app.time('runMs', to - from);
  app.time('longestLongTaskMs', longest);
  expect(
    tasks.filter((t) => t.duration > 200),
    `long tasks during the run: ${JSON.stringify(tasks)}`,
  ).toEqual([]);
});
