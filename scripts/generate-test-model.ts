/**
 * `npm run model:test`: writes the generated test model to public/models/visionthink-test/.
 * `--if-missing` only writes when a file is missing (before tests and the dev server).
 * `--out DIR` writes elsewhere. The output is byte-identical on every run.
 */
import { parseArgs } from 'node:util';
import { TEST_MODEL_DIR } from '../src/node/paths.ts';
import { buildTestModel, ensureModel, writeModel } from './model/test-model.ts';

const { values } = parseArgs({
  options: { out: { type: 'string' }, 'if-missing': { type: 'boolean', default: false } },
});
const dir = values.out ?? TEST_MODEL_DIR;
const files = buildTestModel();
if (values['if-missing']) {
  if (await ensureModel(dir, files)) console.error(`Wrote the test model to ${dir}`);
} else {
  await writeModel(dir, files);
  console.error(`Wrote the test model to ${dir}`);
}
