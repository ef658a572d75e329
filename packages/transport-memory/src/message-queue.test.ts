import { describe, expect, it } from 'vitest';
import { MessageQueue } from './message-queue.js';

describe('MessageQueue', () => {
  it('is first in, first out', () => {
    const q = new MessageQueue<number>();
    expect(q.length).toBe(0);
    expect(q.peek()).toBeUndefined();
    expect(q.shift()).toBeUndefined();
    q.push(1);
    q.push(2);
    expect(q.peek()).toBe(1);
    expect(q.length).toBe(2);
    expect(q.shift()).toBe(1);
    expect(q.shift()).toBe(2);
    expect(q.shift()).toBeUndefined();
    expect(q.length).toBe(0);
  });

  it('keeps order and length across its internal compaction', () => {
    const q = new MessageQueue<number>();
    let next = 0;
    let expected = 0;
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 1_500; i++) q.push(next++);
      const shifted = Array.from({ length: 1_200 }, () => q.shift());
      expect(shifted).toEqual(Array.from({ length: 1_200 }, (_, i) => expected + i));
      expected += 1_200;
      expect(q.length).toBe(next - expected);
    }
    const rest: number[] = [];
    q.forEach((n) => {
      rest.push(n);
    });
    expect(rest).toEqual(Array.from({ length: next - expected }, (_, i) => expected + i));
  });

  it('trim drops the oldest beyond the bound and says how many', () => {
    const q = new MessageQueue<string>();
    for (const s of ['a', 'b', 'c', 'd', 'e']) q.push(s);
    expect(q.trim(2)).toBe(3);
    const left: string[] = [];
    q.forEach((s) => {
      left.push(s);
    });
    expect(left).toEqual(['d', 'e']);
    expect(q.trim(5)).toBe(0);
  });
});
