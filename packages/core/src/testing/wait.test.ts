import { describe, expect, it } from 'vitest';
import { RealClock } from '../clock/real-clock.js';
import { VirtualClock } from '../clock/virtual-clock.js';
import { advanceUntil, letTimePass } from './wait.js';

describe('advanceUntil', () => {
  it('on a VirtualClock runs timers until the predicate holds, and stops there', async () => {
    const clock = new VirtualClock({ start: 0 });
    let ticks = 0;
    clock.setInterval(() => ticks++, 100);
    expect(await advanceUntil(clock, () => ticks === 3)).toBe(true);
    expect(clock.now()).toBe(300);
  });

  it('on a VirtualClock gives up after the timeout of virtual time', async () => {
    const clock = new VirtualClock({ start: 0 });
    clock.setInterval(() => {}, 100);
    expect(await advanceUntil(clock, () => false, { timeoutMs: 1_000 })).toBe(false);
    expect(clock.now()).toBe(1_000);
    expect(await advanceUntil(clock, () => false)).toBe(false);
    expect(clock.now()).toBe(11_000);
  });

  it('on a real clock polls until the predicate holds', async () => {
    const clock = new RealClock();
    let done = false;
    clock.setTimeout(() => {
      done = true;
    }, 5);
    expect(await advanceUntil(clock, () => done, { pollMs: 1 })).toBe(true);
  });

  it('on a real clock gives up after the timeout', async () => {
    const start = Date.now();
    expect(await advanceUntil(new RealClock(), () => false, { timeoutMs: 10, pollMs: 2 })).toBe(false);
    expect(Date.now() - start).toBeGreaterThanOrEqual(9);
  });

  it('on a real clock resolves at once when the predicate already holds', async () => {
    expect(await advanceUntil(new RealClock(), () => true)).toBe(true);
  });
});

describe('letTimePass', () => {
  it('advances a VirtualClock, firing what is due', async () => {
    const clock = new VirtualClock({ start: 0 });
    const fired: number[] = [];
    clock.setTimeout(() => fired.push(clock.now()), 40);
    await letTimePass(clock, 50);
    expect(fired).toEqual([40]);
    expect(clock.now()).toBe(50);
  });

  it('really waits on any other clock', async () => {
    const clock = new RealClock();
    const start = clock.now();
    await letTimePass(clock, 5);
    expect(clock.now() - start).toBeGreaterThanOrEqual(4);
  });
});
