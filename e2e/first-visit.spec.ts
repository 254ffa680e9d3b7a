/**
 * The first visit: coi-serviceworker reloads the page once or twice for cross-origin isolation.
 * Until that is over the page says it is getting ready and offers nothing to type into or drop
 * on, so nothing the person does is lost to a reload; afterwards what they do stays.
 */
import { expect, RUN_TIMEOUT, test, TEST_MODEL_ID } from './support/app.ts';
import { sampleImage } from './support/images.ts';

test('on the first visit nothing typed or chosen is lost to the isolation reload', async ({ app }) => {
  // Every page load, and any moment the question box exists before the page is isolated, is
  // written down in session storage, which survives the reloads.
  await app.page.addInitScript(() => {
    const note = (entry: string): void => {
      const seen = sessionStorage.getItem('visits') ?? '';
      if (!seen.endsWith(`${entry}\n`)) sessionStorage.setItem('visits', `${seen}${entry}\n`);
    };
    note(`load, isolated: ${String(self.crossOriginIsolated)}`);
    new MutationObserver(() => {
      if (!self.crossOriginIsolated && document.querySelector('[data-testid="question"]'))
        note('input before isolation');
      if (!self.crossOriginIsolated && document.querySelector('[data-testid="getting-ready"]')) note('getting ready');
    }).observe(document, { subtree: true, childList: true });
  });
  let navigations = 0;
  app.page.on('framenavigated', (frame) => {
    if (frame === app.page.mainFrame()) navigations++;
  });

  await app.page.goto(`./#model=${TEST_MODEL_ID}`, { waitUntil: 'commit' });
  const question = app.byId('question');
  await expect(question).toBeVisible({ timeout: RUN_TIMEOUT });
  expect(await app.page.evaluate(() => self.crossOriginIsolated)).toBe(true);
  const visits = await app.page.evaluate(() => sessionStorage.getItem('visits') ?? '');
  test.info().annotations.push({ type: 'page loads', description: visits });
  expect(visits).toContain('load, isolated: false');
  expect(visits).toContain('getting ready');
  expect(visits).not.toContain('input before isolation');

  // What the person does now stays: no reload comes after the page showed its controls.
  const settledAt = navigations;
  await question.fill('What colour is this image?');
  await app.chooseImage(await sampleImage('plain', 'green', 448, 336));
  await expect(app.byId('ask')).toBeEnabled({ timeout: RUN_TIMEOUT });
  await app.byId('ask').click();
  await app.expectAnswer('green');
  expect(navigations).toBe(settledAt);
  await expect(question).toHaveValue('What colour is this image?');
});
