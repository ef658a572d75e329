import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../logging/logger.js';
import { LocalBus } from './local-bus.js';

// Augment through the package entry, as plugins do: mixing this with augmentations of the
// re-exporting module would make TypeScript type every payload as unknown.
declare module '../index.js' {
  interface LocalBusEvents {
    'test.engine-state': { cpId: string; state: string };
    'test.tick': number;
  }
}

function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      callback();
    },
  });
  return { logger: createLogger({ level: 'error', destination }), lines };
}

describe('LocalBus', () => {
  it('delivers typed payloads to every handler of the event, in registration order, synchronously', () => {
    const bus = new LocalBus();
    const log: string[] = [];
    bus.on('test.engine-state', (e) => log.push(`a:${e.cpId}:${e.state}`));
    bus.on('test.engine-state', (e) => log.push(`b:${e.cpId}:${e.state}`));
    bus.on('test.tick', (n) => log.push(`tick:${n}`));
    bus.emit('test.engine-state', { cpId: 'CP-001', state: 'SUPPLYING' });
    expect(log).toEqual(['a:CP-001:SUPPLYING', 'b:CP-001:SUPPLYING']);
    bus.emit('test.tick', 3);
    expect(log).toEqual(['a:CP-001:SUPPLYING', 'b:CP-001:SUPPLYING', 'tick:3']);
  });

  it('emitting an event nobody listens to does nothing', () => {
    const bus = new LocalBus();
    expect(() => bus.emit('test.tick', 1)).not.toThrow();
  });

  it('isolates a throwing handler: later handlers still run, the emitter sees nothing, the error is logged', () => {
    const { logger, lines } = capturingLogger();
    const bus = new LocalBus(logger);
    const got: number[] = [];
    bus.on('test.tick', () => {
      throw new Error('handler broke');
    });
    bus.on('test.tick', (n) => got.push(n));
    expect(() => bus.emit('test.tick', 7)).not.toThrow();
    expect(got).toEqual([7]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ msg: 'local bus handler failed', event: 'test.tick' });
    expect(JSON.stringify(lines[0])).toContain('handler broke');
  });

  it('isolates a throwing handler without a logger too', () => {
    const bus = new LocalBus();
    const got: number[] = [];
    bus.on('test.tick', () => {
      throw new Error('x');
    });
    bus.on('test.tick', (n) => got.push(n));
    bus.emit('test.tick', 1);
    expect(got).toEqual([1]);
  });

  it('the function returned by on() unsubscribes that handler only', () => {
    const bus = new LocalBus();
    const got: string[] = [];
    const off = bus.on('test.tick', (n) => got.push(`a${n}`));
    bus.on('test.tick', (n) => got.push(`b${n}`));
    off();
    off();
    bus.emit('test.tick', 1);
    expect(got).toEqual(['b1']);
  });

  it('off() removes a handler; removing an unknown one is harmless', () => {
    const bus = new LocalBus();
    const got: number[] = [];
    const handler = (n: number) => got.push(n);
    bus.on('test.tick', handler);
    bus.off('test.tick', () => {});
    bus.emit('test.tick', 1);
    bus.off('test.tick', handler);
    bus.emit('test.tick', 2);
    expect(got).toEqual([1]);
  });

  it('one handler on two events can be removed from each independently', () => {
    const bus = new LocalBus();
    const got: unknown[] = [];
    const handler = (payload: unknown) => got.push(payload);
    bus.on('test.tick', handler);
    bus.on('test.engine-state', handler);
    bus.off('test.tick', handler);
    bus.emit('test.tick', 1);
    bus.emit('test.engine-state', { cpId: 'CP-001', state: 'FAULT' });
    expect(got).toEqual([{ cpId: 'CP-001', state: 'FAULT' }]);
    bus.off('test.engine-state', handler);
    bus.emit('test.engine-state', { cpId: 'CP-001', state: 'ACTIVATED' });
    expect(got).toHaveLength(1);
  });

  it('one handler added twice to an event runs twice and is removed one registration at a time', () => {
    const bus = new LocalBus();
    const got: number[] = [];
    const handler = (n: number) => got.push(n);
    const offFirst = bus.on('test.tick', handler);
    bus.on('test.tick', handler);
    bus.emit('test.tick', 1);
    expect(got).toEqual([1, 1]);
    offFirst();
    bus.emit('test.tick', 2);
    expect(got).toEqual([1, 1, 2]);
    bus.off('test.tick', handler);
    bus.emit('test.tick', 3);
    expect(got).toEqual([1, 1, 2]);
  });

  it('an emit calls the handlers there were when it began: ones added or removed meanwhile count from the next', () => {
    const bus = new LocalBus();
    const got: string[] = [];
    // One handler that adds another while it runs (a single handler takes a path of its own).
    const offFirst = bus.on('test.tick', (n) => {
      got.push(`first:${n}`);
      if (n === 1) bus.on('test.tick', (m) => got.push(`added:${m}`));
    });
    bus.emit('test.tick', 1);
    expect(got).toEqual(['first:1']);
    // Two handlers, the first removing the second and itself: both still run this time.
    const second = (n: number) => got.push(`second:${n}`);
    offFirst();
    const offThird = bus.on('test.tick', (n) => {
      got.push(`third:${n}`);
      bus.off('test.tick', second);
      offThird();
    });
    bus.on('test.tick', second);
    bus.emit('test.tick', 2);
    expect(got).toEqual(['first:1', 'added:2', 'third:2', 'second:2']);
    bus.emit('test.tick', 3);
    expect(got).toEqual(['first:1', 'added:2', 'third:2', 'second:2', 'added:3']);
  });

  it('clear() removes every handler', () => {
    const bus = new LocalBus();
    const got: number[] = [];
    bus.on('test.tick', (n) => got.push(n));
    bus.on('test.engine-state', () => got.push(-1));
    bus.clear();
    bus.emit('test.tick', 1);
    bus.emit('test.engine-state', { cpId: 'CP-001', state: 'FAULT' });
    expect(got).toEqual([]);
    const handler = (n: number) => got.push(n);
    bus.on('test.tick', handler);
    bus.emit('test.tick', 2);
    expect(got).toEqual([2]);
  });

  it('two buses do not share handlers', () => {
    const a = new LocalBus();
    const b = new LocalBus();
    const got: string[] = [];
    a.on('test.tick', () => got.push('a'));
    b.emit('test.tick', 1);
    expect(got).toEqual([]);
  });
});
