import { FifoQueue } from '../collections/fifo-queue.js';
import type { ScheduledTimer } from './timer-heap.js';

/**
 * The intervals of one period, in firing order. An interval is armed at the clock's now plus its
 * period and re-armed, when it fires, at the firing instant plus its period; the clock's now never
 * goes back and sequences only grow, so appending keeps the list ordered by (time, sequence) with
 * no sifting: re-arming costs O(1) where a heap of N timers sifts through log N levels (Node keeps
 * its own timers in one list per duration for the same reason). The head's keys are copied here so
 * the queue compares lists without loading their timers.
 */
export class PeriodList {
  private readonly timers = new FifoQueue<ScheduledTimer>();
  /** Time of the first timer (Infinity when empty). */
  headTime = Number.POSITIVE_INFINITY;
  /** Sequence of the first timer. */
  headSeq = 0;

  constructor(readonly period: number) {}

  /** True when `timer` can be appended without breaking the order (always, for an interval armed now). */
  accepts(timer: ScheduledTimer): boolean {
    const last = this.timers.last();
    return last === undefined || last.time < timer.time || (last.time === timer.time && last.seq < timer.seq);
  }

  push(timer: ScheduledTimer): void {
    this.timers.push(timer);
    if (this.timers.length === 1) this.keepHead();
  }

  /** The first timer, cancelled or not. */
  head(): ScheduledTimer | undefined {
    return this.timers.peek();
  }

  /** Removes the first timer. */
  shift(): ScheduledTimer | undefined {
    const head = this.timers.shift();
    this.keepHead();
    return head;
  }

  private keepHead(): void {
    const head = this.timers.peek();
    this.headTime = head ? head.time : Number.POSITIVE_INFINITY;
    this.headSeq = head ? head.seq : 0;
  }
}
