import { describe, expect, it } from 'vitest';
import { ChargingProfiles } from './charging-profiles.js';
import type { ChargingProfile } from './messages.js';

const T0 = Date.UTC(2026, 0, 1, 8, 0, 0);

function profile(
  overrides: Partial<ChargingProfile> & { periods?: [number, number][]; unit?: 'A' | 'W' },
): ChargingProfile {
  const { periods = [[0, 11_000]], unit = 'W', ...rest } = overrides;
  return {
    chargingProfileId: 1,
    stackLevel: 0,
    chargingProfilePurpose: 'TxProfile',
    chargingProfileKind: 'Relative',
    chargingSchedule: {
      chargingRateUnit: unit,
      chargingSchedulePeriod: periods.map(([startPeriod, limit]) => ({ startPeriod, limit })),
    },
    ...rest,
  };
}

describe('ChargingProfiles: the power limit at an instant', () => {
  const tx = { transactionId: 7, startMs: T0 };

  it('follows a relative schedule from the transaction start, in W or in A at 230 V × phases', () => {
    const p = new ChargingProfiles();
    expect(
      p.install(
        1,
        profile({
          periods: [
            [0, 22_000],
            [600, 7_400],
          ],
        }),
        tx,
      ),
    ).toBe('Accepted');
    expect(p.limitKw(T0, tx)).toBe(22);
    expect(p.limitKw(T0 + 599_000, tx)).toBe(22);
    expect(p.limitKw(T0 + 600_000, tx)).toBe(7.4);
    const amps = new ChargingProfiles();
    amps.install(1, profile({ unit: 'A', periods: [[0, 16]] }), tx);
    expect(amps.limitKw(T0, tx)).toBeCloseTo(11.04, 6);
    const onePhase = new ChargingProfiles({ phases: 1 });
    onePhase.install(1, profile({ unit: 'A', periods: [[0, 32]] }), tx);
    expect(onePhase.limitKw(T0, tx)).toBeCloseTo(7.36, 6);
  });

  it('takes the highest stack level, and the lower of ChargePointMaxProfile and the transaction profile', () => {
    const p = new ChargingProfiles();
    p.install(1, profile({ chargingProfileId: 1, stackLevel: 0, periods: [[0, 20_000]] }), tx);
    p.install(1, profile({ chargingProfileId: 2, stackLevel: 3, periods: [[0, 15_000]] }), tx);
    expect(p.limitKw(T0, tx)).toBe(15);
    const max = profile({
      chargingProfileId: 3,
      chargingProfilePurpose: 'ChargePointMaxProfile',
      chargingProfileKind: 'Absolute',
      chargingSchedule: {
        startSchedule: new Date(T0 - 3600_000).toISOString(),
        chargingRateUnit: 'W',
        chargingSchedulePeriod: [{ startPeriod: 0, limit: 9_000 }],
      },
    });
    expect(p.install(1, max, tx)).toBe('Rejected'); // a max profile belongs to connector 0
    expect(p.install(0, max, tx)).toBe('Accepted');
    expect(p.limitKw(T0, tx)).toBe(9);
    expect(p.limitKw(T0, undefined)).toBe(9); // no transaction: the max alone
    expect(p.clear({ chargingProfilePurpose: 'ChargePointMaxProfile' })).toBe(true);
    expect(p.limitKw(T0, tx)).toBe(15);
    p.endTransaction();
    expect(p.limitKw(T0, tx)).toBeUndefined();
  });

  it('falls back to TxDefaultProfile, honours validity and duration, and repeats a daily schedule', () => {
    const p = new ChargingProfiles();
    const daily = profile({
      chargingProfilePurpose: 'TxDefaultProfile',
      chargingProfileKind: 'Recurring',
      recurrencyKind: 'Daily',
      chargingSchedule: {
        startSchedule: new Date(Date.UTC(2025, 5, 1, 0, 0, 0)).toISOString(),
        duration: 6 * 3600,
        chargingRateUnit: 'W',
        chargingSchedulePeriod: [{ startPeriod: 0, limit: 3_700 }],
      },
    });
    expect(p.install(0, daily, undefined)).toBe('Accepted');
    const night = { transactionId: 1, startMs: Date.UTC(2026, 0, 1, 2, 0, 0) };
    expect(p.limitKw(Date.UTC(2026, 0, 1, 2, 0, 0), night)).toBe(3.7); // 00:00-06:00 every day
    expect(p.limitKw(Date.UTC(2026, 0, 1, 7, 0, 0), night)).toBeUndefined();
    const expired = profile({ chargingProfileId: 9, stackLevel: 5, validTo: new Date(T0 - 1).toISOString() });
    p.install(1, expired, tx);
    expect(p.limitKw(T0, tx)).toBeUndefined();
  });

  it('rejects a TxProfile without a transaction or for another one, and bounds how many are kept', () => {
    const p = new ChargingProfiles({ maxProfiles: 2 });
    expect(p.install(1, profile({}), undefined)).toBe('Rejected');
    expect(p.install(1, profile({ transactionId: 8 }), tx)).toBe('Rejected');
    expect(p.install(1, profile({ chargingProfileId: 1, stackLevel: 0 }), tx)).toBe('Accepted');
    expect(p.install(1, profile({ chargingProfileId: 2, stackLevel: 1 }), tx)).toBe('Accepted');
    expect(p.install(1, profile({ chargingProfileId: 3, stackLevel: 2 }), tx)).toBe('Rejected');
    expect(p.install(1, profile({ chargingProfileId: 1, stackLevel: 0, periods: [[0, 5_000]] }), tx)).toBe(
      'Accepted',
    ); // the same id replaces
    expect(p.size).toBe(2);
    expect(p.clear({ id: 42 })).toBe(false);
  });
});
