/** The app loads in both projects and says which device runs the model. */
import { expect, test, TEST_MODEL_ID } from './support/app.ts';

test('the browser offers a WebGPU adapter only in the webgpu project', async ({ app }) => {
  await app.goto();
  const adapter = await app.page.evaluate(async () => {
    // Typed as always there, but only secure contexts of browsers with WebGPU have it.
    const gpu = (navigator as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
    return (await gpu?.requestAdapter()) != null;
  });
  expect(adapter).toBe(app.project === 'webgpu');
});

test('shows the device: WebGPU with the flag, the WASM fallback without it', async ({ app }) => {
  await app.open();
  const device = app.byId('device');
  if (app.project === 'webgpu') {
    await expect(device).toContainText('WebGPU');
  } else {
    await expect(device).toContainText('WASM');
    await expect(device).not.toContainText('WebGPU');
  }
  await expect(app.byId('dropzone')).toBeVisible();
  await expect(app.byId('dropzone').getByTestId('dropzone.input')).toHaveCount(1);
  // The generated model is chosen, and must not pass for a real model.
  await expect(app.byId('model')).toHaveAttribute('data-value', TEST_MODEL_ID);
  await expect(app.byId('model').locator(`[data-model-id="${TEST_MODEL_ID}"]`)).toContainText(/synthetic/i);
});

test('loads the model with progress in bytes', async ({ app }) => {
  const started = Date.now();
  await app.goto(`#model=${TEST_MODEL_ID}`);
  const total = app.byId('load-progress').getByRole('progressbar').first();
  await expect(total).toBeVisible({ timeout: 60_000 });
  await expect
    .poll(
      async () => {
        const max = Number(await total.getAttribute('aria-valuemax'));
        const now = Number(await total.getAttribute('aria-valuenow'));
        return max > 0 && now === max;
      },
      { message: 'the total progress bar should reach its known size in bytes' },
    )
    .toBe(true);
  app.time('modelLoadedMs', Date.now() - started);
  await expect(app.byId('load-progress')).toContainText(/\d+(\.\d+)?\s*(B|KB|kB|MB)\b/);
});
