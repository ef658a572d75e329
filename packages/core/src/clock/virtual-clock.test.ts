import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VIRTUAL_EPOCH, VirtualClock } from './virtual-clock.js';

describe('VirtualClock', () => {
  it('starts at the virtual epoch, or at the given start', () => {
    expect(new VirtualClock().now()).toBe(VIRTUAL_EPOCH);
    expect(new Date(VIRTUAL_EPOCH).toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(new VirtualClock({ start: 1_000 }).now()).toBe(1_000);
  });

  it('does not move time or fire anything until advanced', async () => {
    const clock = new VirtualClock({ start: 0 });
    let fired = false;
    clock.setTimeout(() => {
      fired = true;
    }, 0);
    await Promise.resolve();
    await new Promise((resolve) => setImmediate(resolve));
    expect(fired).toBe(false);
    expect(clock.now()).toBe(0);
  });

  it('fires timers in time order, equal times in insertion order, each at its own time', async () => {
    const clock = new VirtualClock({ start: 0 });
    const log: string[] = [];
    const at = (name: string) => () => log.push(`${name}@${clock.now()}`);
    clock.setTimeout(at('c'), 30);
    clock.setTimeout(at('a1'), 10);
    clock.setTimeout(at('b'), 20);
    clock.setTimeout(at('a2'), 10);
    clock.setTimeout(at('zero'), 0);
    clock.setTimeout(at('a3'), 10);
    await clock.advance(100);
    expect(log).toEqual(['zero@0', 'a1@10', 'a2@10', 'a3@10', 'b@20', 'c@30']);
    expect(clock.now()).toBe(100);
    expect(clock.fired).toBe(6);
  });

  it('keeps insertion order among many equal-time timers (heap stability)', async () => {
    const clock = new VirtualClock({ start: 0 });
    const log: number[] = [];
    for (let i = 0; i < 200; i++) clock.setTimeout(() => log.push(i), (i % 5) * 10);
    await clock.runUntilIdle();
    const expected = [0, 1, 2, 3, 4].flatMap((slot) => Array.from({ length: 40 }, (_, j) => j * 5 + slot));
    expect(log).toEqual(expected);
  });

  it('fires any mix of timeouts and intervals in the same order as a naive (time, insertion) scheduler', async () => {
    const spec = fc.array(
      fc.record({ delay: fc.integer({ min: 0, max: 50 }), period: fc.integer({ min: 0, max: 20 }) }),
      {
        minLength: 1,
        maxLength: 40,
      },
    );
    await fc.assert(
      fc.asyncProperty(spec, async (timers) => {
        const clock = new VirtualClock({ start: 0 });
        const fired: string[] = [];
        timers.forEach((t, id) => {
          const log = () => fired.push(`${clock.now()}:${id}`);
          if (t.period > 0) clock.setInterval(log, t.period);
          else clock.setTimeout(log, t.delay);
        });
        await clock.advance(100);
        // Reference: scan for the earliest (time, seq) every step; an interval gets a new seq per run.
        const live = timers.map((t, id) => ({
          id,
          time: t.period > 0 ? t.period : t.delay,
          period: t.period,
          seq: id,
        }));
        let seq = timers.length;
        const expected: string[] = [];
        for (;;) {
          let best: (typeof live)[number] | undefined;
          for (const t of live)
            if (!best || t.time < best.time || (t.time === best.time && t.seq < best.seq)) best = t;
          if (!best || best.time > 100) break;
          expected.push(`${best.time}:${best.id}`);
          if (best.period > 0) {
            best.time += best.period;
            best.seq = seq++;
          } else live.splice(live.indexOf(best), 1);
        }
        expect(fired).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });

  it('treats a negative delay as zero', async () => {
    const clock = new VirtualClock({ start: 500 });
    const times: number[] = [];
    clock.setTimeout(() => times.push(clock.now()), -100);
    await clock.advance(0);
    expect(times).toEqual([500]);
  });

  it('a non-finite delay neither corrupts time nor fires out of order', async () => {
    const clock = new VirtualClock({ start: 0 });
    const log: string[] = [];
    clock.setTimeout(() => log.push(`nan@${clock.now()}`), Number.NaN);
    clock.setTimeout(() => log.push(`later@${clock.now()}`), 10);
    await clock.advance(20);
    expect(log).toEqual(['nan@0', 'later@10']);
    expect(clock.now()).toBe(20);
  });

  it('a NaN interval runs every 1 ms instead of firing forever at one instant', async () => {
    const clock = new VirtualClock({ start: 0 });
    const ticks: number[] = [];
    clock.setInterval(() => ticks.push(clock.now()), Number.NaN);
    await clock.advance(3);
    expect(ticks).toEqual([1, 2, 3]);
  });

  it('a timer scheduled from a callback fires in the same advance if it is due', async () => {
    const clock = new VirtualClock({ start: 0 });
    const log: number[] = [];
    clock.setTimeout(() => {
      log.push(clock.now());
      clock.setTimeout(() => log.push(clock.now()), 5);
      clock.setTimeout(() => log.push(clock.now()), 50);
    }, 10);
    await clock.advance(20);
    expect(log).toEqual([10, 15]);
    await clock.advance(40);
    expect(log).toEqual([10, 15, 60]);
  });

  it('repeats intervals at their period until cancelled', async () => {
    const clock = new VirtualClock({ start: 0 });
    const ticks: number[] = [];
    const handle = clock.setInterval(() => ticks.push(clock.now()), 250);
    await clock.advance(1_000);
    expect(ticks).toEqual([250, 500, 750, 1_000]);
    handle.cancel();
    await clock.advance(1_000);
    expect(ticks).toHaveLength(4);
    expect(clock.pending).toBe(0);
  });

  it('an interval of 0 ms runs every 1 ms instead of spinning at one instant', async () => {
    const clock = new VirtualClock({ start: 0 });
    const ticks: number[] = [];
    clock.setInterval(() => ticks.push(clock.now()), 0);
    await clock.advance(3);
    expect(ticks).toEqual([1, 2, 3]);
  });

  it('interleaves intervals and timeouts by time', async () => {
    const clock = new VirtualClock({ start: 0 });
    const log: string[] = [];
    clock.setInterval(() => log.push(`i${clock.now()}`), 10);
    clock.setTimeout(() => log.push(`t${clock.now()}`), 15);
    clock.setTimeout(() => log.push(`u${clock.now()}`), 20);
    await clock.advance(30);
    // The interval is re-queued when it fires at 10, after `u` was scheduled: `u` goes first at 20.
    expect(log).toEqual(['i10', 't15', 'u20', 'i20', 'i30']);
  });

  describe('cancel', () => {
    it('a cancelled timer never fires and cancel is idempotent', async () => {
      const clock = new VirtualClock({ start: 0 });
      let fired = 0;
      const handle = clock.setTimeout(() => fired++, 10);
      clock.setTimeout(() => fired++, 20);
      expect(clock.pending).toBe(2);
      handle.cancel();
      handle.cancel();
      expect(clock.pending).toBe(1);
      await clock.advance(100);
      expect(fired).toBe(1);
      expect(clock.pending).toBe(0);
    });

    it('cancelling a fired timer does not corrupt the pending count', async () => {
      const clock = new VirtualClock({ start: 0 });
      const first = clock.setTimeout(() => {}, 10);
      clock.setTimeout(() => {}, 100);
      await clock.advance(50);
      expect(clock.pending).toBe(1);
      first.cancel();
      expect(clock.pending).toBe(1);
      await clock.advance(100);
      expect(clock.pending).toBe(0);
    });

    it('a timer may cancel itself inside its callback', async () => {
      const clock = new VirtualClock({ start: 0 });
      const handle = clock.setTimeout(() => handle.cancel(), 10);
      await clock.advance(10);
      expect(clock.pending).toBe(0);
    });

    it('an interval may cancel itself inside its callback', async () => {
      const clock = new VirtualClock({ start: 0 });
      const ticks: number[] = [];
      const handle = clock.setInterval(() => {
        ticks.push(clock.now());
        if (ticks.length === 3) handle.cancel();
      }, 10);
      await clock.advance(100);
      expect(ticks).toEqual([10, 20, 30]);
      expect(clock.pending).toBe(0);
    });

    it('a callback may cancel a later timer due at the same time', async () => {
      const clock = new VirtualClock({ start: 0 });
      const log: string[] = [];
      let second: { cancel(): void } | undefined;
      clock.setTimeout(() => {
        log.push('first');
        second?.cancel();
      }, 10);
      second = clock.setTimeout(() => log.push('second'), 10);
      clock.setTimeout(() => log.push('third'), 10);
      await clock.advance(10);
      expect(log).toEqual(['first', 'third']);
      expect(clock.pending).toBe(0);
    });

    it('nextTime skips cancelled timers', () => {
      const clock = new VirtualClock({ start: 0 });
      expect(clock.nextTime()).toBeUndefined();
      const a = clock.setTimeout(() => {}, 5);
      clock.setTimeout(() => {}, 8);
      expect(clock.nextTime()).toBe(5);
      a.cancel();
      expect(clock.nextTime()).toBe(8);
    });
  });

  describe('running', () => {
    it('advance leaves the clock at now + ms even when nothing is due', async () => {
      const clock = new VirtualClock({ start: 0 });
      await clock.advance(1_234);
      expect(clock.now()).toBe(1_234);
      await clock.advance(-5);
      expect(clock.now()).toBe(1_234);
    });

    it('runUntil runs timers due at or before the time and stops there', async () => {
      const clock = new VirtualClock({ start: 0 });
      const log: number[] = [];
      for (const t of [10, 20, 30]) clock.setTimeout(() => log.push(t), t);
      expect(await clock.runUntil(20)).toBe(false);
      expect(log).toEqual([10, 20]);
      expect(clock.now()).toBe(20);
      expect(clock.pending).toBe(1);
    });

    it('runUntil never moves time backwards', async () => {
      const clock = new VirtualClock({ start: 100 });
      await clock.runUntil(50);
      expect(clock.now()).toBe(100);
    });

    it('runUntil with shouldStop stops before the next timer once it holds, at that time', async () => {
      const clock = new VirtualClock({ start: 0 });
      const log: number[] = [];
      for (const t of [10, 20, 30, 40]) clock.setTimeout(() => log.push(t), t);
      const stopped = await clock.runUntil(1_000, () => log.length === 2);
      expect(stopped).toBe(true);
      expect(log).toEqual([10, 20]);
      expect(clock.now()).toBe(20);
      expect(clock.pending).toBe(2);
    });

    it('runUntil with shouldStop true from the start runs nothing', async () => {
      const clock = new VirtualClock({ start: 0 });
      let fired = false;
      clock.setTimeout(() => {
        fired = true;
      }, 1);
      expect(await clock.runUntil(10, () => true)).toBe(true);
      expect(fired).toBe(false);
      expect(clock.now()).toBe(0);
    });

    it('runUntil resolves true when shouldStop turns true after the last timer', async () => {
      const clock = new VirtualClock({ start: 0 });
      let done = false;
      clock.setTimeout(() => {
        void Promise.resolve().then(() => {
          done = true;
        });
      }, 5);
      expect(await clock.runUntil(10, () => done)).toBe(true);
    });

    it('runUntilIdle runs everything and leaves time at the last timer', async () => {
      const clock = new VirtualClock({ start: 0 });
      const log: number[] = [];
      clock.setTimeout(() => {
        log.push(clock.now());
        clock.setTimeout(() => log.push(clock.now()), 7_000);
      }, 3_000);
      await clock.runUntilIdle();
      expect(log).toEqual([3_000, 10_000]);
      expect(clock.now()).toBe(10_000);
      expect(clock.pending).toBe(0);
    });

    it('runUntilIdle is bounded when an interval keeps the clock busy', async () => {
      const clock = new VirtualClock({ start: 0 });
      let ticks = 0;
      clock.setInterval(() => ticks++, 1_000);
      await clock.runUntilIdle(10_000);
      expect(ticks).toBe(10);
      expect(clock.now()).toBe(10_000);
      expect(clock.pending).toBe(1);
    });

    it('runUntilIdle default bound is one virtual day', async () => {
      const clock = new VirtualClock({ start: 0 });
      let ticks = 0;
      clock.setInterval(() => ticks++, 3_600_000);
      await clock.runUntilIdle();
      expect(ticks).toBe(24);
      expect(clock.now()).toBe(86_400_000);
    });

    it('refuses to be advanced from inside a timer', async () => {
      const clock = new VirtualClock({ start: 0 });
      let inner: Promise<unknown> | undefined;
      clock.setTimeout(() => {
        inner = clock.advance(10).then(
          () => 'advanced',
          (error: unknown) => error,
        );
      }, 1);
      await clock.advance(5);
      const outcome = await inner;
      expect(outcome).toBeInstanceOf(Error);
      expect((outcome as Error).message).toMatch(/already running/);
      // The outer run finished normally and the clock still works.
      expect(clock.now()).toBe(5);
      await clock.advance(5);
      expect(clock.now()).toBe(10);
    });

    it('refuses a second concurrent run', async () => {
      const clock = new VirtualClock({ start: 0 });
      clock.setTimeout(() => {}, 1);
      const first = clock.advance(10);
      await expect(clock.runUntilIdle()).rejects.toThrow(/already running/);
      await first;
      expect(clock.now()).toBe(10);
    });
  });

  describe('async continuations', () => {
    it('lets a handler finish an awaited promise chain before the next timer, at the same now()', async () => {
      const clock = new VirtualClock({ start: 0 });
      const seen: string[] = [];
      clock.setTimeout(async () => {
        const before = clock.now();
        let value = 0;
        for (let i = 0; i < 20; i++) value = await Promise.resolve(value + 1);
        await new Promise<void>((resolve) => queueMicrotask(resolve));
        seen.push(`handler ${before}->${clock.now()} value=${value}`);
      }, 10);
      clock.setTimeout(() => seen.push(`next ${clock.now()}`), 10);
      clock.setTimeout(() => seen.push(`later ${clock.now()}`), 11);
      await clock.advance(20);
      expect(seen).toEqual(['handler 10->10 value=20', 'next 10', 'later 11']);
    });

    it('settles continuations queued by continuations, and by queueMicrotask, before the next timer', async () => {
      const clock = new VirtualClock({ start: 0 });
      const seen: string[] = [];
      clock.setTimeout(() => {
        const hop = (n: number): void => {
          if (n === 0) seen.push(`chain done at ${clock.now()}`);
          else if (n % 2 === 0) queueMicrotask(() => hop(n - 1));
          else void Promise.resolve().then(() => hop(n - 1));
        };
        hop(500);
      }, 5);
      clock.setTimeout(() => seen.push(`next at ${clock.now()}`), 5);
      await clock.advance(10);
      expect(seen).toEqual(['chain done at 5', 'next at 5']);
    });

    it('a long advance yields to the event loop now and then (I/O and setImmediate are not starved)', async () => {
      const clock = new VirtualClock({ start: 0 });
      for (let i = 0; i < 10; i++) clock.setInterval(() => {}, 1);
      const seenAt: number[] = [];
      let running = true;
      const tick = (): void => {
        seenAt.push(clock.now());
        if (running) setImmediate(tick);
      };
      setImmediate(tick);
      await clock.advance(2_000); // 20,000 timers
      running = false;
      const during = new Set(seenAt.filter((t) => t > 0 && t < 2_000));
      expect(during.size).toBeGreaterThanOrEqual(10);
    });

    it('runs continuations of work started before advance', async () => {
      const clock = new VirtualClock({ start: 0 });
      const log: string[] = [];
      void (async () => {
        await Promise.resolve();
        log.push(`scheduled at ${clock.now()}`);
        clock.setTimeout(() => log.push(`fired at ${clock.now()}`), 5);
      })();
      await clock.advance(10);
      expect(log).toEqual(['scheduled at 0', 'fired at 5']);
    });
  });

  describe('sleep', () => {
    it('resolves after the given virtual time', async () => {
      const clock = new VirtualClock({ start: 0 });
      const woke: number[] = [];
      void clock.sleep(100).then(() => woke.push(clock.now()));
      void clock.sleep(40).then(() => woke.push(clock.now()));
      await clock.advance(50);
      expect(woke).toEqual([40]);
      await clock.advance(50);
      expect(woke).toEqual([40, 100]);
    });

    it('an async loop of sleeps advances step by step', async () => {
      const clock = new VirtualClock({ start: 0 });
      const steps: number[] = [];
      void (async () => {
        for (let i = 0; i < 5; i++) {
          await clock.sleep(1_000);
          steps.push(clock.now());
        }
      })();
      await clock.runUntilIdle();
      expect(steps).toEqual([1_000, 2_000, 3_000, 4_000, 5_000]);
    });
  });
});
