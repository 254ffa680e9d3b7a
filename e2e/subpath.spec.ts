/**
 * The production build served under a sub-path, as GitHub Pages serves a project site
 * (`BASE_PATH=/visionthink-web/ npm run build`): the app, its worker, the runtime, the test model
 * and the samples all load from under that path, coi-serviceworker isolates the page from there,
 * and a question runs end to end, escalation included.
 */
import { expect, test, TEST_MODEL_ID } from './support/app.ts';
import { expectedTokens, sampleImage } from './support/images.ts';

test('the app works end to end under a sub-path', async ({ app }) => {
  const base = app.testInfo.project.use.baseURL ?? '';
  expect(new URL(base).pathname, 'the subpath project serves the app under a sub-path').not.toBe('/');
  await app.open();
  expect(await app.page.evaluate(() => self.crossOriginIsolated)).toBe(true);
  expect(await app.page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.scope)).toBe(base);

  await app.chooseImage(await sampleImage('detailed', 'cyan', 448, 336));
  await app.ask();
  await app.expectAnswer('cyan');
  await app.expectMeter(expectedTokens(448, 336, true));

  // A sample from the gallery, fetched from under the sub-path too.
  await app.page.getByTestId('sample.plain-red-448x336').click();
  await app.ask();
  await app.expectAnswer('red');

  // The storage panel finds the model's files under the sub-path.
  await expect(app.page.locator(`[data-testid="storage.model"][data-model-id="${TEST_MODEL_ID}"]`)).toBeVisible();

  // A share link points at the sub-path.
  await app.byId('share').click();
  expect((await app.byId('share.link').inputValue()).startsWith(base)).toBe(true);

  expect(app.requestsOutside(base), `requests outside ${base}`).toEqual([]);
  expect(app.requests.some((url) => url.startsWith(`${base}models/${TEST_MODEL_ID}/`))).toBe(true);
});
