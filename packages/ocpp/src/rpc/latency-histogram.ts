/**
 * Latencies kept as counts in fixed buckets (0.1 ms wide up to 10 ms, 1 ms up to 1 s, 10 ms up to
 * 120 s, then one overflow bucket), so a fleet of 10,000 charge points records millions of calls
 * in 13 KB. A percentile is the upper edge of the bucket holding its rank: within 0.1 ms below
 * 10 ms, 1 ms below 1 s.
 *
 * @example
 * const h = new LatencyHistogram();
 * h.record(3.2);
 * h.percentile(99); // 3.3
 */
/** 0.1 ms buckets below 10 ms, 1 ms below 1 s, 10 ms below 120 s, and one overflow bucket. */
const BUCKETS = 100 + 990 + 11_900 + 1;

export class LatencyHistogram {
  private readonly counts = new Uint32Array(BUCKETS);
  private total = 0;
  private maxMs = 0;
  private sumMs = 0;

  /** Records one latency, ms (negative values count as 0). */
  record(ms: number): void {
    const v = Number.isFinite(ms) ? Math.max(ms, 0) : 0;
    this.counts[bucketOf(v)]!++;
    this.total++;
    this.sumMs += v;
    if (v > this.maxMs) this.maxMs = v;
  }

  get count(): number {
    return this.total;
  }

  get max(): number {
    return this.maxMs;
  }

  get mean(): number {
    return this.total === 0 ? Number.NaN : this.sumMs / this.total;
  }

  /** The p-th percentile (0 < p <= 100), ms; NaN when nothing was recorded. */
  percentile(p: number): number {
    if (this.total === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.total));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(upperEdge(i), this.maxMs);
    }
    return this.maxMs;
  }

  /** Forgets everything recorded (a measurement window starts). */
  clear(): void {
    this.counts.fill(0);
    this.total = 0;
    this.maxMs = 0;
    this.sumMs = 0;
  }

  /** Adds another histogram's counts to this one (fleet totals from per-process figures). */
  merge(other: LatencyHistogram): void {
    for (let i = 0; i < this.counts.length; i++) this.counts[i]! += other.counts[i]!;
    this.total += other.total;
    this.sumMs += other.sumMs;
    if (other.maxMs > this.maxMs) this.maxMs = other.maxMs;
  }

  /** Count, mean, p50, p90, p99, p99.9 and max, ms rounded to 0.1. */
  summary(): LatencySummary {
    const r = (x: number) => (Number.isNaN(x) ? Number.NaN : Math.round(x * 10) / 10);
    return {
      count: this.total,
      mean: r(this.mean),
      p50: r(this.percentile(50)),
      p90: r(this.percentile(90)),
      p99: r(this.percentile(99)),
      p999: r(this.percentile(99.9)),
      max: r(this.maxMs),
    };
  }
}

/** What {@link LatencyHistogram.summary} returns, ms. */
export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

function bucketOf(ms: number): number {
  if (ms < 10) return Math.floor(ms * 10);
  if (ms < 1000) return 100 + Math.floor(ms - 10);
  if (ms < 120_000) return 1090 + Math.floor((ms - 1000) / 10);
  return BUCKETS - 1;
}

function upperEdge(bucket: number): number {
  if (bucket < 100) return (bucket + 1) / 10;
  if (bucket < 1090) return bucket - 100 + 11;
  if (bucket < BUCKETS - 1) return 1000 + (bucket - 1090 + 1) * 10;
  return Number.POSITIVE_INFINITY;
}
