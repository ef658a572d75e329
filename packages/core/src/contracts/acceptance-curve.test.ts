import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AcceptanceCurve } from './acceptance-curve.js';
import type { CurvePoint, SupplyKind, Vehicle } from './vehicle.js';

/** 100 kW DC to 60 % SoC, then down to 10 kW at 100 %; 22 kW on AC. */
const ESTATE: Vehicle = {
  battery_kwh: 77,
  arrival_soc: 10,
  target_soc: 90,
  ac_max_kw: 22,
  dc_max_kw: 100,
  curve: [
    [0, 100],
    [60, 100],
    [100, 10],
  ],
};

/** The definition, read straight off the vehicle's points: what the compiled curve must equal. */
function byDefinition(vehicle: Vehicle, soc: number, supply: SupplyKind): number {
  if (soc >= 100) return 0;
  const cap = supply === 'AC' ? vehicle.ac_max_kw : vehicle.dc_max_kw;
  const curve = vehicle.curve;
  if (!curve) return cap;
  let kw = curve[curve.length - 1]![1];
  if (soc <= curve[0]![0]) kw = curve[0]![1];
  else {
    const i = curve.findIndex(([s]) => soc <= s);
    if (i > 0) {
      const [s0, k0] = curve[i - 1]!;
      const [s1, k1] = curve[i]!;
      kw = k0 + ((k1 - k0) * (soc - s0)) / (s1 - s0);
    }
  }
  return Math.min(cap, kw);
}

/** Curves of 1-8 points with strictly increasing SoC in [0, 100]. */
const curveArb = fc
  .uniqueArray(fc.double({ min: 0, max: 100, noNaN: true }), { minLength: 1, maxLength: 8 })
  .chain((socs) =>
    fc
      .array(fc.double({ min: 0, max: 400, noNaN: true }), { minLength: socs.length, maxLength: socs.length })
      .map((kws) => [...socs].sort((a, b) => a - b).map((s, i): CurvePoint => [s, kws[i]!])),
  );

describe('AcceptanceCurve', () => {
  it('reads the curve, capped by the supply, and nothing when full', () => {
    const dc = new AcceptanceCurve(ESTATE, 'DC');
    expect(dc.kwAt(30)).toBe(100);
    expect(dc.kwAt(80)).toBeCloseTo(55, 12); // 100 + (10 - 100) × 20 / 40
    expect(dc.kwAt(100)).toBe(0);
    const ac = new AcceptanceCurve(ESTATE, 'AC');
    expect(ac.kwAt(30)).toBe(22);
    expect(ac.kwAt(95)).toBeCloseTo(21.25, 12); // the curve tapers below the on-board charger's 22
    expect(new AcceptanceCurve({ ...ESTATE, curve: undefined }, 'DC').kwAt(99)).toBe(100);
  });

  it('keeps its own copy of the points', () => {
    const curve: CurvePoint[] = [
      [0, 50],
      [100, 10],
    ];
    const dc = new AcceptanceCurve({ ...ESTATE, dc_max_kw: 100, curve }, 'DC');
    curve[0] = [0, 90];
    expect(dc.kwAt(50)).toBe(30);
  });

  it('equals the definition to the last bit, frozen vehicle or not (property-based)', () => {
    fc.assert(
      fc.property(
        curveArb,
        fc.double({ min: -1, max: 101, noNaN: true }),
        fc.constantFrom<SupplyKind>('AC', 'DC'),
        fc.boolean(),
        (curve, soc, supply, frozen) => {
          const vehicle: Vehicle = { ...ESTATE, ac_max_kw: 11, dc_max_kw: 150, curve };
          if (frozen) Object.freeze(curve.map((p) => Object.freeze(p)));
          const compiled = new AcceptanceCurve(frozen ? Object.freeze(vehicle) : vehicle, supply);
          expect(Object.is(compiled.kwAt(soc), byDefinition(vehicle, soc, supply))).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
