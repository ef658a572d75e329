import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ScheduledTimer } from './timer-heap.js';
import { TimerQueue } from './timer-queue.js';

// The queue keeps intervals in one list per period and one-shot timers in a heap; whatever the mix,
// timers must come out in (time, sequence) order, exactly as from one sorted list.

type Op =
  | { kind: 'timeout'; delay: number }
  | { kind: 'interval'; period: number }
  | { kind: 'cancel'; pick: number }
  | { kind: 'fire'; count: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('timeout' as const),
    delay: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 50, noNaN: true })),
  }),
  // Few periods, so lists fill and repeat; up to 12 distinct, beyond the lists kept, so some go to the heap.
  fc.record({
    kind: fc.constant('interval' as const),
    period: fc.integer({ min: 1, max: 12 }).map((p) => p * 2.5),
  }),
  fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('fire' as const), count: fc.integer({ min: 1, max: 6 }) }),
);

/** A scheduled timer as VirtualClock makes one (period 0: a timeout). */
const timer = (time: number, seq: number, period: number): ScheduledTimer => ({
  time,
  seq,
  callback: () => {},
  period,
  cancelled: false,
});

/** Drives a queue the way VirtualClock does and returns the fired sequence of timer ids. */
function drive(ops: readonly Op[]): { fired: number[]; expected: number[] } {
  const queue = new TimerQueue();
  const timers: (ScheduledTimer & { id: number })[] = [];
  let now = 0;
  let seq = 0;
  const fired: number[] = [];
  const expected: number[] = [];
  const add = (delay: number, period: number) => {
    const added = { ...timer(now + delay, seq++, period), id: timers.length };
    timers.push(added);
    queue.push(added);
  };
  const reference = () =>
    timers.filter((t) => !t.cancelled).sort((a, b) => a.time - b.time || a.seq - b.seq)[0];
  for (const o of ops) {
    if (o.kind === 'timeout') add(o.delay, 0);
    else if (o.kind === 'interval') add(o.period, o.period);
    else if (o.kind === 'cancel') {
      const live = timers.filter((t) => !t.cancelled);
      if (live.length > 0) queue.markCancelled(live[o.pick % live.length]!);
    } else {
      for (let i = 0; i < o.count; i++) {
        const want = reference();
        const next = queue.peek();
        expect(next).toBe(want);
        if (!next) break;
        expected.push(want!.id);
        fired.push(timers.indexOf(next as (typeof timers)[number]));
        now = next.time;
        if (next.period > 0) {
          next.time += next.period;
          next.seq = seq++;
          queue.reschedulePeeked();
        } else {
          queue.removePeeked();
          next.cancelled = true;
        }
      }
    }
    expect(queue.size).toBe(timers.filter((t) => !t.cancelled).length);
  }
  return { fired, expected };
}

describe('TimerQueue', () => {
  it('fires timeouts and intervals of many periods in (time, sequence) order, cancelled ones never', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 300 }), (ops) => {
        const { fired, expected } = drive(ops);
        expect(fired).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('orders an interval and a timeout due at the same instant by when they were scheduled', () => {
    const queue = new TimerQueue();
    const interval = timer(10, 0, 10);
    const timeout = timer(10, 1, 0);
    queue.push(timeout);
    queue.push(interval);
    expect(queue.peek()).toBe(interval);
    interval.time = 20;
    interval.seq = 2;
    queue.reschedulePeeked();
    expect(queue.peek()).toBe(timeout);
  });

  it('keeps the order when an interval comes earlier than the last of its list (it goes to the heap)', () => {
    const queue = new TimerQueue();
    const later = timer(20, 0, 10);
    const earlier = timer(15, 1, 10);
    queue.push(later);
    queue.push(earlier);
    expect(queue.peek()).toBe(earlier);
    queue.removePeeked();
    expect(queue.peek()).toBe(later);
  });
});
