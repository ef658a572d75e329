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

  it('stays exact when cached times and seconds collide or repeat (cache slots reused)', () => {
    const base = Date.UTC(2026, 5, 30, 23, 59, 58, 500);
    // 4,096 ms and 1,024 s apart share a cache slot; the day boundary changes the date part.
    const times = [base, base + 4_096, base + 1_024_000, base + 1_500, base, base + 86_400_000, base + 4_096];
    for (let round = 0; round < 3; round++) {
      for (const ms of times) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
    }
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 20_000_000 }), { minLength: 1, maxLength: 50 }),
        (offsets) => {
          for (const offset of offsets)
            expect(isoTime(base + offset)).toBe(new Date(base + offset).toISOString());
        },
      ),
      { numRuns: 300 },
    );
  });

  it('drops the fraction of a millisecond as Date does (virtual time can have one)', () => {
    for (const ms of [
      0.5,
      999.999,
      Date.UTC(2026, 0, 1) + 0.25,
      Date.UTC(2026, 0, 1, 23, 59, 59, 999) + 0.9,
    ]) {
      expect(isoTime(ms)).toBe(new Date(ms).toISOString());
    }
    fc.assert(
      fc.property(fc.double({ min: 0, max: 2.5e14, noNaN: true }), (ms) => {
        expect(isoTime(ms)).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 1_000 },
    );
  });

  it('throws like Date#toISOString for a time it cannot represent', () => {
    expect(() => isoTime(Number.NaN)).toThrow(RangeError);
  });
});
