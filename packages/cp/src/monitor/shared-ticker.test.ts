import { VirtualClock } from '@evcharging/core';
import { describe, expect, it } from 'vitest';
import { everyShared } from './shared-ticker.js';

describe('everyShared', () => {
  it('ticks like setInterval but shares one timer per clock, period and phase', async () => {
    const clock = new VirtualClock();
    const t0 = clock.now();
    const calls: string[] = [];
    const noError = () => undefined;
    const a = everyShared(clock, 1000, () => calls.push(`a@${clock.now() - t0}`), noError);
    everyShared(clock, 1000, () => calls.push(`b@${clock.now() - t0}`), noError);
    expect(clock.pending).toBe(1);
    await clock.advance(250);
    everyShared(clock, 1000, () => calls.push(`c@${clock.now() - t0}`), noError); // other phase
    expect(clock.pending).toBe(2);
    await clock.advance(750);
    everyShared(clock, 1000, () => calls.push(`d@${clock.now() - t0}`), noError); // joins a and b
    expect(clock.pending).toBe(2);
    await clock.advance(1250);
    expect(calls).toEqual(['a@1000', 'b@1000', 'c@1250', 'a@2000', 'b@2000', 'd@2000', 'c@2250']);
    a.cancel();
    a.cancel();
    calls.length = 0;
    await clock.advance(1000);
    expect(calls).toEqual(['b@3000', 'd@3000', 'c@3250']);
  });

  it('isolates a throwing callback and frees the timer when the last one leaves', async () => {
    const clock = new VirtualClock();
    const errors: unknown[] = [];
    let ticks = 0;
    const bad = everyShared(
      clock,
      500,
      () => {
        throw new Error('boom');
      },
      (e) => errors.push(e),
    );
    const good = everyShared(
      clock,
      500,
      () => ticks++,
      (e) => errors.push(e),
    );
    await clock.advance(1000);
    expect(ticks).toBe(2);
    expect(errors).toHaveLength(2);
    bad.cancel();
    good.cancel();
    expect(clock.pending).toBe(0);
    const again = everyShared(
      clock,
      500,
      () => ticks++,
      () => undefined,
    );
    await clock.advance(500);
    expect(ticks).toBe(3);
    again.cancel();
  });

  it('never mixes clocks', async () => {
    const one = new VirtualClock();
    const two = new VirtualClock();
    let a = 0;
    let b = 0;
    everyShared(
      one,
      1000,
      () => a++,
      () => undefined,
    );
    everyShared(
      two,
      1000,
      () => b++,
      () => undefined,
    );
    await one.advance(3000);
    expect([a, b]).toEqual([3, 0]);
  });
});
