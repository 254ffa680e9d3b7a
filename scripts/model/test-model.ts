/**
 * The generated test model "visionthink-test": a tiny Qwen-VL-shaped network with hand-set
 * weights that decides by itself whether it needs the full-resolution image, written in the
 * layout of a model family (Qwen2-VL by default, or Qwen3.5). The rule and the palette are
 * documented in README.md next to this file; the constants below are the source.
 */
import { FULL_IMAGE_FOLLOW_UP } from '../../src/engine/plain-protocol.ts';
import { QWEN2_VL_CHAT_TEMPLATE } from '../../src/engine/qwen2-vl-chat-template.ts';
import { FAMILY_VISION, familyConfigs, type ModelFamily } from './family-configs.ts';
import {
  buildDecoder,
  buildEmbedTokens,
  buildVisionEncoder,
  matrix,
  type DecoderLayerWeights,
} from './qwen2-vl-graphs.ts';
import type { LinearAttentionWeights } from './qwen3_5-graphs.ts';
import { buildVocabulary, tokenizerConfig, type AddedToken } from './tokenizer.ts';

/** Colours the model can answer with (RGB in 0..1); it names the one nearest the mean colour. */
export const PALETTE: readonly { name: string; rgb: readonly [number, number, number] }[] = [
  { name: 'black', rgb: [0, 0, 0] },
  { name: 'white', rgb: [1, 1, 1] },
  { name: 'gray', rgb: [0.5, 0.5, 0.5] },
  { name: 'red', rgb: [1, 0, 0] },
  { name: 'green', rgb: [0, 1, 0] },
  { name: 'blue', rgb: [0, 0, 1] },
  { name: 'yellow', rgb: [1, 1, 0] },
  { name: 'cyan', rgb: [0, 1, 1] },
  { name: 'magenta', rgb: [1, 0, 1] },
];

/**
 * Detail score of an image = mean absolute difference between adjacent pixels (0..1 per
 * channel), averaged over every image token in context. Above DETAIL_THRESHOLD (with a ramp of
 * 1 / DETAIL_SLOPE) the model is unsure, unless a tool response or the full-image follow-up is in
 * context: it asks for the full image when a `<tool_call>` is in context (the tools are offered),
 * and otherwise answers with a spread colour distribution.
 */
export const DETAIL_THRESHOLD = 0.03;
export const DETAIL_SLOPE = 100;

/** The reasoning the model writes inside <think>, one added token each. */
export const THOUGHTS = {
  plain: 'The picture is simple enough to answer from this view.',
  detailed: 'There is fine detail here that I cannot make out at this resolution, so I need the full image.',
  afterTool: 'With the full-resolution image in view I can answer.',
  unsure: 'Some of the detail is hard to make out at this resolution.',
} as const;

/** The tool-call body the model emits between <tool_call> and </tool_call>. */
export const TOOL_CALL_BODY = '\n{"name": "resize_image", "arguments": {"action": "resize"}}\n';

export const MODEL_NAME = 'visionthink-test';

const SPECIAL = [
  '<|endoftext|>',
  '<|im_start|>',
  '<|im_end|>',
  '<|vision_start|>',
  '<|vision_end|>',
  '<|vision_pad|>',
  '<|image_pad|>',
  '<|video_pad|>',
];
const TAGS = [
  '<tool_call>',
  '</tool_call>',
  '<tool_response>',
  '</tool_response>',
  '<think>',
  '</think>',
  '<answer>',
  '</answer>',
];
/** Tokens added after the first ones, last so that those keep their ids. */
const LATER = [THOUGHTS.unsure, FULL_IMAGE_FOLLOW_UP];
const ADDED: AddedToken[] = [
  ...SPECIAL.map((content) => ({ content, special: true })),
  ...[
    ...TAGS,
    TOOL_CALL_BODY,
    ...Object.values(THOUGHTS).filter((thought) => !LATER.includes(thought)),
    ...PALETTE.map((c) => c.name),
    ...LATER,
  ].map((content) => ({ content, special: false })),
];

const HIDDEN = 64;
const HEADS = 2;
const HEAD_DIM = HIDDEN / HEADS;
const ROPE_THETA = 1_000_000;
const MROPE_SECTION: [number, number, number] = [4, 6, 6];
export const MERGE = 2;
export const TEMPORAL = 2;
/** Qwen3.5's linear-attention layer: one head of (q, k) = 2 and v = 2 columns, a 4-step convolution. */
const LINEAR = { heads: 1, keyDim: 2, valueDim: 2, convKernel: [0.1, 0.2, 0.3, 0.4] } as const;

/** Named channels of the hidden vector. */
const CH = {
  one: 0,
  isImage: 1,
  detail: 2,
  r: 3,
  g: 4,
  b: 5,
  isToolResponse: 6,
  meanDetail: 7,
  meanR: 8,
  meanG: 9,
  meanB: 10,
  toolResponseSeen: 11,
  escalate: 12,
  toolsOffered: 13,
  unsureWithoutTools: 14,
  /** 1 on every token but `<answer>` (image tokens included): the colour is peaked only right after it. */
  notAnswer: 15,
  /** One per palette colour: the gated colour score that makes a confident answer peaked. */
  firstPeak: 16,
  firstToken: 16 + PALETTE.length,
} as const;

/** Logit margins: a bigram successor gets BASE, the default branch PREFERRED, gates add GATE. */
const BASE = 20;
const PREFERRED = 25;
const GATE = 10;
/**
 * The nearest-centroid colour score is added with SPREAD_SHARPNESS at every position (too little
 * to matter next to the bigram margins, and a spread distribution when the model is unsure), and
 * with PEAK_SHARPNESS more right after `<answer>` when it is sure.
 */
const SPREAD_SHARPNESS = 1;
const PEAK_SHARPNESS = 40;
/** Attention score given to a matching key: the head then attends to matching tokens only. */
const FOCUS = 40;
/** Weight of "a tool response (or the full image) is in context" against the detail ramp. */
const TOOL_RESPONSE_VETO = 20;
/**
 * Weight of "a <tool_call> is in context" in the two halves of the unsure gate: larger than the
 * ramp can reach (DETAIL_SLOPE · (1 − DETAIL_THRESHOLD) at most), so each half is exactly 0
 * when the other applies.
 */
const TOOLS_WEIGHT = 2 * DETAIL_SLOPE;
/** The nearest-centroid score 2·c·x − |c|² of x in [0, 1]³ lies in [−3, 3]; shifted by 3 it is ≥ 0. */
const COLOUR_SCORE_SHIFT = 3;
/**
 * The peaked colour score fades out between unsure = 0.5 (where the thoughts flip) and
 * 0.5 + 2·COLOUR_SCORE_SHIFT / PEAK_GATE_SLOPE; NOT_ANSWER_WEIGHT shuts it at every other
 * position whatever the context (up to hundreds of tool responses).
 */
const PEAK_GATE_SLOPE = 100;
const NOT_ANSWER_WEIGHT = 1e6;

/** Everything the generator writes, as file name -> bytes or JSON. */
export interface ModelFiles {
  [file: string]: Uint8Array | object;
}

export interface TestModelOptions {
  /** Which family's layout to write (default `qwen2_vl`, the test model every other suite uses). */
  family?: ModelFamily;
}

/**
 * The test model's vocabulary, its tokenizer files (with the Qwen2-VL chat template) and the
 * special-token ids its configs name; the bench model (bench-model.ts) shares them, adding BPE
 * merges (the test model has none: one token per byte).
 */
export function testTokenizer(merges: readonly (readonly [string, string])[] = []) {
  const vocab = buildVocabulary(ADDED, merges);
  const id = (content: string): number => {
    const value = vocab.ids.get(content);
    if (value === undefined) throw new Error(`no token ${content}`);
    return value;
  };
  const ids = {
    endoftext: id('<|endoftext|>'),
    imEnd: id('<|im_end|>'),
    visionStart: id('<|vision_start|>'),
    visionEnd: id('<|vision_end|>'),
    visionPad: id('<|vision_pad|>'),
    imagePad: id('<|image_pad|>'),
    videoPad: id('<|video_pad|>'),
  };
  const files: ModelFiles = {
    'tokenizer.json': vocab.tokenizerJson,
    'tokenizer_config.json': tokenizerConfig(vocab, ADDED, QWEN2_VL_CHAT_TEMPLATE),
  };
  return { vocab, id, ids, files };
}

/** The files of the generated test model of a family; the same decisions in every family. */
export function buildTestModel(options: TestModelOptions = {}): ModelFiles {
  const family = options.family ?? 'qwen2_vl';
  const vision = FAMILY_VISION[family];
  const { vocab, id, ids, files: tokenizerFiles } = testTokenizer();
  const newline = vocab.byteId(0x0a);
  // Tokens whose identity drives what comes next, each with its own one-hot channel.
  const scriptTokens = [
    newline,
    ...['<think>', '</think>', '<tool_call>', '</tool_call>', '<answer>', '</answer>', TOOL_CALL_BODY].map(id),
    ...Object.values(THOUGHTS).map(id),
    ...PALETTE.map((c) => id(c.name)),
  ];
  const channelOf = new Map(scriptTokens.map((token, i) => [token, CH.firstToken + i]));
  if (CH.firstToken + scriptTokens.length > HIDDEN) throw new Error('hidden size too small');
  const ch = (token: number): number => channelOf.get(token) as number;

  // Embeddings: a constant channel, one-hot script tokens, the not-`<answer>` channel, and the
  // tool-response marker, which the full-image follow-up of the plain prompt sets as well.
  const embed = matrix(vocab.size, HIDDEN);
  for (let t = 0; t < vocab.size; t++) {
    embed.set(t, CH.one, 1);
    if (t !== id('<answer>')) embed.set(t, CH.notAnswer, 1);
    if (channelOf.has(t)) embed.set(t, ch(t), 1);
  }
  embed.set(id('<tool_response>'), CH.isToolResponse, 1);
  embed.set(id(FULL_IMAGE_FOLLOW_UP), CH.isToolResponse, 1);

  // Vision features (1, 1, detail, r, g, b) land in channels one (and notAnswer), isImage,
  // detail, r, g, b; the token index (the 7th feature) is not used by this model.
  const placement = matrix(7, HIDDEN);
  [CH.one, CH.isImage, CH.detail, CH.r, CH.g, CH.b].forEach((channel, row) => {
    placement.set(row, channel, 1);
  });
  placement.set(0, CH.notAnswer, 1);

  // Attention heads read a constant query against keys that are large on one marker channel, so
  // each averages its values over the tokens that carry the marker (exactly 0 for a marker
  // value when no token carries it). They use the lowest-frequency rotary pair, whose rotation
  // over any context length here is negligible, so what they see does not depend on position.
  interface Head {
    marker: number;
    values: number[];
    targets: number[];
  }
  const keyScale = FOCUS * Math.sqrt(HEAD_DIM);
  const attention = (heads: Head[]): DecoderLayerWeights => {
    const q = matrix(HIDDEN, HIDDEN);
    const k = matrix(HIDDEN, HIDDEN);
    const v = matrix(HIDDEN, HIDDEN);
    const o = matrix(HIDDEN, HIDDEN);
    heads.forEach(({ marker, values, targets }, h) => {
      const slowDim = h * HEAD_DIM + HEAD_DIM / 2 - 1;
      q.set(CH.one, slowDim, 1);
      k.set(marker, slowDim, keyScale);
      values.forEach((channel, j) => {
        v.set(channel, h * HEAD_DIM + j, 1);
        o.set(h * HEAD_DIM + j, targets[j] as number, 1);
      });
    });
    return { q, k, v, o };
  };
  // Averages detail and colour over the image tokens in context.
  const imageHead: Head = {
    marker: CH.isImage,
    values: [CH.detail, CH.r, CH.g, CH.b],
    targets: [CH.meanDetail, CH.meanR, CH.meanG, CH.meanB],
  };
  // ~1 once a <tool_response> (or the full-image follow-up) is in context, 0 before.
  const toolResponseHead: Head = {
    marker: CH.isToolResponse,
    values: [CH.isToolResponse],
    targets: [CH.toolResponseSeen],
  };
  // ~1 when a <tool_call> is in context (the VisionThink system prompt and user turn both carry
  // one), exactly 0 under a plain prompt, which offers no tools.
  const toolsOfferedHead: Head = {
    marker: ch(id('<tool_call>')),
    values: [ch(id('<tool_call>'))],
    targets: [CH.toolsOffered],
  };

  // The ReLU MLP of the last layer, from unsure = SLOPE·(detail − THRESHOLD) − VETO·toolResponseSeen
  // (linear, before any clamp) and t = toolsOffered:
  // - escalate = clamp(unsure − W·(1 − t), 0, 1) and unsureWithoutTools = clamp(unsure − W·t, 0, 1),
  //   two ReLUs each (W = TOOLS_WEIGHT);
  // - the peaked colour scores peak_c = ReLU(a_c − z) − ReLU(−z), where a_c = 2·c·mean − |c|² + 3
  //   ≥ 0 and z = PEAK_GATE_SLOPE·(unsure − 0.5) + NOT_ANSWER_WEIGHT·notAnswer: exactly a_c when
  //   z ≤ 0 (sure, right after <answer>), exactly 0 when z ≥ 6, and between the two a_c − z or 0,
  //   which keeps the nearest colour first.
  const colours = PALETTE.length;
  const up = matrix(HIDDEN, 5 + colours);
  const down = matrix(5 + colours, HIDDEN);
  const addUnsure = (unit: number, scale = 1): void => {
    up.set(CH.meanDetail, unit, scale * DETAIL_SLOPE);
    up.set(CH.toolResponseSeen, unit, -scale * TOOL_RESPONSE_VETO);
    up.set(CH.one, unit, -scale * DETAIL_SLOPE * DETAIL_THRESHOLD);
  };
  for (const unit of [0, 1]) {
    // escalate
    addUnsure(unit);
    up.set(CH.toolsOffered, unit, TOOLS_WEIGHT);
    up.set(CH.one, unit, -DETAIL_SLOPE * DETAIL_THRESHOLD - TOOLS_WEIGHT - unit);
    down.set(unit, CH.escalate, unit === 0 ? 1 : -1);
    // unsureWithoutTools
    addUnsure(2 + unit);
    up.set(CH.toolsOffered, 2 + unit, -TOOLS_WEIGHT);
    up.set(CH.one, 2 + unit, -DETAIL_SLOPE * DETAIL_THRESHOLD - unit);
    down.set(2 + unit, CH.unsureWithoutTools, unit === 0 ? 1 : -1);
  }
  // −z, then a_c − z per colour.
  const minusZ = (unit: number): void => {
    addUnsure(unit, -PEAK_GATE_SLOPE);
    up.set(CH.one, unit, PEAK_GATE_SLOPE * (DETAIL_SLOPE * DETAIL_THRESHOLD + 0.5));
    up.set(CH.notAnswer, unit, -NOT_ANSWER_WEIGHT);
  };
  minusZ(4);
  PALETTE.forEach((colour, i) => {
    const unit = 5 + i;
    minusZ(unit);
    const [r, g, b] = colour.rgb;
    up.set(CH.meanR, unit, 2 * r);
    up.set(CH.meanG, unit, 2 * g);
    up.set(CH.meanB, unit, 2 * b);
    up.set(
      CH.one,
      unit,
      PEAK_GATE_SLOPE * (DETAIL_SLOPE * DETAIL_THRESHOLD + 0.5) + COLOUR_SCORE_SHIFT - (r * r + g * g + b * b),
    );
    down.set(unit, CH.firstPeak + i, 1);
    down.set(4, CH.firstPeak + i, -1);
  });
  const gates = { up, down };
  const layers: (DecoderLayerWeights | LinearAttentionWeights)[] =
    family === 'qwen2_vl'
      ? // Layer 0 averages the image; layer 1 sees the tool response and the tools, then gates.
        [attention([imageHead]), { ...attention([toolResponseHead, toolsOfferedHead]), mlp: gates }]
      : // Qwen3.5's hybrid decoder: a linear-attention layer (which counts the tool responses),
        // then a full-attention one.
        [toolResponseCounter(), { ...attention([imageHead, toolsOfferedHead]), mlp: gates }];

  // Output head: a bigram table over script tokens plus the gates and the colour scores.
  const head = matrix(HIDDEN, vocab.size);
  const follow = (from: number, to: number, logit = BASE): void => {
    head.set(ch(from), to, logit);
  };
  follow(newline, id('<think>'));
  follow(id('<think>'), id(THOUGHTS.plain), PREFERRED);
  follow(id('<think>'), id(THOUGHTS.detailed));
  follow(id('<think>'), id(THOUGHTS.afterTool));
  follow(id('<think>'), id(THOUGHTS.unsure));
  for (const thought of Object.values(THOUGHTS)) follow(id(thought), id('</think>'));
  follow(id('</think>'), id('<answer>'), PREFERRED);
  follow(id('</think>'), id('<tool_call>'));
  follow(id('<tool_call>'), id(TOOL_CALL_BODY));
  follow(id(TOOL_CALL_BODY), id('</tool_call>'));
  follow(id('</tool_call>'), id('<|im_end|>'));
  PALETTE.forEach((colour, i) => {
    follow(id('<answer>'), id(colour.name));
    follow(id(colour.name), id('</answer>'));
    // Nearest centroid: 2·c·x − |c|² is largest for the palette colour closest to x.
    const [r, g, b] = colour.rgb;
    head.set(CH.meanR, id(colour.name), SPREAD_SHARPNESS * 2 * r);
    head.set(CH.meanG, id(colour.name), SPREAD_SHARPNESS * 2 * g);
    head.set(CH.meanB, id(colour.name), SPREAD_SHARPNESS * 2 * b);
    head.set(CH.one, id(colour.name), -SPREAD_SHARPNESS * (r * r + g * g + b * b));
    head.set(CH.firstPeak + i, id(colour.name), PEAK_SHARPNESS);
  });
  follow(id('</answer>'), id('<|im_end|>'));
  head.set(CH.escalate, id(THOUGHTS.detailed), GATE);
  head.set(CH.escalate, id('<tool_call>'), GATE);
  head.set(CH.unsureWithoutTools, id(THOUGHTS.unsure), GATE);
  head.set(CH.toolResponseSeen, id(THOUGHTS.afterTool), GATE);

  return {
    ...familyConfigs({
      family,
      ids,
      vocabSize: vocab.size,
      hidden: HIDDEN,
      heads: HEADS,
      headDim: HEAD_DIM,
      ropeTheta: ROPE_THETA,
      mropeSection: MROPE_SECTION,
      layerTypes: layers.map((layer) => ('kind' in layer ? layer.kind : 'full_attention')),
      linear: { ...LINEAR, convKernel: LINEAR.convKernel.length },
      intermediateSize: gates.up.cols,
      mergeSize: MERGE,
      temporalPatchSize: TEMPORAL,
    }),
    ...tokenizerFiles,
    'onnx/embed_tokens.onnx': buildEmbedTokens(embed),
    'onnx/vision_encoder.onnx': buildVisionEncoder({
      ...vision,
      temporalPatchSize: TEMPORAL,
      mergeSize: MERGE,
      placement,
    }),
    'onnx/decoder_model_merged.onnx': buildDecoder({
      hidden: HIDDEN,
      heads: HEADS,
      headDim: HEAD_DIM,
      vocabSize: vocab.size,
      ropeTheta: ROPE_THETA,
      mropeSection: MROPE_SECTION,
      layers,
      lmHead: head,
    }),
  };
}

/**
 * Qwen3.5's linear-attention layer at work: its recurrent state sums, over every token so far,
 * k·v with k = 1 and v = (is_tool_response, detail) after the 4-step convolution, whose kernel
 * sums to 1. Once a <tool_response> (or the full-image follow-up, which sets the same channel) is
 * three tokens behind, the first sum is exactly 1 per such token; it is the layer's output. The detail sum stays in the state only, so comparing states
 * shows whether an image went through the layer.
 */
function toolResponseCounter(): LinearAttentionWeights {
  const { heads, keyDim, valueDim } = LINEAR;
  const inProj = matrix(HIDDEN, heads * (2 * keyDim + valueDim));
  const q = 0;
  const k = heads * keyDim;
  const v = 2 * heads * keyDim;
  inProj.set(CH.one, q, 1);
  inProj.set(CH.one, k, 1);
  inProj.set(CH.isImage, k + 1, 1);
  inProj.set(CH.isToolResponse, v, 1);
  inProj.set(CH.detail, v + 1, 1);
  const o = matrix(heads * valueDim, HIDDEN);
  o.set(0, CH.toolResponseSeen, 1);
  return { kind: 'linear_attention', heads, keyDim, valueDim, inProj, convKernel: [...LINEAR.convKernel], o };
}
