/**
 * `npm run samples`: renders PNGs of every class the test model knows (plain / detailed × each
 * palette colour × a few sizes) into samples/out/, to look at and to feed to `npm run ask`.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { PALETTE } from './model/test-model.ts';
import { SAMPLE_SIZES, renderSample, type SampleKind } from './samples/test-images.ts';

const { values } = parseArgs({ options: { out: { type: 'string' } } });
const dir = values.out ?? fileURLToPath(new URL('../samples/out/', import.meta.url));
await mkdir(dir, { recursive: true });
let count = 0;
for (const kind of ['plain', 'detailed'] as SampleKind[]) {
  for (const { name } of PALETTE) {
    for (const [width, height] of SAMPLE_SIZES) {
      const image = renderSample(kind, name, width, height);
      await sharp(image.data, { raw: { width, height, channels: 3 } })
        .png()
        .toFile(join(dir, `${kind}-${name}-${width}x${height}.png`));
      count++;
    }
  }
}
console.error(`Wrote ${count} sample images to ${dir}`);
