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
 * which keeps virtual-time runs deterministic.
 */
export class TimerQueue {
  private readonly heap: ScheduledTimer[] = [];
  private live = 0;

  get size(): number {
    return this.live;
  }

  push(timer: ScheduledTimer): void {
    const heap = this.heap;
    heap.push(timer);
    this.live++;
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  /** The earliest live timer, without removing it. */
  peek(): ScheduledTimer | undefined {
    this.dropCancelled();
    return this.heap[0];
  }

  pop(): ScheduledTimer | undefined {
    this.dropCancelled();
    const top = this.removeTop();
    if (top) this.live--;
    return top;
  }

  markCancelled(timer: ScheduledTimer): void {
    if (timer.cancelled) return;
    timer.cancelled = true;
    this.live--;
  }

  private dropCancelled(): void {
    while (this.heap.length > 0 && this.heap[0]!.cancelled) this.removeTop();
  }

  private removeTop(): ScheduledTimer | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && before(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && before(heap[r]!, heap[m]!)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    }
    return top;
  }
}

function before(a: ScheduledTimer, b: ScheduledTimer): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}
