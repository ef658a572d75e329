/** One scheduled entry of a {@link TimerQueue}. */
export interface ScheduledTimer {
  time: number;
  seq: number;
  callback: () => void;
  /** Repeat period for intervals, 0 for one-shot timers. */
  period: number;
  cancelled: boolean;
}

/**
 * Binary min-heap ordered by (time, insertion sequence): equal times fire in insertion order,
 * which keeps virtual-time runs deterministic. The keys sit in two typed arrays beside the heap of
 * timers, so sifting compares contiguous numbers instead of loading timer objects scattered over
 * the heap (a city simulation sifts through a thousand or more timers per fired timer). Cancelled
 * timers stay until they reach the top, where {@link peek} drops them.
 */
export class TimerHeap {
  private items: (ScheduledTimer | undefined)[] = [];
  private times = new Float64Array(64);
  private seqs = new Float64Array(64);
  private length = 0;

  push(timer: ScheduledTimer): void {
    if (this.length === this.times.length) this.grow();
    this.siftUp(this.length++, timer);
  }

  /** The earliest live timer, without removing it. */
  peek(): ScheduledTimer | undefined {
    while (this.length > 0 && this.items[0]!.cancelled) this.removeTop();
    return this.length > 0 ? this.items[0] : undefined;
  }

  /** Time of the timer {@link peek} just returned (read from the keys, not the timer). */
  get topTime(): number {
    return this.times[0]!;
  }

  /** Sequence of the timer {@link peek} just returned. */
  get topSeq(): number {
    return this.seqs[0]!;
  }

  /** Removes the top timer, the one {@link peek} just returned. */
  removePeeked(): void {
    this.removeTop();
  }

  /**
   * Moves the top timer, the one {@link peek} just returned, to its new (later) place after its
   * time and sequence were raised: one sift instead of a pop and a push (an interval re-arming).
   */
  reschedulePeeked(): void {
    const top = this.items[0]!;
    this.siftDown(0, top);
  }

  private removeTop(): void {
    if (this.length === 0) return;
    const n = --this.length;
    const last = this.items[n]!;
    this.items[n] = undefined;
    if (n > 0) this.siftDown(0, last);
  }

  /** Places `timer` at `i` or above, moving earlier-ordered parents down. */
  private siftUp(start: number, timer: ScheduledTimer): void {
    const { items, times, seqs } = this;
    const time = timer.time;
    const seq = timer.seq;
    let i = start;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = times[parent]!;
      if (pt < time || (pt === time && seqs[parent]! < seq)) break;
      items[i] = items[parent];
      times[i] = pt;
      seqs[i] = seqs[parent]!;
      i = parent;
    }
    items[i] = timer;
    times[i] = time;
    seqs[i] = seq;
  }

  /** Places `timer` at `i` or below, moving earlier-ordered children up. */
  private siftDown(start: number, timer: ScheduledTimer): void {
    const { items, times, seqs } = this;
    const n = this.length;
    const time = timer.time;
    const seq = timer.seq;
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      let m = l;
      let mt = times[l]!;
      const r = l + 1;
      if (r < n) {
        const rt = times[r]!;
        if (rt < mt || (rt === mt && seqs[r]! < seqs[l]!)) {
          m = r;
          mt = rt;
        }
      }
      if (time < mt || (time === mt && seq < seqs[m]!)) break;
      items[i] = items[m];
      times[i] = mt;
      seqs[i] = seqs[m]!;
      i = m;
    }
    items[i] = timer;
    times[i] = time;
    seqs[i] = seq;
  }

  private grow(): void {
    const times = new Float64Array(this.times.length * 2);
    times.set(this.times);
    this.times = times;
    const seqs = new Float64Array(this.seqs.length * 2);
    seqs.set(this.seqs);
    this.seqs = seqs;
  }
}
