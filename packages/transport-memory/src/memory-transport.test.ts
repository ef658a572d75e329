import { type CpTelemetry, TransportClosedError, VirtualClock } from '@evcharging/core';
import { describe, expect, it } from 'vitest';
import { MemoryBroker } from './memory-broker.js';

const telemetry = (cpId: string, seq: number): CpTelemetry => ({ cp_id: cpId, kw: 22, euros: seq });

function setup() {
  const clock = new VirtualClock({ start: 0 });
  const broker = new MemoryBroker({ partitions: 4 });
  return { clock, broker, transport: (id: string) => broker.transport(id, { clock }) };
}

describe('MemoryTransport', () => {
  it('is named after its node and uses the given clock', () => {
    const { clock, transport } = setup();
    const t = transport('cp-001');
    expect(t.name).toBe('memory:cp-001');
    expect(t.clock).toBe(clock);
  });

  it('delivers asynchronously: nothing runs inside publish, everything before the next timer', async () => {
    const { clock, transport } = setup();
    const t = transport('n');
    const got: number[] = [];
    await t.subscribe('cp.telemetry', { group: 'g' }, (v) => {
      got.push(v.euros);
    });
    const sent = t.publish('cp.telemetry', telemetry('CP-001', 1));
    expect(got).toEqual([]);
    await sent;
    await clock.advance(0);
    expect(got).toEqual([1]);
  });

  it('after close: publish, subscribe and connect fail with TransportClosedError; close is idempotent', async () => {
    const { transport } = setup();
    const t = transport('cp-9');
    await t.connect();
    await t.close();
    await t.close();
    const error = await t.publish('cp.status', { cp_id: 'CP-009', state: 'FAULT' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TransportClosedError);
    expect((error as Error).message).toBe('transport "memory:cp-9" is closed: cannot publish to "cp.status"');
    await expect(t.subscribe('cp.status', { group: 'g' }, () => {})).rejects.toThrow(
      'transport "memory:cp-9" is closed: cannot subscribe to "cp.status"',
    );
    await expect(t.connect()).rejects.toThrow('cannot connect');
  });

  it('close() hands its partitions to the group’s other members', async () => {
    const { broker, transport } = setup();
    const a = transport('a');
    const b = transport('b');
    const gotA: string[] = [];
    const gotB: string[] = [];
    await a.subscribe('cp.telemetry', { group: 'central' }, (v) => {
      gotA.push(v.cp_id);
    });
    await b.subscribe('cp.telemetry', { group: 'central' }, (v) => {
      gotB.push(v.cp_id);
    });
    await a.close();
    const keys = Array.from({ length: 12 }, (_, i) => `CP-${i}`);
    for (const key of keys) await b.publish('cp.telemetry', telemetry(key, 1));
    await broker.drain();
    expect(gotA).toEqual([]);
    expect(gotB.sort()).toEqual([...keys].sort());
  });

  it('a new transport for a restarted node resumes its group where the old one stopped', async () => {
    const { broker, transport } = setup();
    const central = transport('central');
    const before = transport('cp-1');
    const got: number[] = [];
    await before.subscribe('cp.telemetry', { group: 'engine' }, (v) => {
      got.push(v.euros);
    });
    await central.publish('cp.telemetry', telemetry('CP-001', 1));
    await broker.drain();
    await before.close();
    await central.publish('cp.telemetry', telemetry('CP-001', 2));
    await central.publish('cp.telemetry', telemetry('CP-001', 3));
    await broker.drain();
    const after = transport('cp-1');
    await after.subscribe('cp.telemetry', { group: 'engine' }, (v) => {
      got.push(v.euros);
    });
    await broker.drain();
    expect(got).toEqual([1, 2, 3]);
  });

  it('subscribe needs a group id', async () => {
    const { transport } = setup();
    await expect(transport('n').subscribe('cp.status', { group: '' }, () => {})).rejects.toThrow(
      'memory:n: subscribe to "cp.status" needs a group id',
    );
  });

  it('unsubscribe is idempotent and stops only that subscription', async () => {
    const { broker, transport } = setup();
    const t = transport('n');
    const got: string[] = [];
    const a = await t.subscribe('cp.status', { group: 'a' }, (v) => {
      got.push(`a:${v.state}`);
    });
    await t.subscribe('cp.status', { group: 'b' }, (v) => {
      got.push(`b:${v.state}`);
    });
    await a.unsubscribe();
    await a.unsubscribe();
    await t.publish('cp.status', { cp_id: 'CP-001', state: 'FAULT' });
    await broker.drain();
    expect(got).toEqual(['b:FAULT']);
  });

  it('routes a key subscription without touching other keys’ subscribers', async () => {
    const { broker, transport } = setup();
    const engines = new Map<string, string[]>();
    for (let i = 0; i < 50; i++) {
      const cp = `CP-${i}`;
      engines.set(cp, []);
      await transport(cp).subscribe('central.commands', { group: `engine-${cp}`, key: cp }, (v) => {
        engines.get(cp)!.push(v.cmd);
      });
    }
    const central = transport('central');
    await central.publish('central.commands', { cmd: 'stop_cp', cp_id: 'CP-7' });
    await central.publish('central.commands', { cmd: 'resume_cp', cp_id: 'CP-7' });
    await central.publish('central.commands', { cmd: 'shutdown', cp_id: 'CP-42' });
    await broker.drain();
    for (const [cp, cmds] of engines) {
      const expected = cp === 'CP-7' ? ['stop_cp', 'resume_cp'] : cp === 'CP-42' ? ['shutdown'] : [];
      expect(cmds).toEqual(expected);
    }
  });
});
