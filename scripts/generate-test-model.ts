/**
 * `npm run model:test`: writes the generated test model of every family to its folder under
 * public/models/ (see src/node/paths.ts); `--family qwen2_vl|qwen3_5` writes one. `--if-missing`
 * only writes files that are missing or out of date (before tests and the dev server). `--out DIR`
 * writes elsewhere. The output is byte-identical on every run.
 */
import { parseArgs } from 'node:util';
import { TEST_MODEL_DIRS } from '../src/node/paths.ts';
import { MODEL_FAMILIES, type ModelFamily } from './model/family-configs.ts';
import { buildTestModel } from './model/test-model.ts';
import { ensureModel, writeModel } from './model/write-model.ts';

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    family: { type: 'string' },
    'if-missing': { type: 'boolean', default: false },
  },
});
const requested = values.family;
if (requested !== undefined && !MODEL_FAMILIES.includes(requested as ModelFamily)) {
  console.error(`Unknown --family "${requested}"; choose one of ${MODEL_FAMILIES.join(', ')}.`);
  process.exit(2);
}
if (values.out !== undefined && requested === undefined) {
  console.error('--out needs --family: each family is written to a folder of its own.');
  process.exit(2);
}
const families = requested === undefined ? MODEL_FAMILIES : [requested as ModelFamily];
for (const family of families) {
  const dir = values.out ?? TEST_MODEL_DIRS[family];
  const files = buildTestModel({ family });
  if (values['if-missing']) {
    if (await ensureModel(dir, files)) console.error(`Wrote the ${family} test model to ${dir}`);
  } else {
    await writeModel(dir, files);
    console.error(`Wrote the ${family} test model to ${dir}`);
  }
}
