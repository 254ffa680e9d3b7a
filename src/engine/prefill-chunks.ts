/**
 * Where a long prefill is cut into chunks. One session run cannot be interrupted, and a prefill of
 * a few thousand tokens is one run: seconds on a CPU, tens of seconds on a software GPU. Run as
 * chunks (each a continuation of the cache, as round 2 is), it gives Stop a chance between them.
 * A chunk never splits an image: all of an image's tokens enter the cache in the chunk whose
 * vision-encoder run produces them.
 */

/** The tokens of one image in a sequence: `[start, end)` of its run of image tokens. */
export interface ImageSpan {
  start: number;
  end: number;
}

/** One chunk: the sequence up to `end` enters the cache, encoding the images listed. */
export interface PrefillChunk {
  end: number;
  /** How many of the sequence's images lie wholly before `end` (their grids are passed). */
  imagesBefore: number;
  /** The images (indices into the sequence's images) first encoded in this chunk. */
  encodes: number[];
}

export interface PrefillPlan {
  /** The chunks before the last; the last is the generation's own prefill. */
  chunks: PrefillChunk[];
  /** The images the last prefill encodes. */
  finalEncodes: number[];
}

/** Each image's run of `imageToken` in `ids`, in order. */
export function imageSpans(ids: readonly bigint[], imageToken: bigint): ImageSpan[] {
  const spans: ImageSpan[] = [];
  for (let i = 0; i < ids.length; i++) {
    if (ids[i] !== imageToken) continue;
    const start = i;
    while (i < ids.length && ids[i] === imageToken) i++;
    spans.push({ start, end: i });
  }
  return spans;
}

/**
 * The chunks of the prefill of `ids` after the `cached` tokens the cache holds, each about
 * `chunkTokens` long (longer where an image would be split). Null when the prefill fits in one
 * chunk, or when the images found do not match `imageCount` (then it runs whole, as always).
 */
export function planPrefillChunks(
  ids: readonly bigint[],
  cached: number,
  imageToken: bigint,
  imageCount: number,
  chunkTokens: number,
): PrefillPlan | null {
  if (!Number.isInteger(chunkTokens) || chunkTokens < 1 || ids.length - cached <= chunkTokens) return null;
  const spans = imageSpans(ids, imageToken);
  if (spans.length !== imageCount) return null;
  const uncached = spans.flatMap((span, index) => (span.start >= cached ? [{ span, index }] : []));
  const encodedIn = (from: number, end: number): number[] =>
    uncached.filter(({ span }) => span.start >= from && span.end <= end).map(({ index }) => index);
  // An image the cache holds only in part cannot be continued.
  if (spans.some((span) => span.start < cached && span.end > cached)) return null;

  const chunks: PrefillChunk[] = [];
  let from = cached;
  for (;;) {
    let end = from + chunkTokens;
    const inside = spans.find((span) => span.start < end && end < span.end);
    if (inside) end = inside.end;
    if (end >= ids.length) break;
    chunks.push({
      end,
      imagesBefore: spans.filter((span) => span.end <= end).length,
      encodes: encodedIn(from, end),
    });
    from = end;
  }
  if (chunks.length === 0) return null;
  return { chunks, finalEncodes: encodedIn(from, ids.length) };
}
