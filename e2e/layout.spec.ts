/**
 * What a person sees on narrow and wide screens: nothing scrolls sideways at any width from
 * 320 px, in light and dark; the model names are never cut off; on a phone the answer comes into
 * view when a question starts (and stays put when the person scrolls away), and an error of the
 * image-address field shows beside the field, not out of sight at the top of the page.
 */
import { allowTimeForScenarios, expect, RUN_TIMEOUT, test, type App } from './support/app.ts';
import { MODEL_REGISTRY } from '../src/engine/model-registry.ts';
import { sampleImage } from './support/images.ts';

const WIDTHS = [320, 360, 375, 414, 600, 768, 1024, 1200, 1280, 1440, 1920];
const PHONE = { width: 375, height: 740 };

/** Every way the page could scroll sideways at the current size, and every cut-off model name. */
function sidewaysProblems(app: App): Promise<string[]> {
  return app.page.evaluate(() => {
    const problems: string[] = [];
    const root = document.documentElement;
    if (root.scrollWidth > root.clientWidth) problems.push(`the page is ${root.scrollWidth} px wide`);
    for (const element of document.querySelectorAll<HTMLElement>('body *')) {
      const style = getComputedStyle(element);
      const scrolls = style.overflowX === 'auto' || style.overflowX === 'scroll';
      if (scrolls && element.scrollWidth > element.clientWidth && element.tagName !== 'TEXTAREA') {
        problems.push(`${element.tagName}.${element.className} scrolls sideways`);
      }
    }
    for (const label of document.querySelectorAll<HTMLElement>('.model-option-label')) {
      if (label.scrollWidth > label.clientWidth) problems.push(`the model name "${label.textContent}" is cut off`);
    }
    return problems;
  });
}

async function expectNoSidewaysScroll(app: App, widths: readonly number[]): Promise<void> {
  for (const colorScheme of ['light', 'dark'] as const) {
    await app.page.emulateMedia({ colorScheme });
    for (const width of widths) {
      await app.page.setViewportSize({ width, height: 900 });
      await expect
        .poll(() => sidewaysProblems(app), { message: `at ${width} px, ${colorScheme}`, timeout: 5_000 })
        .toEqual([]);
    }
  }
}

test('nothing scrolls sideways from 320 px up, light and dark, before and after an answer', async ({ app }) => {
  // The download card of the default model, with its size and notes.
  await app.goto();
  await expect(app.byId('model.confirm')).toBeVisible({ timeout: RUN_TIMEOUT });
  await expectNoSidewaysScroll(app, [320, 375, 1280]);

  // A finished question: the meter with its baseline marker, the trace, the session totals.
  await app.chooseModel('visionthink-test');
  await app.chooseImage(await sampleImage('plain', 'red', 448, 336));
  await app.ask();
  await app.expectAnswer('red');
  await app
    .byId('load-progress')
    .getByText(/^Files/)
    .click();
  await app.byId('share').click();
  await expect(app.byId('share.dialog')).toBeVisible();
  await expectNoSidewaysScroll(app, WIDTHS);
});

test('on a phone: address errors beside the field, the answer brought into view once; model names whole at any width', async ({
  app,
}) => {
  allowTimeForScenarios(3);
  await app.page.setViewportSize(PHONE);
  await app.open();

  await test.step('on a phone, an error of the image address shows beside the field and is announced', async () => {
    const field = app.byId('image-url');
    const fieldError = app.page.getByTestId('image-url.error');

    await app.enterUrl('not an address');
    await expect(fieldError).toBeVisible();
    await expect(fieldError).toBeInViewport();
    await expect(fieldError).toContainText(/address/i);
    await expect(fieldError.locator('xpath=..')).toHaveAttribute('role', 'alert');
    await expect(field).toHaveAttribute('aria-invalid', 'true');
    await expect(field).toHaveAccessibleDescription(await fieldError.innerText());
    // Not repeated in the banner at the top of the page, out of view.
    await expect(app.byId('error')).toHaveCount(0);

    // A download that fails can be tried again from where the person is.
    await app.enterUrl(new URL('/samples/no-such-picture.png', app.origin).href);
    // (This server answers a missing file with its page, which is no image.)
    await expect(fieldError).toContainText(/could not be downloaded|not an image/i);
    await expect(fieldError).toBeInViewport();
    await expect(app.page.getByTestId('image-url.retry')).toBeVisible();

    // Correcting the address clears the complaint; a good address opens.
    await field.fill(new URL('/samples/plain-red-448x336.png', app.origin).href);
    await expect(fieldError).toHaveCount(0);
    await expect(field).toHaveAttribute('aria-invalid', 'false');
    await field.press('Enter');
    await expect(app.byId('preview')).toBeVisible();
  });

  await test.step('on a phone, Ask brings the answer into view once, and scrolling away is not undone', async () => {
    await app.chooseImage(await sampleImage('detailed', 'blue', 896, 672));
    await app.byId('question').fill('What colour is this image?');
    await expect(app.byId('ask')).toBeEnabled({ timeout: RUN_TIMEOUT });
    // The question box at the bottom of the screen, as after typing on a phone.
    await app.byId('ask').evaluate((button) => {
      button.scrollIntoView({ block: 'end' });
    });
    const answer = app.byId('answer');
    await expect(answer.getByRole('heading', { name: 'Answer' })).not.toBeInViewport();

    await app.byId('ask').click();
    await expect(answer.getByRole('heading', { name: 'Answer' })).toBeInViewport();

    // The person scrolls back up while the model writes: the page stays where they put it.
    await app.page.mouse.move(PHONE.width / 2, PHONE.height / 2);
    await app.page.mouse.wheel(0, -20_000);
    await expect.poll(() => app.page.evaluate(() => window.scrollY)).toBe(0);
    const positions = await app.page.evaluate(
      (timeout) =>
        new Promise<number[]>((resolve) => {
          const seen: number[] = [];
          const started = performance.now();
          const sample = (): void => {
            seen.push(window.scrollY);
            const status = document.querySelector<HTMLElement>('[data-testid="answer"]')?.dataset.status;
            if (status === 'running' && performance.now() - started < timeout) requestAnimationFrame(sample);
            else resolve(seen);
          };
          sample();
        }),
      RUN_TIMEOUT,
    );
    expect(new Set(positions)).toEqual(new Set([0]));
    await app.expectAnswer('blue');
  });

  await test.step('every model name can be read whole in Settings, in the narrow side column and on a phone', async () => {
    for (const width of [320, 1200, 1280]) {
      await app.page.setViewportSize({ width, height: 900 });
      for (const entry of MODEL_REGISTRY) {
        const name = app.byId('model').getByText(entry.label, { exact: true });
        await expect(name, `${entry.label} at ${width} px`).toBeVisible();
        // Its whole text fits the box it is shown in.
        expect(await name.evaluate((element) => element.scrollWidth <= element.clientWidth)).toBe(true);
      }
    }
  });
});
