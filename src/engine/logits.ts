/** Reading and steering the decoder's logits: the probability of a chosen token, forced tokens. */
import type { Tensor } from '@huggingface/transformers';

/** The softmax probability of `token` in the last position of `logits` ([batch, seq, vocab]). */
export function tokenProbability(logits: Tensor, token: bigint): number {
  const row = logits.slice(null, -1, null).to('float32').data as Float32Array;
  const vocab = row.length;
  let max = -Infinity;
  for (let i = 0; i < vocab; i++) if ((row[i] as number) > max) max = row[i] as number;
  let sum = 0;
  for (let i = 0; i < vocab; i++) sum += Math.exp((row[i] as number) - max);
  return Math.exp((row[Number(token)] ?? -Infinity) - max) / sum;
}

/** A logits processor that leaves only the next of `tokens` possible at each step. */
export function forceTokens(tokens: readonly bigint[]): (inputIds: bigint[][], logits: Tensor) => Tensor {
  let step = 0;
  return (_inputIds, logits) => {
    const next = tokens[step++];
    if (next === undefined) return logits;
    const scores = logits.data as Float32Array;
    const vocab = logits.dims.at(-1) ?? scores.length;
    for (let row = 0; row < scores.length; row += vocab) {
      scores.fill(-Infinity, row, row + vocab);
      scores[row + Number(next)] = 0;
    }
    return logits;
  };
}
