/**
 * `npm run ask -- --image <path|url> --question "<text>" [--question "<follow-up>" …]
 *   [--model <folder|hub id>] [--policy visionthink|confidence|low-only|full-only] [--threshold 0..1]
 *   [--max-visual-tokens N] [--endpoint <url> --model <name> [--api-key-env VAR]] [--json]`
 *
 * Asks one or more questions about one image with the VisionThink loop, in one conversation: each
 * follow-up sees the questions and answers before it, and only its own turn is prefilled.
 * Human-readable by default, the answer streaming as it is decoded; `--json` prints exactly one
 * JSON object on stdout; `--help` explains every option with its default. Bad input: exit code 2
 * and one line on stderr.
 */
import { EngineError, InvalidRequestError } from '../src/engine/errors.ts';
import { Conversation } from '../src/engine/conversation.ts';
import type { ConversationTotals, EngineEvent, RunResult, VisualTokenTotals } from '../src/engine/events.ts';
import { imageFormatList } from '../src/engine/image.ts';
import { describeGate } from '../src/engine/decide-round.ts';
import { findModel, MODEL_REGISTRY } from '../src/engine/model-registry.ts';
import { DEFAULT_POLICY, policyFor, type PolicyId } from '../src/engine/policies.ts';
import { MAX_QUESTION_LENGTH } from '../src/engine/visionthink.ts';
import { DEFAULT_MAX_VISUAL_TOKENS } from '../src/engine/visual-tokens.ts';
import { openImage } from '../src/node/sharp-image.ts';
import { loadModelForNode, quietLibraryLogs } from '../src/node/load-model.ts';
import { ServerBackend } from '../src/engine/server/server-backend.ts';
import { INPUT_ERRORS, SERVER_OPTIONS, parseCommandOptions, serverSettings, thresholdOption } from './cli/options.ts';
import { displayAddress } from '../src/engine/server/server-errors.ts';

const USAGE =
  'usage: npm run ask -- --image <path|url> --question "<text>" [--question "<follow-up>" ...] [--model <folder|hub id>] [--endpoint <url> [--api-key-env VAR]] [--policy visionthink|confidence|low-only|full-only] [--threshold 0..1] [--max-visual-tokens N] [--json]';

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
  return `Asks questions about one image with the VisionThink loop: the model first sees a
low-resolution copy and asks for the full image only when it needs the detail.

usage: npm run ask -- --image <path|url> --question "<text>" [--question "<follow-up>" ...] [options]

Options:
  --image <path|url>
      The image: a file or an http(s) address. Required.
      Formats: ${imageFormatList()} (the same as the web app).
  --question "<text>"
      The question about the image, up to ${MAX_QUESTION_LENGTH} characters. Required. Repeat it to
      ask follow-up questions in the same conversation, in order: each sees the questions and
      answers before it and the image at the resolution the conversation has reached (the
      full image is shown at most once), and only its own turn is prefilled.
  --model <id|folder|owner/name>
      The model: a local model folder, a Hugging Face Hub repository, or the id of one of
      the app's models: ${models}.
      Default: the generated test model (npm run model:test).
  --endpoint <url>
      Ask an OpenAI-compatible model server instead of loading a model here: its API's
      base URL, e.g. http://localhost:8000/v1 (vLLM serving Senqiao/VisionThink-Efficient).
      --model then names the model as the server lists it (required). The images are sent
      to that server as lossless PNG data URLs. Default: none (the model runs here).
  --api-key-env <VAR>
      With --endpoint: the environment variable that holds the server's API key (the key
      itself never goes on the command line). Default: no key.
  --min-pixels <N>, --max-pixels <N>
      With --endpoint: the server processor's pixel limits per image, so that the visual
      tokens counted here match the server's. Default: Qwen2.5-VL's, 3136 and 12845056.
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
      are measured against that capped image. Default: ${DEFAULT_MAX_VISUAL_TOKENS}; with --endpoint,
      what --max-pixels allows (16384 for Qwen2.5-VL's default).
  --json
      Prints exactly one JSON object (answer, rounds, tokens, transcript) instead of the run
      as it happens. With several questions: {"turns": [one such object per question],
      "visualTokens": the conversation's totals}. Default: off.
  --help
      Prints this help.

Exit codes:
  0  every question was answered
  1  the run failed: the model could not be downloaded or run, the server failed, a question outgrew the context, or Ctrl+C
  2  bad input: the image, a question, an option or the model folder; one line on stderr
A question that fails ends the conversation there: its error is the one line on stderr, and
--json prints nothing (not even the answers before it).

Examples:
  npm run ask -- --image photo.jpg --question "What does the sign say?"
  npm run ask -- --image https://example.com/chart.png --question "Which bar is highest?" \\
    --model qwen3.5-0.8b --policy full-only --json
  npm run ask -- --image receipt.png --question "Which shop is this?" --question "What is the total?"
  npm run ask -- --image chart.png --question "Which bar is highest?" \\
    --endpoint http://localhost:8000/v1 --model Senqiao/VisionThink-Efficient --api-key-env VLLM_KEY
`;
}

function parseCommandLine() {
  const values = parseCommandOptions(
    {
      image: { type: 'string' },
      question: { type: 'string', multiple: true },
      ...SERVER_OPTIONS,
      policy: { type: 'string' },
      threshold: { type: 'string' },
      'max-visual-tokens': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    USAGE,
    helpText,
  );
  if (!values.image) throw new InvalidRequestError('invalid-option', `--image is required. ${USAGE}`);
  const questions = values.question ?? [];
  if (questions.length === 0) throw new InvalidRequestError('invalid-option', `--question is required. ${USAGE}`);
  // Checked before anything loads, so a typo never waits for a model download, nor for the
  // questions before it to be answered.
  if (questions.some((question) => question.trim() === ''))
    throw new InvalidRequestError('empty-question', 'Please type a question about the image.');
  // A model of the app's registry brings its default policy and threshold; any other starts
  // with the protocol, as the test models do.
  const entry = values.model === undefined ? undefined : findModel(values.model);
  const policy = policyFor(values.policy ?? entry?.defaultPolicy ?? DEFAULT_POLICY).id;
  const threshold = thresholdOption(values.threshold, entry?.confidenceThreshold);
  if (values.threshold !== undefined) {
    if (policy !== 'confidence') {
      throw new InvalidRequestError(
        'invalid-option',
        `--threshold applies to --policy confidence only; the policy here is ${policy}.`,
      );
    }
  }
  const server = values.endpoint === undefined ? null : serverSettings(values);
  let maxVisualTokens: number | undefined = server ? Math.floor(server.maxPixels / 784) : undefined;
  if (values['max-visual-tokens'] !== undefined) {
    maxVisualTokens = Number(values['max-visual-tokens']);
    if (!/^\d+$/.test(values['max-visual-tokens']) || maxVisualTokens < 1) {
      throw new InvalidRequestError(
        'invalid-option',
        `--max-visual-tokens must be a positive whole number, not "${values['max-visual-tokens']}".`,
      );
    }
  }
  return { ...values, image: values.image, questions, policy, threshold, maxVisualTokens, server };
}

/** "48 saved (25%)" or "48 more (25%)": visual tokens against the always-full baseline. */
function describeSaving(v: VisualTokenTotals): string {
  const delta = v.saved >= 0 ? `${v.saved} saved` : `${-v.saved} more`;
  const pct = v.fullResolution > 0 ? ` (${((100 * Math.abs(v.saved)) / v.fullResolution).toFixed(0)}%)` : '';
  return `${delta}${pct}`;
}

/** What the visual tokens of a question come to, for people. */
function describeVisualTokens(turn: number, v: VisualTokenTotals): string {
  if (turn === 1) return `${v.used} used vs ${v.fullResolution} at full resolution, ${describeSaving(v)}`;
  // A follow-up's baseline is 0: an always-full conversation has the full image in context already.
  return v.used === 0
    ? 'none new, the image is in context already'
    : `${v.used} for the full image, which this conversation had not shown yet`;
}

/**
 * Prints a conversation for a person as it happens. With several questions, each starts with a
 * "Question N" header, and a follow-up's prefill line says that only its own turn was prefilled.
 */
function eventPrinter(
  modelSource: string,
  questions: readonly string[],
  out: (text: string) => void,
): (event: EngineEvent) => void {
  let turn = 1;
  return (event) => {
    switch (event.type) {
      case 'plan':
        turn = event.turn;
        if (turn === 1)
          out(
            `Model ${modelSource}\nImage ${event.original.width}×${event.original.height}: low ${event.low.width}×${event.low.height} = ${event.low.visualTokens} visual tokens, full ${event.full.width}×${event.full.height} = ${event.full.visualTokens}\n`,
          );
        if (questions.length > 1) out(`\nQuestion ${turn}: ${questions[turn - 1]?.trim() ?? ''}\n`);
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
        if (usage.server === null) {
          out(
            `\n  server: token counts not reported · ${usage.ms.prefill.toFixed(0)} ms to the first token, decode ${usage.ms.decode.toFixed(0)} ms\n`,
          );
          return;
        }
        if (usage.server) {
          const { promptTokens, completionTokens, cachedTokens } = usage.server;
          const cached = cachedTokens === null ? 'cached tokens not reported' : `${cachedTokens} cached`;
          out(
            `\n  server: ${promptTokens} prompt tokens (${cached}), ${completionTokens} generated · ${usage.ms.prefill.toFixed(0)} ms to the first token, decode ${usage.ms.decode.toFixed(0)} ms\n`,
          );
          return;
        }
        const cached = usage.promptTokens - usage.prefilledTokens;
        // What a follow-up is for: the conversation before it is not prefilled again.
        const followUp =
          turn > 1 && usage.round === 1 ? ` (this question's turn only; the ${cached} before it were cached)` : '';
        out(
          `\n  prefilled ${usage.prefilledTokens} of ${usage.promptTokens} tokens${followUp}, generated ${usage.generatedTokens} · encode ${usage.ms.encode.toFixed(0)} ms, prefill ${usage.ms.prefill.toFixed(0)} ms, decode ${usage.ms.decode.toFixed(0)} ms\n`,
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
      case 'done':
        out(
          `\nAnswer: ${event.result.answer}\nVisual tokens: ${describeVisualTokens(turn, event.result.visualTokens)}\n`,
        );
        if (questions.length > 1 && turn === questions.length) {
          const v = event.conversation.visualTokens;
          out(
            `\nConversation: ${turn} questions, ${v.used} visual tokens used vs ${v.fullResolution} at full resolution, ${describeSaving(v)}\n`,
          );
        }
        return;
      case 'phase':
      case 'error':
        return;
    }
  };
}

async function main(): Promise<number> {
  quietLibraryLogs();
  const args = parseCommandLine();
  const controller = new AbortController();
  process.once('SIGINT', () => {
    controller.abort();
  });
  const image = await openImage(args.image, controller.signal);
  const model = args.server
    ? await ServerBackend.connect(args.server, controller.signal)
    : await loadModelForNode(args.model);
  const write = (text: string): void => void process.stdout.write(text);
  const source =
    model instanceof ServerBackend
      ? `${model.settings.model} at ${displayAddress(model.settings.baseUrl)}`
      : model.source;
  const print = eventPrinter(source, args.questions, write);
  const results: RunResult[] = [];
  let totals: ConversationTotals | undefined;
  // One conversation, so that a follow-up continues on the cache of the questions before it.
  const conversation = new Conversation(model, {
    image,
    policy: args.policy,
    ...(args.maxVisualTokens === undefined ? {} : { maxVisualTokens: args.maxVisualTokens }),
  });
  try {
    for (const question of args.questions) {
      for await (const event of conversation.ask({
        question,
        ...(args.threshold === undefined ? {} : { threshold: args.threshold }),
        signal: controller.signal,
      })) {
        if (event.type === 'error') throw new EngineError(event.error.code, event.error.message);
        if (event.type === 'done') {
          results.push(event.result);
          totals = event.conversation;
        }
        if (!args.json) print(event);
      }
    }
  } finally {
    await conversation.dispose();
    await model.dispose();
  }
  if (args.json) {
    // One question keeps the single run's object, so scripts written for it keep working.
    const output = results.length === 1 ? results[0] : { turns: results, visualTokens: totals?.visualTokens ?? null };
    write(`${JSON.stringify(output)}\n`);
  }
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
