import { type CpTelemetry, VirtualClock } from '@evcharging/core';
import { describe, expect, it } from 'vitest';
import { MemoryBroker } from './memory-broker.js';

const telemetry = (cpId: string, seq: number): CpTelemetry => ({ cp_id: cpId, kw: 22, euros: seq });

// Both delivery modes on a virtual clock: the simulation lane keeps every semantic of the standard one.
describe.each([
  { mode: 'standard', lane: {} },
  { mode: 'simulation lane', lane: { simulationLane: true } },
])('consumer groups ($mode)', ({ lane }) => {
  function setup(options: ConstructorParameters<typeof MemoryBroker>[0] = {}) {
    const clock = new VirtualClock({ start: 0 });
    const broker = new MemoryBroker({ partitions: 4, ...lane, ...options });
    return { clock, broker, transport: (id: string) => broker.transport(id, { clock }) };
  }

  describe('redelivery', () => {
    it('redelivers a failing message with doubling backoff on the virtual clock, then moves on', async () => {
      const { clock, broker, transport } = setup({ redeliveryDelayMs: 100, maxAttempts: 4 });
      const t = transport('central');
      const attempts: { at: number; attempt: number | undefined; euros: number }[] = [];
      await t.subscribe('cp.telemetry', { group: 'central' }, (v, env) => {
        attempts.push({ at: clock.now(), attempt: env.attempt, euros: v.euros });
        if (v.euros === 1 && (env.attempt ?? 0) < 4) throw new Error('store busy');
      });
      await t.publish('cp.telemetry', telemetry('CP-001', 1));
      await t.publish('cp.telemetry', telemetry('CP-001', 2));
      await broker.drain();
      expect(attempts).toEqual([
        { at: 0, attempt: 1, euros: 1 },
        { at: 100, attempt: 2, euros: 1 },
        { at: 300, attempt: 3, euros: 1 },
        { at: 700, attempt: 4, euros: 1 },
        // Order per key: the next message waited behind the retried one.
        { at: 700, attempt: 1, euros: 2 },
      ]);
      expect(broker.deadLetters).toEqual([]);
      expect(t.stats().delivered).toEqual({ 'cp.telemetry': 2 });
    });

    it('an async handler that rejects is redelivered too', async () => {
      const { broker, transport } = setup({ redeliveryDelayMs: 1 });
      const t = transport('central');
      let calls = 0;
      await t.subscribe('cp.telemetry', { group: 'central' }, async () => {
        calls++;
        await Promise.resolve();
        if (calls === 1) throw new Error('later failure');
      });
      await t.publish('cp.telemetry', telemetry('CP-001', 1));
      await broker.drain();
      expect(calls).toBe(2);
    });

    it('dead-letters a message after maxAttempts with the error, and the lane continues', async () => {
      const { broker, transport } = setup({ redeliveryDelayMs: 1, maxAttempts: 3 });
      const t = transport('central');
      const handled: number[] = [];
      const healthy: number[] = [];
      await t.subscribe('cp.telemetry', { group: 'strict' }, (v) => {
        if (v.euros === 2) throw new Error(`cannot price ${v.euros}`);
        handled.push(v.euros);
      });
      await t.subscribe('cp.telemetry', { group: 'audit' }, (v) => {
        healthy.push(v.euros);
      });
      for (let i = 1; i <= 3; i++) await t.publish('cp.telemetry', telemetry('CP-001', i));
      await broker.drain();
      expect(handled).toEqual([1, 3]);
      expect(healthy).toEqual([1, 2, 3]);
      expect(broker.deadLetters).toHaveLength(1);
      expect(broker.deadLetters[0]).toMatchObject({
        topic: 'cp.telemetry',
        group: 'strict',
        key: 'CP-001',
        value: { cp_id: 'CP-001', kw: 22, euros: 2 },
        error: 'cannot price 2',
        attempts: 3,
        ts: 0,
      });
      expect(broker.stats().deadLettered).toBe(1);
      expect(t.stats().deadLettered).toEqual({ 'cp.telemetry': 1 });
      expect(t.stats().delivered).toEqual({ 'cp.telemetry': 5 });
    });

    it('records a thrown non-Error as text', async () => {
      const { broker, transport } = setup({ redeliveryDelayMs: 1, maxAttempts: 1 });
      const t = transport('central');
      await t.subscribe('cp.status', { group: 'g' }, () => {
        throw 'plain string';
      });
      await t.publish('cp.status', { cp_id: 'CP-001', state: 'FAULT' });
      await broker.drain();
      expect(broker.deadLetters.map((d) => d.error)).toEqual(['plain string']);
    });

    it('keeps at most deadLetterLimit dead letters, dropping the oldest', async () => {
      const { broker, transport } = setup({ maxAttempts: 1, deadLetterLimit: 2 });
      const t = transport('central');
      await t.subscribe('cp.telemetry', { group: 'g' }, () => {
        throw new Error('no');
      });
      for (let i = 0; i < 4; i++) await t.publish('cp.telemetry', telemetry('CP-001', i));
      await broker.drain();
      expect(broker.deadLetters.map((d) => (d.value as CpTelemetry).euros)).toEqual([2, 3]);
      expect(broker.stats().deadLettered).toBe(4);
    });
  });

  describe('members', () => {
    it('a group with no member keeps its messages until a member joins', async () => {
      const { broker, transport } = setup();
      const t = transport('central');
      const first = await t.subscribe('cp.telemetry', { group: 'central' }, () => {});
      await first.unsubscribe();
      for (let i = 0; i < 5; i++) await t.publish('cp.telemetry', telemetry(`CP-${i}`, i));
      await broker.drain();
      const got: number[] = [];
      await t.subscribe('cp.telemetry', { group: 'central' }, (v) => {
        got.push(v.euros);
      });
      await broker.drain();
      expect(got.sort()).toEqual([0, 1, 2, 3, 4]);
    });

    it('when a member leaves, its partitions go to the remaining member', async () => {
      const { broker, transport } = setup();
      const a = transport('a');
      const b = transport('b');
      const gotA: string[] = [];
      const gotB: string[] = [];
      const subA = await a.subscribe('cp.telemetry', { group: 'shared' }, (v) => {
        gotA.push(v.cp_id);
      });
      await b.subscribe('cp.telemetry', { group: 'shared' }, (v) => {
        gotB.push(v.cp_id);
      });
      const keys = Array.from({ length: 16 }, (_, i) => `CP-${i}`);
      for (const key of keys) await a.publish('cp.telemetry', telemetry(key, 1));
      await broker.drain();
      expect(gotA.length).toBeGreaterThan(0);
      expect(gotB.length).toBeGreaterThan(0);
      await subA.unsubscribe();
      gotB.length = 0;
      for (const key of keys) await a.publish('cp.telemetry', telemetry(key, 2));
      await broker.drain();
      expect(gotB.sort()).toEqual([...keys].sort());
    });

    it('a keyed group cannot also subscribe without the key (or with another key)', async () => {
      const { transport } = setup();
      const t = transport('cp-001');
      await t.subscribe('central.commands', { group: 'engine-CP-001', key: 'CP-001' }, () => {});
      await expect(t.subscribe('central.commands', { group: 'engine-CP-001' }, () => {})).rejects.toThrow(
        'group "engine-CP-001" on topic "central.commands" already subscribes with key "CP-001"; a group cannot mix key filters (got undefined)',
      );
      await expect(
        t.subscribe('central.commands', { group: 'engine-CP-001', key: 'CP-002' }, () => {}),
      ).rejects.toThrow(/cannot mix key filters \(got "CP-002"\)/);
      // The same group name on another topic is another group.
      await expect(t.subscribe('cp.status', { group: 'engine-CP-001' }, () => {})).resolves.toBeDefined();
    });

    it('two members of one keyed group share its messages, each once', async () => {
      const { broker, transport } = setup();
      const got: string[] = [];
      for (const id of ['a', 'b']) {
        await transport(id).subscribe('central.commands', { group: 'engine', key: 'CP-7' }, (v) => {
          got.push(`${id}:${v.cmd}`);
        });
      }
      const t = transport('central');
      await t.publish('central.commands', { cmd: 'stop_cp', cp_id: 'CP-7' });
      await t.publish('central.commands', { cmd: 'stop_cp', cp_id: 'CP-8' });
      await t.publish('central.commands', { cmd: 'resume_cp', cp_id: 'CP-7' });
      await broker.drain();
      expect(got.map((g) => g.split(':')[1])).toEqual(['stop_cp', 'resume_cp']);
    });

    it('every group keyed on a message key gets it, in the order the groups were made; other keys none', async () => {
      const { broker, transport } = setup();
      const got: string[] = [];
      for (const [group, key] of [
        ['engine', 'CP-7'],
        ['audit', 'CP-8'],
        ['twin', 'CP-7'],
      ] as const) {
        await transport(group).subscribe('central.commands', { group, key }, (v) => {
          got.push(`${group}:${v.cp_id}:${v.cmd}`);
        });
      }
      const t = transport('central');
      await t.publish('central.commands', { cmd: 'stop_cp', cp_id: 'CP-7' });
      await t.publish('central.commands', { cmd: 'stop_cp', cp_id: 'CP-9' });
      await broker.drain();
      expect(got).toEqual(['engine:CP-7:stop_cp', 'twin:CP-7:stop_cp']);
    });

    it('fromBeginning on a keyed group replays only that key', async () => {
      const { broker, transport } = setup({ partitions: 1 });
      const t = transport('central');
      for (const cp of ['CP-1', 'CP-2', 'CP-1'])
        await t.publish('central.commands', { cmd: 'stop_cp', cp_id: cp });
      const got: string[] = [];
      await t.subscribe('central.commands', { group: 'engine', key: 'CP-1', fromBeginning: true }, (v) => {
        got.push(v.cp_id);
      });
      await broker.drain();
      expect(got).toEqual(['CP-1', 'CP-1']);
    });

    it('fromBeginning is ignored for a group that already exists (its progress wins)', async () => {
      const { broker, transport } = setup();
      const t = transport('central');
      const sub = await t.subscribe('cp.telemetry', { group: 'g' }, () => {});
      await t.publish('cp.telemetry', telemetry('CP-1', 1));
      await broker.drain();
      await sub.unsubscribe();
      const got: number[] = [];
      await t.subscribe('cp.telemetry', { group: 'g', fromBeginning: true }, (v) => {
        got.push(v.euros);
      });
      await t.publish('cp.telemetry', telemetry('CP-1', 2));
      await broker.drain();
      expect(got).toEqual([2]);
    });
  });

  describe('retention', () => {
    it('a lane without a member keeps at most `retention` messages and counts the dropped ones', async () => {
      const { broker, transport } = setup({ partitions: 1, retention: 3 });
      const t = transport('central');
      const sub = await t.subscribe('cp.telemetry', { group: 'slow' }, () => {});
      await sub.unsubscribe();
      for (let i = 0; i < 10; i++) await t.publish('cp.telemetry', telemetry('CP-001', i));
      expect(broker.stats().retentionDropped).toBe(7);
      const got: number[] = [];
      await t.subscribe('cp.telemetry', { group: 'slow' }, (v) => {
        got.push(v.euros);
      });
      await broker.drain();
      expect(got).toEqual([7, 8, 9]);
    });

    it('fromBeginning replays only what the partition log retained', async () => {
      const { broker, transport } = setup({ partitions: 1, retention: 2 });
      const t = transport('central');
      for (let i = 0; i < 5; i++) await t.publish('cp.telemetry', telemetry('CP-001', i));
      const got: number[] = [];
      await t.subscribe('cp.telemetry', { group: 'late', fromBeginning: true }, (v) => {
        got.push(v.euros);
      });
      await broker.drain();
      expect(got).toEqual([3, 4]);
    });

    it('with retention 0 keeps no log: a late group starts empty, a subscribed one still gets all', async () => {
      const { broker, transport } = setup({ partitions: 1, retention: 0 });
      const t = transport('central');
      const early: number[] = [];
      await t.subscribe('cp.telemetry', { group: 'early' }, (v) => {
        early.push(v.euros);
      });
      for (let i = 0; i < 3; i++) await t.publish('cp.telemetry', telemetry('CP-001', i));
      const late: number[] = [];
      await t.subscribe('cp.telemetry', { group: 'late', fromBeginning: true }, (v) => {
        late.push(v.euros);
      });
      await t.publish('cp.telemetry', telemetry('CP-001', 3));
      await broker.drain();
      expect(early).toEqual([0, 1, 2, 3]);
      expect(late).toEqual([3]);
      expect(broker.stats().byTopic).toEqual({ 'cp.telemetry': 4 });
    });

    it('a live member is never overtaken, however far behind it is', async () => {
      const { clock, broker, transport } = setup({ partitions: 1, retention: 2 });
      const t = transport('central');
      const got: number[] = [];
      await t.subscribe('cp.telemetry', { group: 'slow' }, async (v) => {
        await clock.sleep(100);
        got.push(v.euros);
      });
      for (let i = 0; i < 6; i++) await t.publish('cp.telemetry', telemetry('CP-001', i));
      await broker.drain();
      expect(got).toEqual([0, 1, 2, 3, 4, 5]);
      expect(broker.stats().retentionDropped).toBe(0);
    });

    it('a member leaving mid-message: that message counts as handled, retention drops only waiting ones', async () => {
      const { clock, broker, transport } = setup({ partitions: 1, retention: 2 });
      const t = transport('central');
      const first: number[] = [];
      const sub = await t.subscribe('cp.telemetry', { group: 'g' }, async (v) => {
        await clock.sleep(100);
        first.push(v.euros);
      });
      await t.publish('cp.telemetry', telemetry('CP-001', 0));
      await clock.advance(10); // message 0 is now in the handler
      await sub.unsubscribe();
      for (let i = 1; i <= 5; i++) await t.publish('cp.telemetry', telemetry('CP-001', i));
      await clock.advance(200); // the handler of message 0 finishes
      expect(first).toEqual([0]);
      const second: number[] = [];
      await t.subscribe('cp.telemetry', { group: 'g' }, (v) => {
        second.push(v.euros);
      });
      await broker.drain();
      expect(second).toEqual([4, 5]);
      expect(broker.stats().retentionDropped).toBe(3);
    });
  });
});
