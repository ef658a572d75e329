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

/** Curves of 1-8 points with strictly increasing SoC in [0, 100], SoCs drawn from `socArb`. */
const curveOf = (socArb: fc.Arbitrary<number>) =>
  fc.uniqueArray(socArb, { minLength: 1, maxLength: 8 }).chain((socs) =>
    fc
      .array(fc.double({ min: 0, max: 400, noNaN: true }), {
        minLength: socs.length,
        maxLength: socs.length,
      })
      .map((kws) => [...socs].sort((a, b) => a - b).map((s, i): CurvePoint => [s, kws[i]!])),
  );
/** Any SoCs, subnormal ones too. */
const curveArb = curveOf(fc.double({ min: 0, max: 100, noNaN: true }));
/** SoCs to 0.001 %, as a vehicle's catalogue would give them: no interpolation across a subnormal gap. */
const plainCurveArb = curveOf(fc.integer({ min: 0, max: 100_000 }).map((n) => n / 1000));

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

  it('takes the highest acceptance over an interval: ends and the points inside', () => {
    const dc = new AcceptanceCurve(ESTATE, 'DC');
    expect(dc.maxKwBetween(80, 90)).toBeCloseTo(55, 12); // the taper's upper end
    expect(dc.maxKwBetween(59.9995, 60.0005)).toBe(100); // the flat part's end
    expect(dc.maxKwBetween(99.9995, 100.0005)).toBeCloseTo(10.001125, 12); // not 0: maybe not full yet
    expect(dc.maxKwBetween(100, 100.0005)).toBe(0);
    const rising = new AcceptanceCurve(
      {
        ...ESTATE,
        curve: [
          [0, 40],
          [20, 100],
          [100, 10],
        ],
      },
      'DC',
    );
    expect(rising.maxKwBetween(10, 30)).toBe(100); // the peak between the ends
    expect(rising.maxKwBetween(0, 10)).toBe(70);
    expect(new AcceptanceCurve(ESTATE, 'AC').maxKwBetween(90, 95)).toBe(22); // capped by the supply
  });

  it('is the highest acceptance in the interval (property-based)', () => {
    fc.assert(
      fc.property(
        plainCurveArb,
        fc.double({ min: -1, max: 101, noNaN: true }),
        fc.double({ min: 0, max: 2, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.constantFrom<SupplyKind>('AC', 'DC'),
        (curve, from, width, at, supply) => {
          const compiled = new AcceptanceCurve({ ...ESTATE, ac_max_kw: 11, dc_max_kw: 150, curve }, supply);
          const to = from + width;
          const max = compiled.maxKwBetween(from, to);
          // At least the acceptance anywhere inside...
          expect(max).toBeGreaterThanOrEqual(compiled.kwAt(from + width * at));
          if (to >= 100) return;
          // ...and no more than its highest: at an end or at a point of the curve inside.
          const inside = curve.map(([soc]) => soc).filter((soc) => soc > from && soc < to);
          const highest = Math.max(...[from, to, ...inside].map((soc) => compiled.kwAt(soc)));
          expect(max).toBeCloseTo(highest, 9);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
