import { checkSites, type SiteDefinition } from '@evcharging/central';
import { SeededRandom, VIRTUAL_EPOCH, VirtualClock } from '@evcharging/core';
import type { PowerSample } from '@evcharging/cp';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createChargingNetwork } from './charging-network.js';
import type { CpSpec } from './cp-spec.js';

const HOUR = 3_600_000;

const scenario = fc.record({
  seed: fc.integer({ min: 1, max: 1_000_000 }),
  policy: fc.constantFrom('uncontrolled', 'equal-share', 'edf', 'llf'),
  /** Per CP: 22 kW AC or 50 kW DC. */
  cps: fc.array(fc.constantFrom(22, 50), { minLength: 2, maxLength: 8 }),
  twoSites: fc.boolean(),
  limitKw: fc.integer({ min: 0, max: 200 }),
  /** Optional steps of the limit over the day (a solar site: more at midday). */
  curve: fc.option(
    fc.uniqueArray(fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 200 })), {
      minLength: 1,
      maxLength: 4,
      selector: ([hour]) => hour,
    }),
    { nil: undefined },
  ),
  drivers: fc.integer({ min: 5, max: 40 }),
  telemetryS: fc.constantFrom(10, 60, 300),
  controlS: fc.constantFrom(30, 60, 900),
  startHour: fc.integer({ min: 0, max: 23 }),
  /** Commands and telemetry take up to this long, each message its own delay (order kept per CP). */
  lagS: fc.constantFrom(0, 2, 8),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

/**
 * Cases once found failing, run every time. The first: a session given exactly the acceptance its
 * rounded SoC gave was left unthrottled while its battery, just below the rounded figure, took
 * 0.17 W more, and the site drew 28.00017 kW against 28.
 */
const FOUND: Scenario[] = [
  {
    seed: 7,
    policy: 'edf',
    cps: [22, 50, 22],
    twoSites: false,
    limitKw: 0,
    curve: [
      [10, 28],
      [0, 34],
    ],
    drivers: 13,
    telemetryS: 300,
    controlS: 30,
    startHour: 9,
    lagS: 8,
  },
];

describe('site limits (property-based, whole network)', () => {
  it('site power <= its limit at every instant; energy, SoC and requests hold', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const specs: CpSpec[] = s.cps.map((kw, i) => ({
          cp_id: `CP-${i + 1}`,
          kw,
          location: s.twoSites && i % 2 === 1 ? 'B' : 'A',
        }));
        const curve = s.curve?.map(([hour, kw]) => ({ from: `${String(hour).padStart(2, '0')}:00`, kw }));
        const sites: SiteDefinition[] = ['A', 'B']
          .map((site) => ({
            site_id: site,
            limit_kw: s.limitKw,
            ...(curve ? { limit_curve: curve } : {}),
            cp_ids: specs.filter((c) => c.location === site).map((c) => c.cp_id),
          }))
          .filter((site) => site.cp_ids.length > 0);
        const checked = checkSites(
          sites,
          specs.map((c) => c.cp_id),
        );
        const siteOf = new Map(sites.flatMap((site) => site.cp_ids.map((cp) => [cp, site.site_id])));
        const kwOf = new Map<string, number>();
        const load = new Map<string, number>();
        const timeline: { atMs: number; site: string; load: number }[] = [];
        const samples: PowerSample[] = [];
        const onPower = (sample: PowerSample) => {
          samples.push(sample);
          const site = siteOf.get(sample.cpId)!;
          const next = (load.get(site) ?? 0) + sample.kw - (kwOf.get(sample.cpId) ?? 0);
          kwOf.set(sample.cpId, sample.kw);
          load.set(site, next);
          timeline.push({ atMs: sample.atMs, site, load: next });
        };
        const start = VIRTUAL_EPOCH + s.startHour * HOUR;
        const net = createChargingNetwork({
          cps: specs,
          seed: s.seed,
          clock: new VirtualClock({ start }),
          monitor: false,
          engine: { telemetryIntervalMs: s.telemetryS * 1000, onPower },
          broker: {
            random: new SeededRandom(s.seed, 'lag'),
            faults: {
              'central.commands': { delayMs: [0, s.lagS * 1000] },
              'cp.telemetry': { delayMs: [0, s.lagS * 1000] },
            },
          },
          central: {
            smartCharging: { policy: s.policy, controlIntervalMs: s.controlS * 1000, leadMs: s.lagS * 1000 },
          },
          sites,
          fleet: { drivers: s.drivers, sessionsPerDriverPerDay: 8, vehicles: {}, retryDelayMs: 600_000 },
          eventLog: { record: false },
        });
        await net.run({ for: 6 * HOUR });
        const trips = net.fleet!.trips();
        await net.stop();

        // At every instant the load changes, the site is within its limit then.
        const limitAt = new Map(checked.map((site) => [site.id, site]));
        for (const point of timeline) {
          expect(point.load).toBeLessThanOrEqual(limitAt.get(point.site)!.limitAt(point.atMs) + 1e-9);
        }
        // And at every step of the curve, with the load in force then.
        for (const site of checked) {
          for (let t = start - (start % HOUR); t <= start + 6 * HOUR; t += HOUR) {
            let current = 0;
            for (const point of timeline) if (point.site === site.id && point.atMs <= t) current = point.load;
            expect(current).toBeLessThanOrEqual(site.limitAt(t) + 1e-9);
          }
        }
        // Per session: SoC never falls nor passes 100 %; energy = integral of the power.
        const bySession = new Map<string, PowerSample[]>();
        for (const sample of samples) {
          const list = bySession.get(sample.sessionId) ?? [];
          list.push(sample);
          bySession.set(sample.sessionId, list);
        }
        for (const list of bySession.values()) {
          let integral = 0;
          for (let i = 1; i < list.length; i++) {
            integral += (list[i - 1]!.kw * (list[i]!.atMs - list[i - 1]!.atMs)) / HOUR;
            expect(list[i]!.soc!).toBeGreaterThanOrEqual(list[i - 1]!.soc! - 1e-12);
            expect(list[i]!.soc!).toBeLessThanOrEqual(100);
          }
          const energy = list.at(-1)!.energyKwh;
          if (list.at(-1)!.kw === 0) {
            // An end at the target falls between whole ms, at a double spaced 2^-12 ms apart near
            // 1.8e12 ms: the sampled trace may differ from the exact one by the power times that.
            const endSpacingKwh = (Math.max(0, ...list.map((x) => x.kw)) * 2 ** -12) / HOUR;
            expect(Math.abs(energy - integral)).toBeLessThanOrEqual(
              1e-9 * Math.max(1, integral) + endSpacingKwh,
            );
          }
        }
        // Delivered <= requested for every driver.
        for (const trip of trips) {
          if (trip.energy_kwh !== undefined)
            expect(trip.energy_kwh).toBeLessThanOrEqual(trip.target_kwh! + 1e-3);
        }
      }),
      // SITE_LIMIT_RUNS=600 for a longer hunt (600 runs take ~40 s).
      { numRuns: Number(process.env.SITE_LIMIT_RUNS ?? 25), examples: FOUND.map((found) => [found]) },
    );
  }, 300_000);
});
