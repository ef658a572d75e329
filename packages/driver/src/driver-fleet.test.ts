import { createNode, type EvNode, SeededRandom, silentLogger, VirtualClock } from '@evcharging/core';
import { MemoryBroker } from '@evcharging/transport-memory';
import { afterEach, describe, expect, it } from 'vitest';
import { fakeCentral } from './__fixtures__/fake-central.js';
import { type DriverFleetOptions, driverFleet } from './driver-fleet.js';

const HOUR = 3_600_000;
const cps = (n: number) =>
  Object.fromEntries(
    Array.from({ length: n }, (_, i) => [
      `CP-${String(i + 1).padStart(3, '0')}`,
      { kw: 22, price: 0.25 + (i % 5) * 0.05 },
    ]),
  );

let nodes: EvNode[] = [];
afterEach(async () => {
  for (const n of nodes.reverse()) await n.stop();
  nodes = [];
});

async function runFleet(
  seed: number,
  fleetOptions: (fake: ReturnType<typeof fakeCentral>) => DriverFleetOptions,
  cpCount = 10,
  silent: string[] = [],
  hang: string[] = [],
) {
  const clock = new VirtualClock();
  const broker = new MemoryBroker();
  const fake = fakeCentral({ cps: cps(cpCount), progressEveryS: 600, silent, hang });
  const fleet = driverFleet(fleetOptions(fake));
  for (const [id, plugins] of [
    ['central', [fake]],
    ['fleet', [fleet]],
  ] as const) {
    const node = createNode({
      id,
      transport: broker.transport(id, { clock }),
      clock,
      random: new SeededRandom(`${seed}/${id}`),
      logger: silentLogger(),
      plugins: [...plugins],
    });
    nodes.push(node);
    await node.start();
  }
  return { clock, broker, fake, fleet };
}

describe('driverFleet', () => {
  it('generates a day of arrivals, sends each driver to a free CP and collects the tickets', async () => {
    const { clock, fake, fleet } = await runFleet(1, (f) => ({ drivers: 60, catalog: f.cpViews }));
    await clock.advance(24 * HOUR);
    const stats = fleet.stats();
    // 60 drivers, one session a day each on average: Poisson, sd ~ 7.7.
    expect(stats.arrivals).toBeGreaterThan(30);
    expect(stats.arrivals).toBeLessThan(90);
    const trips = fleet.trips();
    const ended = Object.values(stats.trips).reduce((a, b) => a + b, 0);
    expect(ended + stats.in_flight + stats.no_idle_driver).toBe(stats.arrivals);
    expect(trips).toHaveLength(ended);
    expect(stats.trips.completed).toBeGreaterThan(0);
    // Each completed trip's ticket is the session the fake Central ran for that request.
    const byRequest = new Map(fake.sessions.map((s) => [s.request_id, s]));
    for (const trip of trips.filter((t) => t.status === 'completed')) {
      const session = byRequest.get(trip.request_id!);
      expect(session).toMatchObject({ cp_id: trip.cp_id, driver_id: trip.driver_id });
      expect(trip.energy_kwh).toBeCloseTo(session!.energy_kwh, 6);
      // Session ends at the energy target or the dwell time, whichever first.
      expect(trip.energy_kwh!).toBeLessThanOrEqual(trip.target_kwh! + 1e-3);
      expect(trip.energy_kwh!).toBeLessThanOrEqual((22 * trip.duration_s) / 3600 + 1e-3);
    }
    const energy = trips.reduce((sum, t) => sum + (t.energy_kwh ?? 0), 0);
    expect(stats.energy_kwh).toBeCloseTo(energy, 2);
    // The fleet never sends two of its drivers to one CP at once.
    expect(stats.denied).toBe(0);
  });

  it('is deterministic for a seed and differs for another', async () => {
    const trips = async (seed: number) => {
      const { clock, fleet } = await runFleet(seed, (f) => ({ drivers: 30, catalog: f.cpViews }));
      await clock.advance(12 * HOUR);
      const result = JSON.stringify(fleet.trips());
      for (const n of nodes.reverse()) await n.stop();
      nodes = [];
      return result;
    };
    const a = await trips(11);
    expect(await trips(11)).toBe(a);
    expect(await trips(12)).not.toBe(a);
  });

  it('cheapest sends everyone to the lowest price while it is free', async () => {
    const { clock, fleet } = await runFleet(2, (f) => ({
      drivers: 40,
      catalog: f.cpViews,
      policy: 'cheapest',
    }));
    await clock.advance(24 * HOUR);
    const used = fleet.trips().filter((t) => t.status === 'completed');
    const cheapIds = new Set(['CP-001', 'CP-006']); // price 0.25
    const cheapShare = used.filter((t) => cheapIds.has(t.cp_id!)).length / used.length;
    expect(used.length).toBeGreaterThan(10);
    // With 2 cheap CPs out of 10, random choice would give about 20%.
    expect(cheapShare).toBeGreaterThan(0.4);
  });

  it('retries elsewhere when no CP is free and reports unserved drivers when it never is', async () => {
    // One CP, many drivers, long dwell: most arrivals find it busy.
    const { clock, fleet } = await runFleet(
      3,
      (f) => ({
        drivers: 50,
        catalog: f.cpViews,
        sessionsPerDriverPerDay: 4,
        energyKwh: { median: 60, sigma: 0.1 },
        dwellS: { median: 4 * 3600, sigma: 0.1 },
        maxAttempts: 2,
        retryDelayMs: 5 * 60_000,
      }),
      1,
    );
    await clock.advance(24 * HOUR);
    const stats = fleet.stats();
    expect(stats.trips.unserved).toBeGreaterThan(10);
    const unserved = fleet.trips().find((t) => t.status === 'unserved')!;
    expect(unserved).toMatchObject({ attempts: 2, reason: 'no free CP' });
    expect(unserved.request_id).toBeUndefined();
    expect(Date.parse(unserved.finished_at) - Date.parse(unserved.arrived_at)).toBe(5 * 60_000);
  });

  it('learns CP states from cp.status when it has no catalog', async () => {
    const { clock, broker, fleet } = await runFleet(4, () => ({ drivers: 20, sessionsPerDriverPerDay: 3 }));
    const cpNode = createNode({
      id: 'cp',
      transport: broker.transport('cp', { clock }),
      clock,
      logger: silentLogger(),
      plugins: [],
    });
    nodes.push(cpNode);
    await cpNode.start();
    await cpNode.transport.publish('cp.status', { cp_id: 'CP-004', state: 'ACTIVATED' });
    await cpNode.transport.publish('cp.status', { cp_id: 'CP-005', state: 'FAULT' });
    await clock.advance(24 * HOUR);
    const trips = fleet.trips().filter((t) => t.request_id);
    expect(trips.length).toBeGreaterThan(5);
    expect(new Set(trips.map((t) => t.cp_id))).toEqual(new Set(['CP-004']));
  });

  it('times out a request that gets no answer', async () => {
    const { clock, fleet } = await runFleet(
      5,
      () => ({
        drivers: 5,
        catalog: () => [{ cp_id: 'CP-001', state: 'ACTIVATED' }],
        maxArrivals: 1,
        maxAttempts: 1,
      }),
      1,
      ['CP-001'],
    );
    await clock.advance(24 * HOUR);
    const [trip] = fleet.trips();
    expect(fleet.trips()).toHaveLength(1);
    expect(trip).toMatchObject({ status: 'timeout', cp_id: 'CP-001', reason: 'no answer within 30000 ms' });
    expect(Date.parse(trip!.finished_at) - Date.parse(trip!.arrived_at)).toBe(30_000);
  });

  it('gives up on an accepted session with no outcome after the dwell time and the grace', async () => {
    const { clock, fleet } = await runFleet(
      7,
      () => ({
        drivers: 5,
        catalog: () => [{ cp_id: 'CP-001', state: 'ACTIVATED' }],
        maxArrivals: 1,
        dwellS: { median: 1800, sigma: 0 },
        sessionGraceMs: 300_000,
      }),
      1,
      [],
      ['CP-001'],
    );
    await clock.advance(24 * HOUR);
    const [trip] = fleet.trips();
    expect(trip).toMatchObject({
      status: 'timeout',
      reason: 'no outcome within the dwell time',
      duration_s: 1800,
    });
    expect(Date.parse(trip!.finished_at) - Date.parse(trip!.arrived_at)).toBe(1800_000 + 300_000);
  });

  it('goes to another CP when denied', async () => {
    const { clock, fleet } = await runFleet(6, () => ({
      drivers: 5,
      catalog: () => [
        { cp_id: 'CP-999', state: 'ACTIVATED', price_eur_kwh: 0.1 },
        { cp_id: 'CP-001', state: 'ACTIVATED', price_eur_kwh: 0.3 },
      ],
      policy: 'cheapest',
      maxArrivals: 1,
    }));
    await clock.advance(24 * HOUR);
    expect(fleet.trips()).toEqual([
      expect.objectContaining({ status: 'completed', cp_id: 'CP-001', attempts: 2 }),
    ]);
    expect(fleet.stats()).toMatchObject({ arrivals: 1, requests: 2, denied: 1, accepted: 1 });
  });

  it('replays a schedule: each arrival at its time, at its CP when free, for its own duration', async () => {
    const clock0 = new VirtualClock().now();
    const { clock, fleet } = await runFleet(7, (f) => ({
      drivers: 10,
      catalog: f.cpViews,
      schedule: [
        { at: clock0 + 2 * HOUR, duration_s: 3_600, target_kwh: 5 },
        { at: clock0 + HOUR, duration_s: 1_800, cp_id: 'CP-003' },
        { at: clock0 + HOUR, duration_s: 900, cp_id: 'CP-003' },
        { at: clock0 - HOUR, duration_s: 600, cp_id: 'CP-007' },
      ],
    }));
    await clock.advance(12 * HOUR);
    const trips = fleet.trips();
    expect(trips.map((t) => [t.arrived_at, t.status, t.duration_s])).toEqual([
      [new Date(clock0).toISOString(), 'completed', 600],
      [new Date(clock0 + HOUR).toISOString(), 'completed', 900],
      [new Date(clock0 + HOUR).toISOString(), 'completed', 1_800],
      [new Date(clock0 + 2 * HOUR).toISOString(), 'completed', 3_600],
    ]);
    const [early, second, first, withTarget] = trips;
    expect(early).toMatchObject({ cp_id: 'CP-007' });
    // Its CP taken by the arrival before it, the second driver goes where the policy sends it.
    expect(first).toMatchObject({ cp_id: 'CP-003' });
    expect(second!.cp_id).not.toBe('CP-003');
    // Without a target the session lasts its duration at the CP's 22 kW; with one it stops there.
    expect(first!.target_kwh).toBeUndefined();
    expect(first!.energy_kwh).toBeCloseTo(11, 3);
    expect(withTarget).toMatchObject({ target_kwh: 5, energy_kwh: 5 });
    expect(fleet.stats()).toMatchObject({ arrivals: 4, requests: 4, denied: 0 });
  });

  it('rejects a schedule it cannot replay, naming the entry and the field', () => {
    expect(() =>
      driverFleet({
        schedule: [
          { at: 0, duration_s: 60 },
          { at: 1, duration_s: 0 },
        ],
      }),
    ).toThrow('driverFleet schedule[1].duration_s must be a finite number of seconds > 0, got 0');
    expect(() => driverFleet({ schedule: [{ at: Number.NaN, duration_s: 60 }] })).toThrow(
      'driverFleet schedule[0].at must be a time in ms since the epoch, got NaN',
    );
    expect(() => driverFleet({ schedule: [{ at: 0, duration_s: 60, target_kwh: -2 }] })).toThrow(
      'driverFleet schedule[0].target_kwh must be a finite number of kWh > 0, got -2',
    );
    expect(() => driverFleet({ schedule: [], vehicles: {} })).toThrow(
      'driverFleet: schedule and vehicles do not go together',
    );
  });

  it('rejects timings it cannot follow requests with, naming the option', () => {
    expect(() => driverFleet({ answerTimeoutMs: 0 })).toThrow(
      'driverFleet: answerTimeoutMs must be a finite number > 0, got 0',
    );
    expect(() => driverFleet({ ticketGraceMs: -1 })).toThrow(
      'driverFleet: ticketGraceMs must be a finite number >= 0, got -1',
    );
    expect(() => driverFleet({ maxAttempts: 0 })).toThrow('driverFleet: maxAttempts must be >= 1, got 0');
  });
});
