/**
 * How long a conversation may grow: the model's context, and the memory a device allows its
 * cache. A turn that would pass either is refused before anything runs, with a message that says
 * which and offers a new conversation; nothing is ever truncated.
 */

/** Where a model runs, as `VisionModel.load` is told. */
export type CacheDevice = 'cpu' | 'webgpu' | 'wasm';

/**
 * The memory a conversation's KV cache may take, per device. While a turn runs, the cache of the
 * last completed turn stays alive beside the growing one (so Stop can return to it), so a
 * conversation may hold half of this. WebGPU: a share of a laptop GPU's memory that leaves room
 * for the weights of the models in the registry; WASM: the weights and the cache share one
 * 4 GiB address space; Node: the CLI, benchmarks and the evaluation on a workstation.
 */
export const CACHE_BUDGET_BYTES: Readonly<Record<CacheDevice, number>> = {
  webgpu: 1024 * 2 ** 20,
  wasm: 512 * 2 ** 20,
  cpu: 4096 * 2 ** 20,
};

export interface ContextLimit {
  /** The most tokens a conversation may hold. */
  tokens: number;
  /** Which limit that is. */
  by: 'context' | 'memory' | 'setting';
}

/**
 * The limit for a model with `contextTokens` of context on `device`, whose cache takes
 * `bytesPerToken` per token (null while unknown: the context alone then limits).
 */
export function contextLimit(contextTokens: number, device: CacheDevice, bytesPerToken: number | null): ContextLimit {
  if (bytesPerToken === null || bytesPerToken <= 0) return { tokens: contextTokens, by: 'context' };
  const memoryTokens = Math.floor(CACHE_BUDGET_BYTES[device] / 2 / bytesPerToken);
  return memoryTokens < contextTokens
    ? { tokens: memoryTokens, by: 'memory' }
    : { tokens: contextTokens, by: 'context' };
}

/** What a person reads when a turn needing `needed` tokens does not fit `limit`. */
export function describeContextFull(
  limit: ContextLimit,
  needed: number,
  firstTurn: boolean,
  device: CacheDevice,
): string {
  const fits = `needs about ${needed.toLocaleString('en-US')} tokens`;
  const cap =
    limit.by === 'memory'
      ? `this device allows a conversation about ${limit.tokens.toLocaleString('en-US')} (${Math.round(CACHE_BUDGET_BYTES[device] / 2 / 2 ** 20)} MB of cache)`
      : limit.by === 'setting'
        ? `the conversation limit is ${limit.tokens.toLocaleString('en-US')}`
        : `the model's context holds ${limit.tokens.toLocaleString('en-US')}`;
  return firstTurn
    ? `This question does not fit: it ${fits} with its answer, and ${cap}. Lower the visual-token budget or shorten the question.`
    : `This conversation is full: the next turn ${fits} in all, and ${cap}. Start a new conversation to ask more.`;
}
