import { SeededRandom, VIRTUAL_EPOCH } from '@evcharging/core';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ARRIVAL_PROFILE, expectedArrivals, timeOfDayArrivals } from './arrival-model.js';
import { cheapest, chooserFor, randomAvailable } from './cp-choice.js';
import { checkLogNormal, sampleLogNormal } from './distribution.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function arrivalsOver(model: ReturnType<typeof timeOfDayArrivals>, seed: number, from: number, to: number) {
  const random = new SeededRandom(seed);
  const times: number[] = [];
  for (let t = model.nextArrival(from, random); t < to; t = model.nextArrival(t, random)) times.push(t);
  return times;
}

describe('timeOfDayArrivals', () => {
  it('produces about perDay arrivals a day, shaped by the hourly profile', () => {
    const perDay = 20_000;
    const times = arrivalsOver(timeOfDayArrivals({ perDay }), 7, VIRTUAL_EPOCH, VIRTUAL_EPOCH + DAY);
    // Poisson: sd = sqrt(20,000) ~ 141; 5 sd either way.
    expect(Math.abs(times.length - perDay)).toBeLessThan(710);
    const byHour = new Array<number>(24).fill(0);
    for (const t of times) byHour[Math.floor((t - VIRTUAL_EPOCH) / HOUR)]!++;
    const total = DEFAULT_ARRIVAL_PROFILE.reduce((a, b) => a + b, 0);
    for (let h = 0; h < 24; h++) {
      const expected = (perDay * DEFAULT_ARRIVAL_PROFILE[h]!) / total;
      expect(Math.abs(byHour[h]! - expected)).toBeLessThan(5 * Math.sqrt(expected) + 1);
    }
    // The evening peak is busier than the small hours by an order of magnitude.
    expect(byHour[18]!).toBeGreaterThan(10 * byHour[3]!);
  });

  it('is the same for the same seed and differs for another', () => {
    const model = timeOfDayArrivals({ perDay: 500 });
    const a = arrivalsOver(model, 1, VIRTUAL_EPOCH, VIRTUAL_EPOCH + DAY);
    expect(arrivalsOver(model, 1, VIRTUAL_EPOCH, VIRTUAL_EPOCH + DAY)).toEqual(a);
    expect(arrivalsOver(model, 2, VIRTUAL_EPOCH, VIRTUAL_EPOCH + DAY)).not.toEqual(a);
  });

  it('skips hours with no rate and shifts the profile by the UTC offset', () => {
    const profile = Array.from({ length: 24 }, (_, h) => (h === 12 ? 1 : 0));
    const utc = arrivalsOver(
      timeOfDayArrivals({ perDay: 100, profile }),
      3,
      VIRTUAL_EPOCH,
      VIRTUAL_EPOCH + DAY,
    );
    expect(utc.length).toBeGreaterThan(50);
    expect(utc.every((t) => Math.floor((t - VIRTUAL_EPOCH) / HOUR) === 12)).toBe(true);
    // Local noon at UTC+2 is 10:00 UTC.
    const cest = arrivalsOver(
      timeOfDayArrivals({ perDay: 100, profile, utcOffsetHours: 2 }),
      3,
      VIRTUAL_EPOCH,
      VIRTUAL_EPOCH + DAY,
    );
    expect(cest.every((t) => Math.floor((t - VIRTUAL_EPOCH) / HOUR) === 10)).toBe(true);
    expect(timeOfDayArrivals({ perDay: 0 }).nextArrival(VIRTUAL_EPOCH, new SeededRandom(1))).toBe(Infinity);
  });

  it('rejects a profile without 24 weights', () => {
    expect(() => timeOfDayArrivals({ perDay: 1, profile: [1, 2, 3] })).toThrow('24 finite weights');
    expect(() => timeOfDayArrivals({ perDay: -1 })).toThrow('perDay');
  });

  it('expectedArrivals integrates the profile', () => {
    expect(expectedArrivals({ perDay: 3000 }, VIRTUAL_EPOCH, VIRTUAL_EPOCH + DAY)).toBeCloseTo(3000, 6);
    const total = DEFAULT_ARRIVAL_PROFILE.reduce((a, b) => a + b, 0);
    expect(
      expectedArrivals({ perDay: 3000 }, VIRTUAL_EPOCH + 18 * HOUR, VIRTUAL_EPOCH + 18.5 * HOUR),
    ).toBeCloseTo((3000 * DEFAULT_ARRIVAL_PROFILE[18]!) / total / 2, 6);
  });
});

describe('sampleLogNormal', () => {
  it('has the given median and stays within its bounds', () => {
    const random = new SeededRandom(5);
    const d = { median: 18, sigma: 0.5, min: 3, max: 75 };
    const values = Array.from({ length: 20_001 }, () => sampleLogNormal(random, d)).sort((a, b) => a - b);
    expect(values[10_000]!).toBeGreaterThan(17);
    expect(values[10_000]!).toBeLessThan(19);
    expect(values[0]!).toBeGreaterThanOrEqual(3);
    expect(values.at(-1)!).toBeLessThanOrEqual(75);
    expect(() => checkLogNormal('energy', { median: 0, sigma: 1 })).toThrow('energy: expected');
    expect(() => checkLogNormal('energy', { median: 1, sigma: 1, min: 5, max: 2 })).toThrow(
      'energy: expected',
    );
  });
});

describe('CP choice', () => {
  const cps = [
    { cp_id: 'A', state: 'ACTIVATED', price_eur_kwh: 0.4 },
    { cp_id: 'B', state: 'ACTIVATED', price_eur_kwh: 0.3 },
    { cp_id: 'C', state: 'ACTIVATED', price_eur_kwh: 0.3 },
    { cp_id: 'D', state: 'ACTIVATED' },
  ];

  it('cheapest picks among the lowest prices only, both of them over many draws', () => {
    const random = new SeededRandom(1);
    const picked = new Set(Array.from({ length: 50 }, () => cheapest(cps, random)!.cp_id));
    expect([...picked].sort()).toEqual(['B', 'C']);
  });

  it('random-available picks every free CP over many draws, and none from an empty list', () => {
    const random = new SeededRandom(1);
    const picked = new Set(Array.from({ length: 200 }, () => randomAvailable(cps, random)!.cp_id));
    expect(picked.size).toBe(4);
    expect(randomAvailable([], random)).toBeUndefined();
    expect(() => chooserFor('nearest' as never)).toThrow('unknown CP choice policy "nearest"');
  });
});
