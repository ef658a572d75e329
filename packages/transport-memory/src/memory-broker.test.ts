import {
  ContractViolationError,
  type CpTelemetry,
  type Envelope,
  type TopicName,
  VirtualClock,
} from '@evcharging/core';
import { describe, expect, it } from 'vitest';
import { MemoryBroker, type MemoryBrokerOptions } from './memory-broker.js';

const telemetry = (cpId: string, seq: number): CpTelemetry => ({ cp_id: cpId, kw: 22, euros: seq });

function setup(options: MemoryBrokerOptions = {}) {
  const clock = new VirtualClock({ start: 0 });
  const broker = new MemoryBroker({ partitions: 4, ...options });
  return { clock, broker, transport: (id: string) => broker.transport(id, { clock }) };
}

describe('MemoryBroker', () => {
  describe('options', () => {
    it('rejects fewer than one partition', () => {
      expect(() => new MemoryBroker({ partitions: 0 })).toThrow(
        'MemoryBroker: partitions must be >= 1, got 0',
      );
      expect(() => new MemoryBroker({ partitions: Number.NaN })).toThrow(RangeError);
    });

    it('refuses fault injection without a seeded random', () => {
      expect(() => new MemoryBroker({ faults: { 'cp.telemetry': { dropRate: 0.1 } } })).toThrow(
        'MemoryBroker: fault injection needs a seeded `random` option',
      );
    });

    it('has the documented defaults', () => {
      const broker = new MemoryBroker();
      expect({
        partitions: broker.partitions,
        retention: broker.retention,
        maxAttempts: broker.maxAttempts,
        redeliveryDelayMs: broker.redeliveryDelayMs,
        jsonRoundTrip: broker.jsonRoundTrip,
        validateMessages: broker.validateMessages,
      }).toEqual({
        partitions: 16,
        retention: 1_000,
        maxAttempts: 5,
        redeliveryDelayMs: 10,
        jsonRoundTrip: true,
        validateMessages: true,
      });
    });
  });

  describe('JSON round trip', () => {
    it('delivers what crossed JSON: a Date in an extra field arrives as its ISO string', async () => {
      const { broker, transport } = setup();
      const t = transport('n');
      const got: unknown[] = [];
      await t.subscribe('central.commands', { group: 'engine' }, (v) => {
        got.push(v);
      });
      const at = new Date(Date.UTC(2026, 0, 1, 8));
      await t.publish('central.commands', {
        cmd: 'stop_cp',
        cp_id: 'CP-001',
        payload: { requested_at: at },
        scheduled_for: at,
      } as never);
      await broker.drain();
      expect(got).toEqual([
        {
          cmd: 'stop_cp',
          cp_id: 'CP-001',
          payload: { requested_at: '2026-01-01T08:00:00.000Z' },
          scheduled_for: '2026-01-01T08:00:00.000Z',
        },
      ]);
    });

    it('a Date where the contract wants a string is rejected at publish', async () => {
      const { transport } = setup();
      await expect(
        transport('n').publish('cp.status', { cp_id: 'CP-001', state: 'FAULT', ts: new Date() } as never),
      ).rejects.toThrow(ContractViolationError);
    });

    it('a BigInt, which cannot cross Kafka, fails at publish and is counted as rejected', async () => {
      const { broker, transport } = setup();
      const t = transport('n');
      const got: unknown[] = [];
      await t.subscribe('cp.telemetry', { group: 'g' }, (v) => {
        got.push(v);
      });
      await expect(
        t.publish('cp.telemetry', { ...telemetry('CP-001', 1), meter_reading: 10n } as never),
      ).rejects.toThrow(/BigInt/);
      await broker.drain();
      expect(got).toEqual([]);
      expect(t.stats().rejected).toEqual({ 'cp.telemetry': 1 });
      expect(t.stats().published).toEqual({});
      expect(broker.stats().published).toBe(0);
    });

    it('each handler gets its own copy, and a publisher mutating its object later changes nothing', async () => {
      const { broker, transport } = setup();
      const t = transport('n');
      const got: CpTelemetry[] = [];
      const seen: number[] = [];
      for (const group of ['a', 'b']) {
        await t.subscribe('cp.telemetry', { group }, (v) => {
          seen.push(v.euros);
          got.push(v);
          v.euros = -1;
        });
      }
      const message = telemetry('CP-001', 5);
      await t.publish('cp.telemetry', message);
      message.euros = 999;
      await broker.drain();
      expect(got.length).toBe(2);
      expect(got[0]).not.toBe(got[1]);
      expect(got[0]).not.toBe(message);
      expect(seen).toEqual([5, 5]);
      expect(message.euros).toBe(999);
    });

    it('jsonRoundTrip: false hands every handler the published object itself', async () => {
      const { broker, transport } = setup({ jsonRoundTrip: false });
      const t = transport('n');
      const got: unknown[] = [];
      for (const group of ['a', 'b']) {
        await t.subscribe('central.commands', { group }, (v) => {
          got.push(v);
        });
      }
      const at = new Date(0);
      const message = { cmd: 'stop_cp' as const, cp_id: 'CP-001', payload: { at } };
      await t.publish('central.commands', message);
      await broker.drain();
      expect(got).toEqual([message, message]);
      expect(got[0]).toBe(message);
      expect((got[1] as typeof message).payload.at).toBe(at);
    });
  });

  describe('validation', () => {
    it('rejects an invalid message at publish with every reason, counted per transport', async () => {
      const { broker, transport } = setup();
      const t = transport('n');
      const error = await t.publish('cp.telemetry', { cp_id: 'CP-001', kw: -5 } as never).then(
        () => undefined,
        (e: unknown) => e as ContractViolationError,
      );
      expect(error).toBeInstanceOf(ContractViolationError);
      expect(error!.topic).toBe('cp.telemetry');
      expect(error!.reasons.join('\n')).toMatch(/\/kw/);
      expect(error!.reasons.join('\n')).toMatch(/\/euros/);
      expect(t.stats().rejected).toEqual({ 'cp.telemetry': 1 });
      expect(broker.stats().published).toBe(0);
    });

    it('validate: false lets a message through that the contract would reject', async () => {
      const { broker, transport } = setup({ validate: false });
      const t = transport('n');
      const got: unknown[] = [];
      await t.subscribe('cp.status', { group: 'g' }, (v) => {
        got.push(v);
      });
      await t.publish('cp.status', { cp_id: 'CP-001', state: 'BROKEN' } as never);
      await broker.drain();
      expect(got).toEqual([{ cp_id: 'CP-001', state: 'BROKEN' }]);
    });

    it('rejects an unknown topic at publish and at subscribe', async () => {
      const { transport } = setup();
      const t = transport('n');
      await expect(t.publish('cp.unknown' as TopicName, { cp_id: 'x' } as never)).rejects.toThrow(
        /unknown topic "cp.unknown"/,
      );
      await expect(t.subscribe('cp.unknown' as TopicName, { group: 'g' }, () => {})).rejects.toThrow(
        'MemoryBroker: unknown topic "cp.unknown"',
      );
      const loose = setup({ validate: false }).transport('n');
      await expect(loose.publish('cp.unknown' as TopicName, { cp_id: 'x' } as never)).rejects.toThrow(
        'MemoryBroker: unknown topic "cp.unknown"',
      );
    });
  });

  describe('envelopes and partitions', () => {
    it('delivers the key, partition, per-partition offset, publish time and headers', async () => {
      const { clock, broker, transport } = setup({ partitions: 1 });
      const publisher = transport('cp-1');
      const got: Envelope<'cp.telemetry'>[] = [];
      await transport('central').subscribe('cp.telemetry', { group: 'central' }, (_v, env) => {
        got.push(env);
      });
      await publisher.publish('cp.telemetry', telemetry('CP-001', 1), { headers: { trace: 'abc' } });
      await clock.advance(250);
      await publisher.publish('cp.telemetry', telemetry('CP-002', 2));
      await broker.drain();
      expect(got.map((e) => [e.key, e.partition, e.offset, e.ts, e.attempt, e.headers])).toEqual([
        ['CP-001', 0, 0, 0, 1, { trace: 'abc' }],
        ['CP-002', 0, 1, 250, 1, {}],
      ]);
    });

    it('keeps one key on one partition, so its order holds across many keys and partitions', async () => {
      const { broker, transport } = setup({ partitions: 8 });
      const t = transport('n');
      const partitions = new Map<string, Set<number>>();
      const seqs = new Map<string, number[]>();
      await t.subscribe('cp.telemetry', { group: 'g' }, (v, env) => {
        partitions.set(v.cp_id, (partitions.get(v.cp_id) ?? new Set()).add(env.partition!));
        seqs.set(v.cp_id, [...(seqs.get(v.cp_id) ?? []), v.euros]);
      });
      for (let seq = 0; seq < 20; seq++) {
        for (let cp = 0; cp < 10; cp++) await t.publish('cp.telemetry', telemetry(`CP-${cp}`, seq));
      }
      await broker.drain();
      for (const [, set] of partitions) expect(set.size).toBe(1);
      for (const [, list] of seqs) expect(list).toEqual(Array.from({ length: 20 }, (_, i) => i));
    });
  });

  describe('stats', () => {
    it('counts per broker (with per-topic publishes) and per transport', async () => {
      const { broker, transport } = setup({ maxAttempts: 1 });
      const engine = transport('cp-1');
      const central = transport('central');
      await central.subscribe('cp.status', { group: 'central' }, () => {});
      await central.subscribe('cp.telemetry', { group: 'central' }, (v) => {
        if (v.euros === 3) throw new Error('bad reading');
      });
      await engine.publish('cp.status', { cp_id: 'CP-001', state: 'ACTIVATED' });
      for (let i = 1; i <= 3; i++) await engine.publish('cp.telemetry', telemetry('CP-001', i));
      await expect(engine.publish('cp.status', { cp_id: '' } as never)).rejects.toThrow();
      await broker.drain();
      expect(engine.stats()).toEqual({
        published: { 'cp.status': 1, 'cp.telemetry': 3 },
        delivered: {},
        rejected: { 'cp.status': 1 },
        deadLettered: {},
        backlog: [],
      });
      expect(central.stats()).toEqual({
        published: {},
        delivered: { 'cp.status': 1, 'cp.telemetry': 2 },
        rejected: {},
        deadLettered: { 'cp.telemetry': 1 },
        backlog: [
          { topic: 'cp.status', group: 'central', lag: 0, dropped: 0 },
          { topic: 'cp.telemetry', group: 'central', lag: 0, dropped: 0 },
        ],
      });
      expect(broker.stats()).toEqual({
        published: 4,
        delivered: 3,
        deadLettered: 1,
        dropped: 0,
        duplicated: 0,
        retentionDropped: 0,
        byTopic: { 'cp.status': 1, 'cp.telemetry': 3 },
      });
    });

    it('returns snapshots that later activity does not change', async () => {
      const { broker, transport } = setup();
      const t = transport('n');
      const before = t.stats();
      const brokerBefore = broker.stats();
      await t.publish('cp.telemetry', telemetry('CP-001', 1));
      expect(before.published).toEqual({});
      expect(brokerBefore.byTopic).toEqual({});
      expect(brokerBefore.published).toBe(0);
    });
  });

  it('two brokers never see each other’s messages', async () => {
    const clock = new VirtualClock({ start: 0 });
    const a = new MemoryBroker();
    const b = new MemoryBroker();
    const got: unknown[] = [];
    await b.transport('n', { clock }).subscribe('cp.status', { group: 'g' }, (v) => {
      got.push(v);
    });
    await a.transport('n', { clock }).publish('cp.status', { cp_id: 'CP-001', state: 'FAULT' });
    await a.drain();
    await b.drain();
    expect(got).toEqual([]);
  });
});
