import { SeededRandom } from '@evcharging/core';
import { describe, expect, it } from 'vitest';
import { constantAcModel } from './constant-ac-model.js';
import { type CpModel, clampedPower } from './cp-model.js';
import { dcFastChargerModel } from './dc-fast-charger-model.js';
import { flakyModel } from './flaky-model.js';

const at = { cpId: 'CP-1', nowMs: 0 };

describe('CP models', () => {
  it('constantAcModel delivers its power all session long', () => {
    const model = constantAcModel(22);
    expect(model.maxKw).toBe(22);
    expect([0, 60, 3600].map((s) => model.power(s, s / 100, at))).toEqual([22, 22, 22]);
    expect(() => constantAcModel(0)).toThrow(/constantAcModel: kw must be a positive number, got 0/);
  });

  it('dcFastChargerModel runs at full power, then tapers linearly, then completes when full', () => {
    const model = dcFastChargerModel({
      maxKw: 100,
      batteryKwh: 50,
      initialSoc: 0.2,
      taperStartSoc: 0.8,
      minKw: 10,
    });
    expect(model.power(0, 0, at)).toBe(100);
    expect(model.power(0, 29.9, at)).toBe(100); // soc 0.798
    expect(model.power(0, 35, at)).toBeCloseTo(50, 9); // soc 0.9: half-way down the taper
    expect(model.power(0, 39.5, at)).toBe(10); // soc 0.99: the taper would give 5, the floor is 10
    expect(model.power(0, 40, at)).toBe(0); // full
    expect(model.sessionComplete?.(0, 39.9)).toBe(false);
    expect(model.sessionComplete?.(0, 40)).toBe(true);
    expect(() => dcFastChargerModel({ initialSoc: 1 })).toThrow(/initialSoc/);
    expect(() => dcFastChargerModel({ maxKw: 50, minKw: 60 })).toThrow(/minKw/);
  });

  it('flakyModel keeps the base power and draws faults from the seeded stream', () => {
    const model = flakyModel(constantAcModel(11), { faultRatePerHour: 2, meanRepairS: 60 });
    expect(model.power(5, 0, at)).toBe(11);
    expect(model.maxKw).toBe(11);
    const draw = (seed: number) => {
      const random = new SeededRandom(seed);
      return Array.from({ length: 2000 }, () => model.faults!.nextFaultInMs(random)!);
    };
    const a = draw(1);
    expect(draw(1)).toEqual(a);
    expect(draw(2)).not.toEqual(a);
    const meanHours = a.reduce((s, x) => s + x, 0) / a.length / 3_600_000;
    expect(meanHours).toBeGreaterThan(0.45);
    expect(meanHours).toBeLessThan(0.55);
    const repairs = Array.from({ length: 2000 }, () => model.faults!.repairInMs!(new SeededRandom(3)));
    expect(repairs[0]).toBeGreaterThan(0);
    expect(
      flakyModel(constantAcModel(), { faultRatePerHour: 1 }).faults!.repairInMs!(new SeededRandom(1)),
    ).toBe(undefined);
  });

  it('flakyModel delegates to a class-based base model without losing `this`', () => {
    class Battery implements CpModel {
      readonly name = 'battery';
      readonly maxKw = 7;
      private readonly capacity = 10;
      power(_s: number, kwh: number) {
        return kwh < this.capacity ? this.maxKw : 0;
      }
      sessionComplete(_s: number, kwh: number) {
        return kwh >= this.capacity;
      }
    }
    const model = flakyModel(new Battery(), { faultRatePerHour: 1 });
    expect(model.power(0, 1, at)).toBe(7);
    expect(model.sessionComplete?.(0, 10)).toBe(true);
  });

  it('clampedPower keeps any model inside [0, maxKw]', () => {
    const wild: CpModel = { name: 'wild', maxKw: 10, power: (s) => [Number.NaN, -3, 50, 4][s] ?? 0 };
    expect([0, 1, 2, 3].map((s) => clampedPower(wild, s, 0, at))).toEqual([0, 0, 10, 4]);
  });
});
