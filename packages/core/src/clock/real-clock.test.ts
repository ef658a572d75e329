import { describe, expect, it } from 'vitest';
import { RealClock } from './real-clock.js';

// Real timers, so only a few milliseconds at a time.
describe('RealClock', () => {
  it('reads wall-clock time', () => {
    const clock = new RealClock();
    const before = Date.now();
    const now = clock.now();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });

  it('fires a timeout once after its delay', async () => {
    const clock = new RealClock();
    const start = clock.now();
    const firedAt = await new Promise<number>((resolve) => clock.setTimeout(() => resolve(clock.now()), 5));
    expect(firedAt - start).toBeGreaterThanOrEqual(4);
  });

  it('a cancelled timeout never fires', async () => {
    const clock = new RealClock();
    let fired = false;
    const handle = clock.setTimeout(() => {
      fired = true;
    }, 1);
    handle.cancel();
    handle.cancel();
    await clock.sleep(10);
    expect(fired).toBe(false);
  });

  it('a negative timeout runs as soon as possible', async () => {
    const clock = new RealClock();
    await new Promise<void>((resolve) => clock.setTimeout(resolve, -50));
  });

  it('repeats an interval until cancelled', async () => {
    const clock = new RealClock();
    let ticks = 0;
    await new Promise<void>((resolve) => {
      const handle = clock.setInterval(() => {
        ticks++;
        if (ticks === 3) {
          handle.cancel();
          resolve();
        }
      }, 1);
    });
    await clock.sleep(10);
    expect(ticks).toBe(3);
  });

  it('sleeps at least the given time', async () => {
    const clock = new RealClock();
    const start = clock.now();
    await clock.sleep(5);
    expect(clock.now() - start).toBeGreaterThanOrEqual(4);
    await clock.sleep(-1);
  });
});
