/**
 * `npm run eval -- [--dataset synthetic|chartqa|docvqa|textvqa|ocrbench|pope] [--limit N] [--seed S]
 *   [--policies visionthink,confidence,low-only,full-only] [--model <folder|hub id>]
 *   [--endpoint <url> --model <name> [--api-key-env VAR]] [--concurrency K] [--out DIR]`
 *
 * Measures accuracy against visual tokens: asks a seeded sample of a dataset under each policy
 * with the same loop as the app, and writes the paper's table as JSON, Markdown and an SVG plot
 * to `eval/results/<date>-<model>-<dataset>.*`. A progress bar with the time left runs on stderr.
 * Ctrl-C stops and still writes what was measured (marked incomplete). Bad input: exit code 2.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import cliProgress from 'cli-progress';
import { DEFAULT_CONFIDENCE_THRESHOLD } from '../src/engine/confidence.ts';
import { AbortedError, EngineError, InvalidRequestError } from '../src/engine/errors.ts';
import { findModel } from '../src/engine/model-registry.ts';
import { isPolicyId, POLICIES, type PolicyId } from '../src/engine/policies.ts';
import { ServerBackend } from '../src/engine/server/server-backend.ts';
import { displayAddress } from '../src/engine/server/server-errors.ts';
import { DEFAULT_MAX_VISUAL_TOKENS } from '../src/engine/visual-tokens.ts';
import { datasetIds, findDataset } from '../src/eval/datasets.ts';
import { openDataset } from '../src/eval/open-dataset.ts';
import { renderPlotSvg } from '../src/eval/plot.ts';
import { reportMarkdown, resultFileStem } from '../src/eval/report-files.ts';
import { runEvaluation } from '../src/eval/run-eval.ts';
import { buildReport, POLICY_ORDER } from '../src/eval/summary.ts';
import type { EvalReport, ItemResult, SkippedItem } from '../src/eval/types.ts';
import { loadModelForNode, quietLibraryLogs } from '../src/node/load-model.ts';
import { TEST_MODEL_DIR } from '../src/node/paths.ts';
import { imageFromBytes } from '../src/node/sharp-image.ts';
import {
  INPUT_ERRORS,
  SERVER_OPTIONS,
  parseCommandOptions,
  serverSettings,
  thresholdOption,
  wholeNumber,
} from './cli/options.ts';

const USAGE = `usage: npm run eval -- [--dataset ${datasetIds().join('|')}] [--limit N] [--seed S] [--policies ${POLICY_ORDER.join(',')}] [--model <folder|hub id> | --endpoint <url> --model <name> [--api-key-env VAR]] [--threshold 0..1] [--max-visual-tokens N] [--concurrency K] [--out DIR]`;

function helpText(): string {
  const datasets = datasetIds().map((id) => `        ${id.padEnd(10)} ${findDataset(id).label}`);
  return `Measures accuracy against visual tokens, as the VisionThink paper's table does: a seeded
sample of a dataset is asked under each policy with the app's own loop, and the results are
written as JSON (every item's answer, score and tokens), Markdown and an SVG plot.

${USAGE}

  --dataset ID          default synthetic (built in, offline); the others are read from the
                        Hugging Face dataset viewer and need the network:
${datasets.join('\n')}
  --limit N             items in the sample (default 100)
  --seed S              which sample (default 0): the same seed gives the same items
  --policies LIST       comma-separated (default all four): ${POLICY_ORDER.join(', ')}
  --model M             a model folder, an app model id or a hub repository (default: the generated
                        test model); with --endpoint, the model name the server serves
  --endpoint URL        an OpenAI-compatible server (e.g. vLLM at http://localhost:8000/v1)
  --api-key-env VAR     read the server's API key from environment variable VAR
  --min-pixels, --max-pixels   the server processor's pixel limits (Qwen2.5-VL's defaults)
  --threshold T         the confidence policy's threshold for its row (default the model's, else
                        ${DEFAULT_CONFIDENCE_THRESHOLD}); its sweep covers every threshold either way
  --max-visual-tokens N the full image's visual-token budget (default ${DEFAULT_MAX_VISUAL_TOKENS}; a
                        server's: max-pixels / 784)
  --concurrency K       items asked at once (default 1); above 1 needs --endpoint
  --out DIR             where the files go (default eval/results)
  --hub-url URL         the dataset viewer's address (default https://datasets-server.huggingface.co)

Exit codes: 0 done, 1 failed, 2 bad input, 130 stopped (what was measured is still written).
`;
}

function parseCommandLine() {
  const values = parseCommandOptions(
    {
      dataset: { type: 'string', default: 'synthetic' },
      limit: { type: 'string' },
      seed: { type: 'string' },
      policies: { type: 'string' },
      ...SERVER_OPTIONS,
      threshold: { type: 'string' },
      'max-visual-tokens': { type: 'string' },
      concurrency: { type: 'string' },
      out: { type: 'string', default: join('eval', 'results') },
      'hub-url': { type: 'string' },
    },
    USAGE,
    helpText,
  );
  const dataset = findDataset(values.dataset);
  const limit = wholeNumber('limit', values.limit, 100, 1);
  const seed = wholeNumber('seed', values.seed, 0, 0);
  const policies = (values.policies ?? POLICY_ORDER.join(','))
    .split(',')
    .map((policy) => policy.trim())
    .filter((policy) => policy !== '');
  const unknown = policies.filter((policy) => !isPolicyId(policy));
  if (unknown.length > 0 || policies.length === 0) {
    throw new InvalidRequestError(
      'invalid-option',
      `--policies takes a comma-separated list of ${Object.keys(POLICIES).join(', ')}${unknown.length > 0 ? `, not "${unknown.join(', ')}"` : ''}.`,
    );
  }
  const server = values.endpoint === undefined ? null : serverSettings(values);
  const concurrency = wholeNumber('concurrency', values.concurrency, 1, 1);
  if (concurrency > 1 && !server) {
    throw new InvalidRequestError(
      'invalid-option',
      '--concurrency above 1 needs --endpoint: a model in this process answers one question at a time.',
    );
  }
  const entry = values.model === undefined || server ? undefined : findModel(values.model);
  const threshold = thresholdOption(values.threshold, entry?.confidenceThreshold ?? DEFAULT_CONFIDENCE_THRESHOLD);
  const maxVisualTokens = wholeNumber(
    'max-visual-tokens',
    values['max-visual-tokens'],
    server ? Math.floor(server.maxPixels / 784) : DEFAULT_MAX_VISUAL_TOKENS,
    1,
  );
  return {
    dataset: dataset.id,
    limit,
    seed,
    policies: POLICY_ORDER.filter((policy) => policies.includes(policy)),
    model: values.model,
    server,
    concurrency,
    threshold,
    maxVisualTokens,
    out: resolve(values.out),
    hubUrl: values['hub-url'],
  };
}

/** `stem.json`, or `stem-2.json`… when an earlier run of the same day has the name. */
function freeStem(dir: string, stem: string): string {
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? stem : `${stem}-${n}`;
    if (!['json', 'md', 'svg'].some((ext) => existsSync(join(dir, `${candidate}.${ext}`)))) return candidate;
  }
}

async function writeReport(report: EvalReport, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const stem = freeStem(dir, resultFileStem(report));
  const files = {
    json: join(dir, `${stem}.json`),
    md: join(dir, `${stem}.md`),
    svg: join(dir, `${stem}.svg`),
  };
  await writeFile(files.svg, renderPlotSvg(report));
  await writeFile(files.md, reportMarkdown(report, `${stem}.svg`));
  await writeFile(files.json, `${JSON.stringify(report, null, 2)}\n`);
  return [files.json, files.md, files.svg];
}

async function main(): Promise<number> {
  quietLibraryLogs();
  const args = parseCommandLine();
  const controller = new AbortController();
  process.once('SIGINT', () => {
    controller.abort();
  });
  const startedAt = new Date().toISOString();
  const dataset = await openDataset(args.dataset, {
    limit: args.limit,
    seed: args.seed,
    signal: controller.signal,
    ...(args.hubUrl === undefined ? {} : { hubBaseUrl: args.hubUrl }),
  });
  const backend = args.server
    ? await ServerBackend.connect(args.server, controller.signal)
    : await loadModelForNode(args.model ?? TEST_MODEL_DIR);
  const modelName = args.server ? args.server.model : (args.model ?? 'visionthink-test');
  const source = args.server ? displayAddress(args.server.baseUrl) : 'local';
  const policies: PolicyId[] = args.policies;
  const confidenceUnavailable = backend instanceof ServerBackend ? backend.confidenceUnavailable : null;
  if (policies.includes('confidence') && confidenceUnavailable !== null) {
    process.stderr.write(`Leaving out the confidence policy: ${confidenceUnavailable}\n`);
    policies.splice(policies.indexOf('confidence'), 1);
    if (policies.length === 0) throw new InvalidRequestError('invalid-option', 'No policy is left to evaluate.');
  }
  const results: ItemResult[] = [];
  const skipped: SkippedItem[] = [...dataset.skipped];
  const total = dataset.items.length * policies.length;
  process.stderr.write(
    `Evaluating ${modelName} (${source}) on ${dataset.info.label}: ${dataset.items.length} items × ${policies.length} policies\n`,
  );
  const bar = new cliProgress.SingleBar(
    {
      format: ' {bar} {value}/{total} answers | {eta_formatted} left | {duration_formatted} so far',
      etaBuffer: 20,
      noTTYOutput: true,
      notTTYSchedule: 10_000,
      stream: process.stderr,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  let stopped = false;
  try {
    for await (const event of runEvaluation({
      backend,
      dataset: dataset.info,
      items: dataset.items,
      policies,
      threshold: args.threshold,
      maxVisualTokens: args.maxVisualTokens,
      concurrency: args.concurrency,
      openImage: (bytes) => imageFromBytes(bytes),
      signal: controller.signal,
    })) {
      if (event.type === 'item') {
        results.push(event.result);
        bar.increment();
      } else {
        skipped.push(event.skipped);
        bar.setTotal(Math.max(results.length, total - policies.length * (skipped.length - dataset.skipped.length)));
      }
    }
  } catch (error) {
    if (!(error instanceof AbortedError)) throw error;
    stopped = true;
  } finally {
    bar.stop();
    await backend.dispose();
  }
  const report = buildReport({
    startedAt,
    finishedAt: new Date().toISOString(),
    model: modelName,
    backend: args.server ? args.server.baseUrl : 'local',
    dataset: dataset.info,
    limit: args.limit,
    seed: args.seed,
    policies,
    threshold: args.threshold,
    maxVisualTokens: args.maxVisualTokens,
    itemIds: [...dataset.items.map((item) => item.id), ...dataset.skipped.map((item) => item.itemId)],
    items: results,
    skipped,
  });
  const files = await writeReport(report, args.out);
  process.stdout.write(`${reportMarkdown(report)}\n`);
  process.stderr.write(`${stopped ? 'Stopped. What was measured is in' : 'Written'}:\n${files.join('\n')}\n`);
  return stopped ? 130 : 0;
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`${message.replaceAll('\n', ' ')}\n`);
    process.exitCode = error instanceof EngineError && INPUT_ERRORS.has(error.code) ? 2 : 1;
  },
);
