/**
 * First in, first out, with O(1) `push` and `shift` at any length: a ring buffer whose capacity is
 * a power of two, doubled when full and never shrunk, allocated on the first push (an idle queue
 * costs no slots). `Array.prototype.shift()` is not O(1): once an array is long (over ~16,000
 * items in V8) every shift moves the rest, and draining 100,000 items takes seconds.
 *
 * @example
 * const backlog = new FifoQueue<string>();
 * backlog.push('a');
 * backlog.push('b');
 * backlog.shift(); // 'a'
 * backlog.length; // 1
 */
export class FifoQueue<T> {
  private items: (T | undefined)[] = [];
  private head = 0;
  private count = 0;

  get length(): number {
    return this.count;
  }

  push(item: T): void {
    if (this.count === this.items.length) this.grow();
    this.items[(this.head + this.count) & (this.items.length - 1)] = item;
    this.count++;
  }

  peek(): T | undefined {
    return this.count > 0 ? this.items[this.head] : undefined;
  }

  /** The newest item, without removing it. */
  last(): T | undefined {
    return this.count > 0 ? this.items[(this.head + this.count - 1) & (this.items.length - 1)] : undefined;
  }

  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) & (this.items.length - 1);
    this.count--;
    return item;
  }

  /** Calls `fn` for each item, oldest first. */
  forEach(fn: (item: T) => void): void {
    const mask = this.items.length - 1;
    for (let i = 0; i < this.count; i++) fn(this.items[(this.head + i) & mask] as T);
  }

  /** Drops the oldest items beyond `max`; returns how many were dropped. */
  trim(max: number): number {
    let dropped = 0;
    while (this.count > max) {
      this.shift();
      dropped++;
    }
    return dropped;
  }

  private grow(): void {
    const capacity = this.items.length;
    const next = new Array<T | undefined>(capacity === 0 ? 8 : capacity * 2);
    for (let i = 0; i < this.count; i++) next[i] = this.items[(this.head + i) & (capacity - 1)];
    this.items = next;
    this.head = 0;
  }
}
