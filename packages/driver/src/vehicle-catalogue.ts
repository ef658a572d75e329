import type { CurvePoint, Random, Vehicle } from '@evcharging/core';

/** A kind of vehicle: its battery, its limits and the shape of its charging curve. */
export interface VehicleArchetype {
  /** Short name used on the command line and in reports. */
  readonly name: string;
  /** The public vehicle whose published figures it takes. */
  readonly basedOn: string;
  readonly batteryKwh: number;
  readonly acMaxKw: number;
  readonly dcMaxKw: number;
  /** `[soc %, kW]`: peak and taper points from the sources in the driver README. */
  readonly curve: readonly CurvePoint[];
}

/**
 * Four archetypes with figures from public specifications and published charging tests (each
 * figure's source is listed in the driver package's README, "Vehicle catalogue"). Points between
 * the published ones, and the end of each curve near 100 %, are an illustrative shape.
 */
export const VEHICLE_CATALOGUE: Readonly<Record<string, VehicleArchetype>> = Object.freeze({
  'compact-52': {
    name: 'compact-52',
    basedOn: 'Renault Zoe ZE50 (52 kWh)',
    batteryKwh: 52,
    acMaxKw: 22,
    dcMaxKw: 46,
    curve: [
      [0, 45],
      [45, 45],
      [80, 24],
      [100, 6],
    ],
  },
  'hatch-40': {
    name: 'hatch-40',
    basedOn: 'Nissan Leaf (40 kWh)',
    batteryKwh: 40,
    acMaxKw: 6.6,
    dcMaxKw: 50,
    curve: [
      [0, 46],
      [50, 46],
      [80, 25],
      [100, 5],
    ],
  },
  'hatch-58': {
    name: 'hatch-58',
    basedOn: 'Volkswagen ID.3 (58 kWh)',
    batteryKwh: 58,
    acMaxKw: 11,
    dcMaxKw: 100,
    curve: [
      [0, 100],
      [50, 100],
      [80, 50],
      [100, 10],
    ],
  },
  'suv-58-800v': {
    name: 'suv-58-800v',
    basedOn: 'Hyundai Ioniq 5 (58 kWh)',
    batteryKwh: 58,
    acMaxKw: 11,
    dcMaxKw: 177,
    curve: [
      [0, 177],
      [45, 177],
      [57, 145],
      [75, 140],
      [86, 50],
      [100, 10],
    ],
  },
});

/** Relative weights of archetypes in a fleet, e.g. `{ 'compact-52': 2, 'hatch-58': 1 }`. */
export type VehicleMix = Readonly<Record<string, number>>;

/** An even mix of the whole catalogue. */
export const DEFAULT_VEHICLE_MIX: VehicleMix = Object.freeze(
  Object.fromEntries(Object.keys(VEHICLE_CATALOGUE).map((name) => [name, 1])),
);

/** How the vehicles of a fleet are drawn. */
export interface FleetVehicleOptions {
  /** Archetypes and their weights (default {@link DEFAULT_VEHICLE_MIX}). */
  mix?: VehicleMix;
  /** Arrival SoC, %, drawn uniformly in [min, max] (default [10, 50]). */
  arrivalSoc?: readonly [number, number];
  /** Target SoC, %, drawn uniformly in [min, max] (default [80, 80]). */
  targetSoc?: readonly [number, number];
  /** Archetypes beyond the catalogue, by name. */
  catalogue?: Readonly<Record<string, VehicleArchetype>>;
}

/** Draws one vehicle of a fleet's mix. */
export interface VehicleSampler {
  sample(random: Random): Vehicle;
}

function range(what: string, value: readonly [number, number]): readonly [number, number] {
  const [min, max] = value;
  if (!(min >= 0 && max <= 100 && min <= max)) {
    throw new RangeError(
      `vehicles: ${what} must be [min, max] within 0-100 with min <= max, got [${min}, ${max}]`,
    );
  }
  return value;
}

/**
 * A seeded sampler of vehicles: an archetype by weight, then the arrival and target SoC. An
 * unknown archetype or a weight that is not a finite number >= 0 throws, naming it.
 *
 * @example
 * const vehicles = vehicleSampler({ mix: { 'compact-52': 3, 'suv-58-800v': 1 } });
 * vehicles.sample(random); // { model: 'compact-52', battery_kwh: 52, arrival_soc: 31.2, target_soc: 80, ... }
 */
export function vehicleSampler(options: FleetVehicleOptions = {}): VehicleSampler {
  const catalogue = { ...VEHICLE_CATALOGUE, ...options.catalogue };
  const mix = options.mix ?? DEFAULT_VEHICLE_MIX;
  const entries = Object.entries(mix);
  for (const [name, weight] of entries) {
    if (!Object.hasOwn(catalogue, name)) {
      throw new RangeError(
        `vehicles: unknown vehicle archetype "${name}" in the mix (known: ${Object.keys(catalogue).join(', ')})`,
      );
    }
    if (!(Number.isFinite(weight) && weight >= 0)) {
      throw new RangeError(`vehicles: weight of "${name}" must be a finite number >= 0, got ${weight}`);
    }
  }
  const total = entries.reduce((sum, [, w]) => sum + w, 0);
  if (!(total > 0)) throw new RangeError('vehicles: the mix needs at least one archetype with a weight > 0');
  const [socMin, socMax] = range('arrivalSoc', options.arrivalSoc ?? [10, 50]);
  const [targetMin, targetMax] = range('targetSoc', options.targetSoc ?? [80, 80]);
  const round1 = (n: number) => Math.round(n * 10) / 10;
  return {
    sample(random) {
      let pick = random.next() * total;
      let archetype = catalogue[entries[entries.length - 1]![0]]!;
      for (const [name, weight] of entries) {
        pick -= weight;
        if (pick < 0) {
          archetype = catalogue[name]!;
          break;
        }
      }
      const arrival = round1(socMin + random.next() * (socMax - socMin));
      const target = round1(targetMin + random.next() * (targetMax - targetMin));
      return {
        model: archetype.name,
        battery_kwh: archetype.batteryKwh,
        arrival_soc: arrival,
        target_soc: target,
        ac_max_kw: archetype.acMaxKw,
        dc_max_kw: archetype.dcMaxKw,
        curve: archetype.curve.map(([s, k]) => [s, k] as CurvePoint),
      };
    },
  };
}
