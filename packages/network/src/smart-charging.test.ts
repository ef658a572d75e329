import type { AllocationPolicy } from '@evcharging/central';
import { VIRTUAL_EPOCH, VirtualClock } from '@evcharging/core';
import { describe, expect, it } from 'vitest';
import { type ChargingNetworkOptions, createChargingNetwork } from './charging-network.js';

const HOUR = 3_600_000;

/** An evening at 10 CPs (one site of 60 kW) with 40 drivers arriving with vehicles. */
function evening(extra: Partial<ChargingNetworkOptions> = {}) {
  return createChargingNetwork({
    cps: 10,
    seed: 7,
    clock: new VirtualClock({ start: VIRTUAL_EPOCH + 16 * HOUR }),
    monitor: false,
    engine: { telemetryIntervalMs: 60_000 },
    sites: { limitKw: 60 },
    fleet: { drivers: 40, sessionsPerDriverPerDay: 4, vehicles: {} },
    ...extra,
  });
}

describe('smart charging in a network', () => {
  it('runs a custom policy (the README example) and reports per site', async () => {
    const leavingFirst: AllocationPolicy = {
      name: 'leaving-first',
      allocate({ available_kw, sessions, now_ms }) {
        const soon = sessions.filter((s) => (s.departure_ms ?? Infinity) - now_ms < HOUR);
        const out = new Map<string, number>();
        let left = available_kw;
        for (const s of soon) {
          const kw = Math.min(s.max_kw, left);
          out.set(s.session_id, kw);
          left -= kw;
        }
        const rest = sessions.filter((s) => !out.has(s.session_id));
        for (const s of rest) out.set(s.session_id, Math.min(s.max_kw, left / rest.length));
        return out;
      },
    };
    const net = evening({ central: { smartCharging: { policy: leavingFirst } } });
    await net.run({ for: 4 * HOUR });
    const report = net.central.report();
    await net.stop();
    expect(report.charging_policy).toBe('leaving-first');
    const site = report.sites![0]!;
    expect(site).toMatchObject({ site_id: 'Site 1', cps: 10, limit_kw: 60, allocation_errors: 0 });
    expect(site.sessions).toBeGreaterThan(5);
    expect(site.peak_kw).toBeGreaterThan(0);
    // Telemetry figures are rounded to the watt: the sum of ten may pass the limit by 10 W.
    expect(site.peak_kw).toBeLessThanOrEqual(60.01);
    expect(site.energy_delivered_kwh).toBeGreaterThan(0);
    expect(site.energy_delivered_kwh).toBeLessThanOrEqual(site.energy_requested_kwh);
    expect(site.drivers_met_target).toBeLessThanOrEqual(site.drivers_with_target);
    expect(site.cost_eur).toBeGreaterThan(0);
  });

  it('refuses a bad policy answer: logged and counted, the site keeps its earlier limits', async () => {
    const broken: AllocationPolicy = {
      name: 'broken',
      allocate: ({ sessions }) => Object.fromEntries(sessions.map((s) => [s.session_id, Number.NaN])),
    };
    const net = evening({ central: { smartCharging: { policy: broken } } });
    await net.run({ for: 2 * HOUR });
    const site = net.central.report().sites![0]!;
    const engines = net.report().engines;
    await net.stop();
    expect(site.allocation_errors).toBeGreaterThan(0);
    // Every session started at 0 kW and nothing raised it: no energy, never a wrong figure.
    expect(engines.energy_kwh).toBe(0);
  });

  it('denies a vehicle whose curve does not increase, naming the field', async () => {
    const net = evening({ fleet: undefined });
    await net.start();
    const driver = await net.addDriver({ driverId: 'driver-x', requests: [{ cp_id: 'CP-001' }] });
    await net.sim.node('driver/driver-x').transport.publish('driver.requests', {
      request_id: 'req-bad',
      driver_id: 'driver-x',
      cp_id: 'CP-002',
      vehicle: {
        battery_kwh: 50,
        arrival_soc: 20,
        target_soc: 80,
        ac_max_kw: 11,
        dc_max_kw: 50,
        curve: [
          [50, 40],
          [40, 20],
        ],
      },
    });
    await net.run({ for: 60_000 });
    expect(driver).toBeDefined();
    expect(net.central.store.getRequest('req-bad')).toMatchObject({
      decision: 'denied',
      reason: 'vehicle.curve[1]: SoC must increase from point to point, got 40 after 50',
    });
    await net.stop();
  });

  it('is deterministic: the same seed gives the same event-log hash for each policy', async () => {
    const hashes: Record<string, string[]> = {};
    for (const policy of ['uncontrolled', 'llf']) {
      for (let run = 0; run < 2; run++) {
        const net = evening({ central: { smartCharging: { policy } } });
        await net.run({ for: 2 * HOUR });
        hashes[policy] = [...(hashes[policy] ?? []), net.report().event_log.hash];
        await net.stop();
      }
    }
    expect(hashes.uncontrolled![0]).toBe(hashes.uncontrolled![1]);
    expect(hashes.llf![0]).toBe(hashes.llf![1]);
    expect(hashes.uncontrolled![0]).not.toBe(hashes.llf![0]);
  });
});
