/**
 * Running a prefill in chunks (planned by prefill-chunks.ts): each chunk a continuation prefill
 * on the cache, with a check for Stop after it.
 */
import { Tensor } from '@huggingface/transformers';
import type { PrefillPlan } from './prefill-chunks.ts';
import { yieldToEventLoop } from './yield.ts';

/** What a chunked prefill needs of a generation request. */
export interface ChunkedRequest {
  ids: readonly bigint[];
  grids: readonly (readonly [bigint, bigint, bigint])[];
  /** The cache the chunks run into (a `SharedCache`). */
  cache: { get_seq_length(): number };
  /** Pixels of the images the cache does not hold yet, one image after the other. */
  pixelValues: Tensor | null;
}

/** `input_ids`, its attention mask and the grids of the images in it, as `generate` takes them. */
export function sequenceInputs(ids: readonly bigint[], grids: readonly (readonly [bigint, bigint, bigint])[]) {
  return {
    input_ids: new Tensor('int64', BigInt64Array.from(ids), [1, ids.length]),
    attention_mask: new Tensor('int64', new BigInt64Array(ids.length).fill(1n), [1, ids.length]),
    // A text-only stretch gets no grids: its positions are the plain text positions.
    ...(grids.length > 0
      ? { image_grid_thw: new Tensor('int64', BigInt64Array.from(grids.flat()), [grids.length, 3]) }
      : {}),
  };
}

/**
 * Runs the chunks of `plan` into the cache, each a continuation prefill that generates nothing
 * (the one token a call samples never enters the cache), checking for Stop between them.
 * Returns the pixels of the images the final prefill still encodes (null for none).
 */
export async function prefillInChunks(
  model: { generate(inputs: object): Promise<unknown> },
  request: ChunkedRequest,
  plan: PrefillPlan,
  checkAbort: () => void,
): Promise<Tensor | null> {
  const { ids, grids, cache, pixelValues } = request;
  // The request's pixels are those of the images not in the cache yet, one after the other.
  const firstUncached = grids.length - plan.chunks.reduce((n, c) => n + c.encodes.length, plan.finalEncodes.length);
  const rowsOf = new Map<number, [start: number, end: number]>();
  let rows = 0;
  for (let image = firstUncached; image < grids.length; image++) {
    const [t = 0n, h = 0n, w = 0n] = grids[image] ?? [];
    rowsOf.set(image, [rows, (rows += Number(t * h * w))]);
  }
  // The images of a chunk are consecutive: one slice of rows.
  const pixelsOf = (images: number[]): Tensor | null => {
    const first = rowsOf.get(images[0] ?? -1);
    const last = rowsOf.get(images.at(-1) ?? -1);
    return pixelValues && first && last ? pixelValues.slice([first[0], last[1]], null) : null;
  };
  for (const chunk of plan.chunks) {
    const pixels = pixelsOf(chunk.encodes);
    await model.generate({
      ...sequenceInputs(ids.slice(0, chunk.end), grids.slice(0, chunk.imagesBefore)),
      ...(pixels ? { pixel_values: pixels } : {}),
      past_key_values: cache,
      max_new_tokens: 1,
      do_sample: false,
    });
    await yieldToEventLoop();
    checkAbort();
  }
  return pixelsOf(plan.finalEncodes);
}
