import { describe, expect, it } from 'vitest';
import { FifoQueue } from './fifo-queue.js';

describe('FifoQueue', () => {
  it('is first in, first out', () => {
    const q = new FifoQueue<number>();
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
    const q = new FifoQueue<number>();
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

  it('matches a plain array under any mix of pushes, shifts and trims (wrap-around and growth)', () => {
    const q = new FifoQueue<number>();
    const ref: number[] = [];
    let next = 0;
    let seed = 12345;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    for (let step = 0; step < 20_000; step++) {
      const op = rand(10);
      if (op < 5) {
        q.push(next);
        ref.push(next++);
      } else if (op < 9) {
        expect(q.shift()).toBe(ref.shift());
      } else {
        const max = rand(40);
        const dropped = Math.max(0, ref.length - max);
        expect(q.trim(max)).toBe(dropped);
        ref.splice(0, dropped);
      }
      expect(q.length).toBe(ref.length);
      expect(q.peek()).toBe(ref[0]);
      expect(q.last()).toBe(ref[ref.length - 1]);
    }
    const rest: number[] = [];
    q.forEach((n) => {
      rest.push(n);
    });
    expect(rest).toEqual(ref);
  });

  it('trim drops the oldest beyond the bound and says how many', () => {
    const q = new FifoQueue<string>();
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
