import { DONE } from '@evcharging/core';
import { describe, expect, it } from 'vitest';
import { SerialTasks } from './serial-tasks.js';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('SerialTasks', () => {
  it('starts a task at once when none runs, and the next only after the previous settled', async () => {
    const log: string[] = [];
    const tasks = new SerialTasks(() => {});
    let release!: () => void;
    tasks.run(() => {
      log.push('a start');
      return new Promise<void>((resolve) => {
        release = () => {
          log.push('a end');
          resolve();
        };
      });
    });
    tasks.run(() => {
      log.push('b');
    });
    expect(log).toEqual(['a start']);
    await tick();
    expect(log).toEqual(['a start']);
    release();
    await tasks.idle();
    expect(log).toEqual(['a start', 'a end', 'b']);
  });

  it('runs the next task at once after one that returned DONE, and waits after any other promise', async () => {
    const log: string[] = [];
    const tasks = new SerialTasks(() => {});
    tasks.run(() => {
      log.push('a');
      return DONE;
    });
    tasks.run(() => {
      log.push('b');
      return Promise.resolve();
    });
    tasks.run(() => {
      log.push('c');
    });
    expect(log).toEqual(['a', 'b']);
    await tasks.idle();
    expect(log).toEqual(['a', 'b', 'c']);
  });

  it('reports a throwing or rejecting task and runs the next', async () => {
    const errors: unknown[] = [];
    const ran: number[] = [];
    const tasks = new SerialTasks((error) => errors.push(error));
    tasks.run(() => {
      throw new Error('sync');
    });
    tasks.run(() => Promise.reject(new Error('async')));
    tasks.run(() => {
      ran.push(3);
    });
    await tasks.idle();
    expect(errors.map((e) => (e as Error).message)).toEqual(['sync', 'async']);
    expect(ran).toEqual([3]);
  });

  it('keeps running when the error handler throws', async () => {
    const ran: number[] = [];
    const tasks = new SerialTasks(() => {
      throw new Error('handler');
    });
    tasks.run(() => Promise.reject(new Error('task')));
    tasks.run(() => {
      ran.push(1);
    });
    await tasks.idle();
    expect(ran).toEqual([1]);
  });

  it('idle() waits for the tasks queued before it, not for later ones', async () => {
    const tasks = new SerialTasks(() => {});
    await expect(Promise.race([tasks.idle(), 'pending'])).resolves.toBeUndefined();
    let releaseFirst!: () => void;
    tasks.run(() => new Promise<void>((resolve) => (releaseFirst = resolve)));
    const first = tasks.idle();
    let releaseSecond!: () => void;
    tasks.run(() => new Promise<void>((resolve) => (releaseSecond = resolve)));
    let firstDone = false;
    void first.then(() => (firstDone = true));
    releaseFirst();
    await tick();
    expect(firstDone).toBe(true);
    const second = tasks.idle();
    let secondDone = false;
    void second.then(() => (secondDone = true));
    await tick();
    expect(secondDone).toBe(false);
    releaseSecond();
    await second;
  });

  it('runs a long backlog of synchronous tasks without growing the stack', async () => {
    const tasks = new SerialTasks(() => {});
    let release!: () => void;
    tasks.run(() => new Promise<void>((resolve) => (release = resolve)));
    let n = 0;
    for (let i = 0; i < 100_000; i++)
      tasks.run(() => {
        n++;
      });
    release();
    await tasks.idle();
    expect(n).toBe(100_000);
  });

  it('keeps the order while a long backlog drains and grows at once', async () => {
    const tasks = new SerialTasks(() => {});
    let release!: () => void;
    tasks.run(() => new Promise<void>((resolve) => (release = resolve)));
    const ran: number[] = [];
    // 3,000 queued; each of the first 2,000 queues one more as it runs (3,000 + its index).
    for (let i = 0; i < 3_000; i++) {
      tasks.run(() => {
        ran.push(i);
        if (i < 2_000) tasks.run(() => void ran.push(3_000 + i));
      });
    }
    release();
    await tasks.idle();
    const expected = [
      ...Array.from({ length: 3_000 }, (_, i) => i),
      ...Array.from({ length: 2_000 }, (_, i) => 3_000 + i),
    ];
    expect(ran).toEqual(expected);
    // Drained: the next task runs at once, as on an idle queue.
    let now = false;
    tasks.run(() => {
      now = true;
    });
    expect(now).toBe(true);
  });

  it('a task queued by a running task runs after it, in order', async () => {
    const log: string[] = [];
    const tasks = new SerialTasks(() => {});
    tasks.run(() => {
      log.push('outer');
      tasks.run(() => {
        log.push('inner');
      });
      log.push('outer end');
    });
    await tasks.idle();
    expect(log).toEqual(['outer', 'outer end', 'inner']);
  });
});
