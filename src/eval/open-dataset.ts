/**
 * Opens a dataset of the table by id: the built-in synthetic set (rendered here, offline) or a hub
 * dataset through the dataset viewer's `/rows` API. The CLI and the worker share it.
 */
import { AbortedError, EngineError } from '../engine/errors.ts';
import { findDataset } from './datasets.ts';
import { openHubDataset } from './hub-dataset.ts';
import { syntheticInfo, syntheticItems } from './synthetic/index.ts';
import type { DatasetInfo, EvalItem, SkippedItem } from './types.ts';

export interface OpenedDataset {
  info: DatasetInfo;
  items: EvalItem[];
  /** Sampled items that cannot be posed (a malformed row), with the reason. */
  skipped: SkippedItem[];
}

export interface OpenDatasetOptions {
  limit: number;
  seed: number;
  signal?: AbortSignal;
  /** The dataset viewer's base URL (tests point it at a local server). */
  hubBaseUrl?: string;
}

/** The seeded sample of `limit` items of dataset `id`; rejects with a readable error for an unknown id. */
export async function openDataset(id: string, options: OpenDatasetOptions): Promise<OpenedDataset> {
  const entry = findDataset(id);
  if (entry.kind === 'synthetic') {
    return { info: syntheticInfo(options.limit), items: syntheticItems(options.limit, options.seed), skipped: [] };
  }
  try {
    return await openHubDataset(entry, {
      limit: options.limit,
      seed: options.seed,
      ...(options.hubBaseUrl === undefined ? {} : { baseUrl: options.hubBaseUrl }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
  } catch (error) {
    if (options.signal?.aborted) throw new AbortedError();
    if (error instanceof EngineError) throw error;
    const detail = error instanceof Error ? error.message : String(error);
    throw new EngineError('dataset-unavailable', detail, { cause: error });
  }
}
