/**
 * The linear-attention layer of a Qwen3.5-shaped hybrid decoder, with the cache inputs and outputs
 * transformers.js feeds such a layer: `past_conv.{i}` [batch, conv_dim, kernel] and
 * `past_recurrent.{i}` [batch, heads, key_dim, value_dim] in, `present_conv.{i}` and
 * `present_recurrent.{i}` out. Only the names and shapes follow Qwen3.5's gated delta net; the
 * recurrence is a plain additive one (state += kᵀv), so continuing on a saved state gives exactly
 * what re-running every token from a zero state gives.
 */
import { DType, type GraphBuilder, type Value } from './onnx-graph.ts';
import type { Matrix } from './qwen2-vl-graphs.ts';

export interface LinearAttentionWeights {
  kind: 'linear_attention';
  heads: number;
  keyDim: number;
  valueDim: number;
  /** [hidden, 2·heads·keyDim + heads·valueDim]: the q | k | v columns, before the convolution. */
  inProj: Matrix;
  /** The causal depthwise convolution over time, the same kernel for every column (oldest first). */
  convKernel: number[];
  /** [heads·valueDim, hidden] */
  o: Matrix;
}

export interface LinearCache {
  conv: Value;
  recurrent: Value;
}

/** Declares the layer's two state inputs. Every dimension but the batch is fixed, as transformers.js requires. */
export function linearCacheInputs(g: GraphBuilder, index: number, layer: LinearAttentionWeights): LinearCache {
  return {
    conv: g.input(`past_conv.${index}`, DType.float, ['batch_size', layer.inProj.cols, layer.convKernel.length]),
    recurrent: g.input(`past_recurrent.${index}`, DType.float, [
      'batch_size',
      layer.heads,
      layer.keyDim,
      layer.valueDim,
    ]),
  };
}

/** Adds the layer to the residual stream `x` [batch, seq, hidden] and writes its new states; returns the new `x`. */
export function linearAttentionLayer(
  g: GraphBuilder,
  x: Value,
  layer: LinearAttentionWeights,
  cache: LinearCache,
  index: number,
): Value {
  const { heads, keyDim, valueDim, inProj } = layer;
  const channels = inProj.cols;
  const kernel = layer.convKernel.length;
  const mixed = g.op('Transpose', [g.op('MatMul', [x, g.floats(inProj.data, [inProj.rows, inProj.cols])])], {
    perm: { ints: [0, 2, 1] },
  });
  // The state holds the last `kernel` inputs; the output at a token reads it and the kernel − 1 before it.
  const history = g.op('Concat', [cache.conv, mixed], { axis: { int: 2 } });
  const end = g.ints([Number.MAX_SAFE_INTEGER]);
  g.output(`present_conv.${index}`, g.op('Slice', [history, g.ints([-kernel]), end, g.ints([2])]), DType.float, [
    'batch_size',
    channels,
    kernel,
  ]);
  const window = g.op('Slice', [history, g.ints([1]), end, g.ints([2])]);
  const weights = g.floats(Array.from({ length: channels }, () => layer.convKernel).flat(), [channels, 1, kernel]);
  const convolved = g.op('Transpose', [g.op('Conv', [window, weights], { group: { int: channels } })], {
    perm: { ints: [0, 2, 1] },
  });

  const split = (from: number, size: number): Value =>
    g.op(
      'Transpose',
      [
        g.op('Reshape', [
          g.op('Slice', [convolved, g.ints([from]), g.ints([from + heads * size]), g.ints([2])]),
          g.ints([0, 0, heads, size]),
        ]),
      ],
      { perm: { ints: [0, 2, 1, 3] } },
    );
  const q = split(0, keyDim);
  const k = split(heads * keyDim, keyDim);
  const v = split(2 * heads * keyDim, valueDim);

  // out_t = q_t · (state + Σ_{s ≤ t} k_sᵀ v_s): the saved state, then the new tokens causally.
  const seqLen = g.op('Gather', [g.op('Shape', [x]), g.ints([1], [])]);
  const steps = g.op('Range', [g.ints([0], []), seqLen, g.ints([1], [])]);
  const causal = g.op('LessOrEqual', [steps, g.op('Unsqueeze', [steps, g.ints([1])])]);
  const kT = g.op('Transpose', [k], { perm: { ints: [0, 1, 3, 2] } });
  const scores = g.op('Where', [causal, g.op('MatMul', [q, kT]), g.scalar(0)]);
  const out = g.op('Add', [g.op('MatMul', [q, cache.recurrent]), g.op('MatMul', [scores, v])]);
  g.output(`present_recurrent.${index}`, g.op('Add', [cache.recurrent, g.op('MatMul', [kT, v])]), DType.float, [
    'batch_size',
    heads,
    keyDim,
    valueDim,
  ]);

  const merged = g.op('Reshape', [
    g.op('Transpose', [out], { perm: { ints: [0, 2, 1, 3] } }),
    g.ints([0, 0, heads * valueDim]),
  ]);
  return g.op('Add', [x, g.op('MatMul', [merged, g.floats(layer.o.data, [layer.o.rows, layer.o.cols])])]);
}
