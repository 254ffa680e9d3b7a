/**
 * The synthetic set on the generated test model, through the path the harness takes in Node: PNG
 * bytes opened with sharp (`imageFromBytes`), one `Conversation` per item under the VisionThink
 * policy. The model asks for the full image on exactly the `full` items (small print, charts),
 * answers the `low` ones from the half-size image, and names a colour question's background.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Conversation } from '../../src/engine/conversation.ts';
import type { RunResult } from '../../src/engine/events.ts';
import type { VisionModel } from '../../src/engine/vision-model.ts';
import { renderSyntheticItem, syntheticItems } from '../../src/eval/synthetic/index.ts';
import type { EvalItem } from '../../src/eval/types.ts';
import { loadModelForNode } from '../../src/node/load-model.ts';
import { imageFromBytes } from '../../src/node/sharp-image.ts';
import { resultOf } from '../engine/helpers.ts';

const SEED = 1;

let model: VisionModel;

beforeAll(async () => {
  model = await loadModelForNode();
});

afterAll(async () => {
  await model.dispose();
});

/** The first item of each kind among the seed's first items, in the order the kinds are met. */
function oneOfEachKind(): { kind: string; item: EvalItem }[] {
  const items = syntheticItems(30, SEED);
  const seen = new Map<string, EvalItem>();
  for (const [index, item] of items.entries()) {
    const { kind } = renderSyntheticItem(SEED, index);
    if (!seen.has(kind)) seen.set(kind, item);
  }
  return [...seen].map(([kind, item]) => ({ kind, item }));
}

async function ask(item: EvalItem): Promise<RunResult> {
  const image = await imageFromBytes(await item.image());
  const conversation = new Conversation(model, { image, policy: 'visionthink' });
  try {
    const events = [];
    for await (const event of conversation.ask({ question: item.question })) events.push(event);
    return resultOf(events);
  } finally {
    await conversation.dispose();
  }
}

describe('the synthetic set on the generated test model', () => {
  it('escalates exactly the full items, one of each kind', async () => {
    const kinds = oneOfEachKind();
    expect(kinds.map(({ kind }) => kind).sort()).toEqual(['chart', 'colour', 'number', 'shape', 'text']);
    for (const { kind, item } of kinds) {
      const result = await ask(item);
      const decisions = result.rounds.map((round) => [round.image?.resolution ?? null, round.decision]);
      expect({ kind, category: item.category, escalated: result.escalated }).toEqual({
        kind,
        category: item.category,
        escalated: item.category === 'full',
      });
      expect(decisions[0]).toEqual(['low', item.category === 'full' ? 'escalate' : 'answer']);
      // The model only ever names the colour nearest the mean: right exactly on the colour question.
      if (kind === 'colour') expect(item.answers).toContain(result.answer);
    }
  });
});
