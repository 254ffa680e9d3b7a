/**
 * The generated test model "visionthink-test": a tiny Qwen2-VL-shaped network with hand-set
 * weights that decides by itself whether it needs the full-resolution image. The rule and the
 * palette are documented in README.md next to this file; the constants below are the source.
 */
import { access, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { QWEN2_VL_CHAT_TEMPLATE } from '../../src/engine/qwen2-vl-chat-template.ts';
import {
  buildDecoder,
  buildEmbedTokens,
  buildVisionEncoder,
  matrix,
  type DecoderLayerWeights,
} from './qwen2-vl-graphs.ts';
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
 * 1 / DETAIL_SLOPE) the model asks for the full image, unless a tool response is in context.
 */
export const DETAIL_THRESHOLD = 0.03;
export const DETAIL_SLOPE = 100;

/** The reasoning the model writes inside <think>, one added token each. */
export const THOUGHTS = {
  plain: 'The picture is simple enough to answer from this view.',
  detailed: 'There is fine detail here that I cannot make out at this resolution, so I need the full image.',
  afterTool: 'With the full-resolution image in view I can answer.',
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
const ADDED: AddedToken[] = [
  ...SPECIAL.map((content) => ({ content, special: true })),
  ...[...TAGS, TOOL_CALL_BODY, ...Object.values(THOUGHTS), ...PALETTE.map((c) => c.name)].map((content) => ({
    content,
    special: false,
  })),
];

const HIDDEN = 64;
const HEADS = 2;
const HEAD_DIM = HIDDEN / HEADS;
const ROPE_THETA = 1_000_000;
const MROPE_SECTION: [number, number, number] = [4, 6, 6];
const PATCH = 14;
const MERGE = 2;
const TEMPORAL = 2;
const IMAGE_MEAN: [number, number, number] = [0.48145466, 0.4578275, 0.40821073];
const IMAGE_STD: [number, number, number] = [0.26862954, 0.26130258, 0.27577711];

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
  firstToken: 13,
} as const;

/** Logit margins: a bigram successor gets BASE, the default branch PREFERRED, gates add GATE. */
const BASE = 20;
const PREFERRED = 25;
const GATE = 10;
const COLOUR_SHARPNESS = 4;
/** Attention score given to a matching key: the head then attends to matching tokens only. */
const FOCUS = 40;
/** Weight of "a tool response is in context" against the escalation ramp. */
const TOOL_RESPONSE_VETO = 20;

/** Everything the generator writes, as file name -> bytes or JSON. */
export interface ModelFiles {
  [file: string]: Uint8Array | object;
}

export function buildTestModel(): ModelFiles {
  const vocab = buildVocabulary(ADDED);
  const id = (content: string): number => {
    const value = vocab.ids.get(content);
    if (value === undefined) throw new Error(`no token ${content}`);
    return value;
  };
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

  // Embeddings: a constant channel, one-hot script tokens, and the tool-response marker.
  const embed = matrix(vocab.size, HIDDEN);
  for (let t = 0; t < vocab.size; t++) {
    embed.set(t, CH.one, 1);
    if (channelOf.has(t)) embed.set(t, ch(t), 1);
  }
  embed.set(id('<tool_response>'), CH.isToolResponse, 1);

  // Vision features (1, 1, detail, r, g, b) land in channels one, isImage, detail, r, g, b;
  // the token index (the 7th feature) is not used by this model.
  const placement = matrix(7, HIDDEN);
  [CH.one, CH.isImage, CH.detail, CH.r, CH.g, CH.b].forEach((channel, row) => {
    placement.set(row, channel, 1);
  });

  // Attention heads read a constant query against keys that are large on one marker channel.
  // They use the lowest-frequency rotary pair, whose rotation over any context length here is
  // negligible, so what they see does not depend on position.
  const slowDim = HEAD_DIM / 2 - 1;
  const keyScale = FOCUS * Math.sqrt(HEAD_DIM);
  const attentionHead = (marker: number, values: number[], targets: number[]): DecoderLayerWeights => {
    const q = matrix(HIDDEN, HIDDEN);
    const k = matrix(HIDDEN, HIDDEN);
    const v = matrix(HIDDEN, HIDDEN);
    const o = matrix(HIDDEN, HIDDEN);
    q.set(CH.one, slowDim, 1);
    k.set(marker, slowDim, keyScale);
    values.forEach((channel, j) => {
      v.set(channel, j, 1);
      o.set(j, targets[j] as number, 1);
    });
    return { q, k, v, o };
  };
  // Layer 0: average detail and colour over the image tokens in context.
  const layer0 = attentionHead(
    CH.isImage,
    [CH.detail, CH.r, CH.g, CH.b],
    [CH.meanDetail, CH.meanR, CH.meanG, CH.meanB],
  );
  // Layer 1: ~1 once a <tool_response> is in context, ~0 before; then the escalation gate
  // escalate = clamp(SLOPE·(detail − THRESHOLD) − VETO·toolResponseSeen, 0, 1) as two ReLUs.
  const layer1 = attentionHead(CH.isToolResponse, [CH.isToolResponse], [CH.toolResponseSeen]);
  const up = matrix(HIDDEN, 2);
  const down = matrix(2, HIDDEN);
  for (const unit of [0, 1]) {
    up.set(CH.meanDetail, unit, DETAIL_SLOPE);
    up.set(CH.toolResponseSeen, unit, -TOOL_RESPONSE_VETO);
    up.set(CH.one, unit, -DETAIL_SLOPE * DETAIL_THRESHOLD - unit);
  }
  down.set(0, CH.escalate, 1);
  down.set(1, CH.escalate, -1);
  layer1.mlp = { up, down };

  // Output head: a bigram table over script tokens plus the two gates and the colour score.
  const head = matrix(HIDDEN, vocab.size);
  const follow = (from: number, to: number, logit = BASE): void => {
    head.set(ch(from), to, logit);
  };
  follow(newline, id('<think>'));
  follow(id('<think>'), id(THOUGHTS.plain), PREFERRED);
  follow(id('<think>'), id(THOUGHTS.detailed));
  follow(id('<think>'), id(THOUGHTS.afterTool));
  for (const thought of Object.values(THOUGHTS)) follow(id(thought), id('</think>'));
  follow(id('</think>'), id('<answer>'), PREFERRED);
  follow(id('</think>'), id('<tool_call>'));
  follow(id('<tool_call>'), id(TOOL_CALL_BODY));
  follow(id(TOOL_CALL_BODY), id('</tool_call>'));
  follow(id('</tool_call>'), id('<|im_end|>'));
  for (const colour of PALETTE) {
    follow(id('<answer>'), id(colour.name));
    follow(id(colour.name), id('</answer>'));
    // Nearest centroid: 2·c·x − |c|² is largest for the palette colour closest to x.
    const [r, g, b] = colour.rgb;
    head.set(CH.meanR, id(colour.name), COLOUR_SHARPNESS * 2 * r);
    head.set(CH.meanG, id(colour.name), COLOUR_SHARPNESS * 2 * g);
    head.set(CH.meanB, id(colour.name), COLOUR_SHARPNESS * 2 * b);
    head.set(CH.one, id(colour.name), -COLOUR_SHARPNESS * (r * r + g * g + b * b));
  }
  follow(id('</answer>'), id('<|im_end|>'));
  head.set(CH.escalate, id(THOUGHTS.detailed), GATE);
  head.set(CH.escalate, id('<tool_call>'), GATE);
  head.set(CH.toolResponseSeen, id(THOUGHTS.afterTool), GATE);

  const ids = {
    endoftext: id('<|endoftext|>'),
    imEnd: id('<|im_end|>'),
    visionStart: id('<|vision_start|>'),
    visionEnd: id('<|vision_end|>'),
    visionPad: id('<|vision_pad|>'),
    imagePad: id('<|image_pad|>'),
    videoPad: id('<|video_pad|>'),
  };

  return {
    'config.json': {
      architectures: ['Qwen2VLForConditionalGeneration'],
      model_type: 'qwen2_vl',
      attention_dropout: 0,
      bos_token_id: ids.endoftext,
      eos_token_id: ids.imEnd,
      pad_token_id: ids.endoftext,
      vision_start_token_id: ids.visionStart,
      vision_end_token_id: ids.visionEnd,
      vision_token_id: ids.visionPad,
      image_token_id: ids.imagePad,
      video_token_id: ids.videoPad,
      hidden_act: 'relu',
      hidden_size: HIDDEN,
      intermediate_size: 2,
      initializer_range: 0.02,
      max_position_embeddings: 32768,
      max_window_layers: 2,
      num_attention_heads: HEADS,
      num_hidden_layers: 2,
      num_key_value_heads: HEADS,
      head_dim: HEAD_DIM,
      rms_norm_eps: 1e-6,
      rope_theta: ROPE_THETA,
      rope_scaling: { type: 'mrope', mrope_section: MROPE_SECTION },
      sliding_window: 32768,
      tie_word_embeddings: false,
      torch_dtype: 'float32',
      use_cache: true,
      use_sliding_window: false,
      vocab_size: vocab.size,
      vision_config: {
        depth: 0,
        embed_dim: 6,
        hidden_size: HIDDEN,
        hidden_act: 'quick_gelu',
        mlp_ratio: 4,
        num_heads: 1,
        in_chans: 3,
        patch_size: PATCH,
        spatial_merge_size: MERGE,
        temporal_patch_size: TEMPORAL,
      },
      'transformers.js_config': { dtype: 'fp32' },
    },
    'generation_config.json': {
      bos_token_id: ids.endoftext,
      eos_token_id: [ids.imEnd, ids.endoftext],
      pad_token_id: ids.endoftext,
      do_sample: false,
    },
    'preprocessor_config.json': {
      processor_class: 'Qwen2VLProcessor',
      image_processor_type: 'Qwen2VLImageProcessor',
      do_resize: true,
      do_rescale: true,
      rescale_factor: 1 / 255,
      do_normalize: true,
      do_convert_rgb: true,
      image_mean: IMAGE_MEAN,
      image_std: IMAGE_STD,
      resample: 3,
      min_pixels: 56 * 56,
      max_pixels: 28 * 28 * 1280,
      size: { shortest_edge: 56 * 56, longest_edge: 28 * 28 * 1280 },
      patch_size: PATCH,
      temporal_patch_size: TEMPORAL,
      merge_size: MERGE,
    },
    'tokenizer.json': vocab.tokenizerJson,
    'tokenizer_config.json': tokenizerConfig(vocab, ADDED, QWEN2_VL_CHAT_TEMPLATE),
    'onnx/embed_tokens.onnx': buildEmbedTokens(embed),
    'onnx/vision_encoder.onnx': buildVisionEncoder({
      patchSize: PATCH,
      temporalPatchSize: TEMPORAL,
      mergeSize: MERGE,
      imageMean: IMAGE_MEAN,
      imageStd: IMAGE_STD,
      placement,
    }),
    'onnx/decoder_model_merged.onnx': buildDecoder({
      hidden: HIDDEN,
      heads: HEADS,
      headDim: HEAD_DIM,
      vocabSize: vocab.size,
      ropeTheta: ROPE_THETA,
      mropeSection: MROPE_SECTION,
      layers: [layer0, layer1],
      lmHead: head,
    }),
  };
}

/** Writes the model files into `dir` (created if needed). */
export async function writeModel(dir: string, files: ModelFiles): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    const path = join(dir, name);
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, content instanceof Uint8Array ? content : `${JSON.stringify(content, null, 2)}\n`);
  }
}

/** Writes the model only when a file is missing; returns whether it wrote. */
export async function ensureModel(dir: string, files: ModelFiles): Promise<boolean> {
  const present = await Promise.all(
    Object.keys(files).map((name) =>
      access(join(dir, name)).then(
        () => true,
        () => false,
      ),
    ),
  );
  if (present.every(Boolean)) return false;
  await writeModel(dir, files);
  return true;
}
