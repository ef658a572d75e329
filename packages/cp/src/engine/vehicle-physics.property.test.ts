import { type CurvePoint, energyWantedKwh, type Vehicle } from '@evcharging/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { engineHarness } from '../__fixtures__/engine-harness.js';
import { constantAcModel } from '../models/constant-ac-model.js';
import type { PowerSample } from './supply-run.js';

const MIN = 60_000;
/** PHYSICS_RUNS=7000 for a longer hunt (~16 ms a run). */
const RUNS = Number(process.env.PHYSICS_RUNS ?? 60);

/** A figure with one decimal in [min, max] (fc.double favours extremes such as 1e-300). */
const tenths = (min: number, max: number) => fc.integer({ min: min * 10, max: max * 10 }).map((n) => n / 10);

/** A curve: 1-5 points at increasing SoC, any kW. */
const curve = fc
  .uniqueArray(fc.integer({ min: 0, max: 100 }), { minLength: 1, maxLength: 5 })
  .chain((socs) =>
    fc.tuple(...[...socs].sort((a, b) => a - b).map((soc) => fc.tuple(fc.constant(soc), tenths(0, 200)))),
  ) as fc.Arbitrary<CurvePoint[]>;

const vehicle: fc.Arbitrary<Vehicle> = fc.record({
  battery_kwh: tenths(5, 120),
  arrival_soc: tenths(0, 100),
  target_soc: tenths(0, 100),
  ac_max_kw: tenths(1, 22),
  dc_max_kw: tenths(10, 250),
  curve,
});

/** Limit changes: at minute m, limit kW (or undefined: lifted). */
const limits = fc.array(
  fc.tuple(fc.integer({ min: 0, max: 180 }), fc.option(tenths(0, 150), { nil: undefined })),
  { maxLength: 6 },
);

const scenario = fc.record({
  vehicle,
  supply: fc.constantFrom('AC' as const, 'DC' as const),
  cpKw: fc.constantFrom(7.4, 11, 22, 50, 150),
  intervalS: fc.constantFrom(1, 10, 60, 300),
  initialLimit: fc.option(tenths(0, 150), { nil: undefined }),
  limits,
  departureMin: fc.option(fc.integer({ min: 1, max: 240 }), { nil: undefined }),
  targetKwh: fc.option(tenths(0.1, 80), { nil: undefined }),
});

describe('engine physics (property-based)', () => {
  it(
    'energy is the integral of power, SoC rises to at most 100 %, power stays within the limit, delivered <= requested',
    async () => {
      await fc.assert(
        fc.asyncProperty(scenario, async (s) => {
          const samples: PowerSample[] = [];
          const h = await engineHarness({
            model: constantAcModel(s.cpKw),
            supply: s.supply,
            telemetryIntervalMs: s.intervalS * 1000,
            onPower: (sample) => samples.push(sample),
          });
          const t0 = h.clock.now();
          await h.startSupply('session-p', {
            vehicle: s.vehicle,
            ...(s.initialLimit !== undefined ? { limit_kw: s.initialLimit } : {}),
            ...(s.departureMin !== undefined
              ? { departure_time: new Date(t0 + s.departureMin * MIN).toISOString() }
              : {}),
            ...(s.targetKwh !== undefined ? { target_kwh: s.targetKwh } : {}),
          });
          await h.drain();
          // The limit in force from each power sample on (by index: several can share an instant).
          const limitFrom: [number, number | undefined][] = [[0, s.initialLimit]];
          for (const [minute, limit] of [...s.limits].sort((a, b) => a[0] - b[0])) {
            const at = t0 + minute * MIN;
            if (at > h.clock.now()) await h.clock.advance(at - h.clock.now());
            // Delivery may happen within the send: the new limit holds from the samples after this.
            limitFrom.push([samples.length, limit ?? 1e9]);
            await h.send('set_power_limit', { session_id: 'session-p', limit_kw: limit ?? 1e9 });
            await h.drain();
          }
          await h.clock.advance(t0 + 300 * MIN - h.clock.now());
          await h.drain();
          if (h.engine.currentSession) {
            await h.send('stop_supply', { session_id: 'session-p' });
            await h.drain();
          }

          const ticket = h.wire.tickets[0]!;
          expect(ticket).toBeDefined();
          // Energy = ∫P dt over the exact trace, within 1e-9 relative.
          let integral = 0;
          for (let i = 1; i < samples.length; i++) {
            integral += (samples[i - 1]!.kw * (samples[i]!.atMs - samples[i - 1]!.atMs)) / 3_600_000;
          }
          const final = samples.length > 0 ? samples.at(-1)!.energyKwh : 0;
          // An end at the target SoC or energy falls between whole milliseconds: its instant is a
          // double near 1.8e12 ms, spaced 2^-12 ms apart, so the sampled trace may differ from the
          // exact one by the power times that spacing (~1e-8 kWh at 150 kW) on top of 1e-9 relative.
          const lastKw = Math.max(0, ...samples.map((x) => x.kw));
          const endSpacingKwh = (lastKw * 2 ** -12) / 3_600_000;
          expect(Math.abs(final - integral)).toBeLessThanOrEqual(
            1e-9 * Math.max(1, integral) + endSpacingKwh,
          );
          expect(ticket.energy_kwh).toBeCloseTo(final, 4);
          // Each power step within the limit in force and the CP's rating.
          for (const [i, sample] of samples.entries()) {
            let limit: number | undefined;
            for (const [from, l] of limitFrom) if (from <= i) limit = l;
            expect(sample.kw).toBeLessThanOrEqual(
              Math.min(s.cpKw, limit ?? Number.POSITIVE_INFINITY) + 1e-12,
            );
          }
          // SoC never falls and never passes 100 %; it ends at most at the target.
          const socs = [
            s.vehicle.arrival_soc,
            ...h.wire.telemetry.map((t) => t.soc!),
            ...samples.map((x) => x.soc!),
          ];
          for (let i = 1; i < h.wire.telemetry.length; i++) {
            expect(h.wire.telemetry[i]!.soc!).toBeGreaterThanOrEqual(h.wire.telemetry[i - 1]!.soc!);
          }
          for (let i = 1; i < samples.length; i++) {
            expect(samples[i]!.soc!).toBeGreaterThanOrEqual(samples[i - 1]!.soc! - 1e-12);
          }
          for (const soc of socs) expect(soc).toBeLessThanOrEqual(100);
          expect(ticket.soc!).toBeLessThanOrEqual(
            Math.max(s.vehicle.arrival_soc, s.vehicle.target_soc) + 1e-3,
          );
          // Delivered <= requested (the target SoC's energy, and the request's target_kwh).
          const requested = Math.min(energyWantedKwh(s.vehicle), s.targetKwh ?? Number.POSITIVE_INFINITY);
          expect(final).toBeLessThanOrEqual(requested + 1e-9);
          await h.node.stop();
        }),
        { numRuns: RUNS },
      );
    },
    120_000 + RUNS * 50,
  );
});
