import { describe, expect, it } from 'vitest';
import { budgetLimits, clampBudget } from './settings-slice.ts';
import { TEST_DEVICE, TEST_GEOMETRY, createHarness } from './testing.ts';

describe('settings', () => {
  it('starts with the model deciding and a budget of 1024', () => {
    const { store } = createHarness();
    expect(store.getState().settings).toEqual({ policy: 'visionthink', maxVisualTokens: 1024, budgetChosen: false });
  });

  it('takes known policies only', () => {
    const { store } = createHarness();
    store.getState().setPolicy('full-only');
    expect(store.getState().settings.policy).toBe('full-only');
    store.getState().setPolicy('sometimes');
    expect(store.getState().settings.policy).toBe('full-only');
  });

  it('rounds and clamps the budget, ignoring non-numbers', () => {
    const { store, client } = createHarness();
    client.emit({
      type: 'loaded',
      requestId: 1,
      modelId: 'visionthink-test',
      geometry: TEST_GEOMETRY,
      device: TEST_DEVICE,
    });
    const { setBudget } = store.getState();
    setBudget(300.6);
    expect(store.getState().settings.maxVisualTokens).toBe(301);
    setBudget(0);
    expect(store.getState().settings.maxVisualTokens).toBe(4);
    setBudget(1e9);
    expect(store.getState().settings.maxVisualTokens).toBe(1280);
    setBudget(Number.NaN);
    expect(store.getState().settings.maxVisualTokens).toBe(1280);
  });

  it('derives the limits from the model’s pixel range', () => {
    expect(budgetLimits(TEST_GEOMETRY)).toEqual({ min: 4, max: 1280 });
    expect(budgetLimits(null)).toEqual({ min: 1, max: 16384 });
    expect(clampBudget(-5, null)).toBe(1);
  });
});
