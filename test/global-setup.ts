/** Generates the test model before the engine tests when it is missing (same bytes every time). */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { buildTestModel, writeModel } from '../scripts/model/test-model.ts';
import { TEST_MODEL_DIR } from '../src/node/paths.ts';

export default async function setup(): Promise<void> {
  const files = buildTestModel();
  const present = await Promise.all(Object.keys(files).map((name) => access(join(TEST_MODEL_DIR, name)).then(() => true, () => false)));
  if (!present.every(Boolean)) await writeModel(TEST_MODEL_DIR, files);
}
