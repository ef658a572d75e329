import * as crypto from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { secretsMatch } from './secrets.js';

vi.mock('node:crypto', async (importOriginal) => {
  const original = await importOriginal<typeof import('node:crypto')>();
  return { ...original, timingSafeEqual: vi.fn(original.timingSafeEqual) };
});

describe('secretsMatch (tokens and per-CP secrets)', () => {
  it('compares in constant time: timingSafeEqual on two equal-length digests, whatever the lengths presented', () => {
    const spy = vi.mocked(crypto.timingSafeEqual);
    spy.mockClear();
    for (const presented of ['', 'a', 'secret', 'secreT', 'x'.repeat(10_000)])
      secretsMatch('secret', presented);
    expect(spy).toHaveBeenCalledTimes(5);
    for (const [a, b] of spy.mock.calls) {
      expect((a as Buffer).length).toBe(32);
      expect((b as Buffer).length).toBe(32);
    }
  });

  it('matches exactly the same text (as UTF-8: lone surrogates all read as U+FFFD), never throws, refuses a missing secret', () => {
    const utf8 = (s: string) => Buffer.from(s, 'utf8').toString('hex');
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 300 }),
        fc.string({ unit: 'binary', maxLength: 300 }),
        (a, b) => {
          expect(secretsMatch(a, a)).toBe(true);
          expect(secretsMatch(a, b)).toBe(utf8(a) === utf8(b));
          expect(secretsMatch(a, undefined)).toBe(false);
        },
      ),
      { numRuns: 500 },
    );
  });
});
