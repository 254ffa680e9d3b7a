/**
 * The models a person can choose. One place, so that adding a real model is one entry here.
 */
import type { ModelChoice } from '../protocol/messages.ts';

/** A model choice with a sentence that tells people what to expect from it. */
export interface AppModelChoice extends ModelChoice {
  note: string;
}

export const TEST_MODEL_ID = 'visionthink-test';

/** The choices for an app served from `baseUrl` (absolute, ending in '/'); the first is the default. */
export function modelChoices(baseUrl: string): AppModelChoice[] {
  return [
    {
      id: TEST_MODEL_ID,
      label: 'VisionThink test model — tiny synthetic, no real understanding',
      source: new URL('models/visionthink-test', baseUrl).href,
      local: true,
      note: 'A model of about 300 KB that this project generates to exercise the app. It does not understand images: it names the main colour and asks for the full image when it sees fine detail.',
    },
  ];
}

/** The protocol's view of a choice (what the worker needs to load it). */
export function toModelChoice(choice: AppModelChoice): ModelChoice {
  return { id: choice.id, label: choice.label, source: choice.source, local: choice.local };
}
