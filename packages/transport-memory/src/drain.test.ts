import { type CpTelemetry, RealClock, VirtualClock } from '@evcharging/core';
import { describe, expect, it } from 'vitest';
import { MemoryBroker } from './memory-broker.js';

const telemetry = (cpId: string, seq: number): CpTelemetry => ({ cp_id: cpId, kw: 22, euros: seq });

describe('MemoryBroker.drain', () => {
  describe('on a VirtualClock', () => {
    it('returns at once, moving no time, when nothing is pending', async () => {
      const clock = new VirtualClock({ start: 0 });
      const broker = new MemoryBroker();
      broker.transport('n', { clock });
      await broker.drain();
      expect(clock.now()).toBe(0);
    });

    it('finishes same-instant deliveries before firing a later, unrelated timer', async () => {
      const clock = new VirtualClock({ start: 0 });
      const broker = new MemoryBroker();
      const t = broker.transport('n', { clock });
      const log: string[] = [];
      clock.setTimeout(() => log.push(`liveness timeout@${clock.now()}`), 5_000);
      await t.subscribe('cp.telemetry', { group: 'g' }, (v) => {
        log.push(`delivered ${v.euros}@${clock.now()}`);
      });
      await t.publish('cp.telemetry', telemetry('CP-001', 1));
      await broker.drain();
      expect(log).toEqual(['delivered 1@0']);
      expect(clock.now()).toBe(0);
    });

    it('runs every delivery and every message those deliveries publish, advancing only as far as needed', async () => {
      const clock = new VirtualClock({ start: 0 });
      const broker = new MemoryBroker({ redeliveryDelayMs: 50 });
      const central = broker.transport('central', { clock });
      const engine = broker.transport('cp-1', { clock });
      const log: string[] = [];
      let failedOnce = false;
      await engine.subscribe('central.commands', { group: 'engine', key: 'CP-001' }, async (cmd) => {
        await Promise.resolve();
        if (!failedOnce) {
          failedOnce = true;
          throw new Error('not ready yet');
        }
        log.push(`engine ${cmd.cmd}@${clock.now()}`);
        await engine.publish('cp.status', { cp_id: 'CP-001', state: 'STOPPED' });
      });
      await central.subscribe('cp.status', { group: 'central' }, async (s) => {
        await clock.sleep(20);
        log.push(`central ${s.state}@${clock.now()}`);
      });
      await central.publish('central.commands', { cmd: 'stop_cp', cp_id: 'CP-001' });
      await broker.drain();
      expect(log).toEqual(['engine stop_cp@50', 'central STOPPED@70']);
      expect(clock.now()).toBe(70);
      expect(broker.idle()).toBe(true);
    });

    it('waits for handlers that await promise chains at one instant, without timers', async () => {
      const clock = new VirtualClock({ start: 0 });
      const broker = new MemoryBroker();
      const t = broker.transport('n', { clock });
      const got: number[] = [];
      await t.subscribe('cp.telemetry', { group: 'g' }, async (v) => {
        for (let i = 0; i < 10; i++) await Promise.resolve();
        got.push(v.euros);
      });
      for (let i = 0; i < 3; i++) await t.publish('cp.telemetry', telemetry('CP-001', i));
      await broker.drain();
      expect(got).toEqual([0, 1, 2]);
      expect(clock.now()).toBe(0);
    });

    it('fails clearly when a handler waits on something outside the virtual clock', async () => {
      const clock = new VirtualClock({ start: 0 });
      const broker = new MemoryBroker();
      const t = broker.transport('n', { clock });
      let release!: () => void;
      const outside = new Promise<void>((resolve) => {
        release = resolve;
      });
      await t.subscribe('cp.telemetry', { group: 'g' }, () => outside);
      await t.publish('cp.telemetry', telemetry('CP-001', 1));
      await expect(broker.drain()).rejects.toThrow(
        'MemoryBroker.drain: deliveries are pending but the virtual clock has no timer',
      );
      release();
      await broker.drain();
      expect(broker.idle()).toBe(true);
    });

    it('ignores messages waiting for a group that has no member', async () => {
      const clock = new VirtualClock({ start: 0 });
      const broker = new MemoryBroker();
      const t = broker.transport('n', { clock });
      const sub = await t.subscribe('cp.telemetry', { group: 'gone' }, () => {});
      await sub.unsubscribe();
      await t.publish('cp.telemetry', telemetry('CP-001', 1));
      await broker.drain();
      expect(broker.idle()).toBe(true);
    });
  });

  describe('on a RealClock', () => {
    it('resolves once every delivery, including follow-up publishes, has been handled', async () => {
      const clock = new RealClock();
      const broker = new MemoryBroker({ redeliveryDelayMs: 2 });
      const t = broker.transport('n', { clock });
      const got: string[] = [];
      let failures = 0;
      await t.subscribe('cp.telemetry', { group: 'g' }, async (v) => {
        if (v.euros === 1 && failures++ === 0) throw new Error('retry me');
        got.push(`telemetry ${v.euros}`);
        if (v.euros === 2) await t.publish('cp.status', { cp_id: v.cp_id, state: 'SUPPLYING' });
      });
      await t.subscribe('cp.status', { group: 'g' }, async (s) => {
        await clock.sleep(2);
        got.push(`status ${s.state}`);
      });
      for (let i = 0; i < 3; i++) await t.publish('cp.telemetry', telemetry('CP-001', i));
      await broker.drain();
      expect(got).toEqual(['telemetry 0', 'telemetry 1', 'telemetry 2', 'status SUPPLYING']);
      expect(broker.idle()).toBe(true);
    });

    it('returns at once when idle', async () => {
      const broker = new MemoryBroker();
      broker.transport('n', { clock: new RealClock() });
      await broker.drain({ timeoutMs: 1 });
    });

    it('rejects after the timeout when a handler never finishes', async () => {
      const broker = new MemoryBroker();
      const t = broker.transport('n', { clock: new RealClock() });
      let release!: () => void;
      const stuck = new Promise<void>((resolve) => {
        release = resolve;
      });
      await t.subscribe('cp.telemetry', { group: 'g' }, () => stuck);
      await t.publish('cp.telemetry', telemetry('CP-001', 1));
      await expect(broker.drain({ timeoutMs: 10 })).rejects.toThrow(
        'MemoryBroker.drain: not idle after 10 ms',
      );
      release();
      await broker.drain({ timeoutMs: 1_000 });
      expect(t.stats().delivered).toEqual({ 'cp.telemetry': 1 });
    });

    it('uses the real clock when no transport has a virtual one', async () => {
      const broker = new MemoryBroker();
      const t = broker.transport('n');
      expect(t.clock).toBeInstanceOf(RealClock);
      const got: number[] = [];
      await t.subscribe('cp.telemetry', { group: 'g' }, (v) => {
        got.push(v.euros);
      });
      await t.publish('cp.telemetry', telemetry('CP-001', 7));
      await broker.drain({ timeoutMs: 1_000 });
      expect(got).toEqual([7]);
    });
  });
});
