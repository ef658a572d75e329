import { type Static, Type } from '@sinclair/typebox';

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

/** The curve's kW at `soc` (linear between points, flat beyond the ends). */
function curveKw(curve: readonly CurvePoint[], soc: number): number {
  const first = curve[0]!;
  if (soc <= first[0]) return first[1];
  for (let i = 1; i < curve.length; i++) {
    const [s1, k1] = curve[i]!;
    if (soc <= s1) {
      const [s0, k0] = curve[i - 1]!;
      return k0 + ((k1 - k0) * (soc - s0)) / (s1 - s0);
    }
  }
  return curve[curve.length - 1]![1];
}

/**
 * The most the vehicle takes at `soc` % from a CP of this kind: on AC its on-board charger's
 * limit, on DC the curve capped by `dc_max_kw`. A full battery takes nothing.
 *
 * @example
 * acceptanceKw(zoe, 75, 'DC'); // 46 + (10 - 46) × (75 - 50) / 50 = 28 kW
 */
export function acceptanceKw(vehicle: Vehicle, soc: number, supply: SupplyKind): number {
  if (soc >= 100) return 0;
  if (supply === 'AC') {
    // An on-board charger tapers too, near full: never above what the DC curve allows there.
    return vehicle.curve ? Math.min(vehicle.ac_max_kw, curveKw(vehicle.curve, soc)) : vehicle.ac_max_kw;
  }
  return vehicle.curve ? Math.min(vehicle.dc_max_kw, curveKw(vehicle.curve, soc)) : vehicle.dc_max_kw;
}

/** SoC, %, after `energyKwh` went into the battery since arrival (capped at 100). */
export function socAfter(vehicle: Vehicle, energyKwh: number): number {
  return Math.min(100, vehicle.arrival_soc + (energyKwh / vehicle.battery_kwh) * 100);
}

/** Energy the vehicle wants to reach its target SoC, kWh (0 when it arrives at or above it). */
export function energyWantedKwh(vehicle: Vehicle): number {
  return Math.max(0, ((vehicle.target_soc - vehicle.arrival_soc) / 100) * vehicle.battery_kwh);
}
