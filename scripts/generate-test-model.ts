/**
 * `npm run model:test`: writes the generated test model to public/models/visionthink-test/.
 * `--family qwen3_5` writes the Qwen3.5-shaped one instead (to its own folder, see
 * src/node/paths.ts). `--if-missing` only writes when a file is missing (before tests and the dev
 * server). `--out DIR` writes elsewhere. The output is byte-identical on every run.
 */
import { parseArgs } from 'node:util';
import { TEST_MODEL_DIRS } from '../src/node/paths.ts';
import { MODEL_FAMILIES, type ModelFamily } from './model/family-configs.ts';
import { buildTestModel } from './model/test-model.ts';
import { ensureModel, writeModel } from './model/write-model.ts';

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    family: { type: 'string', default: 'qwen2_vl' },
    'if-missing': { type: 'boolean', default: false },
  },
});
const family = values.family as ModelFamily;
if (!MODEL_FAMILIES.includes(family)) {
  console.error(`Unknown --family "${values.family}"; choose one of ${MODEL_FAMILIES.join(', ')}.`);
  process.exit(2);
}
const dir = values.out ?? TEST_MODEL_DIRS[family];
const files = buildTestModel({ family });
if (values['if-missing']) {
  if (await ensureModel(dir, files)) console.error(`Wrote the ${family} test model to ${dir}`);
} else {
  await writeModel(dir, files);
  console.error(`Wrote the ${family} test model to ${dir}`);
}
