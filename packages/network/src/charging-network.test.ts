import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type CpState,
  type CpTelemetry,
  definePlugin,
  type SessionEnd,
  VIRTUAL_EPOCH,
  VirtualClock,
} from '@evcharging/core';
import { type DriverResult, MemoryDriverStateStore } from '@evcharging/driver';
import { afterEach, describe, expect, it } from 'vitest';
import { type ChargingNetwork, createChargingNetwork, DEFAULT_NETWORK_START } from './charging-network.js';

const here = dirname(fileURLToPath(import.meta.url));
const TEN = join(here, '__fixtures__', 'ten-requests.txt');
const HOUR = 3_600_000;

let net: ChargingNetwork | undefined;
afterEach(async () => {
  await net?.stop();
  net = undefined;
});

async function resolved<T>(network: ChargingNetwork, promise: Promise<T>, timeoutMs: number): Promise<T> {
  if (!(await network.runUntil(promise, { timeoutMs }))) {
    throw new Error(`not resolved within ${timeoutMs} ms of simulated time`);
  }
  return promise;
}

describe('createChargingNetwork, end to end in memory', () => {
  it('a driver with a 10-line file completes every request with a ticket', async () => {
    net = createChargingNetwork({ cps: 10, seed: 1, drivers: [{ driverId: 'driver-alice', requests: TEN }] });
    await net.start();
    const results = await resolved(net, net.drivers.get('driver-alice')!.done, HOUR);
    expect(results).toHaveLength(10);
    expect(results.map((r) => r.cp_id)).toEqual(
      Array.from({ length: 10 }, (_, i) => `CP-${String(i + 1).padStart(3, '0')}`),
    );
    for (const r of results) {
      expect(r.status, `${r.cp_id}: ${r.reason}`).toBe('completed');
      expect(r.session_id).toMatch(/^session-/);
      expect(r.energy_kwh).toBeGreaterThan(0);
      expect(r.total_cost_eur).toBeGreaterThanOrEqual(0);
      expect(r.start_time && r.end_time && r.start_time < r.end_time).toBe(true);
    }
    // Targets from the file reach the engine: kWh targets exactly, durations at the CP's power.
    const by = Object.fromEntries(results.map((r) => [r.cp_id, r]));
    expect(by['CP-002']!.energy_kwh).toBeCloseTo(0.05, 4);
    expect(by['CP-005']!.energy_kwh).toBeCloseTo(1.2, 4);
    expect(by['CP-008']!.energy_kwh).toBeCloseTo(0.3, 4);
    const kw = (id: string) => net!.cps.get(id)!.spec.kw;
    expect(by['CP-003']!.energy_kwh).toBeCloseTo((kw('CP-003') * 45) / 3600, 3);
    expect(by['CP-001']!.energy_kwh).toBeCloseTo((kw('CP-001') * 10) / 3600, 3); // engine default: 10 s
    expect(net.report().drivers).toEqual([
      expect.objectContaining({ driver_id: 'driver-alice', completed: 10 }),
    ]);
  });

  it('energy agrees between driver tickets, Central sessions and the engines (telemetry and meters)', async () => {
    net = createChargingNetwork({
      cps: 6,
      seed: 5,
      eventLog: { keep: 1_000_000 },
      drivers: ['a', 'b', 'c'].map((n, i) => ({
        driverId: `driver-${n}`,
        requests: [
          { cp_id: `CP-00${i + 1}`, target_kwh: 0.7 },
          { cp_id: `CP-00${i + 4}`, duration_s: 95 },
          { cp_id: `CP-00${i + 1}`, target_kwh: 0.25, duration_s: 600 },
        ],
      })),
    });
    await net.start();
    const all = await resolved(net, Promise.all([...net.drivers.values()].map((d) => d.done)), HOUR);
    const results: DriverResult[] = all.flat();
    expect(results.filter((r) => r.status === 'completed')).toHaveLength(9);
    const store = net.central.store;
    const log = net.sim.eventLog.entries();
    for (const r of results) {
      const session = store.getSession(r.session_id!)!;
      expect(session).toMatchObject({
        status: 'completed',
        request_id: r.request_id,
        driver_id: r.driver_id,
      });
      // Driver ticket = Central's session = the engine's ticket.
      expect(r.energy_kwh).toBe(session.energy_kwh);
      expect(r.total_cost_eur).toBe(session.total_cost_eur);
      const ticket = log.find(
        (e) => e.topic === 'cp.session_end' && (e.value as SessionEnd).session_id === r.session_id,
      )!.value as SessionEnd;
      expect(ticket.energy_kwh).toBe(r.energy_kwh);
      // The engine's telemetry of the session adds up to the ticket: the last cumulative kWh plus
      // the last interval's power until the end.
      const telemetry = log
        .filter((e) => e.topic === 'cp.telemetry' && (e.value as CpTelemetry).session_id === r.session_id)
        .map((e) => e.value as CpTelemetry);
      expect(telemetry.length).toBeGreaterThan(5);
      const kwhs = telemetry.map((t) => t.kwh!);
      expect([...kwhs].sort((a, b) => a - b)).toEqual(kwhs);
      const last = telemetry.at(-1)!;
      const tail = (last.kw * (Date.parse(ticket.end_time) - Date.parse(last.ts!))) / HOUR;
      expect(last.kwh! + tail).toBeCloseTo(ticket.energy_kwh, 3);
    }
    const report = net.report();
    const driverKwh = results.reduce((s, r) => s + r.energy_kwh!, 0);
    expect(report.energy_kwh).toBeCloseTo(driverKwh, 3);
    expect(report.engines.energy_kwh).toBeCloseTo(driverKwh, 3);
    expect(report.engines.revenue_eur).toBeCloseTo(report.revenue_eur, 2);
    expect(report.sessions).toMatchObject({ completed: 9, failed: 0, open: 0 });
  });

  it('denies a request for a busy CP, with the reason, and the driver goes on', async () => {
    net = createChargingNetwork({
      cps: 2,
      seed: 2,
      drivers: [
        { driverId: 'driver-bob', requests: [{ cp_id: 'CP-001', duration_s: 600 }] },
        {
          driverId: 'driver-alice',
          requests: [{ cp_id: 'CP-001' }, { cp_id: 'CP-002', duration_s: 30 }],
          startDelayMs: 30_000,
        },
      ],
    });
    await net.start();
    const alice = await resolved(net, net.drivers.get('driver-alice')!.done, HOUR);
    expect(alice.map((r) => r.status)).toEqual(['denied', 'completed']);
    expect(alice[0]!.reason).toBe('CP CP-001 is busy');
    const bob = await resolved(net, net.drivers.get('driver-bob')!.done, HOUR);
    expect(bob[0]).toMatchObject({ status: 'completed' });
    expect(net.report().requests).toMatchObject({
      denied: 1,
      denied_by_reason: expect.objectContaining({ busy: 1 }),
    });
  });

  it('a driver killed during a service and restarted gets the result of that service', async () => {
    // In virtual time the store must not do real I/O (the clock would run on while a file is
    // written); the JSON file store is tested against real files in @evcharging/driver.
    const store = new MemoryDriverStateStore();
    const options = {
      driverId: 'driver-alice',
      requests: [
        { cp_id: 'CP-001', duration_s: 120 },
        { cp_id: 'CP-002', duration_s: 20 },
      ],
      store,
    };
    net = createChargingNetwork({ cps: 2, seed: 3, drivers: [options] });
    await net.start();
    const started = await net.runUntil(() => net!.cps.get('CP-001')!.engine.state === 'SUPPLYING', {
      timeoutMs: 60_000,
    });
    expect(started).toBe(true);
    await net.run({ for: 30_000 });
    await net.removeDriver('driver-alice'); // killed 30 s into a 120 s service
    await net.run({ for: 5 * 60_000 }); // the service ends while the driver is away
    const session = net.central.store.listSessions({ cp_id: 'CP-001' }).items[0]!;
    expect(session.status).toBe('completed');

    const restarted = await net.addDriver(options);
    const results = await resolved(net, restarted.done, HOUR);
    expect(results.map((r) => [r.cp_id, r.status])).toEqual([
      ['CP-001', 'completed'],
      ['CP-002', 'completed'],
    ]);
    expect(results[0]).toMatchObject({
      late: true,
      session_id: session.session_id,
      energy_kwh: session.energy_kwh,
    });
    // The service was not requested twice: Central saw the re-sent id as a duplicate.
    expect(net.report().requests).toMatchObject({ accepted: 2, duplicates: 1 });
  });

  it("the fleet's catalog follows Central: free, busy from acceptance to the end, faulted", async () => {
    net = createChargingNetwork({
      cps: 3,
      seed: 4,
      drivers: [
        { driverId: 'driver-alice', requests: [{ cp_id: 'CP-002', duration_s: 60 }], startDelayMs: 5_000 },
      ],
    });
    const state = (id: string) => net!.catalog().find((c) => c.cp_id === id)?.state;
    expect(net.catalog()).toEqual([]); // Central not running yet
    await net.run({ for: 3_000 });
    expect(net.catalog().map((c) => c.state)).toEqual(['ACTIVATED', 'ACTIVATED', 'ACTIVATED']);
    expect(net.catalog()[1]).toMatchObject({
      cp_id: 'CP-002',
      price_eur_kwh: net.cps.get('CP-002')!.spec.price_eur_kwh,
    });
    expect(
      await net.runUntil(() => net!.central.registry.get('CP-002')?.session_id !== null, {
        timeoutMs: 10_000,
      }),
    ).toBe(true);
    expect(state('CP-002')).toBe('SUPPLYING');
    await net.run({ for: 90_000 });
    expect(state('CP-002')).toBe('ACTIVATED');
    await net.cps.get('CP-003')!.engine.injectFault('test');
    await net.run({ for: 5_000 });
    expect(state('CP-003')).toBe('FAULT');
  });

  it('is deterministic: one seed gives one event-log hash and report, another seed another', async () => {
    const run = async (seed: number) => {
      const n = createChargingNetwork({
        cps: 8,
        seed,
        // 07:00 to 09:00, the morning peak.
        clock: new VirtualClock({ start: VIRTUAL_EPOCH + 7 * HOUR }),
        fleet: { drivers: 40, sessionsPerDriverPerDay: 8 },
        drivers: [{ driverId: 'driver-alice', requests: TEN, loop: true }],
        monitor: { intervalMs: 5_000 },
        central: { heartbeatTimeoutMs: 15_000 },
      });
      await n.run({ for: 0.5 * HOUR });
      const report = n.report();
      await n.stop();
      return report;
    };
    const a = await run(42);
    const b = await run(42);
    const c = await run(43);
    expect(a.event_log.count).toBeGreaterThan(1000);
    expect(b.event_log.hash).toBe(a.event_log.hash);
    expect(b).toEqual(a);
    expect(c.event_log.hash).not.toBe(a.event_log.hash);
    expect(a.fleet!.requests).toBeGreaterThanOrEqual(2);
    expect(a.sessions!.completed).toBeGreaterThan(20);
    expect(c.fleet).not.toEqual(a.fleet);
  }, 60_000);

  it('a fleet day: every trip is accounted for and the books balance', async () => {
    net = createChargingNetwork({
      cps: 12,
      seed: 9,
      fleet: { drivers: 50 },
      engine: { telemetryIntervalMs: 60_000 },
      monitor: { intervalMs: 60_000 },
      central: { heartbeatTimeoutMs: 180_000 },
    });
    await net.run({ for: 24 * HOUR });
    const report = net.report();
    const fleet = report.fleet!;
    expect(fleet.arrivals).toBeGreaterThan(30);
    const ended = Object.values(fleet.trips).reduce((a, b) => a + b, 0);
    expect(ended + fleet.in_flight + fleet.no_idle_driver).toBe(fleet.arrivals);
    expect(fleet.trips.completed).toBeGreaterThan(20);
    expect(report.sessions!.completed).toBeGreaterThanOrEqual(fleet.trips.completed);
    // Energy the drivers paid for = energy Central billed for sessions that ended (give or take
    // sessions whose ticket is still on its way at the end of the run).
    expect(fleet.energy_kwh).toBeLessThanOrEqual(report.energy_kwh + 1e-6);
    expect(fleet.energy_kwh).toBeGreaterThan(report.energy_kwh * 0.9);
    expect(report.utilisation.mean).toBeGreaterThan(0);
    expect(report.utilisation.max).toBeLessThanOrEqual(1);
    expect(report.faults).toBe(0);
  }, 60_000);

  it('starts its virtual day at 06:00 UTC by default, so a 6-hour fleet run has sessions', async () => {
    net = createChargingNetwork({
      cps: 10,
      seed: 3,
      fleet: { drivers: 100 },
      engine: { telemetryIntervalMs: 60_000 },
      monitor: { intervalMs: 60_000 },
      central: { heartbeatTimeoutMs: 180_000 },
    });
    expect(net.clock.now()).toBe(DEFAULT_NETWORK_START);
    await net.run({ for: 6 * HOUR });
    const report = net.report();
    expect(report.started_at).toBe('2026-01-01T06:00:00.000Z');
    expect(report.sessions!.completed).toBeGreaterThan(10);

    // The same run from midnight (the VirtualClock's own default) sees almost nobody.
    const night = createChargingNetwork({
      cps: 10,
      seed: 3,
      start: VIRTUAL_EPOCH,
      fleet: { drivers: 100 },
      engine: { telemetryIntervalMs: 60_000 },
      monitor: { intervalMs: 60_000 },
      central: { heartbeatTimeoutMs: 180_000 },
    });
    await night.run({ for: 6 * HOUR });
    expect(night.report().sessions!.completed).toBeLessThan(report.sessions!.completed / 3);
    await night.stop();
  }, 60_000);

  it('takes its start as ms or ISO-8601, and refuses a bad one or a start beside a clock', async () => {
    net = createChargingNetwork({ cps: 1, start: '2026-06-01T08:30:00Z' });
    expect(new Date(net.clock.now()).toISOString()).toBe('2026-06-01T08:30:00.000Z');
    expect(() => createChargingNetwork({ start: 'tomorrow' })).toThrow(
      'start must be ms since the epoch or an ISO-8601 time, got "tomorrow"',
    );
    expect(() => createChargingNetwork({ start: 0, clock: new VirtualClock() })).toThrow(
      'pass either clock or start',
    );
  });

  it('adds your own plugins to every CP: they share the engine node and report figures', async () => {
    const transitions = new Map<string, CpState[]>();
    const meter = (cpId: string) =>
      definePlugin({
        name: 'state-meter',
        dependencies: [`cp-engine/${cpId}`],
        start(ctx) {
          transitions.set(cpId, []);
          ctx.bus.on('cp.state', (e) => transitions.get(cpId)!.push(e.state));
        },
        report: () => ({ transitions: transitions.get(cpId)?.length ?? 0 }),
      });
    net = createChargingNetwork({
      cps: 3,
      engine: { plugins: (cp) => [meter(cp.cp_id)] },
      drivers: [{ driverId: 'driver-alice', requests: [{ cp_id: 'CP-002' }] }],
    });
    await resolved(net, net.drivers.get('driver-alice')!.done, HOUR);
    expect(net.cps.get('CP-002')!.plugins.map((p) => p.name)).toEqual(['state-meter']);
    expect(net.cps.get('CP-002')!.engineNode.plugins).toEqual(['cp-engine/CP-002', 'state-meter']);
    // Started after the engine (its dependency): the engine was ACTIVATED already.
    expect(transitions.get('CP-002')).toEqual(['SUPPLYING', 'ACTIVATED']);
    expect(transitions.get('CP-001')).toEqual([]);
    expect(net.report().sessions!.completed).toBe(1);
    expect(net.sim.report().plugins['engine/CP-002']!['state-meter']).toEqual({ transitions: 2 });
  });
});
