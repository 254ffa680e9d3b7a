import { describe, expect, it } from 'vitest';
import { budgetLimits, clampBudget, selectDefaultPolicyWhy, selectPolicy, selectThreshold } from './settings-slice.ts';
import { TEST_DEVICE, TEST_GEOMETRY, createHarness } from './testing.ts';

describe('settings', () => {
  it('starts with the model deciding and a budget of 1024', () => {
    const { store } = createHarness();
    expect(store.getState().settings).toEqual({
      policy: 'visionthink',
      policyChosen: false,
      threshold: 0.6,
      thresholdChosen: false,
      maxVisualTokens: 1024,
      budgetChosen: false,
    });
  });

  it('follows the selected model’s default policy and threshold until the person chooses', () => {
    const { store } = createHarness();
    store.getState().selectModel('qwen3.5-0.8b');
    expect(selectPolicy(store.getState())).toBe('confidence');
    expect(selectThreshold(store.getState())).toBe(0.6);
    expect(selectDefaultPolicyWhy(store.getState())?.defaultPolicyWhy).toMatch(
      /never trained to ask for the full image/,
    );
    store.getState().selectModel('visionthink-test');
    expect(selectPolicy(store.getState())).toBe('visionthink');
    store.getState().setPolicy('confidence');
    store.getState().setThreshold(0.456);
    store.getState().selectModel('qwen3.5-0.8b');
    store.getState().selectModel('visionthink-test');
    expect(selectPolicy(store.getState())).toBe('confidence');
    expect(selectThreshold(store.getState())).toBe(0.46);
    for (const bad of [-0.1, 1.01, Number.NaN]) store.getState().setThreshold(bad);
    expect(selectThreshold(store.getState())).toBe(0.46);
    store.getState().setThreshold(1);
    expect(selectThreshold(store.getState())).toBe(1);
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
