import 'reflect-metadata';
import { centralController } from '@evcharging/central';
import { createNode, type DriverUpdate, RealClock, silentLogger } from '@evcharging/core';
import { MemoryBroker } from '@evcharging/transport-memory';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../__fixtures__/cp-harness.js';
import { TestCsms } from '../__fixtures__/test-csms.js';
import { ocppGateway } from '../gateway/ocpp-gateway.js';
import { createOcppFleet } from './ocpp-fleet.js';

const stops: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

/** A driver every 50 ms, each wanting a little energy quickly. */
const often = { nextArrival: (now: number) => now + 50 };
const quickTrip = () => ({ targetKwh: 0.05, durationS: 30 });

describe('a fleet of simulated OCPP charge points', () => {
  it('connects every charge point to a strict CSMS and runs the drivers arriving as transactions', async () => {
    const csms = await new TestCsms().start();
    stops.push(() => csms.stop());
    const fleet = createOcppFleet({
      csms: csms.url,
      cps: 20,
      kw: 360,
      meterIntervalS: 1,
      connectRatePerS: 100,
      arrivals: often,
      trip: quickTrip,
      seed: 5,
    });
    await fleet.start();
    stops.push(() => fleet.stop());
    await until('all booted', () => fleet.figures().booted === 20);
    await until('ten transactions stopped', () => csms.callsOf('StopTransaction').length >= 10, 15_000);
    const f = fleet.figures();
    expect(f.connected).toBe(20);
    expect(f.arrivals).toBeGreaterThan(10);
    expect(f.transactionsStarted).toBeGreaterThanOrEqual(10);
    expect(new Set(csms.callsOf('BootNotification').map((c) => c.identity)).size).toBe(20);
    expect(csms.callsOf('BootNotification').map((c) => c.identity)).toContain('CP-00020');
    expect(csms.strictFailures).toEqual([]);
    const m = fleet.metrics.figures();
    expect(m.callErrorsReceived).toEqual({});
    expect(m.latencyMs.count).toBe(m.callResultsReceived);
    expect(m.latencyMs.p99).toBeGreaterThan(0);
  });

  it('joins Central through the gateway: a driver request to a simulated charge point runs to its ticket', async () => {
    const clock = new RealClock();
    const broker = new MemoryBroker();
    const central = centralController({ heartbeatTimeoutMs: 3000 });
    const gateway = ocppGateway({ central: () => central.api, port: 0, centralHeartbeatMs: 300 });
    const node = createNode({
      id: 'central',
      transport: broker.transport('central', { clock }),
      clock,
      logger: silentLogger(),
      plugins: [central, gateway],
    });
    await node.start();
    stops.push(() => node.stop());
    const fleet = createOcppFleet({
      csms: `ws://127.0.0.1:${gateway.address!.port}/ocpp`,
      cps: 10,
      kw: 360,
      meterIntervalS: 1,
    });
    await fleet.start();
    stops.push(() => fleet.stop());
    await until('all ACTIVATED in Central', () => central.registry.countByState().ACTIVATED === 10);
    const driver = broker.transport('driver-bob', { clock });
    await driver.connect();
    stops.push(() => driver.close());
    const updates: DriverUpdate[] = [];
    await driver.subscribe('driver.updates', { group: 'driver-bob' }, (u) => {
      updates.push(u);
    });
    await driver.publish('driver.requests', {
      request_id: 'req-0000000b',
      driver_id: 'driver-bob',
      cp_id: 'CP-00003',
      target_kwh: 0.2,
    });
    await until('completed', () => updates.some((u) => u.status === 'completed'), 15_000);
    const done = updates.find((u) => u.status === 'completed')!;
    // The gateway stops the charger at the first meter value past the target (one per second).
    expect(done.energy_kwh).toBeGreaterThanOrEqual(0.2);
    expect(done.energy_kwh).toBeLessThan(0.35);
    expect(updates.map((u) => u.status)).toContain('in_progress');
    expect(fleet.cps[2]!.figures()).toMatchObject({ transactionsStarted: 1, transactionsStopped: 1 });
    // Arrivals at the charger with an id tag Central does not know are refused at Authorize.
    expect(fleet.cps[0]!.plugIn({ idTag: 'STRANGER', targetKwh: 1 })).toBe(true);
    await until('refused', () => fleet.cps[0]!.figures().arrivalsRefused === 1);
    expect(central.report().sessions).toMatchObject({ started: 1, completed: 1 });
    expect(fleet.metrics.figures().strictValidationFailures).toEqual({ inbound: 0, outbound: 0 });
    expect(gateway.metrics.figures().strictValidationFailures).toEqual({ inbound: 0, outbound: 0 });
  });
});
