import {
  ContractViolationError,
  type CpTelemetry,
  DONE,
  type Envelope,
  EventLog,
  RealClock,
  type TopicName,
  VirtualClock,
} from '@evcharging/core';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InstantDispatcher } from './instant-dispatcher.js';
import { Lane } from './lane.js';
import { MemoryBroker, type MemoryBrokerOptions } from './memory-broker.js';
import type { MemoryTransport } from './memory-transport.js';

const telemetry = (cpId: string, seq: number): CpTelemetry => ({ cp_id: cpId, kw: 22, euros: seq });

function lane(options: MemoryBrokerOptions = {}) {
  const clock = new VirtualClock({ start: 0 });
  const broker = new MemoryBroker({ partitions: 4, simulationLane: true, ...options });
  return { clock, broker, transport: (id: string) => broker.transport(id, { clock }) };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the simulation lane', () => {
  it('hands every group the published object itself, frozen all the way down', async () => {
    const { broker, transport } = lane();
    const t = transport('central');
    const seen: Record<string, unknown[]> = { a: [], b: [] };
    for (const group of ['a', 'b'])
      await t.subscribe('central.commands', { group }, (v) => {
        seen[group]!.push(v);
      });
    const command = {
      cmd: 'start_supply' as const,
      cp_id: 'CP-001',
      payload: { driver_id: 'driver-1', request_id: 'req-1', session_id: 'session-1' },
      extra: { tags: ['fast', { level: 2 }] },
    };
    await t.publish('central.commands', command);
    await broker.drain();
    expect(seen.a).toEqual([command]);
    expect(seen.a![0]).toBe(command);
    expect(seen.b![0]).toBe(command);
    expect(Object.isFrozen(command)).toBe(true);
    expect(Object.isFrozen(command.payload)).toBe(true);
    expect(Object.isFrozen(command.extra.tags)).toBe(true);
    expect(Object.isFrozen(command.extra.tags[1])).toBe(true);
  });

  it('a handler that changes a delivered message throws at the assignment; other groups see it unchanged', async () => {
    const { broker, transport } = lane({ maxAttempts: 2, redeliveryDelayMs: 1 });
    const t = transport('central');
    const healthy: number[] = [];
    await t.subscribe('cp.telemetry', { group: 'mutator' }, (v) => {
      (v as { kw: number }).kw = 0;
    });
    await t.subscribe('cp.telemetry', { group: 'healthy' }, (v) => {
      healthy.push(v.kw);
    });
    await t.publish('cp.telemetry', telemetry('CP-001', 1));
    await broker.drain();
    expect(healthy).toEqual([22]);
    expect(broker.deadLetters).toHaveLength(1);
    expect(broker.deadLetters[0]).toMatchObject({ group: 'mutator', attempts: 2 });
    expect(broker.deadLetters[0]!.error).toMatch(/read only property 'kw'/);
    expect(t.stats().deadLettered).toEqual({ 'cp.telemetry': 1 });
  });

  it('a publisher that changes a message it published throws too', async () => {
    const { transport } = lane();
    const message = telemetry('CP-001', 1);
    await transport('cp').publish('cp.telemetry', message);
    expect(() => {
      message.euros = 2;
    }).toThrow(TypeError);
  });

  it('each delivery gets its own envelope; a redelivery says attempt 2 and carries the same frozen message', async () => {
    const { broker, transport } = lane({ redeliveryDelayMs: 1 });
    const t = transport('central');
    const envelopes: Envelope<'cp.telemetry'>[] = [];
    await t.subscribe('cp.telemetry', { group: 'flaky' }, (_v, env) => {
      envelopes.push(env);
      if (envelopes.length === 1) throw new Error('first attempt fails');
    });
    await t.subscribe('cp.telemetry', { group: 'other' }, (_v, env) => {
      envelopes.push(env);
    });
    await t.publish('cp.telemetry', telemetry('CP-001', 1));
    await broker.drain();
    const [first, other, second] = envelopes;
    expect([first!.attempt, other!.attempt, second!.attempt]).toEqual([1, 1, 2]);
    expect(first).not.toBe(other);
    expect(second!.value).toBe(first!.value);
    expect(first).toMatchObject({ topic: 'cp.telemetry', key: 'CP-001', offset: 0, ts: 0 });
  });

  it.each([
    ['a transport', false],
    ['a recording transport (one walk freezes and records)', true],
  ])(
    "rejects at publish, naming the field, what Kafka's JSON would not carry as it is: %s",
    async (_, recording) => {
      const { broker, clock, transport } = lane();
      const log = new EventLog();
      const t = recording ? broker.recordingTransport('cp', { clock, eventLog: log }) : transport('cp');
      const got: unknown[] = [];
      await t.subscribe('cp.telemetry', { group: 'central' }, (v) => {
        got.push(v);
      });
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      const cases: [extra: Record<string, unknown>, reason: RegExp][] = [
        [{ when: new Date(0) }, /^\/when: a Date is not plain JSON data/],
        [{ meter: { reading: 10n } }, /^\/meter\/reading: a bigint is not a JSON value/],
        [{ hook: () => 1 }, /^\/hook: a function is not a JSON value/],
        [{ ratio: Number.NaN }, /^\/ratio: NaN is not a JSON number/],
        [{ peak: Number.POSITIVE_INFINITY }, /^\/peak: Infinity is not a JSON number/],
        [{ seen: new Map() }, /^\/seen: a Map is not plain JSON data/],
        [{ list: [1, undefined] }, /^\/list\/1: undefined in an array/],
        [{ loop: cyclic }, /^\/loop(\/self)+: nested deeper than/],
      ];
      for (const [extra, reason] of cases) {
        const error = await t.publish('cp.telemetry', { ...telemetry('CP-001', 1), ...extra }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error, JSON.stringify(Object.keys(extra))).toBeInstanceOf(ContractViolationError);
        expect((error as ContractViolationError).reasons[0]).toMatch(reason);
      }
      // A field left undefined is fine: JSON drops it, and a reader sees undefined either way.
      await t.publish('cp.telemetry', { ...telemetry('CP-001', 2), session_id: undefined });
      await broker.drain();
      expect(got).toHaveLength(1);
      expect(Object.isFrozen(got[0])).toBe(true);
      expect(t.stats().rejected).toEqual({ 'cp.telemetry': cases.length });
      expect(log.count).toBe(recording ? 1 : 0);
    },
  );

  it('runs every delivery due at an instant in one loop: one microtask for many messages, groups and follow-ups', async () => {
    const count = async (options: MemoryBrokerOptions) => {
      const clock = new VirtualClock({ start: 0 });
      const broker = new MemoryBroker({ partitions: 4, ...options });
      const t = broker.transport('n', { clock });
      let delivered = 0;
      for (const group of ['a', 'b', 'c'])
        await t.subscribe('cp.telemetry', { group }, (v) => {
          delivered++;
          // Follow-ups published by handlers are delivered in the same loop.
          if (group === 'a') void t.publish('cp.status', { cp_id: v.cp_id, state: 'SUPPLYING' });
        });
      await t.subscribe('cp.status', { group: 'd' }, () => {
        delivered++;
      });
      // Each run of the dispatcher's loop (lane) or of a lane (standard) is one microtask.
      const runs = options.simulationLane
        ? vi.spyOn(InstantDispatcher.prototype as unknown as { run: () => void }, 'run')
        : vi.spyOn(Lane.prototype as unknown as { run: () => Promise<void> }, 'run');
      for (let i = 0; i < 40; i++) void t.publish('cp.telemetry', telemetry(`CP-${i % 8}`, i));
      await broker.drain();
      const calls = runs.mock.calls.length;
      runs.mockRestore();
      expect(delivered).toBe(160);
      return calls;
    };
    expect(await count({ simulationLane: true })).toBe(1);
    // The standard mode schedules one per lane woken: each of 3 groups x 4 partitions, then the follow-ups'.
    expect(await count({ jsonRoundTrip: false })).toBeGreaterThanOrEqual(12);
  });

  it('delivers what a timer callback published as soon as it returns, before its continuations', async () => {
    const { clock, broker, transport } = lane();
    const t = transport('cp');
    const log: string[] = [];
    await t.subscribe('cp.telemetry', { group: 'central' }, (v) => {
      log.push(`delivered ${v.euros}@${clock.now()}`);
      // A follow-up published by a handler is delivered in the same loop.
      if (v.euros === 0) void t.publish('cp.telemetry', telemetry('CP-002', 1));
    });
    clock.setTimeout(() => {
      void DONE.then(() => log.push(`continuation@${clock.now()}`));
      void t.publish('cp.telemetry', telemetry('CP-001', 0));
      log.push('published');
    }, 5);
    await clock.advance(10);
    await broker.drain();
    expect(log).toEqual(['published', 'delivered 0@5', 'delivered 1@5', 'continuation@5']);
  });

  it('waits for an async handler before the next message of its lane, while other lanes go on', async () => {
    const { broker, transport } = lane({ partitions: 2 });
    const t = transport('central');
    const log: string[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    await t.subscribe('cp.telemetry', { group: 'slow' }, async (v) => {
      log.push(`slow ${v.euros} start`);
      if (v.euros === 0) await gate;
      log.push(`slow ${v.euros} end`);
    });
    await t.subscribe('cp.telemetry', { group: 'fast' }, (v) => {
      log.push(`fast ${v.euros}`);
    });
    for (let i = 0; i < 3; i++) await t.publish('cp.telemetry', telemetry('CP-001', i));
    await Promise.resolve();
    await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual(['slow 0 start', 'fast 0', 'fast 1', 'fast 2']);
    expect(broker.idle()).toBe(false);
    release();
    await broker.drain();
    expect(log.slice(4)).toEqual(['slow 0 end', 'slow 1 start', 'slow 1 end', 'slow 2 start', 'slow 2 end']);
    expect(t.stats().delivered).toEqual({ 'cp.telemetry': 6 });
  });

  it('takes a handler returning DONE as handled at once: its lane goes on in the same loop', async () => {
    const deliveries = async (handled: () => Promise<void>) => {
      const { broker, transport } = lane({ partitions: 1 });
      const t = transport('central');
      const log: string[] = [];
      await t.subscribe('cp.telemetry', { group: 'g' }, (v) => {
        log.push(`handled ${v.euros}`);
        queueMicrotask(() => log.push(`after ${v.euros}`));
        return handled();
      });
      for (let i = 0; i < 2; i++) void t.publish('cp.telemetry', telemetry('CP-001', i));
      await broker.drain();
      return log;
    };
    expect(await deliveries(() => DONE)).toEqual(['handled 0', 'handled 1', 'after 0', 'after 1']);
    // Any other promise, even one already resolved, holds the lane until its reaction runs.
    expect(await deliveries(() => Promise.resolve())).toEqual([
      'handled 0',
      'after 0',
      'handled 1',
      'after 1',
    ]);
  });

  it('runs only on a VirtualClock, and never with the JSON round trip', () => {
    const broker = new MemoryBroker({ simulationLane: true });
    expect(() => broker.transport('cp-7', { clock: new RealClock() })).toThrow(
      'simulation lane runs on a VirtualClock; node "cp-7" has another clock',
    );
    expect(() => broker.transport('cp-8')).toThrow('node "cp-8" has none (a RealClock by default)');
    expect(() => new MemoryBroker({ simulationLane: true, jsonRoundTrip: true })).toThrow(
      'excludes jsonRoundTrip',
    );
    expect(new MemoryBroker({ simulationLane: true }).jsonRoundTrip).toBe(false);
  });

  it('a recording transport freezes what it records all the way down, to the hash the standard mode gives', async () => {
    const messages = async (t: MemoryTransport) => {
      const sent = [
        telemetry('CP-001', 1),
        {
          cmd: 'start_supply' as const,
          cp_id: 'CP-001',
          payload: { driver_id: 'driver-1', request_id: 'req-1', session_id: 'session-1' },
        },
      ];
      await t.publish('cp.telemetry', sent[0] as CpTelemetry);
      await t.publish('central.commands', sent[1] as never);
      return sent;
    };
    const shared = lane();
    const sharedLog = new EventLog();
    const sent = await messages(
      shared.broker.recordingTransport('n', { clock: shared.clock, eventLog: sharedLog }),
    );
    expect(sent.every((m) => Object.isFrozen(m))).toBe(true);
    expect(Object.isFrozen((sent[1] as { payload: object }).payload)).toBe(true);
    const standard = new MemoryBroker({ partitions: 4 });
    const standardLog = new EventLog();
    await messages(
      standard.recordingTransport('n', { clock: new VirtualClock({ start: 0 }), eventLog: standardLog }),
    );
    expect(sharedLog.count).toBe(2);
    expect(sharedLog.hash()).toBe(standardLog.hash());
  });

  it('a recording transport logs each message it published, once, with its key, and no rejected one', async () => {
    const { broker, clock } = lane();
    const log = new EventLog();
    const t = broker.recordingTransport('cp-node', { clock, eventLog: log });
    await clock.advance(5);
    await t.publish('cp.telemetry', telemetry('CP-001', 1));
    await expect(t.publish('cp.status', { cp_id: 'CP-001', state: 'BROKEN' } as never)).rejects.toThrow(
      ContractViolationError,
    );
    await t.publish('cp.status', { cp_id: 'CP-002', state: 'ACTIVATED' });
    expect(log.entries().map(({ seq, time, node, topic, key }) => ({ seq, time, node, topic, key }))).toEqual(
      [
        { seq: 0, time: 5, node: 'cp-node', topic: 'cp.telemetry', key: 'CP-001' },
        { seq: 1, time: 5, node: 'cp-node', topic: 'cp.status', key: 'CP-002' },
      ],
    );
  });
});

/** A random mix of publishes, at a few instants, on three topics and many keys. */
const script = fc.array(
  fc.record({
    at: fc.integer({ min: 0, max: 3 }),
    cp: fc.integer({ min: 0, max: 9 }),
    status: fc.boolean(),
  }),
  { minLength: 1, maxLength: 60 },
);

/**
 * Plays a script on a broker with sync handlers that publish follow-ups (and, with `async`, one
 * group whose handler awaits before its follow-up), and returns every delivery in the order handled.
 */
async function play(
  steps: { at: number; cp: number; status: boolean }[],
  options: MemoryBrokerOptions,
  async: boolean,
) {
  const clock = new VirtualClock({ start: 0 });
  const broker = new MemoryBroker({ partitions: 4, ...options });
  const t = broker.transport('n', { clock });
  const log: string[] = [];
  const note = (group: string, topic: TopicName, key: string, n: number) =>
    log.push(`${group} ${topic} ${key} ${n}`);
  await t.subscribe('cp.telemetry', { group: 'central' }, (v, env) => {
    note('central', env.topic, env.key, v.euros);
    if (v.euros % 3 === 0)
      void t.publish('cp.status', { cp_id: v.cp_id, state: 'SUPPLYING', reason: `${v.euros}` });
  });
  await t.subscribe('cp.telemetry', { group: 'billing' }, async (v, env) => {
    note('billing', env.topic, env.key, v.euros);
    if (async) await Promise.resolve();
    if (v.euros % 2 === 0)
      await t.publish('driver.updates', {
        request_id: `req-${v.euros}`,
        driver_id: `driver-${v.euros % 3}`,
        cp_id: v.cp_id,
        status: 'in_progress',
      });
  });
  await t.subscribe('cp.status', { group: 'dashboard' }, (v, env) => {
    note('dashboard', env.topic, env.key, Number(v.reason ?? -1));
  });
  await t.subscribe('driver.updates', { group: 'driver-1', key: 'driver-1' }, (v, env) => {
    note('driver-1', env.topic, env.key, Number(v.request_id.slice(4)));
  });
  for (const [n, step] of steps.entries()) {
    clock.setTimeout(() => {
      const cpId = `CP-${step.cp}`;
      if (step.status)
        void t.publish('cp.status', { cp_id: cpId, state: 'ACTIVATED', reason: `${1000 + n}` });
      else void t.publish('cp.telemetry', telemetry(cpId, n));
    }, step.at);
  }
  await broker.drain();
  return log;
}

describe('the simulation lane keeps the standard mode’s order', () => {
  it('with sync handlers: every delivery in the same order', async () => {
    await fc.assert(
      fc.asyncProperty(script, async (steps) => {
        const standard = await play(steps, { jsonRoundTrip: false }, false);
        expect(await play(steps, { simulationLane: true }, false)).toEqual(standard);
        expect(await play(steps, {}, false)).toEqual(standard);
      }),
      { numRuns: 100 },
    );
  });

  it('with an async handler among them: every delivery in the same order', async () => {
    await fc.assert(
      fc.asyncProperty(script, async (steps) => {
        const standard = await play(steps, { jsonRoundTrip: false }, true);
        expect(await play(steps, { simulationLane: true }, true)).toEqual(standard);
      }),
      { numRuns: 100 },
    );
  });
});
