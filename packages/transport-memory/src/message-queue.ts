/** FIFO with O(1) push and shift (an array with a moving head, compacted now and then). */
export class MessageQueue<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  peek(): T | undefined {
    return this.items[this.head];
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined as T;
    this.head++;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Calls `fn` for each item, oldest first. */
  forEach(fn: (item: T) => void): void {
    for (let i = this.head; i < this.items.length; i++) fn(this.items[i] as T);
  }

  /** Drops the oldest items beyond `max`; returns how many were dropped. */
  trim(max: number): number {
    let dropped = 0;
    while (this.length > max) {
      this.shift();
      dropped++;
    }
    return dropped;
  }
}
