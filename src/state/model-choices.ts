/**
 * The models a person can choose: the engine's registry (src/engine/model-registry.ts), and how
 * the worker is told to load one.
 */
import { MODEL_REGISTRY, TEST_MODEL, type ModelEntry } from '../engine/model-registry.ts';
import type { ModelChoice } from '../protocol/messages.ts';

/** A model the app offers (an entry of the engine's registry). */
export type AppModelChoice = ModelEntry;

export const TEST_MODEL_ID = TEST_MODEL.id;

/**
 * The model id of the Server source: an OpenAI-compatible server answers instead of a model in
 * this browser (its address and model come from the server form, see server-slice.ts).
 */
export const SERVER_MODEL_ID = 'server';

/** The choices, the default first. */
export function modelChoices(): readonly AppModelChoice[] {
  return MODEL_REGISTRY;
}

/** Whether the model ships with the app (no download, works offline). */
export function isBundled(choice: AppModelChoice): boolean {
  return 'bundled' in choice.source;
}

/**
 * Where the files of `choice` live: its folder under `models/` of the app at `baseUrl`, or its
 * Hugging Face repository's `resolve/<revision>/` folder. Cached files are found by this prefix.
 */
export function filesPrefix(choice: AppModelChoice, baseUrl: string): string {
  return 'bundled' in choice.source
    ? new URL(`models/${choice.source.bundled}/`, baseUrl).href
    : `https://huggingface.co/${choice.source.hub}/resolve/${choice.source.revision}/`;
}

/** The protocol's view of a choice (what the worker needs to load it). */
export function toModelChoice(choice: AppModelChoice, baseUrl: string): ModelChoice {
  return {
    id: choice.id,
    label: choice.label,
    source: 'bundled' in choice.source ? new URL(`models/${choice.source.bundled}`, baseUrl).href : choice.source.hub,
    local: isBundled(choice),
  };
}
