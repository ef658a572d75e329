// A custom allocation policy for Central's smart charging, run on one evening at one site.
// Run: pnpm --filter @evcharging/example-quickstart custom-policy
import 'reflect-metadata';
import type { AllocationPolicy, SiteReport } from '@evcharging/central';
import { VIRTUAL_EPOCH, VirtualClock } from '@evcharging/core';
import { createChargingNetwork } from '@evcharging/network';

const HOUR = 3_600_000;

/**
 * Fill the sessions whose drivers leave within the hour first, then share what is left equally.
 * Central checks the answer: more than `available_kw` in total, a negative or NaN figure, or an
 * unknown session is refused with an error naming the site, the session and the field.
 */
export const leavingFirst: AllocationPolicy = {
  name: 'leaving-first',
  allocate({ available_kw, sessions, now_ms }) {
    const soon = sessions.filter((s) => (s.departure_ms ?? Number.POSITIVE_INFINITY) - now_ms < HOUR);
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

/** Ten 22 kW CPs behind one 60 kW connection, 40 drivers with vehicles, 16:00 to 22:00. */
export async function runEvening(policy: AllocationPolicy | string, seed = 7): Promise<SiteReport> {
  const network = createChargingNetwork({
    cps: 10,
    seed,
    clock: new VirtualClock({ start: VIRTUAL_EPOCH + 16 * HOUR }),
    monitor: false,
    sites: { limitKw: 60 },
    central: { smartCharging: { policy } },
    fleet: { drivers: 40, sessionsPerDriverPerDay: 4, vehicles: {} },
  });
  await network.run({ for: 6 * HOUR });
  const site = network.central.report().sites![0]!;
  await network.stop();
  return site;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const policy of [leavingFirst, 'equal-share']) {
    const site = await runEvening(policy);
    const name = typeof policy === 'string' ? policy : policy.name;
    process.stdout.write(
      `${name.padEnd(14)} peak ${site.peak_kw} kW of ${site.limit_kw}, delivered ${site.energy_delivered_kwh} of ${site.energy_requested_kwh} kWh, ` +
        `targets met ${site.drivers_met_target}/${site.drivers_with_target}, cost €${site.cost_eur}\n`,
    );
  }
}
