import { type Static, Type } from '@sinclair/typebox';
import { AcceptanceCurve } from './acceptance-curve.js';

/**
 * The vehicle a driver arrives with (`driver.requests`, `start_supply`): enough of a battery to
 * know how much energy it wants and how fast it takes it. SoC is in percent (0-100), as OCPP and
 * car dashboards show it.
 */

/** One point of a charging curve: `[soc %, kW]`, the most the battery takes at that SoC. */
export const CurvePointSchema = Type.Tuple(
  [
    Type.Number({ minimum: 0, maximum: 100, description: 'State of charge, %' }),
    Type.Number({ minimum: 0, description: 'Most the battery accepts at that SoC, kW' }),
  ],
  { description: '[soc %, kW]' },
);
export type CurvePoint = Static<typeof CurvePointSchema>;

export const VehicleSchema = Type.Object(
  {
    model: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'Archetype name' })),
    battery_kwh: Type.Number({ exclusiveMinimum: 0, maximum: 1000, description: 'Usable battery, kWh' }),
    arrival_soc: Type.Number({ minimum: 0, maximum: 100, description: 'State of charge on arrival, %' }),
    target_soc: Type.Number({ minimum: 0, maximum: 100, description: 'State of charge wanted, %' }),
    ac_max_kw: Type.Number({ exclusiveMinimum: 0, description: 'Most the on-board (AC) charger takes, kW' }),
    dc_max_kw: Type.Number({ exclusiveMinimum: 0, description: 'Most the battery takes on DC, kW' }),
    curve: Type.Optional(
      Type.Array(CurvePointSchema, {
        minItems: 1,
        maxItems: 32,
        description:
          'Battery acceptance by SoC, points in increasing SoC, linear between them, flat beyond the ends',
      }),
    ),
  },
  { additionalProperties: true, $id: 'Vehicle' },
);
/**
 * A vehicle as it travels on the wire.
 *
 * @example
 * const zoe: Vehicle = {
 *   model: 'compact-52', battery_kwh: 52, arrival_soc: 20, target_soc: 80,
 *   ac_max_kw: 22, dc_max_kw: 46, curve: [[0, 46], [50, 46], [100, 10]],
 * };
 */
export type Vehicle = Static<typeof VehicleSchema>;

/** Whether a CP supplies alternating (on-board charger) or direct current. */
export type SupplyKind = 'AC' | 'DC';

/**
 * What the schema cannot say about a vehicle: a curve whose SoC does not increase. Empty when
 * the vehicle is sound; each problem names its field (`vehicle.curve[2]`).
 */
export function vehicleProblems(vehicle: Vehicle, field = 'vehicle'): string[] {
  const problems: string[] = [];
  const curve = vehicle.curve ?? [];
  for (let i = 1; i < curve.length; i++) {
    if (!(curve[i]![0] > curve[i - 1]![0])) {
      problems.push(
        `${field}.curve[${i}]: SoC must increase from point to point, got ${curve[i]![0]} after ${curve[i - 1]![0]}`,
      );
    }
  }
  return problems;
}

/**
 * The most the vehicle takes at `soc` % from a CP of this kind: on AC its on-board charger's
 * limit, on DC the curve capped by `dc_max_kw`. A full battery takes nothing. For the many reads
 * of one session, build its {@link AcceptanceCurve} once instead.
 *
 * @example
 * acceptanceKw(zoe, 75, 'DC'); // 46 + (10 - 46) × (75 - 50) / 50 = 28 kW
 */
export function acceptanceKw(vehicle: Vehicle, soc: number, supply: SupplyKind): number {
  return new AcceptanceCurve(vehicle, supply).kwAt(soc);
}

/** SoC, %, after `energyKwh` went into the battery since arrival (capped at 100). */
export function socAfter(vehicle: Vehicle, energyKwh: number): number {
  return Math.min(100, vehicle.arrival_soc + (energyKwh / vehicle.battery_kwh) * 100);
}

/** Energy the vehicle wants to reach its target SoC, kWh (0 when it arrives at or above it). */
export function energyWantedKwh(vehicle: Vehicle): number {
  return Math.max(0, ((vehicle.target_soc - vehicle.arrival_soc) / 100) * vehicle.battery_kwh);
}
