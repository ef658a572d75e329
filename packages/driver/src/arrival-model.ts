import type { Random } from '@evcharging/core';

/** When drivers arrive: the time of the next arrival after `now` (ms since the epoch), or Infinity. */
export interface ArrivalModel {
  nextArrival(now: number, random: Random): number;
}

/**
 * Relative arrival rate for each hour of the day (0 = 00:00-01:00), shaped after published
 * public-charging arrival curves: quiet at night, a commuter peak at 08:00-09:00, a midday plateau
 * and the highest peak at 17:00-19:00. Illustrative, not fitted to one data set; pass your own.
 */
export const DEFAULT_ARRIVAL_PROFILE: readonly number[] = Object.freeze([
  0.8, 0.5, 0.3, 0.3, 0.4, 0.8, 2.0, 4.5, 6.5, 5.5, 4.5, 4.5, 4.8, 4.8, 4.6, 4.8, 5.5, 7.0, 7.5, 6.0, 4.5,
  3.2, 2.2, 1.4,
]);

export interface TimeOfDayArrivalsOptions {
  /** Expected arrivals per day (the profile only shapes them over the day). */
  perDay: number;
  /** 24 relative weights, one per hour (default {@link DEFAULT_ARRIVAL_PROFILE}). */
  profile?: readonly number[];
  /** Offset of local time from UTC, hours (default 0: the clock's time is local time). */
  utcOffsetHours?: number;
}

const HOUR = 3_600_000;

/**
 * A non-homogeneous Poisson process whose rate is constant within each hour and follows a 24-hour
 * profile. Exact (not thinned): it draws an exponential gap at the current hour's rate and, when
 * the gap crosses into the next hour, restarts there at that hour's rate (the process is memoryless).
 *
 * @example
 * const arrivals = timeOfDayArrivals({ perDay: 3000 });
 * const t = arrivals.nextArrival(clock.now(), random.fork('arrivals'));
 */
export function timeOfDayArrivals(options: TimeOfDayArrivalsOptions): ArrivalModel {
  const profile = options.profile ?? DEFAULT_ARRIVAL_PROFILE;
  if (profile.length !== 24 || profile.some((w) => !(w >= 0) || !Number.isFinite(w))) {
    throw new RangeError('timeOfDayArrivals: profile must have 24 finite weights >= 0, one per hour');
  }
  if (!(options.perDay >= 0) || !Number.isFinite(options.perDay)) {
    throw new RangeError(`timeOfDayArrivals: perDay must be a finite number >= 0, got ${options.perDay}`);
  }
  const total = profile.reduce((a, b) => a + b, 0);
  // Arrivals per ms in each hour.
  const rates = profile.map((w) => (total > 0 ? (options.perDay * w) / total / HOUR : 0));
  if (rates.every((r) => r === 0)) return { nextArrival: () => Number.POSITIVE_INFINITY };
  const offset = (options.utcOffsetHours ?? 0) * HOUR;
  return {
    nextArrival(now: number, random: Random): number {
      let t = now;
      // At most one day of empty hours can pass before a non-zero rate.
      for (let i = 0; i < 10_000; i++) {
        const local = t + offset;
        const hour = Math.floor(local / HOUR);
        const rate = rates[((hour % 24) + 24) % 24]!;
        const hourEnd = (hour + 1) * HOUR - offset;
        if (rate > 0) {
          const gap = random.exponential(rate);
          if (t + gap < hourEnd) return t + gap;
        }
        t = hourEnd;
      }
      return Number.POSITIVE_INFINITY;
    },
  };
}

/** Expected arrivals between two times under a profile (for checks and reports). */
export function expectedArrivals(options: TimeOfDayArrivalsOptions, from: number, to: number): number {
  const profile = options.profile ?? DEFAULT_ARRIVAL_PROFILE;
  const total = profile.reduce((a, b) => a + b, 0);
  const offset = (options.utcOffsetHours ?? 0) * HOUR;
  let sum = 0;
  let t = from;
  while (t < to) {
    const hour = Math.floor((t + offset) / HOUR);
    const end = Math.min(to, (hour + 1) * HOUR - offset);
    const w = profile[((hour % 24) + 24) % 24]!;
    sum += ((options.perDay * w) / total) * ((end - t) / HOUR);
    t = end;
  }
  return sum;
}
