/**
 * `npm run model:test`: writes the generated test model to public/models/visionthink-test/.
 * `--if-missing` skips the work when the folder is already complete (tests, dev server).
 * `--out DIR` writes elsewhere. The output is byte-identical on every run.
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildTestModel, writeModel } from './model/test-model.ts';
import { TEST_MODEL_DIR } from '../src/node/paths.ts';

const { values } = parseArgs({
  options: { out: { type: 'string' }, 'if-missing': { type: 'boolean', default: false } },
});
const dir = values.out ?? TEST_MODEL_DIR;
const files = buildTestModel();

const complete = async (): Promise<boolean> => {
  try {
    await Promise.all(Object.keys(files).map((name) => access(join(dir, name))));
    return true;
  } catch {
    return false;
  }
};

if (values['if-missing'] && (await complete())) process.exit(0);
await writeModel(dir, files);
console.error(`Wrote the test model to ${dir}`);
