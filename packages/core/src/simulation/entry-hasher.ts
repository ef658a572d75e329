/**
 * A 64-bit digest of one event-log entry, computed while walking its fields and value: no bytes
 * are written and nothing is copied. Two values get the same digest when their JSON texts are equal
 * (same keys in the same order, same values) and, otherwise, different ones but for a chance of
 * about 2^-64. It is no cryptographic hash (nobody forges simulation messages); the event log feeds
 * the digests to SHA-256.
 *
 * The value is read as JSON reads it: a tag word per value but strings, numbers as their tag and
 * the two words of their float64 (-0 as 0), strings (keys too) as the two words of their own 64-bit
 * digest (of their length then two UTF-16 code units per word), NaN and ±Infinity as null,
 * `undefined`, functions and symbols skipped in objects and null in arrays, `toJSON` honoured. The
 * entry runs in two 32-bit lanes: a tag goes into both, a pair of words one into each; each step
 * is a bijection of its lane (xor or add the word, multiply by an odd constant, xorshift), so two
 * entries that differ in just one word never collide.
 *
 * A string's digest is read from a memo where the previous entry of the same message key had the
 * same string at the same position (`StringMemo`), or where the last string of its length digested
 * was the same: a key's messages repeat most of their strings, and reading characters was most of
 * a digest's cost. Neither changes a digest, only how soon it is known.
 *
 * A whole entry whose value is a flat plain object (fields of strings, numbers, booleans, null or
 * undefined: every telemetry reading, every in-progress update) is digested in one loop that keeps
 * the two lanes in local variables ({@link EntryHasher.entry}); as fields, most lane words would be
 * boxed doubles, converted at every step. Any other value takes the general walk, to the same digest.
 */
import { STRIDE, type StringMemo } from './string-memo.js';

const TAG_NULL = 0x6e75_6c6c;
const TAG_TRUE = 0x7472_7565;
const TAG_FALSE = 0x6661_6c73;
const TAG_NUMBER = 0x6e75_6d62;
const TAG_OBJECT = 0x6f62_6a65;
const TAG_OBJECT_END = 0x6f62_6a7d;
const TAG_ARRAY = 0x6172_7261;
const TAG_ARRAY_END = 0x6172_725d;

const SEED_A = 0x811c_9dc5;
const SEED_B = 0x2545_f491;
const MUL_A = 0x0100_0193;
const MUL_B = 0x5bd1_e995;

/** Strings longer than this are not memoised (long texts rarely repeat; a memo would keep them alive). */
const MEMO_MAX_LENGTH = 256;
/** Positions of an entry memoised per key: its first 64 strings. */
const MEMO_SLOTS = 64;
/** The last string of each length digested is kept by length modulo 16. */
const RECENT_MASK = 15;

/** Nesting deeper than this is treated as a cycle (JSON.stringify throws on one). */
const MAX_DEPTH = 256;

export class EntryHasher {
  private a = SEED_A;
  private b = SEED_B;
  /** Reads a float64 as two words, little-endian on any machine (so hashes agree across machines). */
  private readonly view = new DataView(new ArrayBuffer(8));
  /** The digest of the last string looked up ({@link stringWords}): high word, low word. */
  private readonly words = new Int32Array(2);

  /** The memo of the entry's key, if any, and where the entry's next string goes in it. */
  private memo: StringMemo | undefined;
  private slot = 0;
  /** The last string of each length (modulo 16) digested, with its digest. */
  private readonly recentStrings: (string | undefined)[] = new Array(RECENT_MASK + 1).fill(undefined);
  private readonly recentHigh: number[] = new Array(RECENT_MASK + 1).fill(0);
  private readonly recentLow: number[] = new Array(RECENT_MASK + 1).fill(0);

  /**
   * Starts a new entry; `memo` (that of the entry's message key: see `StringMemos`) makes the
   * strings it repeats from the key's last entry cheaper, without changing the digest.
   */
  reset(memo?: StringMemo): void {
    this.a = SEED_A;
    this.b = SEED_B;
    this.memo = memo;
    this.slot = 0;
  }

  /** The entry's digest so far, high word: call {@link low} too. */
  high(): number {
    return finalHigh(this.a, this.b) >>> 0;
  }

  low(): number {
    return finalLow(this.a, this.b) >>> 0;
  }

  number(value: number): void {
    if (!Number.isFinite(value)) {
      this.word(TAG_NULL);
      return;
    }
    this.view.setFloat64(0, value === 0 ? 0 : value, true);
    this.word(TAG_NUMBER);
    this.pair(this.view.getUint32(0, true), this.view.getUint32(4, true));
  }

  /**
   * A string: its own 64-bit digest (of its length and characters, two UTF-16 code units per word),
   * a word in each lane, read from the key's memo when the string at this position was equal last
   * time, else from the last string of its length digested, else computed.
   */
  string(value: string): void {
    const at = this.slot;
    this.slot = at + STRIDE;
    this.stringWords(value, at);
    this.pair(this.words[0]!, this.words[1]!);
  }

  /**
   * Digests one whole entry: the same digest as `reset(memo)`, `number(time)`, `string(node)`,
   * `string(topic)`, `string(key)`, `value(value)`, in one loop when `value` is a flat plain object.
   */
  entry(
    memo: StringMemo | undefined,
    time: number,
    node: string,
    topic: string,
    key: string,
    value: unknown,
  ): void {
    if (this.flatEntry(memo, time, node, topic, key, value, false)) return;
    this.reset(memo);
    this.number(time);
    this.string(node);
    this.string(topic);
    this.string(key);
    this.value(value);
  }

  /**
   * As {@link entry}, for a value that is to be shared frozen (the memory transport's simulation
   * lane), and only when it is a flat plain object whose fields JSON carries as they are (no NaN or
   * ±Infinity): the same walk then also freezes it. Returns false, having frozen and digested
   * nothing, for any other value; the caller then freezes and checks it its own way, and calls
   * {@link entry}.
   */
  frozenEntry(
    memo: StringMemo | undefined,
    time: number,
    node: string,
    topic: string,
    key: string,
    value: unknown,
  ): boolean {
    return this.flatEntry(memo, time, node, topic, key, value, true);
  }

  /** {@link entry}'s loop for a flat plain object; false (nothing digested) for any other value. */
  private flatEntry(
    memo: StringMemo | undefined,
    time: number,
    node: string,
    topic: string,
    key: string,
    value: unknown,
    freeze: boolean,
  ): boolean {
    if (typeof value !== 'object' || value === null || !Number.isFinite(time)) return false;
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) return false; // an array, a Date, a class instance
    const record = value as Record<string, unknown>;
    const words = this.words;
    const view = this.view;
    this.memo = memo;
    view.setFloat64(0, time === 0 ? 0 : time, true);
    let a = mixA(mixA(SEED_A, TAG_NUMBER), view.getUint32(0, true));
    let b = mixB(mixB(SEED_B, TAG_NUMBER), view.getUint32(4, true));
    this.stringWords(node, 0);
    a = mixA(a, words[0]!);
    b = mixB(b, words[1]!);
    this.stringWords(topic, STRIDE);
    a = mixA(a, words[0]!);
    b = mixB(b, words[1]!);
    this.stringWords(key, 2 * STRIDE);
    a = mixA(mixA(a, words[0]!), TAG_OBJECT);
    b = mixB(mixB(b, words[1]!), TAG_OBJECT);
    let at = 3 * STRIDE;
    for (const name in record) {
      const v = record[name];
      const type = typeof v;
      if (type === 'undefined') continue; // JSON drops the field
      // The one word of a value without a digest of its own; 0 for a string or a finite number.
      let tag = 0;
      if (type === 'boolean') tag = v ? TAG_TRUE : TAG_FALSE;
      else if (v === null || (type === 'number' && !Number.isFinite(v) && !freeze)) tag = TAG_NULL;
      else if (type !== 'string' && !(type === 'number' && Number.isFinite(v))) return false; // the general walk
      this.stringWords(name, at);
      at += STRIDE;
      a = mixA(a, words[0]!);
      b = mixB(b, words[1]!);
      if (tag !== 0) {
        a = mixA(a, tag);
        b = mixB(b, tag);
      } else if (type === 'string') {
        this.stringWords(v as string, at);
        at += STRIDE;
        a = mixA(a, words[0]!);
        b = mixB(b, words[1]!);
      } else {
        view.setFloat64(0, v === 0 ? 0 : (v as number), true);
        a = mixA(mixA(a, TAG_NUMBER), view.getUint32(0, true));
        b = mixB(mixB(b, TAG_NUMBER), view.getUint32(4, true));
      }
    }
    this.a = mixA(a, TAG_OBJECT_END);
    this.b = mixB(b, TAG_OBJECT_END);
    if (freeze) Object.freeze(record);
    return true;
  }

  /**
   * Puts the digest of `value`, the entry's string at memo position `at`, in {@link words}: read
   * from the key's memo when the string at this position was equal last time, else from the last
   * string of its length digested, else computed (and memoised).
   */
  private stringWords(value: string, at: number): void {
    const memo = this.memo;
    if (memo !== undefined && memo[at] === value) {
      this.words[0] = memo[at + 1] as number;
      this.words[1] = memo[at + 2] as number;
    } else this.unmemoised(value, memo, at);
  }

  /** A string the key's memo does not have at this position (kept apart so `stringWords` inlines). */
  private unmemoised(value: string, memo: StringMemo | undefined, at: number): void {
    const n = value.length;
    let high: number;
    let low: number;
    const recent = n & RECENT_MASK;
    if (this.recentStrings[recent] === value) {
      high = this.recentHigh[recent]!;
      low = this.recentLow[recent]!;
    } else {
      let a = mixA(SEED_A, n);
      let b = mixB(SEED_B, n);
      let i = 0;
      for (; i + 1 < n; i += 2) {
        const w = value.charCodeAt(i) | (value.charCodeAt(i + 1) << 16);
        a = mixA(a, w);
        b = mixB(b, w);
      }
      if (i < n) {
        const w = value.charCodeAt(i);
        a = mixA(a, w);
        b = mixB(b, w);
      }
      high = finalHigh(a, b);
      low = finalLow(a, b);
      if (n <= MEMO_MAX_LENGTH) {
        this.recentStrings[recent] = value;
        this.recentHigh[recent] = high;
        this.recentLow[recent] = low;
      }
    }
    if (memo !== undefined && at <= memo.length && at < STRIDE * MEMO_SLOTS) {
      // A long string keeps its place with a number, which no string equals.
      const kept = n <= MEMO_MAX_LENGTH;
      memo[at] = kept ? value : 0;
      memo[at + 1] = kept ? high : 0;
      memo[at + 2] = kept ? low : 0;
    }
    this.words[0] = high;
    this.words[1] = low;
  }

  /** Any JSON-like value. Throws a TypeError where JSON.stringify would (cycles, BigInt). */
  value(value: unknown, depth = 0): void {
    switch (typeof value) {
      case 'string':
        this.string(value);
        return;
      case 'number':
        this.number(value);
        return;
      case 'boolean':
        this.word(value ? TAG_TRUE : TAG_FALSE);
        return;
      case 'object':
        if (value === null) {
          this.word(TAG_NULL);
          return;
        }
        if (depth >= MAX_DEPTH) throw new TypeError('event log: value is cyclic or nested too deeply');
        if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
          this.value((value as { toJSON: () => unknown }).toJSON(), depth + 1);
          return;
        }
        if (Array.isArray(value)) this.array(value, depth);
        else this.object(value as Record<string, unknown>, depth);
        return;
      case 'bigint':
        throw new TypeError('event log: a BigInt cannot be serialized');
      default:
        // undefined, function, symbol: JSON has no value for them (an array holds null instead).
        this.word(TAG_NULL);
    }
  }

  private object(value: Record<string, unknown>, depth: number): void {
    this.word(TAG_OBJECT);
    // for-in also yields inherited enumerable keys, which JSON skips; a plain object has none.
    const proto = Object.getPrototypeOf(value) as unknown;
    const plain = proto === Object.prototype || proto === null;
    for (const key in value) {
      if (!plain && !Object.hasOwn(value, key)) continue;
      const v = value[key];
      const type = typeof v;
      // Strings and numbers, most fields, here rather than through value(), which is not inlined.
      if (type === 'string') {
        this.string(key);
        this.string(v as string);
      } else if (type === 'number') {
        this.string(key);
        this.number(v as number);
      } else if (type !== 'undefined' && type !== 'function' && type !== 'symbol') {
        this.string(key);
        this.value(v, depth + 1);
      }
    }
    this.word(TAG_OBJECT_END);
  }

  private array(value: readonly unknown[], depth: number): void {
    this.word(TAG_ARRAY);
    for (let i = 0; i < value.length; i++) this.value(value[i], depth + 1);
    this.word(TAG_ARRAY_END);
  }

  /** A word into both lanes (a tag). */
  private word(w: number): void {
    this.a = mixA(this.a, w);
    this.b = mixB(this.b, w);
  }

  /** Two words, one per lane: a string's digest, a number's float64. */
  private pair(forA: number, forB: number): void {
    this.a = mixA(this.a, forA);
    this.b = mixB(this.b, forB);
  }
}

/** One step of lane a: xor the word in, multiply, xorshift (each a bijection of the lane). */
function mixA(h: number, w: number): number {
  const m = Math.imul(h ^ w, MUL_A);
  return m ^ (m >>> 15);
}

/** One step of lane b: add the word, multiply, xorshift, with other constants than lane a. */
function mixB(h: number, w: number): number {
  const m = Math.imul((h + w) | 0, MUL_B);
  return m ^ (m >>> 13);
}

/** The high word of a digest from its two lanes. */
function finalHigh(a: number, b: number): number {
  return fmix(a ^ Math.imul(b, 0x9e37_79b1));
}

/** The low word of a digest from its two lanes. */
function finalLow(a: number, b: number): number {
  return fmix(b ^ Math.imul(a, 0x85eb_ca77));
}

/** Murmur3's finalizer: every input bit reaches every output bit. */
function fmix(h: number): number {
  let x = h ^ (h >>> 16);
  x = Math.imul(x, 0x85eb_ca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2_ae35);
  return x ^ (x >>> 16);
}
