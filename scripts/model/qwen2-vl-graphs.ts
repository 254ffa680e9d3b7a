/**
 * The three ONNX sessions of a Qwen2-VL model as transformers.js loads them, built from plain
 * weight arrays: `embed_tokens`, `vision_encoder` and `decoder_model_merged`. The session inputs
 * and outputs match the hub exports exactly; what happens inside is ours (see README.md here).
 */
import { DType, GraphBuilder, type Value } from './onnx-graph.ts';
import { linearAttentionLayer, linearCacheInputs, type LinearAttentionWeights } from './qwen3_5-graphs.ts';

/** Row-major matrix: `rows` × `cols`. */
export interface Matrix {
  rows: number;
  cols: number;
  data: Float32Array;
}

export function matrix(rows: number, cols: number): Matrix & { set(r: number, c: number, v: number): void } {
  const data = new Float32Array(rows * cols);
  return { rows, cols, data, set: (r, c, v) => (data[r * cols + c] = v) };
}

export interface DecoderLayerWeights {
  /** [hidden, heads × headDim] */
  q: Matrix;
  /** [hidden, kvHeads × headDim] */
  k: Matrix;
  v: Matrix;
  /** [heads × headDim, hidden] */
  o: Matrix;
  /** Optional ReLU MLP: [hidden, inner] then [inner, hidden]. */
  mlp?: { up: Matrix; down: Matrix };
}

export interface DecoderSpec {
  hidden: number;
  heads: number;
  headDim: number;
  vocabSize: number;
  ropeTheta: number;
  /** Qwen2-VL's M-RoPE sections (temporal, height, width), summing to headDim / 2. */
  mropeSection: [number, number, number];
  /** Full-attention layers, or (Qwen3.5's hybrid decoder) linear-attention ones among them. */
  layers: (DecoderLayerWeights | LinearAttentionWeights)[];
  /** [hidden, vocab] */
  lmHead: Matrix;
}

/** `embed_tokens(input_ids) -> inputs_embeds`: a table lookup. */
export function buildEmbedTokens(table: Matrix): Uint8Array {
  const g = new GraphBuilder('embed_tokens');
  const ids = g.input('input_ids', DType.int64, ['batch_size', 'sequence_length']);
  const weights = g.floats(table.data, [table.rows, table.cols], 'embed');
  const out = g.op('Gather', [weights, ids], { axis: { int: 0 } });
  g.output('inputs_embeds', out, DType.float, ['batch_size', 'sequence_length', table.cols]);
  return g.toBytes();
}

export interface VisionSpec {
  patchSize: number;
  temporalPatchSize: number;
  mergeSize: number;
  imageMean: [number, number, number];
  imageStd: [number, number, number];
  /** [7, hidden]: places (1, 1, detail, r, g, b, token index) of each merged token into the hidden vector. */
  placement: Matrix;
  /** The grid input's name: `grid_thw` for Qwen2-VL, `image_grid_thw` from Qwen2.5-VL on. */
  gridInputName?: string;
}

/**
 * `vision_encoder(pixel_values [patches, 3·T·P·P], grid_thw [images, 3]) -> image_features
 * [patches / merge², hidden]`. Per merged token (merge × merge neighbouring patches, which the
 * processor lays out consecutively) it measures, on the de-normalised pixels: the mean absolute
 * difference between horizontally and vertically adjacent pixels ("detail") and the mean colour.
 */
export function buildVisionEncoder(spec: VisionSpec): Uint8Array {
  const { patchSize: p, temporalPatchSize: t, mergeSize: m } = spec;
  const g = new GraphBuilder('vision_encoder');
  const pixels = g.input('pixel_values', DType.float, ['num_patches', 3 * t * p * p]);
  const grid = g.input(spec.gridInputName ?? 'grid_thw', DType.int64, ['num_images', 3]);

  const patches = g.op('Reshape', [pixels, g.ints([-1, 3, t, p, p])]);
  const std = g.floats(spec.imageStd, [1, 3, 1, 1, 1]);
  const mean = g.floats(spec.imageMean, [1, 3, 1, 1, 1]);
  const rgb = g.op('Add', [g.op('Mul', [patches, std]), mean]);
  // Both temporal slices of an image are the same picture: use the first.
  const frame = g.op('Slice', [rgb, g.ints([0]), g.ints([1]), g.ints([2])]);

  const neighbourDiff = (axis: number): Value => {
    const tail = g.op('Slice', [frame, g.ints([1]), g.ints([p]), g.ints([axis])]);
    const head = g.op('Slice', [frame, g.ints([0]), g.ints([p - 1]), g.ints([axis])]);
    const diff = g.op('Abs', [g.op('Sub', [tail, head])]);
    return g.op('ReduceSum', [diff, g.ints([1, 2, 3, 4])], { keepdims: { int: 0 } });
  };
  const pairs = 2 * 3 * p * (p - 1);
  const detail = g.op('Mul', [g.op('Add', [neighbourDiff(4), neighbourDiff(3)]), g.scalar(1 / pairs)]);
  const colour = g.op('ReduceMean', [frame], { axes: { ints: [2, 3, 4] }, keepdims: { int: 0 } });

  // Patches come in groups of merge² (one merged token each).
  const groupDetail = g.op('Reshape', [detail, g.ints([-1, m * m])]);
  const groupColour = g.op('Reshape', [colour, g.ints([-1, m * m, 3])]);
  const tokenDetail = g.op('ReduceMean', [groupDetail], { axes: { ints: [1] }, keepdims: { int: 1 } });
  const tokenColour = g.op('ReduceMean', [groupColour], { axes: { ints: [1] }, keepdims: { int: 0 } });
  const ones = g.op('Add', [g.op('Mul', [tokenDetail, g.scalar(0)]), g.scalar(1)]);
  // Like the real encoder, the token layout comes from grid_thw: Σ t·h·w / merge² tokens, each
  // with its index as a feature column. Concat does not broadcast, so a grid that does not
  // describe exactly these patches fails instead of passing silently.
  const perImage = g.op('ReduceProd', [grid], { axes: { ints: [1] }, keepdims: { int: 0 } });
  const tokenCount = g.op('Div', [g.op('ReduceSum', [perImage], { keepdims: { int: 0 } }), g.ints([m * m], [])]);
  const tokenIndex = g.op('Unsqueeze', [
    g.op('Cast', [g.op('Range', [g.ints([0], []), tokenCount, g.ints([1], [])])], { to: { int: DType.float } }),
    g.ints([1]),
  ]);
  const features = g.op('Concat', [ones, ones, tokenDetail, tokenColour, tokenIndex], { axis: { int: 1 } });
  const placement = g.floats(spec.placement.data, [spec.placement.rows, spec.placement.cols]);
  const out = g.op('MatMul', [features, placement]);
  g.output('image_features', out, DType.float, ['num_tokens', spec.placement.cols]);
  return g.toBytes();
}

/**
 * `decoder_model_merged(inputs_embeds, attention_mask, position_ids [3, batch, seq],
 * past_key_values.{i}.key/value) -> logits, present.{i}.key/value`: pre-residual attention layers
 * with M-RoPE and a KV cache, optional ReLU MLPs, and a linear head. Linear-attention layers in
 * the list (Qwen3.5's hybrid decoder) take `past_conv.{i}`/`past_recurrent.{i}` instead, see
 * qwen3_5-graphs.ts.
 */
export function buildDecoder(spec: DecoderSpec): Uint8Array {
  const { hidden, heads, headDim: hd } = spec;
  const g = new GraphBuilder('decoder_model_merged');
  const embeds = g.input('inputs_embeds', DType.float, ['batch_size', 'sequence_length', hidden]);
  const mask = g.input('attention_mask', DType.int64, ['batch_size', 'total_sequence_length']);
  const positions = g.input('position_ids', DType.int64, [3, 'batch_size', 'sequence_length']);
  const past = spec.layers.map((layer, i) =>
    'kind' in layer
      ? linearCacheInputs(g, i, layer)
      : {
          key: g.input(`past_key_values.${i}.key`, DType.float, ['batch_size', heads, 'past_sequence_length', hd]),
          value: g.input(`past_key_values.${i}.value`, DType.float, ['batch_size', heads, 'past_sequence_length', hd]),
        },
  );

  // M-RoPE: each frequency takes its angle from the temporal, height or width position.
  const half = hd / 2;
  const invFreq = Array.from({ length: half }, (_, i) => spec.ropeTheta ** (-(2 * i) / hd));
  const sectionMask = new Float32Array(3 * half);
  let freq = 0;
  spec.mropeSection.forEach((count, axis) => {
    for (let j = 0; j < count; j++) sectionMask[axis * half + freq++] = 1;
  });
  if (freq !== half) throw new Error('mrope_section must sum to head_dim / 2');
  const pos = g.op('Unsqueeze', [g.op('Cast', [positions], { to: { int: DType.float } }), g.ints([3])]);
  const allAngles = g.op('Mul', [pos, g.floats(invFreq, [half])]);
  const angles = g.op('ReduceSum', [g.op('Mul', [allAngles, g.floats(sectionMask, [3, 1, 1, half])]), g.ints([0])], {
    keepdims: { int: 0 },
  });
  const fullAngles = g.op('Unsqueeze', [g.op('Concat', [angles, angles], { axis: { int: -1 } }), g.ints([1])]);
  const cos = g.op('Cos', [fullAngles]);
  const sin = g.op('Sin', [fullAngles]);
  const rotary = (x: Value): Value => {
    const x1 = g.op('Slice', [x, g.ints([0]), g.ints([half]), g.ints([3])]);
    const x2 = g.op('Slice', [x, g.ints([half]), g.ints([hd]), g.ints([3])]);
    const rotated = g.op('Concat', [g.op('Neg', [x2]), x1], { axis: { int: 3 } });
    return g.op('Add', [g.op('Mul', [x, cos]), g.op('Mul', [rotated, sin])]);
  };

  // Causal + padding mask over [past | new] keys, built once for all layers.
  const seqLen = g.op('Gather', [g.op('Shape', [embeds]), g.ints([1], [])]);
  const totalLen = g.op('Gather', [g.op('Shape', [mask]), g.ints([1], [])]);
  const queryPos = g.op('Unsqueeze', [
    g.op('Range', [g.op('Sub', [totalLen, seqLen]), totalLen, g.ints([1], [])]),
    g.ints([1]),
  ]);
  const keyPos = g.op('Range', [g.ints([0], []), totalLen, g.ints([1], [])]);
  const causal = g.op('LessOrEqual', [keyPos, queryPos]);
  const padding = g.op('Unsqueeze', [g.op('Cast', [mask], { to: { int: DType.bool } }), g.ints([1, 2])]);
  const allowed = g.op('And', [causal, padding]);
  const blocked = g.scalar(-1e9);
  const headsShape = g.ints([0, 0, heads, hd]);
  const mergedShape = g.ints([0, 0, heads * hd]);

  let x = embeds;
  spec.layers.forEach((layer, i) => {
    const cache = past[i];
    if (!cache) throw new Error(`no cache inputs for layer ${i}`);
    // Both checks narrow the types; the inputs were declared from the same layer list.
    if ('kind' in layer || 'conv' in cache) {
      if (!('kind' in layer && 'conv' in cache)) throw new Error(`layer ${i} and its cache inputs disagree`);
      x = linearAttentionLayer(g, x, layer, cache, i);
      return;
    }
    const project = (w: Matrix): Value =>
      g.op('Transpose', [g.op('Reshape', [g.op('MatMul', [x, g.floats(w.data, [w.rows, w.cols])]), headsShape])], {
        perm: { ints: [0, 2, 1, 3] },
      });
    const q = rotary(project(layer.q));
    const k = g.op('Concat', [cache.key, rotary(project(layer.k))], { axis: { int: 2 } });
    const v = g.op('Concat', [cache.value, project(layer.v)], { axis: { int: 2 } });
    g.output(`present.${i}.key`, k, DType.float, ['batch_size', heads, 'total_sequence_length', hd]);
    g.output(`present.${i}.value`, v, DType.float, ['batch_size', heads, 'total_sequence_length', hd]);

    const kT = g.op('Transpose', [k], { perm: { ints: [0, 1, 3, 2] } });
    const scores = g.op('Mul', [g.op('MatMul', [q, kT]), g.scalar(1 / Math.sqrt(hd))]);
    const probs = g.op('Softmax', [g.op('Where', [allowed, scores, blocked])], { axis: { int: -1 } });
    const context = g.op('Reshape', [
      g.op('Transpose', [g.op('MatMul', [probs, v])], { perm: { ints: [0, 2, 1, 3] } }),
      mergedShape,
    ]);
    x = g.op('Add', [x, g.op('MatMul', [context, g.floats(layer.o.data, [layer.o.rows, layer.o.cols])])]);
    if (layer.mlp) {
      const { up, down } = layer.mlp;
      const inner = g.op('Relu', [g.op('MatMul', [x, g.floats(up.data, [up.rows, up.cols])])]);
      x = g.op('Add', [x, g.op('MatMul', [inner, g.floats(down.data, [down.rows, down.cols])])]);
    }
  });

  const logits = g.op('MatMul', [x, g.floats(spec.lmHead.data, [spec.lmHead.rows, spec.lmHead.cols])]);
  g.output('logits', logits, DType.float, ['batch_size', 'sequence_length', spec.vocabSize]);
  return g.toBytes();
}
