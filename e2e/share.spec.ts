/** Share links: a round trip through a new page, a local file kept out, a hostile link ignored. */
import { allowTimeForScenarios, App, expect, RUN_TIMEOUT, test } from './support/app.ts';
import { expectedTokens, sampleImage } from './support/images.ts';

const SAMPLE_ID = 'plain-blue-896x672';

test('a share link restores model, policy, budget, question and sample, and keeps a local file out', async ({
  app,
}) => {
  allowTimeForScenarios(2);
  await app.open();

  await test.step('a share link restores model, policy, budget, question and sample; the run waits for Ask', async () => {
    const sample = app.page.getByTestId(`sample.${SAMPLE_ID}`);
    await sample.click();
    await expect(sample).toHaveAttribute('aria-pressed', 'true');
    await app.byId('policy').selectOption('full-only');
    await app.byId('budget').fill('512');
    await app.byId('budget').press('Tab');
    const question = 'What colour is this image? (shared & "quoted" #1)';
    await app.byId('question').fill(question);
    await app.byId('share').click();
    await expect(app.byId('share.dialog')).toBeVisible();
    await expect(app.byId('share.local')).toHaveCount(0);
    const link = await app.byId('share.link').inputValue();
    expect(new URL(link).origin).toBe(app.origin);
    expect(new URLSearchParams(new URL(link).hash.slice(1)).get('sample')).toBe(SAMPLE_ID);

    const page = await app.page.context().newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(`${error.name}: ${error.message}`));
    const shared = new App(page, app.testInfo);
    await page.goto(link);
    await expect(shared.byId('device')).not.toBeEmpty({ timeout: RUN_TIMEOUT });
    await expect(shared.byId('model')).toHaveAttribute('data-value', 'visionthink-test');
    await expect(shared.byId('policy')).toHaveValue('full-only');
    await expect(shared.byId('budget')).toHaveValue('512');
    await expect(shared.byId('question')).toHaveValue(question);
    await expect(page.getByTestId(`sample.${SAMPLE_ID}`)).toHaveAttribute('aria-pressed', 'true');
    await expect(page.getByTestId('preview.size')).toContainText('896');
    await expect(shared.byId('share.notice')).toHaveCount(0);

    // Ready to run, and nothing ran: no answer, no meter numbers, Stop unusable.
    await expect(shared.byId('ask')).toBeEnabled({ timeout: RUN_TIMEOUT });
    await expect(page.getByTestId('answer.final')).toHaveCount(0);
    await expect(shared.byId('meter.used')).toHaveCount(0);
    await shared.expectIdle();

    await shared.byId('ask').click();
    await shared.expectAnswer('blue');
    const { baseline } = expectedTokens(896, 672, false, 512);
    expect(baseline).toBeLessThan(expectedTokens(896, 672, false).baseline);
    await shared.expectMeter({ used: baseline, baseline, saved: 0 });
    expect(errors, 'uncaught errors in the shared page').toEqual([]);
    await page.close();
  });

  // Back on the page that shared the link, the person picks a file of their own.
  await test.step('a local file stays out of the link, and the dialog says so', async () => {
    await app.byId('share.close').click();
    await expect(app.byId('share.dialog')).toHaveCount(0);
    const image = await sampleImage('plain', 'red', 448, 336);
    await app.chooseImage(image);
    await expect(app.page.getByTestId('preview.size')).toContainText('448');
    await app.byId('question').fill('What colour?');
    await app.byId('share').click();
    await expect(app.byId('share.local')).toContainText('stays on your device');
    await expect(app.byId('share.local')).toContainText('drops their own image');
    const link = await app.byId('share.link').inputValue();
    const params = new URLSearchParams(new URL(link).hash.slice(1));
    expect([...params.keys()]).toEqual(['model', 'policy', 'budget', 'question']);
    expect(params.get('question')).toBe('What colour?');
    expect(link).not.toContain('blob');

    // The clipboard is stubbed: headless Chromium's own may refuse without a user gesture.
    await app.page.evaluate(() => {
      Object.defineProperty(navigator, 'clipboard', {
        configurable: true,
        value: {
          writeText: (text: string) => {
            (window as unknown as { __copied: string }).__copied = text;
            return Promise.resolve();
          },
        },
      });
    });
    await app.byId('share.copy').click();
    await expect(app.byId('share.status')).toHaveText('Copied');
    expect(await app.page.evaluate(() => (window as unknown as { __copied?: string }).__copied)).toBe(link);
  });
});

test('a hostile link is ignored with a notice, and its question stays plain text', async ({ app }) => {
  const dialogs: string[] = [];
  app.page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  const question = '<img src=x onerror=alert(1)>';
  await app.goto(`#image=javascript:alert(1)&budget=-5&policy=evil&question=${question}`);
  await expect(app.byId('device')).not.toBeEmpty({ timeout: RUN_TIMEOUT });

  const notice = app.byId('share.notice');
  await expect(notice).toBeVisible();
  await expect(notice.getByRole('listitem')).toHaveText([
    'Image address: only http:// and https:// addresses are loaded, not “javascript:”.',
    /^Budget: “-5” is not a whole number from \d+ to \d+\.$/,
    'Resolution policy: “evil” is not a known policy.',
  ]);
  await expect(app.byId('question')).toHaveValue(question);
  // The link's policy was refused: the default model's own applies (Qwen3.5 was never trained to ask).
  await expect(app.byId('policy')).toHaveValue('confidence');
  await expect(app.byId('budget')).toHaveValue('1024');
  await expect(app.byId('preview')).toContainText('No image yet.');
  await expect(app.page.locator('img[src="x"]')).toHaveCount(0);
  await expect(notice.locator('img')).toHaveCount(0);

  await notice.getByTestId('share.notice.dismiss').click();
  await expect(notice).toHaveCount(0);
  expect(dialogs).toEqual([]);
  expect(app.requestsOutside()).toEqual([]);
});
