/** Generates the test model of each family before the engine tests when missing (same bytes every time). */
import { MODEL_FAMILIES } from '../scripts/model/family-configs.ts';
import { buildTestModel } from '../scripts/model/test-model.ts';
import { ensureModel } from '../scripts/model/write-model.ts';
import { TEST_MODEL_DIRS } from '../src/node/paths.ts';

export default async function setup(): Promise<void> {
  for (const family of MODEL_FAMILIES) await ensureModel(TEST_MODEL_DIRS[family], buildTestModel({ family }));
}
