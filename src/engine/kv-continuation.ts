/**
 * Makes Qwen-VL generation continue on an existing KV cache when the appended turn carries a new
 * image (round 2 of VisionThink: the tool response with the full-resolution image).
 *
 * transformers.js 4.3.1 cannot do this: once a cache is present, the model's
 * `prepare_inputs_for_generation` sets `pixel_values = null`, which the multimodal forward then
 * treats as "an image is present" and hands to the vision encoder ("Missing the following
 * inputs: pixel_values"). And the vision encoder would receive the grids of every image in the
 * sequence while only the new image's patches are fed.
 *
 * The fix lives where the defect is, on the shared Qwen-VL base class (every Qwen-VL family in the
 * library extends it), and changes two things only:
 * 1. During a continuation prefill (a cache is present and more than one new token is fed), the
 *    caller's `pixel_values` — the new images only — are kept, or removed entirely when the
 *    appended text has no image. Single-token decoding steps keep the library's behaviour.
 * 2. The vision encoder receives only the trailing rows of `image_grid_thw` that belong to the
 *    patches it is given. `image_grid_thw` passed to `generate()` still lists every image of the
 *    sequence in order, because M-RoPE positions are recomputed over the whole sequence.
 *
 * Everything else (position ids, attention mask, cache update, decoding) is the library's own
 * code path. `test/engine/kv-reuse.test.ts` proves the result equals a full re-prefill.
 */
import { Qwen2VLForConditionalGeneration, Tensor } from '@huggingface/transformers';

/** The exact library version this fix was written and verified against. */
export const PATCHED_TRANSFORMERS_VERSION = '4.3.1';

interface Cache {
  get_seq_length(): number;
}
interface ModelInputs {
  input_ids?: Tensor;
  position_ids?: Tensor | null;
  past_key_values?: Cache | null;
  pixel_values?: Tensor | null;
  [key: string]: unknown;
}
type Prepare = (this: unknown, inputIds: unknown, inputs: ModelInputs, config: unknown) => ModelInputs;
type EncodeImage = (this: unknown, inputs: { pixel_values: Tensor; image_grid_thw: Tensor }) => Promise<Tensor>;

interface PatchableProto {
  prepare_inputs_for_generation: Prepare;
  encode_image: EncodeImage;
  __visionthinkKvContinuation?: true;
}

/** Installs the fix once per process (idempotent). */
export function installKvContinuation(version: string): void {
  if (version !== PATCHED_TRANSFORMERS_VERSION) {
    throw new Error(
      `The KV-cache continuation fix was verified on @huggingface/transformers ${PATCHED_TRANSFORMERS_VERSION}, not ${version}; re-verify it before upgrading.`,
    );
  }
  const proto = Qwen2VLForConditionalGeneration.prototype as unknown as PatchableProto;
  if (proto.__visionthinkKvContinuation) return;
  proto.__visionthinkKvContinuation = true;

  const prepare = proto.prepare_inputs_for_generation;
  proto.prepare_inputs_for_generation = function (inputIds, inputs, config) {
    const cache = inputs.past_key_values;
    const newImages = inputs.pixel_values;
    const continuationPrefill =
      cache != null &&
      !inputs.position_ids &&
      (inputs.input_ids?.dims[1] ?? 0) > 1 &&
      cache.get_seq_length() < (inputs.input_ids?.dims[1] ?? 0);
    const prepared = prepare.call(this, inputIds, inputs, config);
    if (continuationPrefill) {
      if (newImages) prepared.pixel_values = newImages;
      else delete prepared.pixel_values;
    }
    return prepared;
  };

  const encodeImage = proto.encode_image;
  proto.encode_image = function (inputs) {
    return encodeImage.call(this, {
      ...inputs,
      image_grid_thw: trailingGrids(inputs.image_grid_thw, inputs.pixel_values.dims[0] ?? 0),
    });
  };
}

/** The last rows of `grids` ([images, 3]) whose t·h·w patches add up to `patchCount`. */
export function trailingGrids(grids: Tensor, patchCount: number): Tensor {
  const rows = grids.tolist() as bigint[][];
  let patches = 0;
  let first = rows.length;
  while (patches < patchCount && first > 0) {
    first -= 1;
    const [t, h, w] = rows[first] ?? [];
    patches += Number(t) * Number(h) * Number(w);
  }
  if (patches !== patchCount) {
    throw new Error(`The image grids do not match the ${patchCount} image patches given to the vision encoder.`);
  }
  if (first === 0) return grids;
  const kept = rows.slice(first);
  return new Tensor('int64', BigInt64Array.from(kept.flat()), [kept.length, 3]);
}
