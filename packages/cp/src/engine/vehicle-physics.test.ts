import type { Vehicle } from '@evcharging/core';
import { describe, expect, it } from 'vitest';
import { engineHarness } from '../__fixtures__/engine-harness.js';
import { constantAcModel } from '../models/constant-ac-model.js';
import type { PowerSample } from './supply-run.js';

const MIN = 60_000;
const START = '2026-01-01T00:00:00.000Z';

/** The worked example of docs/smart-charging.md: 100 kWh, 20 % → 70 %, a taper above 50 %. */
const WORKED: Vehicle = {
  model: 'worked-example',
  battery_kwh: 100,
  arrival_soc: 20,
  target_soc: 70,
  ac_max_kw: 11,
  dc_max_kw: 50,
  curve: [
    [0, 50],
    [50, 50],
    [100, 0],
  ],
};

/** A DC engine of 50 kW reporting every 6 minutes (0.1 h: kWh = kW / 10 per interval). */
function dcEngine(extra: Record<string, unknown> = {}) {
  return engineHarness({
    kw: 50,
    priceEurKwh: 0.3,
    supply: 'DC',
    telemetryIntervalMs: 6 * MIN,
    ...extra,
  });
}

describe('engine physics: a session with a vehicle', () => {
  it('follows the worked example: taper, one limit change, the exact end at the target SoC', async () => {
    const h = await dcEngine();
    await h.startSupply('session-w', { vehicle: WORKED });
    await h.drain();
    await h.clock.advance(45 * MIN);
    await h.send('set_power_limit', { session_id: 'session-w', limit_kw: 30 });
    await h.drain();
    await h.clock.advance(30 * MIN);
    await h.drain();
    const rows = h.wire.telemetry.map((t) => [
      (Date.parse(t.ts!) - Date.parse(START)) / MIN,
      t.kw,
      t.kwh,
      t.soc,
      t.limit_kw,
    ]);
    expect(rows).toEqual([
      [6, 50, 5, 25, undefined],
      [12, 50, 10, 30, undefined],
      [18, 50, 15, 35, undefined],
      [24, 50, 20, 40, undefined],
      [30, 50, 25, 45, undefined],
      [36, 50, 30, 50, undefined],
      [42, 50, 35, 55, undefined],
      // At 42 min the SoC is 55 %: the curve allows 50 - (55 - 50) = 45 kW.
      [45, 30, 37.25, 57.25, 30], // the limit, reported at once: 45 kW for 3 min, then 30 kW
      [48, 30, 38.75, 58.75, 30],
      [54, 30, 41.75, 61.75, 30],
      [60, 30, 44.75, 64.75, 30],
      [66, 30, 47.75, 67.75, 30],
    ]);
    // 2.25 kWh short of 70 %, at 30 kW: 4.5 minutes more.
    expect(h.wire.tickets).toEqual([
      expect.objectContaining({
        session_id: 'session-w',
        start_time: START,
        end_time: '2026-01-01T01:10:30.000Z',
        energy_kwh: 50,
        total_cost_eur: 15,
        ended_by: 'target_soc',
        soc: 70,
      }),
    ]);
  });

  it('records the exact power trace; its integral is the energy, each step within the limit', async () => {
    const samples: PowerSample[] = [];
    const h = await dcEngine({ onPower: (s: PowerSample) => samples.push(s) });
    await h.startSupply('session-w', { vehicle: WORKED, limit_kw: 40 });
    await h.drain();
    await h.clock.advance(45 * MIN);
    await h.send('set_power_limit', { session_id: 'session-w', limit_kw: 30 });
    await h.drain();
    await h.clock.advance(60 * MIN);
    await h.drain();
    let integral = 0;
    for (let i = 1; i < samples.length; i++) {
      integral += (samples[i - 1]!.kw * (samples[i]!.atMs - samples[i - 1]!.atMs)) / 3_600_000;
      expect(samples[i]!.energyKwh).toBeCloseTo(integral, 9);
    }
    expect(samples.at(-1)!.kw).toBe(0);
    expect(integral).toBeCloseTo(50, 9);
    const t0 = samples[0]!.atMs;
    for (const s of samples) expect(s.kw).toBeLessThanOrEqual(s.atMs - t0 < 45 * MIN ? 40 : 30);
  });

  it('ends at the departure time with ended_by departure, short of the target', async () => {
    const h = await dcEngine();
    await h.startSupply('session-d', {
      vehicle: { ...WORKED, target_soc: 100 },
      departure_time: '2026-01-01T00:30:00.000Z',
    });
    await h.clock.advance(40 * MIN);
    await h.drain();
    expect(h.wire.tickets[0]).toMatchObject({
      end_time: '2026-01-01T00:30:00.000Z',
      energy_kwh: 25,
      ended_by: 'departure',
      soc: 45,
    });
  });

  it('does not apply the default fixed duration to a vehicle, and still to a session without one', async () => {
    const h = await dcEngine();
    await h.startSupply('session-v', { vehicle: WORKED });
    await h.clock.advance(30 * MIN);
    await h.drain();
    expect(h.engine.currentSession?.sessionId).toBe('session-v');
    await h.send('stop_supply', { session_id: 'session-v' });
    await h.drain();
    await h.startSupply('session-o');
    await h.clock.advance(30 * MIN);
    await h.drain();
    expect(h.wire.tickets.at(-1)).toMatchObject({ session_id: 'session-o', ended_by: 'duration' });
  });

  it('ignores a limit for another session, and lifts its own limit on an increase', async () => {
    const h = await dcEngine();
    await h.startSupply('session-l', { vehicle: WORKED, limit_kw: 10 });
    await h.drain();
    await h.send('set_power_limit', { session_id: 'session-other', limit_kw: 0 });
    await h.drain();
    expect(h.engine.currentSession?.kw).toBe(10);
    expect(h.engine.stats.ignoredCommands).toBe(1);
    await h.send('set_power_limit', { session_id: 'session-l', limit_kw: 45 });
    await h.drain();
    expect(h.engine.currentSession).toMatchObject({ kw: 45, limitKw: 45 });
    // An increase is no news for Central: no extra telemetry.
    expect(h.wire.telemetry).toHaveLength(0);
  });

  it('prices each part of the session at the tariff then', async () => {
    const h = await engineHarness({ model: constantAcModel(11), telemetryIntervalMs: 10 * MIN });
    await h.clock.advance(6 * 60 * MIN + 30 * MIN); // 06:30
    await h.startSupply('session-t', {
      vehicle: { ...WORKED, arrival_soc: 0, target_soc: 100 },
      tariff: [
        { from: '22:00', to: '07:00', eur_kwh: 0.18 },
        { from: '07:00', to: '22:00', eur_kwh: 0.32 },
      ],
      duration_s: 3600,
    });
    await h.clock.advance(60 * MIN);
    await h.drain();
    // 5.5 kWh before 07:00 at 0.18, 5.5 after at 0.32.
    expect(h.wire.tickets[0]).toMatchObject({ energy_kwh: 11, total_cost_eur: 2.75, ended_by: 'duration' });
  });

  it('reports AC voltage, current and phases consistent with the power', async () => {
    const h = await engineHarness({ model: constantAcModel(11), telemetryIntervalMs: MIN });
    await h.startSupply('session-ac', { vehicle: { ...WORKED, ac_max_kw: 7.4 } });
    await h.clock.advance(MIN);
    await h.drain();
    const t = h.wire.telemetry[0]!;
    expect(t).toMatchObject({ kw: 7.4, voltage_v: 230, phases: 3 });
    // current_a is published to the milliampere: the product is within 1 W of the power.
    expect(Math.abs((t.voltage_v! * t.current_a! * t.phases!) / 1000 - 7.4)).toBeLessThan(0.001);
  });

  it('ends at once a vehicle that arrives at or above its target', async () => {
    const h = await dcEngine();
    await h.startSupply('session-f', { vehicle: { ...WORKED, arrival_soc: 100, target_soc: 100 } });
    await h.clock.advance(MIN);
    await h.drain();
    expect(h.wire.tickets[0]).toMatchObject({ energy_kwh: 0, ended_by: 'target_soc', soc: 100 });
  });
});
