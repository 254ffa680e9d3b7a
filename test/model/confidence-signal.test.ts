/**
 * The generated test model's confidence signal, read from its own logits with real transformers.js
 * and onnxruntime-node (greedy decoding; a logits processor records, at every step, the softmax
 * probability of the token chosen). Under the plain prompt of the `confidence` policy (no tools)
 * it answers a plain image with a peaked colour, a detailed one at low resolution with a spread
 * colour (and never a tool call), and the follow-up turn with the full image peaked again; under
 * the VisionThink prompt it writes exactly what it always did, with a peaked colour wherever it
 * answers. Round 2 is run as a fresh prefill of the whole conversation (the engine's KV reuse gives
 * the same tokens, see test/engine/kv-reuse.test.ts).
 */
import {
  AutoModelForImageTextToText,
  AutoProcessor,
  RawImage,
  Tensor,
  cat,
  type Processor,
} from '@huggingface/transformers';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FULL_IMAGE_FOLLOW_UP, followUpMessages, plainMessages } from '../../src/engine/plain-protocol.ts';
import { TOOL_RESPONSE_TURN, chatMessages } from '../../src/engine/protocol.ts';
import { geometryFromPreprocessorConfig, planResolutions } from '../../src/engine/visual-tokens.ts';
import { TEST_MODEL_DIRS } from '../../src/node/paths.ts';
import { MODEL_FAMILIES } from '../../scripts/model/family-configs.ts';
import { THOUGHTS, TOOL_CALL_BODY } from '../../scripts/model/test-model.ts';
import { renderSample, type SampleKind } from '../../scripts/samples/test-images.ts';

const QUESTION = 'What colour is the picture?';
const WIDTH = 448;
const HEIGHT = 336;
const PLAIN_SAMPLES = ['red', 'gray'] as const;
const DETAILED_SAMPLES = ['green', 'white'] as const;

const answer = (thought: string, colour: string): string =>
  `<think>${thought}</think><answer>${colour}</answer><|im_end|>`;
const toolCall = `<think>${THOUGHTS.detailed}</think><tool_call>${TOOL_CALL_BODY}</tool_call><|im_end|>`;

interface Turn {
  /** The generated text, special tokens included. */
  text: string;
  /** The probability of the colour token (the one right after `<answer>`); NaN when there is none. */
  colourP: number;
}

interface Model {
  processor: Processor;
  model: Awaited<ReturnType<typeof AutoModelForImageTextToText.from_pretrained>>;
}

/** Measured probabilities, printed once at the end: family → case → sample → p(colour). */
const measured: string[] = [];

describe.each(MODEL_FAMILIES)('the %s test model: confidence in its own logits', (family) => {
  let loaded: Model;
  const images = new Map<string, { low: RawImage; full: RawImage }>();

  /** The sample at the two sizes the engine would show it (its low and full passes). */
  async function sample(kind: SampleKind, colour: string): Promise<{ low: RawImage; full: RawImage }> {
    const key = `${kind}-${colour}`;
    const cached = images.get(key);
    if (cached) return cached;
    const geometry = geometryFromPreprocessorConfig(loaded.processor.image_processor?.config);
    const plan = planResolutions(WIDTH, HEIGHT, geometry);
    const pixels = renderSample(kind, colour, WIDTH, HEIGHT);
    const resized = async ({ width, height }: { width: number; height: number }): Promise<RawImage> => {
      const data = await sharp(pixels.data, { raw: { width: WIDTH, height: HEIGHT, channels: 3 } })
        .resize(width, height, { fit: 'fill', kernel: 'lanczos3' })
        .raw()
        .toBuffer();
      return new RawImage(new Uint8ClampedArray(data), width, height, 3);
    };
    const pair = { low: await resized(plan.low), full: await resized(plan.full) };
    images.set(key, pair);
    return pair;
  }

  /** A turn tokenised with its image (memoised: round 2 repeats round 1's turn). */
  const encodedTurns = new WeakMap<RawImage, Map<string, Promise<Record<string, Tensor>>>>();
  const encode = ({ text, image }: { text: string; image: RawImage }): Promise<Record<string, Tensor>> => {
    const byText = encodedTurns.get(image) ?? new Map<string, Promise<Record<string, Tensor>>>();
    encodedTurns.set(image, byText);
    const turn = byText.get(text) ?? (loaded.processor(text, [image]) as Promise<Record<string, Tensor>>);
    byText.set(text, turn);
    return turn;
  };

  const render = (messages: unknown): string =>
    loaded.processor.tokenizer?.apply_chat_template(messages as never, {
      tokenize: false,
      add_generation_prompt: true,
    }) as string;

  /**
   * Greedy decoding of the assistant turn that follows `turns`, each tokenised with its image by
   * the processor (as the engine encodes one turn at a time), then concatenated.
   */
  async function generate(turns: { text: string; image: RawImage }[]): Promise<Turn> {
    const encoded = await Promise.all(turns.map(encode));
    const ids = encoded.flatMap((turn) => Array.from(turn.input_ids?.data as BigInt64Array));
    const inputs = {
      input_ids: new Tensor('int64', BigInt64Array.from(ids), [1, ids.length]),
      attention_mask: new Tensor('int64', new BigInt64Array(ids.length).fill(1n), [1, ids.length]),
      pixel_values: cat(
        encoded.map((turn) => turn.pixel_values as Tensor),
        0,
      ),
      image_grid_thw: cat(
        encoded.map((turn) => turn.image_grid_thw as Tensor),
        0,
      ),
    };
    const chosen: number[] = [];
    const record = (_ids: bigint[][], logits: Tensor): Tensor => {
      const scores = logits.data as Float32Array;
      let best = 0;
      for (let i = 1; i < scores.length; i++) if ((scores[i] as number) > (scores[best] as number)) best = i;
      let sum = 0;
      for (const score of scores) sum += Math.exp(score - (scores[best] as number));
      chosen.push(1 / sum);
      return logits;
    };
    const output = (await loaded.model.generate({
      ...inputs,
      max_new_tokens: 24,
      do_sample: false,
      logits_processor: [record],
    } as never)) as Tensor;
    const all = Array.from(output.data as BigInt64Array);
    const generated = all.slice(ids.length);
    const tokenizer = loaded.processor.tokenizer;
    if (!tokenizer) throw new Error('no tokenizer');
    const answerId = BigInt(tokenizer.convert_tokens_to_ids('<answer>'));
    const at = generated.indexOf(answerId);
    expect(chosen).toHaveLength(generated.length);
    return {
      text: tokenizer.decode(generated, { skip_special_tokens: false }),
      colourP: at < 0 ? Number.NaN : (chosen[at + 1] as number),
    };
  }

  const note = (label: string, colour: string, p: number): void => {
    measured.push(`${family}\t${label}\t${colour}\t${p.toFixed(4)}`);
  };

  beforeAll(async () => {
    const dir = TEST_MODEL_DIRS[family];
    const processor = await AutoProcessor.from_pretrained(dir, { local_files_only: true });
    const model = await AutoModelForImageTextToText.from_pretrained(dir, { local_files_only: true, device: 'cpu' });
    loaded = { processor, model };
  });

  afterAll(async () => {
    await loaded.model.dispose();
  });

  it('renders the plain prompt and its follow-up as the confidence policy sends them', () => {
    expect(render(plainMessages(QUESTION))).toBe(
      `<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>${QUESTION}<|im_end|>\n<|im_start|>assistant\n`,
    );
    const followUp = render(followUpMessages());
    expect(followUp.slice(followUp.lastIndexOf('<|im_start|>user'))).toBe(
      `<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>${FULL_IMAGE_FOLLOW_UP}<|im_end|>\n<|im_start|>assistant\n`,
    );
  });

  it.each(PLAIN_SAMPLES)('plain prompt, plain %s image: answers at once, peaked', async (colour) => {
    const { low } = await sample('plain', colour);
    const turn = await generate([{ text: render(plainMessages(QUESTION)), image: low }]);
    note('plain prompt, plain image', colour, turn.colourP);
    expect(turn.text).toBe(answer(THOUGHTS.plain, colour));
    expect(turn.colourP).toBeGreaterThan(0.9);
  });

  it.each(DETAILED_SAMPLES)(
    'plain prompt, detailed %s image: unsure and spread at low resolution, peaked with the full image',
    async (colour) => {
      const { low, full } = await sample('detailed', colour);
      const prompt = render(plainMessages(QUESTION));
      const first = await generate([{ text: prompt, image: low }]);
      note('plain prompt, detailed image, round 1', colour, first.colourP);
      expect(first.text).toBe(answer(THOUGHTS.unsure, colour));
      expect(first.colourP).toBeLessThan(0.5);

      const followUp = render(followUpMessages());
      const second = await generate([
        { text: prompt, image: low },
        { text: `${first.text}\n${followUp.slice(followUp.lastIndexOf('<|im_start|>user'))}`, image: full },
      ]);
      note('plain prompt, detailed image, round 2', colour, second.colourP);
      expect(second.text).toBe(answer(THOUGHTS.afterTool, colour));
      expect(second.colourP).toBeGreaterThan(0.9);
    },
  );

  it.each(PLAIN_SAMPLES)('VisionThink prompt, plain %s image: answers as before, peaked', async (colour) => {
    const { low } = await sample('plain', colour);
    const turn = await generate([{ text: render(chatMessages(QUESTION)), image: low }]);
    note('VisionThink prompt, plain image', colour, turn.colourP);
    expect(turn.text).toBe(answer(THOUGHTS.plain, colour));
    expect(turn.colourP).toBeGreaterThan(0.9);
  });

  it.each(DETAILED_SAMPLES)(
    'VisionThink prompt, detailed %s image: asks for the full image as before, then answers peaked',
    async (colour) => {
      const { low, full } = await sample('detailed', colour);
      const prompt = render(chatMessages(QUESTION));
      const first = await generate([{ text: prompt, image: low }]);
      expect(first.text).toBe(toolCall);
      const second = await generate([
        { text: prompt, image: low },
        { text: `${first.text}${TOOL_RESPONSE_TURN}`, image: full },
      ]);
      note('VisionThink prompt, detailed image, round 2', colour, second.colourP);
      expect(second.text).toBe(answer(THOUGHTS.afterTool, colour));
      expect(second.colourP).toBeGreaterThan(0.9);
    },
  );
});

afterAll(() => {
  console.log(`p(colour) measured:\nfamily\tcase\tsample\tp\n${measured.join('\n')}`);
});
