/**
 * KV caches that share tensors instead of copying them. ONNX Runtime never writes a past tensor
 * in place: every step returns new present tensors, which the cache swaps in. So a conversation
 * can start from the prompt prefix's tensors, and a turn from the last completed turn's, by
 * holding the same tensors in a new cache, as long as no cache disposes a tensor another still
 * holds. transformers.js's `DynamicCache` disposes every GPU tensor it replaces; a `SharedCache`
 * leaves alone the tensors it was told to keep (those it started from) and disposes everything
 * else it replaces or holds at the end, on every device, so that tests in Node can count the
 * tensors still alive.
 */
import { DynamicCache, type Tensor } from '@huggingface/transformers';

/** Cache tensors by input name (`past_key_values.0.key`, `past_conv.1`, …). */
export type CacheEntries = Readonly<Record<string, Tensor>>;

interface CacheBase {
  get_seq_length(): number;
  update(entries: Record<string, Tensor>): void;
  dispose(): Promise<void>;
}
// The library types the cache as a record of tensors; its methods live on the prototype.
const Base = DynamicCache as unknown as new (entries?: Record<string, Tensor>) => CacheBase;

export class SharedCache extends Base {
  /** Tensors other caches still hold: never disposed by this one. */
  readonly #kept: ReadonlySet<Tensor>;

  /** A cache holding `from` (nothing when absent), none of whose tensors it will dispose. */
  constructor(from: CacheEntries = {}) {
    super({ ...from });
    this.#kept = new Set(Object.values(from));
  }

  override update(entries: Record<string, Tensor>): void {
    const self = this as unknown as Record<string, Tensor>;
    for (const key in entries) {
      const old = self[key];
      const next = entries[key];
      if (!next) continue;
      if (old && old !== next && !this.#kept.has(old)) old.dispose();
      self[key] = next;
    }
  }

  /** The tensors it holds now, by name: another cache can start from them. */
  entries(): Record<string, Tensor> {
    return { ...(this as unknown as Record<string, Tensor>) };
  }

  /** Disposes every tensor it holds except those it was started from, and empties itself. */
  override async dispose(): Promise<void> {
    const self = this as unknown as Record<string, Tensor>;
    for (const key of Object.keys(self)) {
      const tensor = self[key];
      if (tensor && !this.#kept.has(tensor)) tensor.dispose();
      Reflect.deleteProperty(self, key);
    }
    return Promise.resolve();
  }
}

/** Disposes the tensors of `entries` that are in none of `stillHeld`. */
export function releaseEntries(entries: CacheEntries, ...stillHeld: CacheEntries[]): void {
  const held = new Set(stillHeld.flatMap((other) => Object.values(other)));
  for (const tensor of Object.values(entries)) if (!held.has(tensor)) tensor.dispose();
}

const ELEMENT_BYTES: Readonly<Record<string, number>> = { float32: 4, float16: 2, bfloat16: 2 };

/**
 * Bytes the attention cache of `entries` takes per token in context, measured from its tensors
 * (linear-attention states have a fixed size and are not counted); null for an empty cache.
 */
export function bytesPerCachedToken(entries: CacheEntries): number | null {
  let bytes = 0;
  let tokens = 0;
  for (const [name, tensor] of Object.entries(entries)) {
    if (!name.startsWith('past_key_values.')) continue;
    tokens = tensor.dims.at(-2) ?? 0;
    bytes += tensor.size * (ELEMENT_BYTES[tensor.type] ?? 4);
  }
  return tokens > 0 ? bytes / tokens : null;
}
