/**
 * `npm run bench:model`: writes the bench model (scripts/model/bench-model.ts) to
 * bench/models/visionthink-bench/; `--tiny` writes the tiny preset to
 * bench/models/visionthink-bench-tiny/ instead. `--if-missing` only writes files that are missing or out of date;
 * `--out DIR` writes elsewhere. The output is byte-identical on every run.
 */
import { parseArgs } from 'node:util';
import { BENCH_MODEL_DIRS } from '../src/node/paths.ts';
import { buildBenchModel } from './model/bench-model.ts';
import { ensureModel, writeModel } from './model/write-model.ts';

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    tiny: { type: 'boolean', default: false },
    'if-missing': { type: 'boolean', default: false },
  },
});
const preset = values.tiny ? 'tiny' : 'bench';
const dir = values.out ?? BENCH_MODEL_DIRS[preset];
const files = buildBenchModel(preset);
if (values['if-missing']) {
  if (await ensureModel(dir, files)) console.error(`Wrote the bench model (${preset} preset) to ${dir}`);
} else {
  await writeModel(dir, files);
  console.error(`Wrote the bench model (${preset} preset) to ${dir}`);
}
