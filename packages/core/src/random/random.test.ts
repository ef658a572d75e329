import { describe, expect, it } from 'vitest';
import { hashString, SeededRandom } from './random.js';

const draw = (random: { next(): number }, n: number) => Array.from({ length: n }, () => random.next());

describe('SeededRandom', () => {
  it('gives the same stream for the same seed, a different one for another seed', () => {
    expect(draw(new SeededRandom(42), 50)).toEqual(draw(new SeededRandom(42), 50));
    expect(draw(new SeededRandom('network-a'), 50)).toEqual(draw(new SeededRandom('network-a'), 50));
    expect(draw(new SeededRandom(42), 50)).not.toEqual(draw(new SeededRandom(43), 50));
  });

  it('defaults to a fixed seed', () => {
    expect(draw(new SeededRandom(), 10)).toEqual(draw(new SeededRandom(1), 10));
  });

  it('next() stays in [0, 1) and spreads over it', () => {
    const values = draw(new SeededRandom(7), 10_000);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    const buckets = new Array(10).fill(0);
    for (const v of values) buckets[Math.floor(v * 10)]++;
    for (const b of buckets) expect(b).toBeGreaterThan(850);
  });

  describe('forks', () => {
    it('are stable: the same seed and name give the same stream', () => {
      expect(draw(new SeededRandom(42).fork('arrivals'), 20)).toEqual(
        draw(new SeededRandom(42).fork('arrivals'), 20),
      );
    });

    it("don't depend on how much the parent or a sibling drew", () => {
      const quiet = new SeededRandom(42);
      const busy = new SeededRandom(42);
      draw(busy, 1_000);
      busy.fork('faults').next();
      expect(draw(busy.fork('arrivals'), 20)).toEqual(draw(quiet.fork('arrivals'), 20));
    });

    it('are independent of each other and of the parent', () => {
      const root = new SeededRandom(42);
      const a = draw(root.fork('a'), 20);
      const b = draw(root.fork('b'), 20);
      expect(a).not.toEqual(b);
      expect(a).not.toEqual(draw(new SeededRandom(42), 20));
    });

    it('nest by path and differ from a flat fork of another name', () => {
      const root = new SeededRandom(9);
      const nested = draw(root.fork('fleet').fork('driver-1'), 10);
      expect(nested).toEqual(draw(new SeededRandom(9).fork('fleet').fork('driver-1'), 10));
      expect(nested).not.toEqual(draw(root.fork('driver-1'), 10));
    });
  });

  it('int() covers both bounds inclusively and nothing outside', () => {
    const random = new SeededRandom(3);
    const seen = new Set<number>();
    for (let i = 0; i < 2_000; i++) seen.add(random.int(-2, 3));
    expect([...seen].sort((a, b) => a - b)).toEqual([-2, -1, 0, 1, 2, 3]);
    expect(random.int(5, 5)).toBe(5);
  });

  it('float() stays within [min, max)', () => {
    const random = new SeededRandom(4);
    const values = Array.from({ length: 1_000 }, () => random.float(10, 12.5));
    expect(Math.min(...values)).toBeGreaterThanOrEqual(10);
    expect(Math.max(...values)).toBeLessThan(12.5);
    expect(Math.max(...values)).toBeGreaterThan(12.4);
  });

  it('chance() is true about p of the time, never for 0, always for 1', () => {
    const random = new SeededRandom(5);
    let hits = 0;
    for (let i = 0; i < 10_000; i++) if (random.chance(0.3)) hits++;
    expect(hits / 10_000).toBeCloseTo(0.3, 1);
    for (let i = 0; i < 100; i++) {
      expect(random.chance(0)).toBe(false);
      expect(random.chance(1)).toBe(true);
    }
  });

  it('pick() returns every element over time and throws on an empty list', () => {
    const random = new SeededRandom(6);
    const items = ['CP-001', 'CP-002', 'CP-003'] as const;
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) seen.add(random.pick(items));
    expect([...seen].sort()).toEqual([...items]);
    expect(() => random.pick([])).toThrow(RangeError);
    expect(() => random.pick([])).toThrow(/non-empty/);
  });

  it('exponential() has mean 1/rate and rejects a non-positive rate', () => {
    const random = new SeededRandom(8);
    const n = 20_000;
    let sum = 0;
    let min = Number.POSITIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      const v = random.exponential(1 / 60);
      min = Math.min(min, v);
      sum += v;
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(sum / n).toBeGreaterThan(57);
    expect(sum / n).toBeLessThan(63);
    expect(() => random.exponential(0)).toThrow(/positive rate, got 0/);
    expect(() => random.exponential(-1)).toThrow(RangeError);
    expect(() => random.exponential(Number.NaN)).toThrow(RangeError);
  });

  it('normal() has the given mean and standard deviation', () => {
    const random = new SeededRandom(10);
    const n = 20_000;
    const values = Array.from({ length: n }, () => random.normal(50, 5));
    const mean = values.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / n);
    expect(mean).toBeGreaterThan(49.8);
    expect(mean).toBeLessThan(50.2);
    expect(sd).toBeGreaterThan(4.8);
    expect(sd).toBeLessThan(5.2);
    // About 68 % within one sd.
    const within = values.filter((v) => Math.abs(v - 50) < 5).length / n;
    expect(within).toBeGreaterThan(0.66);
    expect(within).toBeLessThan(0.7);
  });

  it('normal() is reproducible including the cached second value', () => {
    const a = new SeededRandom(11);
    const b = new SeededRandom(11);
    expect(Array.from({ length: 7 }, () => a.normal(0, 1))).toEqual(
      Array.from({ length: 7 }, () => b.normal(0, 1)),
    );
  });

  it('id() is the prefix, a dash and 8 hex digits, reproducible per seed', () => {
    const random = new SeededRandom(12);
    const ids = Array.from({ length: 500 }, () => random.id('req'));
    for (const id of ids) expect(id).toMatch(/^req-[0-9a-f]{8}$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new SeededRandom(12).id('session')).toBe(ids[0]!.replace('req', 'session'));
  });

  it('hashString is FNV-1a and depends on the seed', () => {
    expect(hashString('')).toBe(0x811c9dc5);
    expect(hashString('a')).toBe(0xe40c292c);
    expect(hashString('a', 1)).not.toBe(hashString('a'));
  });
});
