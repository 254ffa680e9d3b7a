/**
 * The Evaluate view: a small run of the synthetic set on the test model, stopped a moment after
 * its first answers, restored after a reload, resumed to the end; then the table, the plot and
 * the downloads. One page load for the run and one for the reload.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Download, Locator } from '@playwright/test';
import { renderSyntheticItem } from '../src/eval/synthetic/index.ts';
import { expect, readNumber, RUN_TIMEOUT, test } from './support/app.ts';
import { expectedTokens } from './support/images.ts';

type Policy = 'visionthink' | 'low-only' | 'full-only';

const LABELS: Record<Policy, string> = {
  visionthink: 'Model decides',
  'low-only': 'Always low resolution',
  'full-only': 'Always full resolution',
};

/**
 * What each project runs. SwiftShader (webgpu) takes about 25 s an answer, so it asks four
 * questions there, twelve on WASM (a second or two each), where full-only is the baseline too.
 */
const PLANS: Record<string, { size: number; policies: readonly Policy[] }> = {
  webgpu: { size: 2, policies: ['visionthink', 'low-only'] },
  wasm: { size: 4, policies: ['visionthink', 'low-only', 'full-only'] },
};

const counts = new Intl.NumberFormat('en');

/** The visual tokens of the seed-0 sample's first `size` items, low and full, by the engine's own math. */
function sampleTokens(size: number): { low: number; full: number } {
  let low = 0;
  let full = 0;
  for (let index = 0; index < size; index++) {
    const { width, height } = renderSyntheticItem(0, index);
    const { plan } = expectedTokens(width, height, false);
    low += plan.low.visualTokens;
    full += plan.full.visualTokens;
  }
  return { low, full };
}

test('an evaluation is stopped, kept over a reload, resumed to the end, and downloaded', async ({ app }) => {
  test.setTimeout(360_000);
  const plan = PLANS[app.project];
  if (!plan) throw new Error(`no evaluation plan for the ${app.project} project`);
  const { size: SIZE, policies: POLICIES } = plan;
  const ANSWERS = SIZE * POLICIES.length;
  const tokens = sampleTokens(SIZE);
  const { page } = app;
  const byId = (id: string): Locator => page.getByTestId(id);
  const answersDone = async (): Promise<number> => Number(await byId('eval.progress').getAttribute('data-done'));
  const cell = (policy: string, column: string): Locator =>
    byId('eval.table').locator(`tr[data-policy="${policy}"] [data-column="${column}"]`);
  const started = Date.now();
  await app.open();

  await test.step('the Evaluate tab, kept in the address; the Ask view stays as it was', async () => {
    await expect(byId('view.ask')).toHaveAttribute('aria-selected', 'true');
    await byId('view.evaluate').click();
    await expect(byId('view.evaluate')).toHaveAttribute('aria-selected', 'true');
    await expect(page).toHaveURL(/\?view=evaluate#model=visionthink-test$/);
    await expect(byId('question')).toBeHidden();
    // The keyboard moves between the tabs too.
    await byId('view.evaluate').press('ArrowLeft');
    await expect(byId('view.ask')).toBeFocused();
    await expect(byId('question')).toBeVisible();
    await expect(page).toHaveURL(/\/#model=visionthink-test$/);
    await byId('view.ask').press('End');
    await expect(byId('view.evaluate')).toHaveAttribute('aria-selected', 'true');
  });

  await test.step('a hub dataset needs the network: offline the form says so; unreachable, Run fails in words', async () => {
    // The model has loaded: Run could be pressed.
    await expect(byId('eval.run')).toBeEnabled({ timeout: RUN_TIMEOUT });
    await expect(byId('eval.dataset').locator('option[value="chartqa"]')).toHaveText(/needs the network/);
    await byId('eval.dataset').selectOption('chartqa');
    await page.context().setOffline(true);
    await expect(byId('eval.offline')).toBeVisible();
    await page.context().setOffline(false);
    await expect(byId('eval.offline')).toBeHidden();
    // The test browser resolves no host but localhost: the hub cannot be reached.
    await byId('eval.run').click();
    await expect(byId('eval.status')).toHaveAttribute('data-status', 'failed', { timeout: 60_000 });
    const said = await byId('eval.status').innerText();
    app.testInfo.annotations.push({ type: 'hub unreachable', description: said });
    expect(said).toMatch(/^The evaluation failed: .{20,}/);
    expect(said).not.toMatch(/\bat \S+:\d|\[object |undefined|TypeError/);
    // Nothing was answered: a new evaluation asks nothing first.
    await byId('eval.new').click();
    await expect(byId('eval.status')).toHaveAttribute('data-status', 'idle');
    await expect(byId('eval.table')).toHaveCount(0);
  });

  await test.step(`the synthetic set, ${SIZE} items, ${POLICIES.join(', ')}: Run`, async () => {
    await byId('eval.dataset').selectOption('synthetic');
    await byId('eval.size').fill(String(SIZE));
    await byId('eval.seed').fill('0');
    for (const policy of ['visionthink', 'confidence', 'low-only', 'full-only']) {
      const box = byId(`eval.policy.${policy}`);
      if (POLICIES.some((chosen) => chosen === policy)) await expect(box).toBeChecked();
      else await box.uncheck();
    }
    await expect(byId('eval.run')).toBeEnabled({ timeout: RUN_TIMEOUT });
    await byId('eval.run').click();
    await expect(byId('eval.status')).toHaveAttribute('data-status', 'running');
    await expect(byId('eval.progress')).toHaveAttribute('data-total', String(ANSWERS), { timeout: RUN_TIMEOUT });
  });

  let kept = 0;
  await test.step('Stop a moment after the first answers land: they stay', async () => {
    // Inside the page, on its own clock: a third of a second after the first answer, whatever the
    // test runner is doing, not at the instant a message arrives.
    const clicked = await page.evaluate(
      (timeout) =>
        new Promise<boolean>((resolve, reject) => {
          const find = (id: string) => document.querySelector<HTMLElement>(`[data-testid="${id}"]`);
          const check = (): boolean => {
            if (Number(find('eval.progress')?.dataset.done ?? 0) < 1) return false;
            setTimeout(() => {
              const stop = find('eval.stop') as HTMLButtonElement | null;
              if (!stop || stop.disabled) resolve(false);
              else {
                stop.click();
                resolve(true);
              }
            }, 300);
            return true;
          };
          if (check()) return;
          const observer = new MutationObserver(() => {
            if (check()) observer.disconnect();
          });
          observer.observe(document.body, { subtree: true, attributes: true, childList: true });
          setTimeout(() => {
            observer.disconnect();
            reject(new Error('no answer landed'));
          }, timeout);
        }),
      RUN_TIMEOUT,
    );
    expect(clicked, 'Stop should be clicked while the evaluation runs').toBe(true);
    await expect(byId('eval.status')).toHaveAttribute('data-status', 'stopped', { timeout: RUN_TIMEOUT });
    await expect(byId('eval.status')).toHaveText('Stopped — Resume to continue.');
    kept = await answersDone();
    expect(kept).toBeGreaterThanOrEqual(1);
    expect(kept).toBeLessThan(ANSWERS);
    await expect(byId('eval.table').locator('tbody tr')).toHaveCount(POLICIES.length);
    await expect(byId('eval.plot')).toBeVisible();
    await expect(byId('eval.resume')).toBeVisible();
    app.time('stoppedAfterMs', Date.now() - started);
  });

  await test.step('a reload shows the same results and Resume', async () => {
    await page.reload();
    await expect(byId('view.evaluate')).toHaveAttribute('aria-selected', 'true', { timeout: RUN_TIMEOUT });
    await expect(byId('eval.status')).toHaveAttribute('data-status', 'stopped');
    await expect(byId('eval.progress')).toHaveAttribute('data-done', String(kept));
    await expect(byId('eval.size')).toHaveValue(String(SIZE));
    await expect(byId('eval.size')).toBeDisabled();
    await expect(byId('eval.table').locator('tbody tr')).toHaveCount(POLICIES.length);
    await expect(byId('eval.resume')).toBeVisible();
  });

  await test.step('Resume (once the model has loaded again) asks the rest, to the end', async () => {
    const resumedAt = Date.now();
    await expect(byId('eval.resume')).toBeEnabled({ timeout: RUN_TIMEOUT });
    await byId('eval.resume').click();
    await expect(byId('eval.status')).toHaveAttribute('data-status', 'running');
    await expect(byId('eval.status')).toHaveAttribute('data-status', 'finished', { timeout: 300_000 });
    await expect(byId('eval.progress')).toHaveAttribute('data-done', String(ANSWERS));
    app.time('resumedToFinishedMs', Date.now() - resumedAt);
  });

  await test.step('the table: each policy’s figures, to the visual token', async () => {
    const rows = byId('eval.table').locator('tbody tr');
    await expect(rows).toHaveCount(POLICIES.length);
    for (const [index, policy] of POLICIES.entries()) {
      await expect(rows.nth(index)).toHaveAttribute('data-policy', policy);
      await expect(rows.nth(index).locator('th')).toHaveText(LABELS[policy]);
      expect(await readNumber(cell(policy, 'items'))).toBe(SIZE);
      expect(await readNumber(cell(policy, 'errors'))).toBe(0);
      expect(await readNumber(cell(policy, 'prefilled'))).toBeGreaterThan(0);
      expect(await readNumber(cell(policy, 'wall'))).toBeGreaterThan(0);
      const accuracy = await readNumber(cell(policy, 'accuracy'));
      expect(accuracy).toBeGreaterThanOrEqual(0);
      expect(accuracy).toBeLessThanOrEqual(1);
      // Every row is measured against the same always-full-resolution baseline.
      await expect(cell(policy, 'visual-tokens')).toContainText(`/ ${counts.format(tokens.full)}`);
    }
    // Every synthetic image's sides are multiples of 56: the half-size look is exactly a quarter.
    expect(tokens.low * 4).toBe(tokens.full);
    expect(await readNumber(cell('low-only', 'visual-tokens'))).toBe(tokens.low);
    expect(await readNumber(cell('low-only', 'ratio'))).toBe(0.25);
    await expect(cell('low-only', 'escalation')).toHaveText('0.0%');
    // The model decides: at least the low look, at most the low look and the full image for every item.
    const decides = await readNumber(cell('visionthink', 'visual-tokens'));
    expect(decides).toBeGreaterThanOrEqual(tokens.low);
    expect(decides).toBeLessThanOrEqual(tokens.low + tokens.full);
    if (POLICIES.includes('full-only')) {
      expect(await readNumber(cell('full-only', 'visual-tokens'))).toBe(tokens.full);
      await expect(cell('full-only', 'ratio')).toHaveText('100.0%');
    }
  });

  await test.step('the plot: one point per policy, at the table’s figures', async () => {
    const points = byId('eval.plot').locator('circle.point[data-policy]');
    await expect(points).toHaveCount(POLICIES.length);
    for (const policy of POLICIES) {
      const point = points.and(page.locator(`[data-policy="${policy}"]`));
      await expect(point).toBeVisible();
      expect(Number(await point.getAttribute('data-ratio'))).toBe(await readNumber(cell(policy, 'ratio')));
    }
  });

  await test.step('Download JSON and CSV: the report and every answer', async () => {
    const take = async (id: string): Promise<{ download: Download; text: string }> => {
      const [download] = await Promise.all([page.waitForEvent('download'), byId(id).click()]);
      return { download, text: await readFile(await download.path(), 'utf8') };
    };
    const json = await take('eval.download.json');
    expect(json.download.suggestedFilename()).toMatch(/^\d{4}-\d{2}-\d{2}-visionthink-test-synthetic\.json$/);
    const report = JSON.parse(json.text) as { summaries: unknown[]; items: unknown[]; complete: boolean };
    expect(report.summaries).toHaveLength(POLICIES.length);
    expect(report.items).toHaveLength(ANSWERS);
    expect(report.complete).toBe(true);
    const csv = await take('eval.download.csv');
    expect(csv.download.suggestedFilename()).toMatch(/-visionthink-test-synthetic\.csv$/);
    const lines = csv.text.trimEnd().split('\r\n');
    expect(lines[0]).toMatch(/^item_id,policy,/);
    expect(lines).toHaveLength(ANSWERS + 1);
  });

  await test.step('at 375 and 1280 px, light and dark: the table scrolls in its box, never the page', async () => {
    for (const width of [375, 1280]) {
      for (const colorScheme of ['light', 'dark'] as const) {
        await page.setViewportSize({ width, height: 900 });
        await page.emulateMedia({ colorScheme });
        const widths = await page.evaluate(() => {
          const box = document.querySelector('.table-scroll');
          return {
            page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
            table: box ? box.scrollWidth - box.clientWidth : -1,
          };
        });
        expect(widths.page, `the page scrolls sideways at ${width} px`).toBeLessThanOrEqual(0);
        if (width === 375) expect(widths.table, 'the table scrolls in its own box').toBeGreaterThan(0);
        // For review, on request (as `npm run screenshot` does for the README's picture).
        const folder = process.env.EVAL_SCREENSHOTS;
        if (folder && app.project === 'wasm') {
          await byId('eval.status').scrollIntoViewIfNeeded();
          await page.screenshot({ path: path.join(folder, `eval-${width}-${colorScheme}.png`), fullPage: true });
        }
      }
    }
  });
});
