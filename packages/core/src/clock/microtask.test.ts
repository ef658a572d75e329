import { describe, expect, it } from 'vitest';
import { microtask } from './microtask.js';

describe('microtask', () => {
  it('runs after the current synchronous code, in one FIFO queue with queueMicrotask and promises', async () => {
    const order: string[] = [];
    microtask(() => order.push('a'));
    queueMicrotask(() => order.push('b'));
    void Promise.resolve().then(() => order.push('c'));
    microtask(() => {
      order.push('d');
      microtask(() => order.push('f'));
    });
    queueMicrotask(() => order.push('e'));
    order.push('sync');
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual(['sync', 'a', 'b', 'c', 'd', 'e', 'f']);
  });

  it('runs before any timer or immediate', async () => {
    const order: string[] = [];
    setTimeout(() => order.push('timeout'), 0);
    setImmediate(() => order.push('immediate'));
    microtask(() => order.push('microtask'));
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(order[0]).toBe('microtask');
  });
});
