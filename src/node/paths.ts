import { fileURLToPath } from 'node:url';

/** Where `npm run model:test` writes the generated test model (served by the app at /models/). */
export const TEST_MODEL_DIR = fileURLToPath(new URL('../../public/models/visionthink-test', import.meta.url));
