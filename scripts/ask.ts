/**
 * `npm run ask -- --image <path|url> --question "<text>" [--model <folder|hub id>]
 *   [--policy visionthink|confidence|low-only|full-only] [--threshold 0..1] [--max-visual-tokens N] [--json]`
 *
 * Asks one question about one image with the VisionThink loop. Human-readable by default, the
 * answer streaming as it is decoded; `--json` prints exactly one JSON object on stdout; `--help`
 * explains every option with its default. Bad input: exit code 2 and one line on stderr.
 */
import { parseArgs } from 'node:util';
import { EngineError, InvalidRequestError } from '../src/engine/errors.ts';
import type { EngineEvent, RunResult } from '../src/engine/events.ts';
import { imageFormatList } from '../src/engine/image.ts';
import { checkThreshold } from '../src/engine/confidence.ts';
import { describeGate } from '../src/engine/decide-round.ts';
import { findModel, MODEL_REGISTRY } from '../src/engine/model-registry.ts';
import { DEFAULT_POLICY, policyFor, type PolicyId } from '../src/engine/policies.ts';
import { MAX_QUESTION_LENGTH, runVisionThink } from '../src/engine/visionthink.ts';
import { DEFAULT_MAX_VISUAL_TOKENS } from '../src/engine/visual-tokens.ts';
import { openImage } from '../src/node/sharp-image.ts';
import { loadModelForNode, quietLibraryLogs } from '../src/node/load-model.ts';

/** Errors caused by what the person typed or pointed at (exit 2), as opposed to our own failures. */
const INPUT_ERRORS = new Set([
  'invalid-image',
  'image-too-small',
  'image-too-large',
  'aspect-ratio',
  'empty-question',
  'invalid-option',
  'model-missing',
  'model-invalid',
]);

const USAGE =
  'usage: npm run ask -- --image <path|url> --question "<text>" [--model <folder|hub id>] [--policy visionthink|low-only|full-only] [--max-visual-tokens N] [--json]';

/** What each policy does, for `--help`. */
const POLICY_HELP: Record<PolicyId, string> = {
  visionthink: 'low resolution first; the full image only if the model asks for it',
  confidence: 'low resolution first with a plain prompt; the full image when the answer is unsure',
  'low-only': 'low resolution only; a request for the full image is refused',
  'full-only': 'the full image from the start: the baseline that savings are measured against',
};

/** The full help: what the command does, every option with its default, formats, exit codes. */
function helpText(): string {
  const policies = Object.entries(POLICY_HELP).map(([id, text]) => `        ${id.padEnd(12)} ${text}`);
  const models = MODEL_REGISTRY.map((model) => model.id).join(', ');
  return `Asks one question about one image with the VisionThink loop: the model first sees a
low-resolution copy and asks for the full image only when it needs the detail.

usage: npm run ask -- --image <path|url> --question "<text>" [options]

Options:
  --image <path|url>
      The image: a file or an http(s) address. Required.
      Formats: ${imageFormatList()} (the same as the web app).
  --question "<text>"
      The question about the image, up to ${MAX_QUESTION_LENGTH} characters. Required.
  --model <id|folder|owner/name>
      The model: a local model folder, a Hugging Face Hub repository, or the id of one of
      the app's models: ${models}.
      Default: the generated test model (npm run model:test).
  --policy <name>
      When the model sees the full image. Default: the model's own for the app's models
      (confidence for qwen3.5-0.8b and qwen2-vl-2b, which were never trained to ask for it;
      ${DEFAULT_POLICY} for the test models), ${DEFAULT_POLICY} for any other folder or hub id.
${policies.join('\n')}
  --threshold <0..1>
      The confidence policy's threshold (that policy only): an answer at low resolution whose
      confidence (the lowest probability the model gave a token of its answer) is below it
      is asked again with the full image. 0 never does (a model that asks for the full image
      still gets it), 1 always does. Default: the model's own, else 0.6.
  --max-visual-tokens <N>
      Caps the full-resolution image at N visual tokens (a whole number, 1 or more); savings
      are measured against that capped image. Default: ${DEFAULT_MAX_VISUAL_TOKENS}.
  --json
      Prints exactly one JSON object (answer, rounds, tokens, transcript) instead of the run
      as it happens. Default: off.
  --help
      Prints this help.

Exit codes:
  0  the question was answered
  1  the run failed: the model could not be downloaded or run, or the run was stopped (Ctrl+C)
  2  bad input: the image, the question, an option or the model folder; one line on stderr

Examples:
  npm run ask -- --image photo.jpg --question "What does the sign say?"
  npm run ask -- --image https://example.com/chart.png --question "Which bar is highest?" \\
    --model qwen3.5-0.8b --policy full-only --json
`;
}

function parseCommandLine() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        image: { type: 'string' },
        question: { type: 'string' },
        model: { type: 'string' },
        policy: { type: 'string' },
        threshold: { type: 'string' },
        'max-visual-tokens': { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new InvalidRequestError('invalid-option', `${(error as Error).message}. ${USAGE}`);
  }
  if (values.help) {
    process.stdout.write(helpText());
    process.exit(0);
  }
  if (!values.image) throw new InvalidRequestError('invalid-option', `--image is required. ${USAGE}`);
  if (values.question === undefined)
    throw new InvalidRequestError('invalid-option', `--question is required. ${USAGE}`);
  // Checked before anything loads, so a typo never waits for a model download.
  if (values.question.trim() === '')
    throw new InvalidRequestError('empty-question', 'Please type a question about the image.');
  // A model of the app's registry brings its default policy and threshold; any other starts
  // with the protocol, as the test models do.
  const entry = values.model === undefined ? undefined : findModel(values.model);
  const policy = policyFor(values.policy ?? entry?.defaultPolicy ?? DEFAULT_POLICY).id;
  let threshold = entry?.confidenceThreshold;
  if (values.threshold !== undefined) {
    threshold = Number(values.threshold);
    if (values.threshold.trim() === '' || Number.isNaN(threshold)) {
      throw new InvalidRequestError(
        'invalid-option',
        `--threshold must be a number from 0 to 1, not "${values.threshold}".`,
      );
    }
    checkThreshold(threshold);
    if (policy !== 'confidence') {
      throw new InvalidRequestError(
        'invalid-option',
        `--threshold applies to --policy confidence only; the policy here is ${policy}.`,
      );
    }
  }
  let maxVisualTokens: number | undefined;
  if (values['max-visual-tokens'] !== undefined) {
    maxVisualTokens = Number(values['max-visual-tokens']);
    if (!/^\d+$/.test(values['max-visual-tokens']) || maxVisualTokens < 1) {
      throw new InvalidRequestError(
        'invalid-option',
        `--max-visual-tokens must be a positive whole number, not "${values['max-visual-tokens']}".`,
      );
    }
  }
  return { ...values, image: values.image, question: values.question, policy, threshold, maxVisualTokens };
}

/** Prints the run for a person as it happens. */
function printEvent(event: EngineEvent, modelSource: string, out: (text: string) => void): void {
  switch (event.type) {
    case 'plan':
      out(
        `Model ${modelSource}\nImage ${event.original.width}×${event.original.height}: low ${event.low.width}×${event.low.height} = ${event.low.visualTokens} visual tokens, full ${event.full.width}×${event.full.height} = ${event.full.visualTokens}\n`,
      );
      return;
    case 'round':
      out(
        event.image
          ? `\nRound ${event.round} · ${event.image.resolution} resolution ${event.image.width}×${event.image.height} · ${event.image.visualTokens} visual tokens\n  `
          : `\nRound ${event.round} · no new image\n  `,
      );
      return;
    case 'text':
      out(event.delta.replaceAll('\n', '\n  '));
      return;
    case 'usage': {
      const { usage } = event;
      out(
        `\n  prefilled ${usage.prefilledTokens} of ${usage.promptTokens} tokens, generated ${usage.generatedTokens} · encode ${usage.ms.encode.toFixed(0)} ms, prefill ${usage.ms.prefill.toFixed(0)} ms, decode ${usage.ms.decode.toFixed(0)} ms\n`,
      );
      return;
    }
    case 'decision':
      if (event.gate) {
        out(`→ ${describeGate(event.gate.confidence, event.gate.threshold, event.decision === 'escalate')}.\n`);
        return;
      }
      if (event.asked) {
        out('→ The model asked for the full image itself, though no tool was offered; it gets it.\n');
        return;
      }
      out(
        {
          answer: '→ The model answered.\n',
          escalate: '→ The model asked for the full image.\n',
          refused: `→ The model asked for the full image; the policy refused (${event.detail ?? ''}).\n`,
          'invalid-call': `→ The tool call was invalid: ${event.detail ?? ''}\n`,
          unserved: '→ The model asked for a tool call in its last round; not served.\n',
        }[event.decision],
      );
      return;
    case 'done': {
      const { answer, visualTokens: v } = event.result;
      const delta = v.saved >= 0 ? `${v.saved} saved` : `${-v.saved} more`;
      const pct = v.fullResolution > 0 ? ` (${((100 * Math.abs(v.saved)) / v.fullResolution).toFixed(0)}%)` : '';
      out(
        `\nAnswer: ${answer}\nVisual tokens: ${v.used} used vs ${v.fullResolution} at full resolution, ${delta}${pct}\n`,
      );
      return;
    }
    case 'phase':
    case 'error':
      return;
  }
}

async function main(): Promise<number> {
  quietLibraryLogs();
  const args = parseCommandLine();
  const controller = new AbortController();
  process.once('SIGINT', () => {
    controller.abort();
  });
  const image = await openImage(args.image, controller.signal);
  const model = await loadModelForNode(args.model);
  const write = (text: string): void => void process.stdout.write(text);
  let result: RunResult | undefined;
  try {
    for await (const event of runVisionThink(model, {
      image,
      question: args.question,
      policy: args.policy,
      ...(args.threshold === undefined ? {} : { threshold: args.threshold }),
      ...(args.maxVisualTokens === undefined ? {} : { maxVisualTokens: args.maxVisualTokens }),
      signal: controller.signal,
    })) {
      if (event.type === 'error') throw new EngineError(event.error.code, event.error.message);
      if (event.type === 'done') result = event.result;
      if (!args.json) printEvent(event, model.source, write);
    }
  } finally {
    await model.dispose();
  }
  if (args.json && result) write(`${JSON.stringify(result)}\n`);
  return 0;
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`${message.replaceAll('\n', ' ')}\n`);
    process.exitCode = error instanceof EngineError && INPUT_ERRORS.has(error.code) ? 2 : 1;
  },
);
