import { createNode, type Transport, VirtualClock } from '@evcharging/core';
import { MemoryBroker } from '@evcharging/transport-memory';
import { describe, expect, it } from 'vitest';
import { engineHarness } from '../__fixtures__/engine-harness.js';
import { constantAcModel } from '../models/constant-ac-model.js';
import type { CpModel } from '../models/cp-model.js';
import { dcFastChargerModel } from '../models/dc-fast-charger-model.js';
import { chargingPointEngine } from './charging-point-engine.js';
import { fixedDuration, manualStop, targetEnergy } from './session-policy.js';

describe('chargingPointEngine: lifecycle', () => {
  it('publishes ACTIVATED with a reason on start and DISCONNECTED on stop', async () => {
    const h = await engineHarness();
    expect(h.engine.state).toBe('ACTIVATED');
    expect(h.wire.status).toEqual([
      expect.objectContaining({ cp_id: 'CP-001', state: 'ACTIVATED', reason: 'engine connected' }),
    ]);
    expect(h.wire.status[0]!.ts).toBe('2026-01-01T00:00:00.000Z');
    await h.node.stop();
    await h.drain().catch(() => undefined);
    expect(h.engine.state).toBe('DISCONNECTED');
    expect(h.engine.probe()).toBe('KO:engine stopped');
  });

  it('answers health probes with OK:<STATE> and KO:<reason>', async () => {
    const h = await engineHarness();
    expect(h.engine.probe()).toBe('OK:ACTIVATED');
    h.engine.setKo(true, 'button pressed');
    expect(h.engine.probe()).toBe('KO:button pressed');
    expect(h.engine.state).toBe('ACTIVATED');
    h.engine.setKo(false);
    expect(h.engine.probe()).toBe('OK:ACTIVATED');
    await h.engine.injectFault('overheating');
    expect(h.engine.probe()).toBe('KO:overheating');
  });

  it("emits every transition on the node's local bus as cp.state", async () => {
    const h = await engineHarness({ policy: fixedDuration(5) });
    const seen: string[] = [];
    h.node.bus.on('cp.state', (change) => seen.push(`${change.previous}->${change.state}: ${change.reason}`));
    await h.startSupply('session-000000b0');
    await h.clock.advance(5_000);
    await h.drain();
    expect(seen).toEqual([
      'ACTIVATED->SUPPLYING: supplying driver driver-alice (session session-000000b0)',
      'SUPPLYING->ACTIVATED: session ended: duration reached',
    ]);
  });

  it('uses distinct plugin names per CP so many engines fit in one node', async () => {
    const h = await engineHarness({ cpId: 'CP 7' });
    expect(h.engine.name).toBe('cp-engine/CP_7');
  });
});

describe('chargingPointEngine: supply', () => {
  it('supplies 22 kW for 60 s: 0.3667 kWh, €0.11 at €0.30, telemetry every second', async () => {
    const h = await engineHarness({ kw: 22, priceEurKwh: 0.3, policy: fixedDuration(60) });
    await h.startSupply('session-00000001');
    await h.drain();
    expect(h.engine.state).toBe('SUPPLYING');
    const startedAt = h.clock.now();
    await h.clock.advance(60_000);
    await h.drain();
    expect(h.engine.state).toBe('ACTIVATED');
    expect(h.wire.tickets).toHaveLength(1);
    const ticket = h.wire.tickets[0]!;
    expect(ticket).toMatchObject({
      cp_id: 'CP-001',
      driver_id: 'driver-alice',
      request_id: 'req-session-00000001',
      session_id: 'session-00000001',
      energy_kwh: 0.3667,
      total_cost_eur: 0.11,
      reason: 'duration reached',
    });
    expect(Date.parse(ticket.end_time) - Date.parse(ticket.start_time)).toBe(60_000);
    expect(Date.parse(ticket.start_time)).toBe(startedAt);
    // One telemetry per second while supplying; the end at 60 s comes before the 60th tick.
    expect(h.wire.telemetry).toHaveLength(59);
    const t10 = h.wire.telemetry[9]!;
    expect(t10).toMatchObject({ kw: 22, kwh: 0.0611, euros: 0.02, session_id: 'session-00000001' });
    expect(t10.driver_id).toBe('driver-alice');
    const kwhs = h.wire.telemetry.map((t) => t.kwh!);
    expect([...kwhs].sort((a, b) => a - b)).toEqual(kwhs);
    expect(h.states()).toEqual(['ACTIVATED', 'SUPPLYING', 'ACTIVATED']);
    expect(h.wire.status[1]).toMatchObject({ session_id: 'session-00000001' });
    expect(h.wire.status[2]!.reason).toBe('session ended: duration reached');
    expect(h.engine.stats).toMatchObject({ sessionsStarted: 1, sessionsEnded: 1, energyKwh: 0.3667 });
  });

  it('takes duration_s and target_kwh from the request', async () => {
    const h = await engineHarness({ kw: 22, policy: fixedDuration(3600) });
    await h.startSupply('session-0000000a', { duration_s: 30 });
    await h.clock.advance(30_000);
    await h.drain();
    expect(h.wire.tickets[0]).toMatchObject({
      energy_kwh: 0.1833,
      reason: 'duration reached',
      ended_by: 'duration',
    });

    // 0.5 kWh at 22 kW takes 81.818 s: the session ends mid-interval, at exactly the target.
    await h.startSupply('session-0000000b', { target_kwh: 0.5 });
    await h.drain();
    const start = h.clock.now();
    await h.clock.advance(120_000);
    await h.drain();
    const ticket = h.wire.tickets[1]!;
    expect(ticket).toMatchObject({
      energy_kwh: 0.5,
      total_cost_eur: 0.15,
      reason: 'target energy reached',
      ended_by: 'target_energy',
    });
    expect(Date.parse(ticket.end_time) - start).toBeCloseTo((0.5 / 22) * 3_600_000, 0);
  });

  it('target-energy policy uses its default kWh when the request has none', async () => {
    const h = await engineHarness({ kw: 11, policy: targetEnergy(1.1) });
    await h.startSupply('session-0000000c');
    await h.clock.advance(3_600_000);
    await h.drain();
    expect(h.wire.tickets[0]).toMatchObject({ energy_kwh: 1.1, total_cost_eur: 0.33 });
    expect(Date.parse(h.wire.tickets[0]!.end_time) - Date.parse(h.wire.tickets[0]!.start_time)).toBe(360_000);
  });

  it('manual policy ignores request limits and supplies until stop_supply', async () => {
    const h = await engineHarness({ kw: 22, policy: manualStop() });
    await h.startSupply('session-0000000d', { duration_s: 5, target_kwh: 0.01 });
    await h.clock.advance(600_000);
    await h.drain();
    expect(h.engine.state).toBe('SUPPLYING');
    expect(h.engine.currentSession?.energyKwh).toBeCloseTo((22 * 600) / 3600, 9);
    await h.send('stop_supply');
    await h.drain();
    expect(h.engine.state).toBe('ACTIVATED');
    expect(h.wire.tickets[0]).toMatchObject({
      energy_kwh: 3.6667,
      total_cost_eur: 1.1,
      reason: 'stop_supply',
      ended_by: 'central',
    });
  });

  it('stop_supply during a supply ends it with the energy so far', async () => {
    const h = await engineHarness({ kw: 22, policy: fixedDuration(600) });
    await h.startSupply('session-0000000e');
    await h.clock.advance(90_000);
    await h.send('stop_supply', { session_id: 'session-0000000e' });
    await h.drain();
    expect(h.engine.state).toBe('ACTIVATED');
    expect(h.wire.tickets).toHaveLength(1);
    expect(h.wire.tickets[0]).toMatchObject({
      energy_kwh: 0.55,
      total_cost_eur: 0.17,
      reason: 'stop_supply',
      ended_by: 'central',
    });
    expect(h.states()).toEqual(['ACTIVATED', 'SUPPLYING', 'ACTIVATED']);
    // Nothing more after the end: no telemetry, no second ticket.
    const telemetry = h.wire.telemetry.length;
    await h.clock.advance(600_000);
    await h.drain();
    expect(h.wire.telemetry).toHaveLength(telemetry);
    expect(h.wire.tickets).toHaveLength(1);
  });

  it('a stop for a session that already ended is ignored', async () => {
    const h = await engineHarness({ policy: manualStop() });
    await h.startSupply('session-00000011');
    await h.clock.advance(5_000);
    await h.send('stop_supply', { session_id: 'session-99999999' });
    await h.drain();
    expect(h.engine.state).toBe('SUPPLYING');
    expect(h.engine.stats.ignoredCommands).toBe(1);
  });

  it('stop_cp ends the supply (ticket) and goes STOPPED; resume_cp goes ACTIVATED', async () => {
    const h = await engineHarness({ kw: 22, policy: manualStop() });
    await h.startSupply('session-0000000f');
    await h.clock.advance(10_000);
    await h.send('stop_cp');
    await h.drain();
    expect(h.engine.state).toBe('STOPPED');
    expect(h.wire.tickets[0]).toMatchObject({
      energy_kwh: 0.0611,
      reason: 'stop_cp: CP stopped by Central',
      ended_by: 'central',
    });
    // A stopped CP takes no request.
    await h.startSupply('session-00000010');
    await h.drain();
    expect(h.engine.state).toBe('STOPPED');
    expect(h.engine.stats.rejectedCommands).toBe(1);
    await h.send('resume_cp');
    await h.drain();
    expect(h.states()).toEqual(['ACTIVATED', 'SUPPLYING', 'STOPPED', 'ACTIVATED']);
    expect(h.wire.status.at(-1)!.reason).toBe('resumed by Central');
  });

  it('shutdown ends the supply with a ticket and disconnects', async () => {
    const h = await engineHarness({ kw: 22, policy: manualStop() });
    await h.startSupply('session-00000012');
    await h.clock.advance(3_600_000);
    await h.send('shutdown');
    await h.drain();
    expect(h.engine.state).toBe('DISCONNECTED');
    expect(h.wire.tickets[0]).toMatchObject({ energy_kwh: 22, total_cost_eur: 6.6 });
    expect(h.states()).toEqual(['ACTIVATED', 'SUPPLYING', 'DISCONNECTED']);
  });

  it('a graceful stop of the node ends the supply with a ticket', async () => {
    const h = await engineHarness({ kw: 22, policy: manualStop() });
    await h.startSupply('session-00000013');
    await h.clock.advance(60_000);
    await h.drain();
    await h.node.stop();
    await h.drain();
    expect(h.wire.tickets[0]).toMatchObject({
      energy_kwh: 0.3667,
      reason: 'shutdown: engine stopping',
      ended_by: 'shutdown',
    });
    expect(h.states()).toEqual(['ACTIVATED', 'SUPPLYING', 'DISCONNECTED']);
  });

  it('a busy CP rejects a second start and ignores a redelivered one', async () => {
    const h = await engineHarness({ policy: manualStop() });
    await h.startSupply('session-00000014');
    await h.startSupply('session-00000014');
    await h.startSupply('session-00000015');
    await h.drain();
    expect(h.engine.currentSession?.sessionId).toBe('session-00000014');
    expect(h.engine.stats).toMatchObject({ duplicateCommands: 1, rejectedCommands: 1, sessionsStarted: 1 });
  });

  it('integrates the model power curve: a DC charger tapers and ends when the battery is full', async () => {
    const model = dcFastChargerModel({
      maxKw: 50,
      batteryKwh: 10,
      initialSoc: 0.5,
      taperStartSoc: 0.8,
      minKw: 5,
    });
    const h = await engineHarness({ model, policy: manualStop() });
    await h.startSupply('session-00000016');
    await h.clock.advance(3_600_000);
    await h.drain();
    const ticket = h.wire.tickets[0]!;
    expect(ticket.reason).toBe('vehicle charged');
    expect(ticket.ended_by).toBe('vehicle_full');
    expect(ticket.energy_kwh).toBeCloseTo(5, 2);
    const kws = h.wire.telemetry.map((t) => t.kw);
    expect(kws[0]).toBe(50);
    expect(Math.min(...kws)).toBe(5);
    for (let i = 1; i < kws.length; i++) expect(kws[i]!).toBeLessThanOrEqual(kws[i - 1]!);
    // kWh in telemetry is the running integral of the kW it reports (1 s intervals).
    const integral = kws.reduce((sum, kw) => sum + kw / 3600, 0);
    expect(h.wire.telemetry.at(-1)!.kwh).toBeCloseTo(integral, 3);
  });

  it('clamps a model to [0, maxKw] and passes it the clock time', async () => {
    const seen: number[] = [];
    const model: CpModel = {
      name: 'wild',
      maxKw: 10,
      power: (_elapsed, _kwh, ctx) => {
        seen.push(ctx.nowMs);
        return seen.length % 2 === 0 ? 1000 : -5;
      },
    };
    const h = await engineHarness({ model, policy: fixedDuration(4) });
    await h.startSupply('session-00000017');
    await h.clock.advance(5_000);
    await h.drain();
    expect(h.wire.telemetry.map((t) => t.kw)).toEqual([0, 10, 0]);
    expect(seen[1]! - seen[0]!).toBe(1000);
    expect(h.wire.tickets[0]!.energy_kwh).toBe(roundTo((10 * 2) / 3600, 4));
  });
});

describe('chargingPointEngine: faults', () => {
  it('a fault during a supply ends it at once with a ticket for the partial energy', async () => {
    const h = await engineHarness({ kw: 22, policy: fixedDuration(600) });
    await h.startSupply('session-00000020');
    await h.clock.advance(45_000);
    await h.engine.injectFault('ground fault');
    await h.drain();
    expect(h.engine.state).toBe('FAULT');
    expect(h.engine.currentSession).toBeUndefined();
    expect(h.wire.tickets).toHaveLength(1);
    expect(h.wire.tickets[0]).toMatchObject({
      energy_kwh: 0.275,
      total_cost_eur: 0.08,
      reason: 'fault: ground fault',
      ended_by: 'fault',
    });
    expect(h.states()).toEqual(['ACTIVATED', 'SUPPLYING', 'FAULT']);
    expect(h.wire.status.at(-1)!.reason).toBe('ground fault');
    // A faulted CP takes no request and keeps answering KO.
    await h.startSupply('session-00000021');
    await h.drain();
    expect(h.engine.state).toBe('FAULT');
    expect(h.engine.probe()).toBe('KO:ground fault');
  });

  it('clearing a fault returns to ACTIVATED and the CP takes requests again', async () => {
    const h = await engineHarness({ kw: 22, policy: fixedDuration(10) });
    await h.engine.injectFault('breaker tripped');
    await h.engine.injectFault('again'); // already faulted: no second transition
    await h.engine.clearFault();
    await h.drain();
    expect(h.engine.state).toBe('ACTIVATED');
    expect(h.engine.probe()).toBe('OK:ACTIVATED');
    expect(h.states()).toEqual(['ACTIVATED', 'FAULT', 'ACTIVATED']);
    await h.startSupply('session-00000022');
    await h.clock.advance(10_000);
    await h.drain();
    expect(h.wire.tickets[0]).toMatchObject({ energy_kwh: 0.0611 });
  });

  it('a fault cannot be injected into a disconnected CP', async () => {
    const h = await engineHarness();
    await h.send('shutdown');
    await h.drain();
    expect(() => h.engine.injectFault('x')).toThrow(/CP "CP-001".*fault_detected.*DISCONNECTED/);
  });
});

describe('chargingPointEngine: commands', () => {
  it('ignores a command for another CP', async () => {
    const h = await engineHarness();
    await h.send('stop_cp', undefined, 'CP-002');
    await h.send('start_supply', { driver_id: 'd', request_id: 'r', session_id: 's' }, 'CP-002');
    await h.drain();
    expect(h.engine.state).toBe('ACTIVATED');
    expect(h.engine.stats.commands).toBe(0);
    expect(h.states()).toEqual(['ACTIVATED']);
  });

  it('ignores a command for another CP even when the transport hands it over', async () => {
    // Kafka filters keys on the client side; a transport that ignores the key filter must not
    // make an engine act on another CP's command.
    const clock = new VirtualClock();
    const broker = new MemoryBroker();
    const inner = broker.transport('cp', { clock });
    const unfiltered: Transport = Object.assign(Object.create(inner) as Transport, {
      subscribe: ((topic, options, handler) =>
        inner.subscribe(topic, { group: options.group }, handler)) as Transport['subscribe'],
    });
    const engine = chargingPointEngine({ cpId: 'CP-001' });
    await createNode({ id: 'cp', transport: unfiltered, clock, plugins: [engine] }).start();
    const central = broker.transport('central', { clock });
    await central.publish('central.commands', { cmd: 'stop_cp', cp_id: 'CP-002' });
    await broker.drain();
    expect(engine.stats).toMatchObject({ commands: 1, ignoredCommands: 1 });
    expect(engine.state).toBe('ACTIVATED');
  });

  it('never sees a malformed command: the transport rejects each with a reason, and the engine keeps running', async () => {
    const h = await engineHarness({ kw: 22, policy: fixedDuration(5) });
    const malformed: Array<[unknown, RegExp]> = [
      [{ cmd: 'explode', cp_id: 'CP-001' }, /\/cmd: Expected one of start_supply/],
      [{ cp_id: 'CP-001' }, /\/cmd: Expected required property/],
      [{ cmd: 'start_supply', cp_id: 'CP-001' }, /\/payload/],
      [{ cmd: 'start_supply', cp_id: 'CP-001', payload: { driver_id: 'd' } }, /\/payload\/request_id/],
      [{ cmd: 'start_supply', cp_id: 'CP-001', payload: 'not an object' }, /\/payload/],
      [
        {
          cmd: 'start_supply',
          cp_id: 'CP-001',
          payload: { driver_id: 'd', request_id: 'r', session_id: 's', target_kwh: -1 },
        },
        /\/payload\/target_kwh/,
      ],
      [{ cmd: 'stop_supply', cp_id: 'CP-001', payload: { session_id: 7 } }, /\/payload\/session_id/],
    ];
    for (const [value, reason] of malformed) {
      await expect(h.sendRaw(value)).rejects.toThrow(reason);
    }
    await h.drain();
    expect(h.engine.stats.commands).toBe(0);
    expect(h.engine.state).toBe('ACTIVATED');
    expect(h.broker.stats().deadLettered).toBe(0);
    await h.startSupply('session-00000030');
    await h.clock.advance(5_000);
    await h.drain();
    expect(h.wire.tickets).toHaveLength(1);
    expect(h.engine.stats.commands).toBe(1);
  });

  it('rejects commands the state does not allow without crashing', async () => {
    const h = await engineHarness();
    await h.send('stop_supply');
    await h.send('resume_cp'); // already ACTIVATED: ignored
    await h.engine.injectFault('x');
    await h.send('stop_cp'); // FAULT → stop_cp is not in the table
    await h.drain();
    expect(h.engine.state).toBe('FAULT');
    expect(h.engine.stats).toMatchObject({ rejectedCommands: 2, ignoredCommands: 1 });
  });
});

describe('chargingPointEngine: models with faults', () => {
  it('a flaky model faults and repairs on a seeded schedule, the same for the same seed', async () => {
    const { flakyModel } = await import('../models/flaky-model.js');
    const run = async () => {
      const h = await engineHarness({
        model: flakyModel(constantAcModel(22), { faultRatePerHour: 6, meanRepairS: 120 }),
      });
      await h.clock.advance(6 * 3_600_000);
      await h.drain();
      return h.wire.status.map((s) => `${s.ts} ${s.state}`);
    };
    const a = await run();
    const b = await run();
    expect(a).toEqual(b);
    const faults = a.filter((s) => s.endsWith('FAULT')).length;
    // 6 per hour over ~6 hours (less the repair time): a Poisson count, far from 0 and from 100.
    expect(faults).toBeGreaterThan(15);
    expect(faults).toBeLessThan(60);
  });
});

function roundTo(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}
