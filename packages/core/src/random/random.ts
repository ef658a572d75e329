import { flatText } from '../text/flat-text.js';

/**
 * Seeded pseudo-random numbers (sfc32). `fork(name)` derives an independent stream from the seed and
 * a name, so adding a component never shifts the numbers another component draws.
 *
 * @example
 * const random = new SeededRandom(42);
 * const arrivals = random.fork('arrivals');
 * arrivals.exponential(1 / 60); // seconds to the next arrival at one per minute
 */
export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max]. */
  int(min: number, max: number): number;
  /** A float in [min, max). */
  float(min: number, max: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** Exponentially distributed value with the given rate (mean 1/rate). */
  exponential(rate: number): number;
  /** Normally distributed value. */
  normal(mean: number, sd: number): number;
  /** An id such as `req-1a2b3c4d` (prefix, dash, 8 hex digits). */
  id(prefix: string): string;
  /** An independent stream named `name`, the same for the same seed and name. */
  fork(name: string): Random;
}

/** FNV-1a 32-bit hash of a string, mixed with a seed. */
export function hashString(text: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export class SeededRandom implements Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spareNormal: number | undefined;

  constructor(
    readonly seed: number | string = 1,
    private readonly path = '',
  ) {
    const base = hashString(`${String(seed)}/${path}`);
    this.a = base;
    this.b = hashString('b', base);
    this.c = hashString('c', base);
    this.d = hashString('d', base);
    for (let i = 0; i < 15; i++) this.next();
  }

  next(): number {
    // sfc32: small, fast and passes PractRand for this use.
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) >>> 0;
    return t / 4294967296;
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  float(min: number, max: number): number {
    return min + this.next() * (max - min);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('Random.pick needs a non-empty list');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  exponential(rate: number): number {
    if (!(rate > 0)) throw new RangeError(`Random.exponential needs a positive rate, got ${rate}`);
    return -Math.log(1 - this.next()) / rate;
  }

  normal(mean: number, sd: number): number {
    if (this.spareNormal !== undefined) {
      const z = this.spareNormal;
      this.spareNormal = undefined;
      return mean + sd * z;
    }
    let u = 0;
    let v = 0;
    let s = 0;
    do {
      u = this.next() * 2 - 1;
      v = this.next() * 2 - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spareNormal = v * f;
    return mean + sd * u * f;
  }

  id(prefix: string): string {
    const n = Math.floor(this.next() * 4294967296);
    return flatText(prefix, '-', n.toString(16).padStart(8, '0'));
  }

  fork(name: string): Random {
    return new SeededRandom(this.seed, this.path ? `${this.path}/${name}` : name);
  }
}
