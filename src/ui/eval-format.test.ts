import { describe, expect, it } from 'vitest';
import { formatProgress, formatTimeLeft } from './eval-format.ts';

describe('the evaluation’s progress in words', () => {
  it('says how long is left in minutes, and in hours for long runs', () => {
    expect(formatTimeLeft(59_999)).toBe('less than a minute left');
    expect(formatTimeLeft(60_000)).toBe('about 1 min left');
    expect(formatTimeLeft(150_000)).toBe('about 3 min left');
    expect(formatTimeLeft(89 * 60_000)).toBe('about 89 min left');
    expect(formatTimeLeft(150 * 60_000)).toBe('about 2.5 h left');
  });

  it('counts answers, with the time left once there is a pace to go by', () => {
    expect(formatProgress({ done: 0, total: null, remainingMs: null })).toBe('Opening the dataset…');
    expect(formatProgress({ done: 0, total: 40, remainingMs: null })).toBe('0 of 40 answers');
    expect(formatProgress({ done: 12, total: 40, remainingMs: 120_000 })).toBe('12 of 40 answers · about 2 min left');
    expect(formatProgress({ done: 1200, total: 4000, remainingMs: 30_000 })).toBe(
      '1,200 of 4,000 answers · less than a minute left',
    );
    expect(formatProgress({ done: 0, total: 1, remainingMs: null })).toBe('0 of 1 answer');
  });
});
