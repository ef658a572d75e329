import { PeriodList } from './period-list.js';
import { type ScheduledTimer, TimerHeap } from './timer-heap.js';

export type { ScheduledTimer } from './timer-heap.js';

/**
 * Lists kept for distinct interval periods; intervals of any further period go to the heap, so
 * choosing the next timer compares at most this many list heads besides the heap's top.
 */
const MAX_PERIOD_LISTS = 8;

/**
 * The virtual clock's timers, in firing order (time, then insertion sequence). One-shot timers sit
 * in a {@link TimerHeap}; intervals in a {@link PeriodList} per period, where re-arming is an
 * append instead of a sift through the heap (a city's day at 1 s telemetry re-arms millions of
 * them). The next timer is the earliest of the heap's top and the lists' heads, so the order is
 * exactly the one a single heap gives.
 */
export class TimerQueue {
  private readonly heap = new TimerHeap();
  private readonly lists: PeriodList[] = [];
  private live = 0;
  /** Where the timer {@link peek} returned sits: a list, or undefined for the heap. */
  private peekedList: PeriodList | undefined;

  get size(): number {
    return this.live;
  }

  push(timer: ScheduledTimer): void {
    this.live++;
    this.place(timer);
  }

  /** The earliest live timer, without removing it. */
  peek(): ScheduledTimer | undefined {
    for (;;) {
      const top = this.heap.peek();
      let bestTime = top ? this.heap.topTime : Number.POSITIVE_INFINITY;
      let bestSeq = top ? this.heap.topSeq : 0;
      let bestList: PeriodList | undefined;
      for (const list of this.lists) {
        const t = list.headTime;
        if (t < bestTime || (t === bestTime && list.headSeq < bestSeq)) {
          bestTime = t;
          bestSeq = list.headSeq;
          bestList = list;
        }
      }
      this.peekedList = bestList;
      if (!bestList) return top;
      const head = bestList.head()!;
      if (!head.cancelled) return head;
      // Cancelled intervals stay in their list until they come first; drop this one and look again.
      bestList.shift();
    }
  }

  /** Removes the timer {@link peek} just returned (a one-shot timer that fires). */
  removePeeked(): void {
    if (this.peekedList) this.peekedList.shift();
    else this.heap.removePeeked();
    this.live--;
  }

  /**
   * Moves the timer {@link peek} just returned to its new place after its time and sequence were
   * raised (an interval re-arming at the instant it fired plus its period).
   */
  reschedulePeeked(): void {
    const list = this.peekedList;
    if (!list) {
      this.heap.reschedulePeeked();
      return;
    }
    const timer = list.shift()!;
    this.place(timer);
  }

  markCancelled(timer: ScheduledTimer): void {
    if (timer.cancelled) return;
    timer.cancelled = true;
    this.live--;
  }

  private place(timer: ScheduledTimer): void {
    const list = timer.period > 0 ? this.listFor(timer.period) : undefined;
    if (list?.accepts(timer)) list.push(timer);
    else this.heap.push(timer);
  }

  private listFor(period: number): PeriodList | undefined {
    const lists = this.lists;
    for (let i = 0; i < lists.length; i++) if (lists[i]!.period === period) return lists[i];
    if (lists.length >= MAX_PERIOD_LISTS) return undefined;
    const list = new PeriodList(period);
    lists.push(list);
    return list;
  }
}
