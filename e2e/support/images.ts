/**
 * Images for the e2e tests, drawn here with the test model's own sample generator, and the token
 * math the meter must agree with.
 */
import sharp from 'sharp';
import { renderSample, type SampleKind } from '../../scripts/samples/test-images.ts';
import { planResolutions, type ImageGeometry, type ResolutionPlan } from '../../src/engine/visual-tokens.ts';

/** The generated test model's `preprocessor_config.json`, as the issue states it. */
export const TEST_MODEL_GEOMETRY: ImageGeometry = {
  patchSize: 14,
  mergeSize: 2,
  temporalPatchSize: 2,
  minPixels: 3136,
  maxPixels: 1003520,
};

/** The app's default full-resolution budget in visual tokens. */
export const DEFAULT_BUDGET = 1024;

/** Every colour the test model can answer. */
export const PALETTE_NAMES = ['black', 'white', 'gray', 'red', 'green', 'blue', 'yellow', 'cyan', 'magenta'] as const;
export type Colour = (typeof PALETTE_NAMES)[number];

export interface TestImage {
  kind: SampleKind;
  colour: Colour;
  width: number;
  height: number;
  /** A file name a person's file might have. */
  name: string;
  png: Buffer;
}

/** A PNG of the test model's sample class: `plain` is answered at low resolution, `detailed` escalates. */
export async function sampleImage(kind: SampleKind, colour: Colour, width: number, height: number): Promise<TestImage> {
  const image = renderSample(kind, colour, width, height);
  const png = await sharp(image.data, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
  return { kind, colour, width, height, name: `${kind}-${colour}-${width}x${height}.png`, png };
}

/** What the meter must show for one question about an image, from the engine's own math. */
export function expectedTokens(
  width: number,
  height: number,
  escalated: boolean,
  budget = DEFAULT_BUDGET,
): { plan: ResolutionPlan; used: number; baseline: number; saved: number } {
  const plan = planResolutions(width, height, TEST_MODEL_GEOMETRY, budget);
  const used = escalated ? plan.low.visualTokens + plan.full.visualTokens : plan.low.visualTokens;
  const baseline = plan.full.visualTokens;
  return { plan, used, baseline, saved: baseline - used };
}
