/** Loading support: cancellable downloads, processor defaults, and load errors for people. */
import { env, ModelFileNotFoundError, type Processor } from '@huggingface/transformers';
import { ModelLoadError } from './errors.ts';

/**
 * Makes every request transformers.js sends abort with `signal` (its file fetches take no signal
 * of their own), until the returned function restores the previous fetch. Loads run one at a time
 * (in the worker's queue, or once in the CLI), so swapping the global for a load is safe.
 */
export function abortFetchesOn(signal: AbortSignal): () => void {
  const previous = env.fetch;
  env.fetch = (input: string | URL, init?: RequestInit) =>
    previous(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal });
  return () => {
    env.fetch = previous;
  };
}

/**
 * transformers.js 4.3.1 leaves `do_normalize` off when preprocessor_config.json does not set it,
 * where the Python Qwen-VL image processors default to normalising; hub configs that rely on
 * that default (some Qwen3.5 exports) would otherwise feed the vision encoder unnormalised pixels.
 */
export function applyProcessorDefaults(processor: Processor): void {
  const imageProcessor = processor.image_processor as
    { config?: { do_normalize?: unknown }; do_normalize?: boolean } | undefined;
  if (imageProcessor && imageProcessor.config?.do_normalize === undefined) imageProcessor.do_normalize = true;
}

export function describeLoadError(source: string, error: unknown): ModelLoadError {
  if (error instanceof ModelLoadError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  if (/fetch failed|network|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|Failed to fetch/i.test(detail)) {
    return new ModelLoadError(
      'model-unreachable',
      `The model "${source}" could not be downloaded: the Hugging Face hub cannot be reached. Check the internet connection, or use a model that is already on this device.`,
      { cause: error },
    );
  }
  if (error instanceof ModelFileNotFoundError || /not found|ENOENT|404/i.test(detail)) {
    const file = /(?:at|from) "?([^"\s]+)"?\.?$/.exec(detail)?.[1];
    return new ModelLoadError(
      'model-missing',
      `The model "${source}" could not be loaded: a required file is missing${file ? ` (${file})` : ''}.`,
      { cause: error },
    );
  }
  return new ModelLoadError(
    'model-invalid',
    `The model "${source}" could not be loaded: one of its files is damaged or not in the expected format (${detail}).`,
    { cause: error },
  );
}
