import { SeededRandom, vehicleProblems } from '@evcharging/core';
import { describe, expect, it } from 'vitest';
import { DEFAULT_VEHICLE_MIX, VEHICLE_CATALOGUE, vehicleSampler } from './vehicle-catalogue.js';

describe('vehicle catalogue', () => {
  it('holds sound archetypes: increasing curves within their DC limit', () => {
    for (const archetype of Object.values(VEHICLE_CATALOGUE)) {
      const vehicle = vehicleSampler({ mix: { [archetype.name]: 1 } }).sample(new SeededRandom(1));
      expect(vehicleProblems(vehicle)).toEqual([]);
      expect(vehicle).toMatchObject({ model: archetype.name, battery_kwh: archetype.batteryKwh });
      for (const [, kw] of archetype.curve) expect(kw).toBeLessThanOrEqual(archetype.dcMaxKw + 1);
    }
  });

  it('draws the mix by weight, the same for the same seed', () => {
    const sampler = vehicleSampler({ mix: { 'compact-52': 3, 'hatch-40': 1 }, arrivalSoc: [20, 40] });
    const random = new SeededRandom(42, 'vehicles');
    const drawn = Array.from({ length: 4000 }, () => sampler.sample(random));
    const compact = drawn.filter((v) => v.model === 'compact-52').length / drawn.length;
    expect(compact).toBeGreaterThan(0.72);
    expect(compact).toBeLessThan(0.78);
    for (const v of drawn) {
      expect(v.arrival_soc).toBeGreaterThanOrEqual(20);
      expect(v.arrival_soc).toBeLessThanOrEqual(40);
      expect(v.target_soc).toBe(80);
    }
    const again = vehicleSampler({ mix: { 'compact-52': 3, 'hatch-40': 1 }, arrivalSoc: [20, 40] });
    const replay = new SeededRandom(42, 'vehicles');
    expect(Array.from({ length: 4000 }, () => again.sample(replay))).toEqual(drawn);
    expect(Object.keys(DEFAULT_VEHICLE_MIX)).toEqual(Object.keys(VEHICLE_CATALOGUE));
  });

  it('refuses an unknown archetype, a bad weight or a bad SoC range, naming it', () => {
    expect(() => vehicleSampler({ mix: { 'flying-car': 1 } })).toThrow(
      /unknown vehicle archetype "flying-car" in the mix \(known: compact-52, hatch-40, hatch-58, suv-58-800v\)/,
    );
    expect(() => vehicleSampler({ mix: { 'hatch-40': Number.NaN } })).toThrow(/weight of "hatch-40"/);
    expect(() => vehicleSampler({ mix: { 'hatch-40': 0 } })).toThrow(/at least one archetype/);
    expect(() => vehicleSampler({ targetSoc: [90, 80] })).toThrow(/targetSoc must be/);
  });
});
