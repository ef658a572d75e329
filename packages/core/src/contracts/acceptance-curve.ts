import type { SupplyKind, Vehicle } from './vehicle.js';

/**
 * A vehicle's acceptance from one kind of CP, read as often as a session needs it (every telemetry
 * interval, every allocation): the curve's points copied once into one array of numbers. Reading
 * the points of the vehicle object itself costs 4-8× more once it is frozen, and a vehicle
 * delivered by the simulation lane is: a frozen array's elements are read through a slow path. (A
 * `Float64Array` reads no faster and takes ten times as long to make.)
 *
 * The figures are {@link acceptanceKw}'s, to the last bit: the same interpolation on the same values.
 *
 * @example
 * const dc = new AcceptanceCurve(zoe, 'DC'); // zoe: dc_max_kw 46, curve [[0, 46], [50, 46], [100, 10]]
 * dc.kwAt(75); // 46 + (10 - 46) × (75 - 50) / 50 = 28 kW
 * dc.kwAt(100); // 0: a full battery takes nothing
 */
export class AcceptanceCurve {
  /** The curve's points, `[soc %, kW]` pairs in increasing SoC, in one array: one load reads both. */
  private readonly points: number[];
  /** The cap of this kind of supply: the on-board charger's (AC) or the battery's (DC), kW. */
  private readonly capKw: number;

  constructor(vehicle: Vehicle, supply: SupplyKind) {
    const curve = vehicle.curve ?? [];
    this.points = [];
    for (const point of curve) this.points.push(point[0], point[1]);
    this.capKw = supply === 'AC' ? vehicle.ac_max_kw : vehicle.dc_max_kw;
  }

  /**
   * The most the vehicle takes at `soc` %, kW: the curve (linear between points, flat beyond the
   * ends) capped by the supply's limit, so an on-board charger tapers near full too; 0 when full.
   */
  kwAt(soc: number): number {
    return soc >= 100 ? 0 : this.capped(soc);
  }

  /**
   * The most the vehicle takes anywhere in `[fromSoc, toSoc]` %, kW: what a reader of a rounded SoC
   * must assume, since the battery may be anywhere in the interval the figure stands for. The curve
   * is linear between its points, so the highest value is at an end or at a point inside. A battery
   * full over the whole interval takes nothing.
   *
   * @example
   * dc.maxKwBetween(49.9995, 50.0005); // 46: the flat part ends at 50 %
   * dc.maxKwBetween(75, 76); // 28: the taper's highest value, at 75 %
   */
  maxKwBetween(fromSoc: number, toSoc: number): number {
    if (fromSoc >= 100) return 0;
    // Below 100 % the curve is continuous up to the full battery's end: read it at 100, not 0.
    let kw = Math.max(this.capped(fromSoc), this.capped(Math.min(toSoc, 100)));
    const p = this.points;
    for (let i = 0; i < p.length; i += 2) {
      if (p[i]! > fromSoc && p[i]! < toSoc) kw = Math.max(kw, Math.min(this.capKw, p[i + 1]!));
    }
    return kw;
  }

  /** The curve at `soc` capped by the supply, the full battery's 0 left out. */
  private capped(soc: number): number {
    const p = this.points;
    const end = p.length;
    if (end === 0) return this.capKw;
    let kw = p[end - 1]!;
    if (soc <= p[0]!) kw = p[1]!;
    else {
      for (let i = 2; i < end; i += 2) {
        const s1 = p[i]!;
        if (soc <= s1) {
          const s0 = p[i - 2]!;
          const k0 = p[i - 1]!;
          kw = k0 + ((p[i + 1]! - k0) * (soc - s0)) / (s1 - s0);
          break;
        }
      }
    }
    return Math.min(this.capKw, kw);
  }
}
