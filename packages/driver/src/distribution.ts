import type { Random } from '@evcharging/core';

/**
 * A log-normal distribution given by its median and the standard deviation of its logarithm,
 * clamped to [min, max]. Session energy and dwell times are right-skewed like this.
 */
export interface LogNormal {
  median: number;
  sigma: number;
  min?: number;
  max?: number;
}

/** Draws one value from a {@link LogNormal}. */
export function sampleLogNormal(random: Random, d: LogNormal): number {
  const value = d.median * Math.exp(random.normal(0, d.sigma));
  return Math.min(d.max ?? Number.POSITIVE_INFINITY, Math.max(d.min ?? 0, value));
}

/** Checks a {@link LogNormal} and names the option when it is wrong. */
export function checkLogNormal(name: string, d: LogNormal): void {
  const ok =
    d.median > 0 &&
    Number.isFinite(d.median) &&
    d.sigma >= 0 &&
    Number.isFinite(d.sigma) &&
    (d.min === undefined || d.min >= 0) &&
    (d.max === undefined || d.max >= (d.min ?? 0));
  if (!ok) {
    throw new RangeError(
      `${name}: expected { median > 0, sigma >= 0, 0 <= min <= max }, got ${JSON.stringify(d)}`,
    );
  }
}
