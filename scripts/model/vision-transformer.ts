/**
 * A Qwen2-VL-style vision encoder with real transformer work in it, for the bench model: patch
 * embedding, pre-norm self-attention layers over the patches of each image, and the 2×2 patch
 * merger. Session inputs and output are those of buildVisionEncoder (qwen2-vl-graphs.ts).
 */
import { DType, GraphBuilder, type Value } from './onnx-graph.ts';
import type { Matrix } from './qwen2-vl-graphs.ts';

export interface VisionLayerWeights {
  /** [dim, dim] each; q already carries the 1 / sqrt(head dim) score scale. */
  q: Matrix;
  k: Matrix;
  v: Matrix;
  o: Matrix;
  /** [dim, inner] then [inner, dim], ReLU between. */
  up: Matrix;
  down: Matrix;
}

export interface VisionTransformerSpec {
  /** Values per patch row of `pixel_values`: 3 · temporal · patch². */
  patchValues: number;
  mergeSize: number;
  heads: number;
  /** [patchValues, dim] */
  patchEmbed: Matrix;
  layers: VisionLayerWeights[];
  /** [merge² · dim, merge² · dim] then [merge² · dim, decoder hidden], ReLU between. */
  mergerUp: Matrix;
  mergerDown: Matrix;
}

/**
 * `vision_encoder(pixel_values [patches, patchValues], grid_thw [images, 3]) -> image_features
 * [patches / merge², hidden]`. Several images in one call (the engine re-encodes every image of
 * the conversation when it re-prefills) attend only within themselves: the attention mask is
 * block-diagonal, built in the graph from grid_thw, so each image's features are the same as when
 * it is encoded alone. There is no position embedding: it would not change the cost that matters.
 */
export function buildVisionTransformer(spec: VisionTransformerSpec): Uint8Array {
  const { heads, mergeSize: m } = spec;
  const dim = spec.patchEmbed.cols;
  const headDim = dim / heads;
  if (!Number.isInteger(headDim)) throw new Error('the vision width must divide into the heads');
  const g = new GraphBuilder('vision_encoder');
  const pixels = g.input('pixel_values', DType.float, ['num_patches', spec.patchValues]);
  const grid = g.input('grid_thw', DType.int64, ['num_images', 3]);
  const weight = (w: Matrix): Value => g.floats(w.data, [w.rows, w.cols]);
  const ones = g.floats(new Float32Array(dim).fill(1), [dim], 'ln_scale');
  const zeros = g.floats(new Float32Array(dim), [dim], 'ln_bias');
  const norm = (x: Value): Value => g.op('LayerNormalization', [x, ones, zeros], { axis: { int: -1 }, epsilon: 1e-6 });

  // Image of each patch = how many images end at or before it (ends = cumulative t·h·w).
  const perImage = g.op('ReduceProd', [grid], { axes: { ints: [1] }, keepdims: { int: 0 } });
  const ends = g.op('Cast', [g.op('CumSum', [perImage, g.ints([0], [])])], { to: { int: DType.float } });
  const patchCount = g.op('Gather', [g.op('Shape', [pixels]), g.ints([0], [])]);
  const patchIndex = g.op('Cast', [g.op('Range', [g.ints([0], []), patchCount, g.ints([1], [])])], {
    to: { int: DType.float },
  });
  const ended = g.op('LessOrEqual', [
    g.op('Unsqueeze', [ends, g.ints([0])]),
    g.op('Unsqueeze', [patchIndex, g.ints([1])]),
  ]);
  const imageOf = g.op('ReduceSum', [g.op('Cast', [ended], { to: { int: DType.float } }), g.ints([1])], {
    keepdims: { int: 0 },
  });
  const sameImage = g.op('Equal', [
    g.op('Unsqueeze', [imageOf, g.ints([1])]),
    g.op('Unsqueeze', [imageOf, g.ints([0])]),
  ]);
  // Added to the scores [heads, patches, patches]: 0 within an image, -1e9 across images.
  const crossImage = g.op('Where', [sameImage, g.scalar(0), g.scalar(-1e9)]);

  const splitHeads = g.ints([-1, heads, headDim]);
  const mergeHeads = g.ints([-1, dim]);
  const project = (x: Value, w: Matrix, perm: number[]): Value =>
    g.op('Transpose', [g.op('Reshape', [g.op('MatMul', [x, weight(w)]), splitHeads])], { perm: { ints: perm } });

  let x = g.op('MatMul', [pixels, weight(spec.patchEmbed)]);
  for (const layer of spec.layers) {
    const h = norm(x);
    const q = project(h, layer.q, [1, 0, 2]);
    const kT = project(h, layer.k, [1, 2, 0]);
    const v = project(h, layer.v, [1, 0, 2]);
    const scores = g.op('Add', [g.op('MatMul', [q, kT]), crossImage]);
    const context = g.op('MatMul', [g.op('Softmax', [scores], { axis: { int: -1 } }), v]);
    const merged = g.op('Reshape', [g.op('Transpose', [context], { perm: { ints: [1, 0, 2] } }), mergeHeads]);
    x = g.op('Add', [x, g.op('MatMul', [merged, weight(layer.o)])]);
    const inner = g.op('Relu', [g.op('MatMul', [norm(x), weight(layer.up)])]);
    x = g.op('Add', [x, g.op('MatMul', [inner, weight(layer.down)])]);
  }

  // The processor lays out the merge² patches of each merged token consecutively.
  const tokens = g.op('Reshape', [norm(x), g.ints([-1, m * m * dim])]);
  const hidden = g.op('Relu', [g.op('MatMul', [tokens, weight(spec.mergerUp)])]);
  const features = g.op('MatMul', [hidden, weight(spec.mergerDown)]);
  g.output('image_features', features, DType.float, ['num_tokens', spec.mergerDown.cols]);
  return g.toBytes();
}
