import { describe, expect, it } from 'vitest';
import { EngineError } from './errors.ts';
import { POLICIES, isPolicyId, policyFor } from './policies.ts';

describe('policies', () => {
  it('visionthink starts low and serves the full image once', () => {
    const policy = policyFor('visionthink');
    expect(policy.firstPass).toBe('low');
    expect(policy.onResizeRequest('low')).toEqual({ kind: 'serve' });
    expect(policy.onResizeRequest('full')).toEqual({
      kind: 'refuse',
      errorInfo: 'The image is already shown at its full resolution',
    });
  });

  it('low-only never escalates and tells the model why', () => {
    const policy = policyFor('low-only');
    expect(policy.firstPass).toBe('low');
    expect(policy.onResizeRequest('low')).toMatchObject({
      kind: 'refuse',
      errorInfo: expect.stringMatching(/not available/) as unknown,
    });
  });

  it('full-only starts at full resolution and has nothing more to give', () => {
    const policy = policyFor('full-only');
    expect(policy.firstPass).toBe('full');
    expect(policy.onResizeRequest('full').kind).toBe('refuse');
  });

  it('rejects unknown ids with the list of known ones', () => {
    expect(isPolicyId('toString')).toBe(false);
    expect(() => policyFor('always-high')).toThrow(EngineError);
    expect(() => policyFor('always-high')).toThrow(
      'Unknown policy "always-high". Choose one of: visionthink, confidence, low-only, full-only.',
    );
    expect(Object.keys(POLICIES)).toEqual(['visionthink', 'confidence', 'low-only', 'full-only']);
  });
});
