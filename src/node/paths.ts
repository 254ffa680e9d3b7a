import { fileURLToPath } from 'node:url';
import type { ModelFamily } from '../engine/model-registry.ts';

/** The app's folder of models that ship with it (public/models/, served at models/). */
export const MODELS_DIR = fileURLToPath(new URL('../../public/models', import.meta.url));

/** Where `npm run model:test` writes the generated test model (served by the app at /models/). */
export const TEST_MODEL_DIR = fileURLToPath(new URL('../../public/models/visionthink-test', import.meta.url));

/** Where each family's generated test model lives; the Qwen2-VL one is the default test model. */
export const TEST_MODEL_DIRS: Record<ModelFamily, string> = {
  qwen2_vl: TEST_MODEL_DIR,
  qwen3_5: fileURLToPath(new URL('../../public/models/visionthink-test-qwen3_5', import.meta.url)),
};

/** Where `npm run bench:model` writes the bench model of each preset (scripts/model/bench-model.ts; git-ignored). */
export const BENCH_MODEL_DIRS = {
  bench: fileURLToPath(new URL('../../bench/models/visionthink-bench', import.meta.url)),
  tiny: fileURLToPath(new URL('../../bench/models/visionthink-bench-tiny', import.meta.url)),
} as const;
