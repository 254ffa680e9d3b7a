/**
 * "Escalate when unsure": the plain prompt, the model's own confidence, and the full image in a
 * second turn when the answer at low resolution is unsure. One page for the whole story: the
 * model loads once.
 */
import { expect, test } from './support/app.ts';
import { expectedTokens, sampleImage } from './support/images.ts';

test('Escalate when unsure: the decision with its numbers, the low-resolution answer, the meter and the link', async ({
  app,
}) => {
  await app.open();
  // The test model speaks VisionThink's protocol, so it decides itself by default, and says why.
  await expect(app.byId('policy')).toHaveValue('visionthink');
  await expect(app.byId('policy.why')).toHaveText(/^Default for this model: Model decides\. .+\.$/);
  await expect(app.byId('threshold')).toHaveCount(0);
  await app.byId('policy').selectOption('confidence');
  await expect(app.byId('threshold.value')).toHaveText('0.60');

  // Fine detail: unsure at low resolution, so the app shows it the full image.
  const detailed = await sampleImage('detailed', 'red', 896, 672);
  await app.chooseImage(detailed);
  await app.ask();
  await app.expectAnswer('red');
  const unsure = /^Unsure at low resolution \(confidence (0\.\d\d), below 0\.60\) — looked at the full image$/;
  await expect(app.byId('answer.decision')).toHaveText(unsure);
  const decisionText = (await app.byId('answer.decision').textContent()) ?? '';
  const shown = unsure.exec(decisionText)?.[1] ?? '';
  expect(Number(shown)).toBeLessThan(0.5);
  await expect(app.byId('answer.round-1')).toHaveText('Answer from the low-resolution image: red');
  await expect(app.byId('trace.round-1.answer')).toHaveText(`Low-resolution answer: red (confidence ${shown})`);
  await expect(app.byId('trace.round-1.decision')).toHaveText(`→ ${decisionText}`);
  await expect(app.byId('trace.round-2.answer')).toHaveText(/^Answer: red \(confidence (?:0\.9\d|1\.00)\)$/);
  await app.expectMeter(expectedTokens(detailed.width, detailed.height, true));

  // A plain picture: confident at low resolution.
  const plain = await sampleImage('plain', 'blue', 896, 672);
  await app.chooseImage(plain);
  await app.ask();
  await app.expectAnswer('blue');
  await expect(app.byId('answer.decision')).toHaveText(
    /^Confident \((0\.9\d|1\.00)\) — answered from the low-resolution image$/,
  );
  await expect(app.byId('answer.round-1')).toHaveCount(0);
  await app.expectMeter(expectedTokens(plain.width, plain.height, false));

  // Threshold 0 never looks again, even at fine detail; a link carries policy and threshold.
  await app.byId('threshold').fill('0');
  await expect(app.byId('threshold.value')).toHaveText('0.00');
  await app.chooseImage(detailed);
  await app.ask();
  await app.expectAnswer('red');
  await expect(app.byId('answer.decision')).toHaveText(
    /^Threshold 0 \(confidence 0\.\d\d\) — kept the low-resolution answer; this threshold never looks again$/,
  );
  await app.expectMeter(expectedTokens(detailed.width, detailed.height, false));
  await app.byId('share').click();
  await expect(app.byId('share.link')).toHaveValue(/[#&]policy=confidence&threshold=0(&|$)/);

  // The Qwen3.5-layout test model (hybrid attention cache) decides the same way.
  await app.byId('threshold').fill('0.6');
  await app.chooseModel('visionthink-test-qwen3_5');
  await expect(app.byId('policy')).toHaveValue('confidence');
  await app.chooseImage(await sampleImage('detailed', 'magenta', 448, 336));
  await app.ask();
  await app.expectAnswer('magenta');
  await expect(app.byId('answer.decision')).toHaveText(unsure);
  await expect(app.byId('answer.round-1')).toHaveText('Answer from the low-resolution image: magenta');
});
