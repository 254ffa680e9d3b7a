/**
 * The generated bench model "visionthink-bench": a Qwen2-VL-shaped network of realistic
 * proportions with random weights, for measuring what visual tokens cost (vision encode, decoder
 * prefill, decode). Its outputs mean nothing (the benchmarks force them token by token); every
 * forward pass produces finite logits. It shares the test model's tokenizer, chat template and
 * image settings, so the engine loads it and plans its images exactly as it does the test model's.
 */
import { SYSTEM_PROMPT, TOOL_RESPONSE_TURN, renderErrorTurn, renderUserText } from '../../src/engine/protocol.ts';
import { seededRandom } from '../samples/test-images.ts';
import { learnMerges } from './bpe.ts';
import { FAMILY_VISION, familyConfigs } from './family-configs.ts';
import { buildDecoder, buildEmbedTokens, type DecoderLayerWeights, type Matrix } from './qwen2-vl-graphs.ts';
import { MERGE, TEMPORAL, testTokenizer, type ModelFiles } from './test-model.ts';
import { buildVisionTransformer, type VisionLayerWeights } from './vision-transformer.ts';

export type BenchPreset = 'bench' | 'tiny';

export interface BenchDimensions {
  vision: { dim: number; layers: number; heads: number; mlpRatio: number };
  decoder: { hidden: number; layers: number; heads: number; mlpRatio: number };
}

/**
 * `bench`: sized so that one 896×672 image at full resolution (3072 patches, 768 visual tokens)
 * takes about 1–3 s to encode and prefill with onnxruntime-node on two CPU cores, the encoder
 * costing about three times the decoder per visual token (Qwen2-VL 2B: about 2.5 times, by
 * FLOPs), in under 150 MB (timings in README.md here). `tiny`: loads and runs in a fraction of a
 * second, for tests.
 */
export const BENCH_PRESETS: Record<BenchPreset, BenchDimensions> = {
  bench: {
    vision: { dim: 320, layers: 6, heads: 4, mlpRatio: 4 },
    decoder: { hidden: 768, layers: 4, heads: 12, mlpRatio: 3 },
  },
  tiny: {
    vision: { dim: 32, layers: 1, heads: 2, mlpRatio: 4 },
    decoder: { hidden: 64, layers: 2, heads: 2, mlpRatio: 4 },
  },
};

const ROPE_THETA = 1_000_000;
const SEED = 0x5eed;
/**
 * Gain of the decoder's random projections. The decoder has no norms, so every residual branch
 * must stay small: with this gain the residual stream grows by at most about 10% per layer and the
 * logits stay far from overflow at any context length. The vision layers are pre-normed.
 */
const DECODER_GAIN = 0.5;

/** Characters per token of Qwen's tokenizer on English, about. */
const CHARS_PER_TOKEN = 4;

/**
 * Merges learned on the protocol's own text (the system prompt and the fixed turns, which fill
 * most of every prompt), so prompts cost about as many tokens as with a real Qwen tokenizer
 * rather than one per byte: text prefill would otherwise dwarf the visual tokens measured.
 */
function protocolMerges(): [string, string][] {
  const whole = [...testTokenizer().vocab.ids.keys()].sort((a, b) => b.length - a.length);
  const texts = [SYSTEM_PROMPT, renderUserText(''), TOOL_RESPONSE_TURN, renderErrorTurn('')].flatMap((text) =>
    // Tokens the tokenizer adds whole (special tokens, <think>, <tool_call>, …) never reach BPE.
    whole.reduce((parts, token) => parts.flatMap((part) => part.split(token)), [text]).filter(Boolean),
  );
  return learnMerges(texts, CHARS_PER_TOKEN);
}

/** The files of the bench model of a preset (deterministic: same preset, same bytes). */
export function buildBenchModel(preset: BenchPreset = 'bench'): ModelFiles {
  const { vision, decoder } = BENCH_PRESETS[preset];
  // Seeded, so the same preset always gives the same bytes.
  const next = seededRandom(SEED);
  const uniform = (rows: number, cols: number, bound: number): Matrix => {
    const data = new Float32Array(rows * cols);
    for (let i = 0; i < data.length; i++) data[i] = (2 * next() - 1) * bound;
    return { rows, cols, data };
  };
  // Uniform in ±gain·sqrt(3 / fan_in): unit-variance inputs give outputs of variance gain².
  const random = (rows: number, cols: number, gain = 1): Matrix => uniform(rows, cols, gain * Math.sqrt(3 / rows));
  const { vocab, ids, files: tokenizerFiles } = testTokenizer(protocolMerges());
  const geometry = FAMILY_VISION.qwen2_vl;

  const visionHeadDim = vision.dim / vision.heads;
  const visionInner = vision.dim * vision.mlpRatio;
  const visionLayers = Array.from({ length: vision.layers }, (): VisionLayerWeights => {
    // Scaled by 1 / sqrt(head dim) here, so the graph spends no pass over the scores on it.
    const q = random(vision.dim, vision.dim, 1 / Math.sqrt(visionHeadDim));
    return {
      q,
      k: random(vision.dim, vision.dim),
      v: random(vision.dim, vision.dim),
      o: random(vision.dim, vision.dim),
      up: random(vision.dim, visionInner),
      down: random(visionInner, vision.dim),
    };
  });
  const patchValues = 3 * TEMPORAL * geometry.patchSize ** 2;
  const merged = MERGE * MERGE * vision.dim;
  const visionEncoder = buildVisionTransformer({
    patchValues,
    mergeSize: MERGE,
    heads: vision.heads,
    patchEmbed: random(patchValues, vision.dim),
    layers: visionLayers,
    mergerUp: random(merged, merged),
    mergerDown: random(merged, decoder.hidden),
  });

  const headDim = decoder.hidden / decoder.heads;
  const inner = decoder.hidden * decoder.mlpRatio;
  // Qwen2-VL's split of the rotary frequencies (16, 24, 24 of 64) scaled to this head size.
  const half = headDim / 2;
  const mropeSection: [number, number, number] = [half / 4, (3 * half) / 8, (3 * half) / 8];
  if (!mropeSection.every(Number.isInteger)) throw new Error('head dim must be a multiple of 16');
  const layers = Array.from({ length: decoder.layers }, (): DecoderLayerWeights => ({
    q: random(decoder.hidden, decoder.hidden, DECODER_GAIN),
    k: random(decoder.hidden, decoder.hidden, DECODER_GAIN),
    v: random(decoder.hidden, decoder.hidden, DECODER_GAIN),
    o: random(decoder.hidden, decoder.hidden, DECODER_GAIN),
    mlp: { up: random(decoder.hidden, inner, DECODER_GAIN), down: random(inner, decoder.hidden, DECODER_GAIN) },
  }));
  // Unit-variance embeddings, the scale of the image features.
  const embedTable = uniform(vocab.size, decoder.hidden, Math.sqrt(3));

  const configs = familyConfigs({
    family: 'qwen2_vl',
    ids,
    vocabSize: vocab.size,
    hidden: decoder.hidden,
    heads: decoder.heads,
    headDim,
    ropeTheta: ROPE_THETA,
    mropeSection,
    layerTypes: layers.map(() => 'full_attention'),
    // Only Qwen3.5's linear-attention layers read these; this decoder has none.
    linear: { heads: 0, keyDim: 0, valueDim: 0, convKernel: 0 },
    mergeSize: MERGE,
    temporalPatchSize: TEMPORAL,
  });
  const config = configs['config.json'] as { vision_config: object };
  return {
    ...configs,
    'config.json': {
      ...config,
      intermediate_size: inner,
      vision_config: {
        ...config.vision_config,
        depth: vision.layers,
        embed_dim: vision.dim,
        num_heads: vision.heads,
        mlp_ratio: vision.mlpRatio,
        hidden_act: 'relu',
      },
    },
    ...tokenizerFiles,
    'onnx/embed_tokens.onnx': buildEmbedTokens(embedTable),
    'onnx/vision_encoder.onnx': visionEncoder,
    'onnx/decoder_model_merged.onnx': buildDecoder({
      hidden: decoder.hidden,
      heads: decoder.heads,
      headDim,
      vocabSize: vocab.size,
      ropeTheta: ROPE_THETA,
      mropeSection,
      layers,
      lmHead: random(decoder.hidden, vocab.size),
    }),
  };
}
