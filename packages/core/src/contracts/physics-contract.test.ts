import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  type CommandOf,
  type CpTelemetry,
  type DriverRequest,
  SESSION_END_CAUSES,
  type SetPowerLimitPayload,
} from './schemas.js';
import { compileTariff, costOf, priceAt, TariffError } from './tariff.js';
import { validate } from './validate.js';
import { acceptanceKw, energyWantedKwh, socAfter, type Vehicle, vehicleProblems } from './vehicle.js';

const TS = '2026-01-01T00:00:00.000Z';
const VEHICLE: Vehicle = {
  model: 'compact-52',
  battery_kwh: 52,
  arrival_soc: 20,
  target_soc: 80,
  ac_max_kw: 22,
  dc_max_kw: 46,
  curve: [
    [0, 46],
    [50, 46],
    [100, 10],
  ],
};
const ORIGINAL_REQUEST = { request_id: 'req-1a2b3c4d', driver_id: 'driver-alice', cp_id: 'CP-001', ts: TS };
const START = { driver_id: 'driver-alice', request_id: 'req-1', session_id: 'session-1' };

function reasons(topic: Parameters<typeof validate>[0], value: unknown): string {
  const result = validate(topic, value);
  if (result.ok) throw new Error(`expected ${topic} to reject ${JSON.stringify(value)}`);
  return result.reasons.join('\n');
}

describe('contract additions for vehicles, limits and tariffs', () => {
  it('a request may carry a vehicle and a departure time; the original request is still valid', () => {
    const request: DriverRequest = { ...ORIGINAL_REQUEST, vehicle: VEHICLE, departure_time: TS };
    expect(validate('driver.requests', request)).toEqual({ ok: true, value: request });
    expect(validate('driver.requests', ORIGINAL_REQUEST).ok).toBe(true);
  });

  it.each([
    ['a SoC above 100 %', { ...VEHICLE, target_soc: 101 }, '/vehicle/target_soc'],
    ['a negative arrival SoC', { ...VEHICLE, arrival_soc: -1 }, '/vehicle/arrival_soc'],
    ['no battery', { ...VEHICLE, battery_kwh: 0 }, '/vehicle/battery_kwh'],
    ['an AC limit as text', { ...VEHICLE, ac_max_kw: '11' }, '/vehicle/ac_max_kw'],
    ['a curve point with one figure', { ...VEHICLE, curve: [[10]] }, '/vehicle/curve/0'],
    ['an empty curve', { ...VEHICLE, curve: [] }, '/vehicle/curve'],
  ])('rejects a vehicle with %s, naming the field', (_what, vehicle, field) => {
    expect(reasons('driver.requests', { ...ORIGINAL_REQUEST, vehicle })).toContain(field);
  });

  it('start_supply carries the vehicle, departure, initial limit and tariff', () => {
    const command: CommandOf<'start_supply'> = {
      cmd: 'start_supply',
      cp_id: 'CP-001',
      payload: {
        ...START,
        vehicle: VEHICLE,
        departure_time: TS,
        limit_kw: 11,
        tariff: [{ from: '00:00', to: '24:00', eur_kwh: 0.3 }],
      },
    };
    expect(validate('central.commands', command)).toEqual({ ok: true, value: command });
    expect(
      reasons('central.commands', { ...command, payload: { ...command.payload, limit_kw: -1 } }),
    ).toContain('/payload/limit_kw');
    expect(
      reasons('central.commands', {
        ...command,
        payload: { ...command.payload, tariff: [{ from: '7:00', to: '24:00', eur_kwh: 0.3 }] },
      }),
    ).toContain('/payload/tariff/0/from');
  });

  it('set_power_limit is a typed command with its own payload', () => {
    expectTypeOf<CommandOf<'set_power_limit'>['payload']>().toEqualTypeOf<SetPowerLimitPayload>();
    const ok = { cmd: 'set_power_limit', cp_id: 'CP-001', payload: { session_id: 'session-1', limit_kw: 0 } };
    expect(validate('central.commands', ok).ok).toBe(true);
    expect(reasons('central.commands', { cmd: 'set_power_limit', cp_id: 'CP-001' })).toContain('/payload');
    expect(
      reasons('central.commands', { ...ok, payload: { session_id: 'session-1', limit_kw: Number.NaN } }),
    ).toContain('/payload/limit_kw');
    expect(reasons('central.commands', { ...ok, payload: { limit_kw: 5 } })).toContain('/payload/session_id');
    // Central numbers its limits (seq >= 1; start_supply's limit is 0) so it knows which one applied.
    expect(validate('central.commands', { ...ok, payload: { ...ok.payload, seq: 3 } }).ok).toBe(true);
    expect(reasons('central.commands', { ...ok, payload: { ...ok.payload, seq: 0 } })).toContain(
      '/payload/seq',
    );
    expect(reasons('central.commands', { ...ok, payload: { ...ok.payload, seq: 1.5 } })).toContain(
      '/payload/seq',
    );
  });

  it('telemetry may carry SoC, the limit honoured and AC voltage, current and phases', () => {
    const telemetry: CpTelemetry = {
      cp_id: 'CP-001',
      kw: 11,
      euros: 1,
      kwh: 3,
      soc: 42.5,
      limit_kw: 11,
      voltage_v: 230,
      current_a: 15.94,
      phases: 3,
    };
    expect(validate('cp.telemetry', telemetry).ok).toBe(true);
    expect(reasons('cp.telemetry', { ...telemetry, soc: 100.5 })).toContain('/soc');
    expect(reasons('cp.telemetry', { ...telemetry, phases: 2 })).toContain('/phases');
    expect(validate('cp.telemetry', { ...telemetry, limit_seq: 0 }).ok).toBe(true);
    expect(reasons('cp.telemetry', { ...telemetry, limit_seq: -1 })).toContain('/limit_seq');
  });

  it('in_progress updates and tickets may carry the SoC; tickets the new end causes', () => {
    const update = { ...ORIGINAL_REQUEST, status: 'in_progress', kw: 11, soc: 55 };
    expect(validate('driver.updates', update).ok).toBe(true);
    expect(reasons('driver.updates', { ...update, soc: -3 })).toContain('/soc');
    expect(SESSION_END_CAUSES).toEqual(expect.arrayContaining(['target_soc', 'departure']));
    const ticket = {
      cp_id: 'CP-001',
      session_id: 'session-1',
      driver_id: 'driver-alice',
      start_time: TS,
      end_time: TS,
      energy_kwh: 31.2,
      total_cost_eur: 9.36,
      ended_by: 'target_soc',
      soc: 80,
    };
    expect(validate('cp.session_end', ticket).ok).toBe(true);
    expect(validate('cp.session_end', { ...ticket, ended_by: 'departure' }).ok).toBe(true);
  });
});

describe('vehicle physics helpers', () => {
  it('reads the curve linearly between points and flat beyond them, capped by the kind of supply', () => {
    expect(acceptanceKw(VEHICLE, 30, 'DC')).toBe(46);
    expect(acceptanceKw(VEHICLE, 75, 'DC')).toBeCloseTo(28, 12);
    expect(acceptanceKw(VEHICLE, 30, 'AC')).toBe(22);
    expect(acceptanceKw(VEHICLE, 95, 'AC')).toBeCloseTo(13.6, 12);
    expect(acceptanceKw(VEHICLE, 100, 'DC')).toBe(0);
    expect(acceptanceKw({ ...VEHICLE, curve: undefined } as Vehicle, 99, 'DC')).toBe(46);
  });

  it('turns energy into SoC and the target into energy', () => {
    expect(socAfter(VEHICLE, 26)).toBeCloseTo(70, 12);
    expect(socAfter(VEHICLE, 1000)).toBe(100);
    expect(energyWantedKwh(VEHICLE)).toBeCloseTo(31.2, 12);
    expect(energyWantedKwh({ ...VEHICLE, arrival_soc: 90 })).toBe(0);
  });

  it('names a curve whose SoC does not increase', () => {
    expect(vehicleProblems(VEHICLE)).toEqual([]);
    expect(
      vehicleProblems({
        ...VEHICLE,
        curve: [
          [0, 50],
          [60, 40],
          [60, 20],
        ],
      }),
    ).toEqual(['vehicle.curve[2]: SoC must increase from point to point, got 60 after 60']);
  });
});

describe('time-of-use tariffs', () => {
  const DAY = [
    { from: '22:00', to: '07:00', eur_kwh: 0.18 },
    { from: '07:00', to: '22:00', eur_kwh: 0.32 },
  ];

  it('prices each part of a span at the price then, across midnight too', () => {
    const tariff = compileTariff(DAY, 'site "S-1"');
    expect(priceAt(tariff, Date.UTC(2026, 0, 1, 6, 59))).toBe(0.18);
    expect(priceAt(tariff, Date.UTC(2026, 0, 1, 7, 0))).toBe(0.32);
    expect(costOf(tariff, 11, Date.UTC(2026, 0, 1, 6, 30), Date.UTC(2026, 0, 1, 7, 30))).toBeCloseTo(
      5.5 * 0.18 + 5.5 * 0.32,
      12,
    );
    expect(costOf(tariff, 10, Date.UTC(2026, 0, 1, 21, 0), Date.UTC(2026, 0, 2, 8, 0))).toBeCloseTo(
      10 * 0.32 + 9 * 10 * 0.18 + 10 * 0.32,
      12,
    );
  });

  it('refuses a gap or an overlap, naming the owner and the hours', () => {
    expect(() =>
      compileTariff(
        [
          { from: '00:00', to: '06:00', eur_kwh: 0.2 },
          { from: '07:00', to: '24:00', eur_kwh: 0.3 },
        ],
        'site "S-1"',
      ),
    ).toThrow(new TariffError('tariff of site "S-1": no price from 06:00 to 07:00 (a gap)'));
    expect(() => compileTariff([{ from: '00:00', to: '23:00', eur_kwh: 0.2 }], 'site "S-2"')).toThrow(
      'tariff of site "S-2": no price from 23:00 to 24:00 (a gap)',
    );
    expect(() =>
      compileTariff(
        [
          { from: '00:00', to: '12:00', eur_kwh: 0.2 },
          { from: '11:00', to: '24:00', eur_kwh: 0.3 },
        ],
        'site "S-3"',
      ),
    ).toThrow('tariff of site "S-3": two prices from 11:00 to 12:00 (an overlap)');
  });
});
