import { describe, expect, it } from 'vitest';
import { afterCallback } from './callback-tail.js';
import { VirtualClock } from './virtual-clock.js';

describe('afterCallback', () => {
  it('runs tasks as soon as the timer callback returns: in order, at its instant, before its continuations', async () => {
    const clock = new VirtualClock({ start: 0 });
    const log: string[] = [];
    clock.setTimeout(() => {
      void Promise.resolve().then(() => log.push(`continuation@${clock.now()}`));
      afterCallback(() => {
        log.push(`first@${clock.now()}`);
        afterCallback(() => log.push(`deferred by a task@${clock.now()}`));
      });
      afterCallback(() => log.push(`second@${clock.now()}`));
      log.push('callback');
    }, 10);
    clock.setTimeout(() => log.push(`next timer@${clock.now()}`), 11);
    await clock.advance(20);
    expect(log).toEqual([
      'callback',
      'first@10',
      'second@10',
      'deferred by a task@10',
      'continuation@10',
      'next timer@11',
    ]);
  });

  it('outside a timer callback, runs the task in a microtask, never inside its caller', async () => {
    const log: string[] = [];
    afterCallback(() => log.push('task'));
    log.push('caller');
    expect(log).toEqual(['caller']);
    await Promise.resolve();
    expect(log).toEqual(['caller', 'task']);
  });

  it('still runs what a throwing callback deferred, and the advance rejects with its error', async () => {
    const clock = new VirtualClock({ start: 0 });
    const log: string[] = [];
    clock.setTimeout(() => {
      afterCallback(() => log.push('deferred'));
      throw new Error('callback failed');
    }, 1);
    await expect(clock.advance(5)).rejects.toThrow('callback failed');
    await Promise.resolve();
    expect(log).toEqual(['deferred']);
    // The next callback starts with an empty tail.
    clock.setTimeout(() => afterCallback(() => log.push('later')), 1);
    await clock.advance(5);
    expect(log).toEqual(['deferred', 'later']);
  });
});
