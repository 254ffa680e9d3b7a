/** Stop ends a run in the middle, and the next question runs normally. */
import { expect, test, type App } from './support/app.ts';
import { expectedTokens, sampleImage } from './support/images.ts';

/** When to press Stop: once the trace shows the run, or once the meter shows this many tokens used. */
type StopWhen = { traceChanged: true } | { meterUsed: number };

/**
 * Presses Ask, then Stop from inside the page the moment `when` holds (a round trip through
 * Playwright could let a tiny model's run finish first). Returns the trace's text at that moment.
 */
function askThenStop(app: App, when: StopWhen): Promise<string> {
  return app.page.evaluate(
    (when) =>
      new Promise<string>((resolve, reject) => {
        const find = (id: string) => document.querySelector<HTMLElement>(`[data-testid="${id}"]`);
        const traceText = () => find('trace')?.textContent ?? '';
        const traceBefore = traceText();
        const due = (): boolean => {
          if ('traceChanged' in when) return traceText() !== traceBefore;
          const used = find('meter.used');
          const value = used?.getAttribute('data-value') ?? used?.textContent.trim();
          return value === String(when.meterUsed);
        };
        const observer = new MutationObserver(() => {
          const stop = find('stop') as HTMLButtonElement | null;
          if (stop && !stop.disabled && due()) {
            observer.disconnect();
            stop.click();
            resolve(traceText());
          }
        });
        observer.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
        find('ask')?.click();
        setTimeout(() => {
          observer.disconnect();
          reject(new Error(`Stop was never enabled while ${JSON.stringify(when)} held`));
        }, 100_000);
      }),
    when,
  );
}

for (const [title, when] of [
  ['as soon as the run shows in the trace', { traceChanged: true }],
  // 960 = 192 low + 768 full: the model has asked for the full image, and round 2 is running.
  ['after the model asked for the full image', { meterUsed: 960 }],
] as const) {
  test(`Stop ${title}, then ask again`, async ({ app }) => {
    const image = await sampleImage('detailed', 'green', 896, 672);
    const expected = expectedTokens(image.width, image.height, true);
    expect(expected.used).toBe(960);
    await app.open();
    await app.chooseImage(image);
    await app.byId('question').fill('What colour is this image?');
    await expect(app.byId('ask')).toBeEnabled({ timeout: 120_000 });

    const trace = await askThenStop(app, when);
    test.info().annotations.push({ type: 'trace when Stop was pressed', description: trace });

    await app.expectIdle();
    // The stopped run gave no answer, and stopping is not an error.
    await expect(app.byId('answer')).not.toHaveText(/\bgreen\b/i);
    await expect(app.byId('error')).toBeHidden();

    await app.ask();
    await app.expectAnswer('green');
    await app.expectMeter(expected);
  });
}
