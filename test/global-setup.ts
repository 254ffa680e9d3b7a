/** Generates the test model before the engine tests when it is missing (same bytes every time). */
import { buildTestModel, ensureModel } from '../scripts/model/test-model.ts';
import { TEST_MODEL_DIR } from '../src/node/paths.ts';

export default async function setup(): Promise<void> {
  await ensureModel(TEST_MODEL_DIR, buildTestModel());
}
