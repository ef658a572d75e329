import { describe, expect, it } from 'vitest';
import { DONE, isDone } from './done.js';

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
});
