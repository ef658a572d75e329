import { describe, expect, it } from 'vitest';
import { DONE, isDone, isPending } from './done.js';

describe('DONE', () => {
  it('is a promise resolved to undefined', async () => {
    await expect(DONE).resolves.toBeUndefined();
  });

  it('is recognised by identity only: another resolved promise is not known to be done', () => {
    expect(isDone(DONE)).toBe(true);
    expect(isDone(Promise.resolve())).toBe(false);
    expect(isDone(undefined)).toBe(false);
    expect(isDone(DONE.then(() => undefined))).toBe(false);
  });

  it('leaves only promises still to wait for pending: not DONE, not undefined, not plain values', () => {
    expect(isPending(Promise.resolve())).toBe(true);
    expect(isPending(Promise.reject(new Error('failed')).catch(() => undefined))).toBe(true);
    expect(isPending(DONE)).toBe(false);
    expect(isPending(undefined)).toBe(false);
    expect(isPending(null)).toBe(false);
    expect(isPending(0)).toBe(false);
  });
});
