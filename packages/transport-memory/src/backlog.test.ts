import { type CpTelemetry, type Logger, silentLogger, VirtualClock } from '@evcharging/core';
import { describe, expect, it } from 'vitest';
import { MemoryBroker } from './memory-broker.js';

const telemetry = (seq: number): CpTelemetry => ({ cp_id: `CP-${seq % 8}`, kw: 22, euros: seq });

/** A logger that keeps its warnings. */
function recordingLogger(warnings: string[]): Logger {
  const base = silentLogger();
  const logger: Logger = Object.assign(Object.create(base) as Logger, {
    warn: (_obj: unknown, msg?: string) => {
      warnings.push(msg ?? '');
    },
    child: () => logger,
  });
  return logger;
}

describe('MemoryTransport backlog (slow consumers)', () => {
  it('a slow group with a member keeps its whole backlog and shows it as lag, which falls as it catches up', async () => {
    const clock = new VirtualClock({ start: 0 });
    const broker = new MemoryBroker({ partitions: 2, retention: 10 });
    const central = broker.transport('central', { clock });
    const sender = broker.transport('sender', { clock });
    let handled = 0;
    await central.subscribe('cp.telemetry', { group: 'central' }, async () => {
      await clock.sleep(20);
      handled++;
    });
    for (let i = 0; i < 100; i++) await sender.publish('cp.telemetry', telemetry(i));
    const [first] = central.stats().backlog ?? [];
    expect(first).toEqual({ topic: 'cp.telemetry', group: 'central', lag: 100, dropped: 0 });
    await clock.advance(400);
    const middle = central.stats().backlog![0]!.lag;
    expect(middle).toBeGreaterThan(0);
    expect(middle).toBeLessThan(100);
    await broker.drain();
    expect(handled).toBe(100);
    expect(central.stats().backlog).toEqual([
      { topic: 'cp.telemetry', group: 'central', lag: 0, dropped: 0 },
    ]);
    expect(broker.stats().retentionDropped).toBe(0);
  });

  it('counts what retention drops for a group without member, per group, and warns once per group', async () => {
    const clock = new VirtualClock({ start: 0 });
    const warnings: string[] = [];
    const broker = new MemoryBroker({ partitions: 1, retention: 10, logger: recordingLogger(warnings) });
    const central = broker.transport('central', { clock });
    const sender = broker.transport('sender', { clock });
    const got: number[] = [];
    const sub = await central.subscribe('cp.telemetry', { group: 'central' }, (v) => {
      got.push(v.euros);
    });
    await sub.unsubscribe();
    for (let i = 0; i < 25; i++) await sender.publish('cp.telemetry', telemetry(i));
    expect(broker.backlog()).toEqual([{ topic: 'cp.telemetry', group: 'central', lag: 10, dropped: 15 }]);
    expect(warnings.filter((w) => w.startsWith('retention dropped'))).toHaveLength(1);
    await central.subscribe('cp.telemetry', { group: 'central' }, (v) => {
      got.push(v.euros);
    });
    await broker.drain();
    expect(got).toEqual(Array.from({ length: 10 }, (_, i) => 15 + i));
    expect(central.stats().backlog).toEqual([
      { topic: 'cp.telemetry', group: 'central', lag: 0, dropped: 15 },
    ]);
    expect(broker.stats().retentionDropped).toBe(15);
  });
});
