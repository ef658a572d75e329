import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type CpStatus,
  createNode,
  SeededRandom,
  type SessionEnd,
  type Transport,
  VirtualClock,
} from '@evcharging/core';
import { MemoryBroker } from '@evcharging/transport-memory';
import { afterEach, describe, expect, it } from 'vitest';
import { killableClock } from '../__fixtures__/killable-clock.js';
import { FileOutbox } from '../outbox/file-outbox.js';
import { MemoryOutbox } from '../outbox/memory-outbox.js';
import type { TicketOutbox } from '../outbox/ticket-outbox.js';
import { chargingPointEngine } from './charging-point-engine.js';
import { fixedDuration, manualStop } from './session-policy.js';

/** A transport whose publishes to `topic` reject while `failing()` holds (a broker out of reach). */
const failingOn =
  (failedTopic: string, failing: () => boolean) =>
  (inner: Transport): Transport =>
    Object.assign(Object.create(inner) as Transport, {
      publish: ((topic, message, options) => {
        if (failing() && topic === failedTopic) return Promise.reject(new Error('broker unreachable'));
        return inner.publish(topic, message, options);
      }) as Transport['publish'],
    });

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function world() {
  const clock = new VirtualClock();
  const broker = new MemoryBroker();
  const central = broker.transport('central', { clock });
  const tickets: SessionEnd[] = [];
  const status: CpStatus[] = [];
  await central.subscribe('cp.session_end', { group: 'central' }, (t) => {
    tickets.push(t);
  });
  await central.subscribe('cp.status', { group: 'central' }, (s) => {
    status.push(s);
  });
  let generation = 0;
  /** Starts an engine "process" on the outbox; `kill()` drops it without stopping it. */
  const boot = async (outbox: TicketOutbox, transportOverride?: (t: Transport) => Transport) => {
    const id = `cp-001-gen${++generation}`;
    const process = killableClock(clock);
    const inner = broker.transport(id, { clock });
    const transport = transportOverride ? transportOverride(inner) : inner;
    const engine = chargingPointEngine({
      cpId: 'CP-001',
      kw: 22,
      priceEurKwh: 0.3,
      outbox,
      policy: manualStop(),
    });
    const node = createNode({
      id,
      transport,
      clock: process.clock,
      random: new SeededRandom(1),
      plugins: [engine],
    });
    await node.start();
    return {
      engine,
      node,
      kill: async () => {
        process.kill();
        await inner.close(); // the broker notices the dead member, as Kafka does after its session timeout
      },
    };
  };
  const settle = async () => {
    for (let i = 0; i < 3; i++) {
      await clock.advance(0);
      await broker.drain();
    }
  };
  const start = (sessionId: string) =>
    central.publish('central.commands', {
      cmd: 'start_supply',
      cp_id: 'CP-001',
      payload: { driver_id: 'driver-bob', request_id: 'req-00000001', session_id: sessionId },
    });
  return { clock, broker, central, tickets, status, boot, settle, start };
}

describe('engine crash recovery', () => {
  it('a killed engine restarted on the same (memory) outbox publishes the interrupted session', async () => {
    const w = await world();
    const outbox = new MemoryOutbox();
    const first = await w.boot(outbox);
    await w.start('session-0000cafe');
    await w.settle();
    const startedAt = w.clock.now();
    await w.clock.advance(90_500); // killed half-way through the 91st interval
    await first.kill();
    expect(w.tickets).toHaveLength(0);
    expect(outbox.inflightSession).toMatchObject({
      session_id: 'session-0000cafe',
      updated_ms: startedAt + 90_000,
    });

    await w.clock.advance(30_000); // down for 30 s
    const second = await w.boot(outbox);
    await w.settle();
    expect(w.tickets).toHaveLength(1);
    expect(w.tickets[0]).toMatchObject({
      session_id: 'session-0000cafe',
      driver_id: 'driver-bob',
      request_id: 'req-00000001',
      energy_kwh: 0.55, // 22 kW × 90 s: everything up to the last interval
      total_cost_eur: 0.17,
      reason: 'interrupted: engine stopped during the supply',
      ended_by: 'interrupted',
    });
    expect(Date.parse(w.tickets[0]!.end_time)).toBe(startedAt + 90_000);
    expect(w.status.at(-1)).toMatchObject({ state: 'ACTIVATED' });
    expect(w.status.at(-1)!.reason).toContain('session session-0000cafe was interrupted');
    expect(outbox.pending()).toHaveLength(0);
    expect(outbox.inflightSession).toBeUndefined();
    expect(second.engine.state).toBe('ACTIVATED');
    // A redelivered start for the interrupted session does not start it again.
    await w.start('session-0000cafe');
    await w.settle();
    expect(second.engine.state).toBe('ACTIVATED');
  });

  it('the same through a file outbox, and the file ends empty once the ticket is published', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cp-outbox-'));
    dirs.push(dir);
    const path = join(dir, 'CP-001.outbox.json');
    const w = await world();
    const first = await w.boot(new FileOutbox(path));
    await w.start('session-0000beef');
    await w.settle();
    await w.clock.advance(60_000);
    await first.kill();
    const onDisk = JSON.parse(readFileSync(path, 'utf8'));
    expect(onDisk.inflight).toMatchObject({ session_id: 'session-0000beef' });
    expect(onDisk.inflight.energy_kwh).toBeCloseTo((22 * 60) / 3600, 12);

    await w.boot(new FileOutbox(path)); // a new process: a new outbox object on the same file
    await w.settle();
    expect(w.tickets).toEqual([
      expect.objectContaining({ session_id: 'session-0000beef', energy_kwh: 0.3667, total_cost_eur: 0.11 }),
    ]);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ version: 1, tickets: [], inflight: null });
  });

  it('keeps a ticket whose publish failed and retries until it goes out', async () => {
    const w = await world();
    const outbox = new MemoryOutbox();
    let failing = true;
    const engine = await w.boot(
      outbox,
      failingOn('cp.session_end', () => failing),
    );
    await w.start('session-0000f00d');
    await w.settle();
    await w.clock.advance(10_000);
    await engine.engine.injectFault('trip');
    await w.settle();
    expect(w.tickets).toHaveLength(0);
    expect(outbox.pending()).toEqual([
      expect.objectContaining({ session_id: 'session-0000f00d', energy_kwh: 0.0611 }),
    ]);
    await w.clock.advance(20_000); // retries at 5 s and 10 s later still fail
    expect(engine.engine.stats.publishFailures).toBe(3);
    failing = false;
    await w.clock.advance(20_000);
    await w.settle();
    expect(w.tickets).toHaveLength(1);
    expect(outbox.pending()).toHaveLength(0);
    expect(engine.engine.stats.ticketsPublished).toBe(1);
  });

  it('saves the supply in progress at every tick, also when the telemetry could not be published', async () => {
    const w = await world();
    const outbox = new MemoryOutbox();
    let failing = false;
    const engine = await w.boot(
      outbox,
      failingOn('cp.telemetry', () => failing),
    );
    await w.start('session-0000d00d');
    await w.settle();
    const startedAt = w.clock.now();
    await w.clock.advance(2_000);
    await w.settle();
    expect(engine.engine.stats.telemetrySent).toBe(2);
    failing = true;
    await w.clock.advance(3_000);
    await w.settle();
    expect(engine.engine.stats.telemetrySent).toBe(2);
    expect(engine.engine.stats.publishFailures).toBe(3);
    expect(outbox.inflightSession).toMatchObject({
      session_id: 'session-0000d00d',
      updated_ms: startedAt + 5_000,
    });
  });

  it('handles commands queued for it while it was down once it is connected again', async () => {
    const w = await world();
    const outbox = new MemoryOutbox();
    const first = await w.boot(outbox);
    await first.kill();
    // Central stops the CP while its engine is down: the command waits in the engine's group.
    await w.central.publish('central.commands', { cmd: 'stop_cp', cp_id: 'CP-001' });
    await w.settle();
    const second = await w.boot(outbox);
    await w.settle();
    expect(second.engine.state).toBe('STOPPED');
    expect(second.engine.stats.commands).toBe(1);
    expect(w.status.map((s) => s.state)).toEqual(['ACTIVATED', 'ACTIVATED', 'STOPPED']);
  });

  it('publishes tickets a previous run left in the outbox at start', async () => {
    const w = await world();
    const outbox = new MemoryOutbox();
    const left: SessionEnd = {
      cp_id: 'CP-001',
      driver_id: 'driver-carol',
      session_id: 'session-00000abc',
      start_time: '2025-12-31T23:00:00.000Z',
      end_time: '2025-12-31T23:30:00.000Z',
      energy_kwh: 11,
      total_cost_eur: 3.3,
      reason: 'stop_supply',
      ended_by: 'central',
    };
    await outbox.add(left);
    await w.boot(outbox);
    await w.settle();
    expect(w.tickets).toEqual([left]);
    expect(outbox.pending()).toHaveLength(0);
  });

  it('a session that ended normally is not billed again after a restart', async () => {
    const w = await world();
    const outbox = new MemoryOutbox();
    const clock = w.clock;
    const engine = chargingPointEngine({ cpId: 'CP-001', outbox, policy: fixedDuration(30) });
    const node = createNode({
      id: 'x',
      transport: w.broker.transport('x', { clock }),
      clock,
      plugins: [engine],
    });
    await node.start();
    await w.start('session-00000ddd');
    await w.settle();
    await clock.advance(30_000);
    await w.settle();
    expect(w.tickets).toHaveLength(1);
    expect(outbox.inflightSession).toBeUndefined();
    await w.boot(outbox);
    await w.settle();
    expect(w.tickets).toHaveLength(1);
  });
});
