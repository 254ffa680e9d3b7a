/**
 * The peer's counterpart of vLLM's automatic prefix caching: the KV caches of recent requests,
 * kept in a small LRU, and the longest start of a new request one of them can serve.
 *
 * A cached sequence covers the prompt and every generated token but the last, which the decoder
 * never ran (it was chosen from the previous step's logits). A new request reuses the tokens it
 * shares with a sequence from the start, provided every image in that stretch is the same pixels
 * (hashes) and lies wholly inside it: an image enters the cache in one vision-encoder run, so a
 * cut through one falls back to where it starts. At least the last prompt token is always run
 * again, as in vLLM, since its logits choose the first new token.
 *
 * Attention caches (Qwen2-VL) can be cut to any shorter length along the sequence axis, exactly:
 * the keys and values of a token depend only on the tokens before it. A linear-attention state
 * (Qwen3.5's conv and recurrent states) summarises the whole sequence and cannot be cut, so such a
 * cache serves only requests that start with all of it.
 */
import type { Tensor } from '@huggingface/transformers';
import { releaseEntries, type CacheEntries } from '../../engine/shared-cache.ts';

/** Where an image's tokens lie in a sequence, and its pixels' hash. */
export interface ImageSlot {
  start: number;
  end: number;
  hash: string;
}

/** A request's KV cache, kept after it finished. */
export interface CachedSequence {
  /** The tokens its cache holds. */
  ids: readonly bigint[];
  /** The images among them, in order. */
  images: readonly ImageSlot[];
  entries: CacheEntries;
}

/** The longest reusable start of a request. */
export interface PrefixMatch {
  sequence: CachedSequence;
  /** Tokens reused (the `cached_tokens` of the usage). */
  tokens: number;
}

/** A cache of attention layers only, which can be cut shorter. */
export function canCut(entries: CacheEntries): boolean {
  return Object.keys(entries).every((name) => name.startsWith('past_key_values.'));
}

/** The first `tokens` of every attention tensor ([batch, heads, sequence, head size]): new tensors. */
export function cutEntries(entries: CacheEntries, tokens: number): Record<string, Tensor> {
  const cut: Record<string, Tensor> = {};
  for (const [name, tensor] of Object.entries(entries)) cut[name] = tensor.slice(null, null, [0, tokens], null);
  return cut;
}

export class PrefixCache {
  /** Most recently used first. */
  #sequences: CachedSequence[] = [];

  constructor(private readonly capacity: number) {}

  /** The sequences kept, most recently used first. */
  get sequences(): readonly CachedSequence[] {
    return this.#sequences;
  }

  /** The longest start of `ids` that a kept sequence can serve (null when none). */
  match(ids: readonly bigint[], images: readonly ImageSlot[]): PrefixMatch | null {
    let best: PrefixMatch | null = null;
    for (const sequence of this.#sequences) {
      const tokens = reusableTokens(sequence, ids, images);
      const usable = tokens === sequence.ids.length || canCut(sequence.entries);
      if (usable && tokens > 0 && tokens > (best?.tokens ?? 0)) best = { sequence, tokens };
    }
    if (best) this.#touch(best.sequence);
    return best;
  }

  /**
   * Keeps `sequence` as the most recent. A kept sequence it extends, which it can now serve in
   * its place, is dropped; beyond the capacity the least recently used one is.
   */
  add(sequence: CachedSequence): void {
    const superseded = canCut(sequence.entries)
      ? this.#sequences.filter((kept) => reusableTokens(kept, sequence.ids, sequence.images, true) === kept.ids.length)
      : [];
    this.#sequences = [sequence, ...this.#sequences.filter((kept) => !superseded.includes(kept))];
    const evicted = [...superseded, ...this.#sequences.splice(this.capacity)];
    for (const gone of evicted) releaseEntries(gone.entries, ...this.#sequences.map((kept) => kept.entries));
  }

  /** Frees every kept cache. */
  clear(): void {
    const gone = this.#sequences;
    this.#sequences = [];
    // Tensors are never shared between kept sequences, but checking costs nothing.
    for (const [i, sequence] of gone.entries())
      releaseEntries(sequence.entries, ...gone.slice(i + 1).map((later) => later.entries));
  }

  #touch(sequence: CachedSequence): void {
    this.#sequences = [sequence, ...this.#sequences.filter((kept) => kept !== sequence)];
  }
}

/**
 * How many tokens from the start of `ids` the cache of `sequence` can stand for: the common
 * start, short of the last token of `ids` (unless `whole`), and never cutting through an image or
 * passing one whose pixels differ.
 */
function reusableTokens(
  sequence: CachedSequence,
  ids: readonly bigint[],
  images: readonly ImageSlot[],
  whole = false,
): number {
  const limit = Math.min(sequence.ids.length, whole ? ids.length : ids.length - 1);
  let tokens = 0;
  while (tokens < limit && sequence.ids[tokens] === ids[tokens]) tokens++;
  for (const [i, image] of sequence.images.entries()) {
    if (image.start >= tokens) break;
    const other = images[i];
    const same = other?.start === image.start && other.end === image.end && other.hash === image.hash;
    if (image.end > tokens || !same) return image.start;
  }
  return tokens;
}
