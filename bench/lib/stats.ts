/** Small statistics shared by the benches: medians of rounds and percentiles of latencies. */

/** The median of the values (the mean of the middle two of an even count); NaN when there are none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * The geometric mean: the figure for ratios of runs side by side whose cores swap every round (over
 * an even number of rounds a core slower than the other divides out, where a median keeps it).
 */
export function geometricMean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  return Math.exp(values.reduce((sum, v) => sum + Math.log(v), 0) / values.length);
}

/** The p-th percentile (nearest rank) of values already sorted ascending; NaN when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))]!;
}

/** p50, p90, p99, p99.9 and max of unsorted values, in their unit, rounded to 0.1. */
export function latencySummary(
  values: readonly number[],
): Record<'count' | 'p50' | 'p90' | 'p99' | 'p999' | 'max', number> {
  const sorted = Float64Array.from(values).sort();
  const r = (x: number) => Math.round(x * 10) / 10;
  return {
    count: sorted.length,
    p50: r(percentile(sorted, 50)),
    p90: r(percentile(sorted, 90)),
    p99: r(percentile(sorted, 99)),
    p999: r(percentile(sorted, 99.9)),
    max: r(sorted.length ? sorted[sorted.length - 1]! : Number.NaN),
  };
}

/** `pnpm bench:x -- --flag` hands the script a leading `--`. */
export function cliArgs(): string[] {
  return process.argv.slice(2).filter((arg) => arg !== '--');
}
