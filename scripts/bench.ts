/**
 * `npm run bench`: what escalation costs and saves, measured side by side in one run — in Node on
 * the generated bench model (onnxruntime-node, CPU) and in headless Chromium on the built app.
 * Writes bench/results/<date>.json and .md and prints the Markdown. `--help` lists the options.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadModelForNode } from '../src/node/load-model.ts';
import { BENCH_MODEL_DIRS } from '../src/node/paths.ts';
import { runBrowserBench, type Backend, type BrowserFigures } from './bench/browser-bench.ts';
import { runNodeBench, type Size } from './bench/node-bench.ts';
import { judgeTargets, renderReport, type BenchResults } from './bench/report.ts';
import { BENCH_PRESETS, buildBenchModel, type BenchPreset } from './model/bench-model.ts';
import { ensureModel } from './model/write-model.ts';

const HELP = `npm run bench -- [options]
  --model bench|tiny      the generated model to measure in Node (default bench)
  --runs N                measured runs per figure, after one warm-up (default 5)
  --sizes WxH,...         image sizes (default 448x448,896x672,1344x1008)
  --budget N              visual-token budget (default 16384: the image size decides)
  --questions N           questions in the mixed workload (default 25)
  --escalation SHARE      share of them that escalate (default 0.36)
  --browser LIST          wasm,webgpu (default), wasm, webgpu or none
  --browser-timeout S     seconds per browser backend (default 300)
  --no-build              use the existing dist/ for the browser part
  --out DIR               where results go (default bench/results)`;

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'bench' },
    runs: { type: 'string', default: '5' },
    sizes: { type: 'string', default: '448x448,896x672,1344x1008' },
    budget: { type: 'string', default: '16384' },
    questions: { type: 'string', default: '25' },
    escalation: { type: 'string', default: '0.36' },
    browser: { type: 'string', default: 'wasm,webgpu' },
    'browser-timeout': { type: 'string', default: '300' },
    'no-build': { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench/results' },
    help: { type: 'boolean', default: false },
  },
});

function fail(message: string): never {
  console.error(`${message}\n\n${HELP}`);
  process.exit(2);
}

function whole(name: string, raw: string, min: number): number {
  if (!/^\d+$/.test(raw) || Number(raw) < min)
    fail(`--${name} must be a whole number of at least ${min}, not "${raw}".`);
  return Number(raw);
}

if (values.help) {
  console.log(HELP);
  process.exit(0);
}
const preset: BenchPreset =
  values.model === 'bench' || values.model === 'tiny'
    ? values.model
    : fail(`--model must be bench or tiny, not "${values.model}".`);
const runs = whole('runs', values.runs, 1);
const budget = whole('budget', values.budget, 4);
const questions = whole('questions', values.questions, 1);
const escalationShare = Number(values.escalation);
if (!(escalationShare >= 0 && escalationShare <= 1))
  fail(`--escalation must be between 0 and 1, not "${values.escalation}".`);
const sizes: Size[] = values.sizes.split(',').map((raw) => {
  const match = /^(\d+)x(\d+)$/.exec(raw.trim());
  if (!match) fail(`--sizes takes sizes like 896x672, not "${raw}".`);
  return { width: Number(match[1]), height: Number(match[2]) };
});
const backends: Backend[] =
  values.browser === 'none'
    ? []
    : values.browser.split(',').map((raw) => {
        if (raw !== 'wasm' && raw !== 'webgpu') fail(`--browser takes wasm, webgpu or none, not "${raw}".`);
        return raw;
      });
const browserTimeoutMs = whole('browser-timeout', values['browser-timeout'], 10) * 1000;

const log = (line: string): void => {
  console.error(`[bench] ${line}`);
};

const dir = BENCH_MODEL_DIRS[preset];
if (await ensureModel(dir, buildBenchModel(preset))) log(`wrote the ${preset} model to ${dir}`);
const model = await loadModelForNode(dir);
let node;
try {
  node = await runNodeBench({ model, sizes, runs, budget, questions, escalationShare, log });
} finally {
  await model.dispose();
}

let browser: BrowserFigures[] = [];
if (backends.length > 0) {
  if (!values['no-build']) {
    log('building the app');
    const build = spawnSync('npm', ['run', 'build'], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (build.status !== 0) fail('npm run build failed.');
  }
  browser = await runBrowserBench({
    backends,
    port: 4300,
    timeoutMs: browserTimeoutMs,
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    log,
  });
}

const cpus = os.cpus();
const results: BenchResults = {
  date: new Date().toISOString().slice(0, 10),
  machine: {
    cpu: cpus[0]?.model.trim() ?? 'unknown CPU',
    cores: cpus.length,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.versions.node,
  },
  model: {
    name: path.basename(dir),
    description: `vision ${BENCH_PRESETS[preset].vision.layers} layers × ${BENCH_PRESETS[preset].vision.dim}, decoder ${BENCH_PRESETS[preset].decoder.layers} layers × ${BENCH_PRESETS[preset].decoder.hidden}, random weights`,
  },
  settings: { runs, budget, questions, escalationShare },
  node,
  browser,
  targets: judgeTargets(node, browser),
};
await mkdir(values.out, { recursive: true });
const base = path.join(values.out, results.date);
await writeFile(`${base}.json`, `${JSON.stringify(results, null, 2)}\n`);
const report = renderReport(results);
await writeFile(`${base}.md`, report);
console.log(report);
log(`wrote ${base}.json and ${base}.md`);
