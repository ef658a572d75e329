import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoTime } from './ids.js';

describe('isoTime', () => {
  it('formats exactly like Date#toISOString', () => {
    for (const ms of [
      0,
      1,
      999,
      1000,
      86_399_999,
      86_400_000,
      Date.UTC(2026, 0, 1),
      Date.UTC(2026, 11, 31, 23, 59, 59, 999),
    ]) {
      expect(isoTime(ms)).toBe(new Date(ms).toISOString());
    }
  });

  it('agrees with Date#toISOString for any time, in any order of calls', () => {
    fc.assert(
      fc.property(fc.integer({ min: -8.64e15, max: 8.64e15 }), (ms) => {
        expect(isoTime(ms)).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 2_000 },
    );
  });

  it('throws like Date#toISOString for a time it cannot represent', () => {
    expect(() => isoTime(Number.NaN)).toThrow(RangeError);
  });
});
