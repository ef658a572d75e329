/**
 * A 64-bit digest of one event-log entry, computed while walking its fields and value: no bytes
 * are written and nothing is copied. Two values get the same digest when their JSON texts are equal
 * (same keys in the same order, same values) and, otherwise, different ones but for a chance of
 * about 2^-64. It is no cryptographic hash (nobody forges simulation messages); the event log feeds
 * the digests to SHA-256.
 *
 * The value is read as JSON reads it: a tag word per value but strings, numbers as their tag and
 * the two words of their float64 (-0 as 0), strings as the two words of their own 64-bit digest (of
 * their length then two UTF-16 code units per word), NaN and ±Infinity as null, `undefined`,
 * functions and symbols skipped in objects and null in arrays, `toJSON` honoured. An object is its
 * values between two tags, then its shape: the digest of its field names in order and their count.
 * The entry runs in two 32-bit lanes: a tag goes into both, a pair of words one into each; each step
 * is a bijection of its lane (xor or add the word, multiply by an odd constant, xorshift), so two
 * entries that differ in just one word never collide.
 *
 * A string's digest is read from a memo where the previous entry of the same message key had the
 * same string at the same place (`StringMemo`), or where the last string of its length digested was
 * the same: a key's messages repeat most of their strings, and reading characters was most of a
 * digest's cost. So is an object's shape, when a flat entry has the same field names as the key's
 * last one. Neither changes a digest, only how soon it is known.
 *
 * A whole entry whose value is a flat plain object (fields of strings, numbers, booleans, null or
 * undefined: every telemetry reading, every in-progress update) is digested in one loop that keeps
 * the two lanes in local variables ({@link EntryHasher.entry}); as fields, most lane words would be
 * boxed doubles, converted at every step. Any other value takes the general walk, to the same digest.
 */
import { FIELDS, HEADER, HEADER_KEPT, SHAPE, STRIDE, type StringMemo } from './string-memo.js';

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
/** The seeds of an object's shape (its field names), apart from the entry's. */
const SHAPE_A = 0x9747_b28c;
const SHAPE_B = 0x1b87_3593;

/** Strings longer than this are not memoised (long texts rarely repeat; a memo would keep them alive). */
const MEMO_MAX_LENGTH = 256;
/** Places of an entry memoised per key: the entry's first strings, a flat entry's first 29 fields. */
const MEMO_SLOTS = 64;
/** What holds a memo place without a string: no string equals it, nor any field count (a shape). */
const NO_STRING = -1;
/** Where a number's float64 is read as two words, low word first on any machine (so hashes agree). */
const FLOAT = new Float64Array(1);
const FLOAT_WORDS = new Uint32Array(FLOAT.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const LOW_WORD = LITTLE_ENDIAN ? 0 : 1;
const HIGH_WORD = 1 - LOW_WORD;
/** The last string of each length digested is kept by length modulo 16. */
const RECENT_MASK = 15;

/** Nesting deeper than this is treated as a cycle (JSON.stringify throws on one). */
const MAX_DEPTH = 256;

export class EntryHasher {
  private a = SEED_A;
  private b = SEED_B;
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
    // This walk puts strings where a flat entry keeps its header and shape: they no longer hold.
    if (memo !== undefined) {
      if (memo.length > HEADER) memo[HEADER] = NO_STRING;
      if (memo.length > SHAPE) memo[SHAPE] = NO_STRING;
    }
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
    FLOAT[0] = value === 0 ? 0 : value;
    this.word(TAG_NUMBER);
    this.pair(FLOAT_WORDS[LOW_WORD]!, FLOAT_WORDS[HIGH_WORD]!);
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
   * Digests one whole entry: the same digest as `reset(memo)`, `string(node)`, `string(topic)`,
   * `string(key)`, `number(time)`, `value(value)`, in one loop when `value` is a flat plain object.
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
    this.string(node);
    this.string(topic);
    this.string(key);
    this.number(time);
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

  /**
   * {@link entry}'s loop for a flat plain object; false (nothing digested) for any other value. Its
   * lanes take one pair of words per step at one place in the field loop: V8 inlines a function's
   * calls of `mixA` and `mixB` only up to a budget, and a call per word costs more than the mixing.
   */
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
    this.memo = memo;
    let a: number;
    let b: number;
    if (
      memo !== undefined &&
      memo[HEADER] === HEADER_KEPT &&
      memo[0] === node &&
      memo[STRIDE] === topic &&
      memo[2 * STRIDE] === key
    ) {
      a = memo[HEADER + 1] as number;
      b = memo[HEADER + 2] as number;
    } else {
      this.header(memo, node, topic, key);
      a = words[0]!;
      b = words[1]!;
    }
    FLOAT[0] = time === 0 ? 0 : time;
    a = mixA(mixA(mixA(a, TAG_NUMBER), FLOAT_WORDS[LOW_WORD]!), TAG_OBJECT);
    b = mixB(mixB(mixB(b, TAG_NUMBER), FLOAT_WORDS[HIGH_WORD]!), TAG_OBJECT);
    // Field i's name has its place in the memo at FIELDS + 2 * STRIDE * i, its string value the next.
    let at = FIELDS;
    let count = 0;
    // Whether every name so far is the one at its place in the key's last flat entry.
    let sameNames = memo !== undefined;
    for (const name in record) {
      const v = record[name];
      const type = typeof v;
      if (type === 'undefined') continue; // JSON drops the field
      if (sameNames && memo![at] !== name) sameNames = false;
      // The step's two words: a tag in both lanes, or a string's digest, or a number's float64
      // (after its tag, the one step outside this place).
      let wa: number;
      let wb: number;
      if (type === 'string') {
        const valueAt = at + STRIDE;
        if (memo !== undefined && memo[valueAt] === v) {
          wa = memo[valueAt + 1] as number;
          wb = memo[valueAt + 2] as number;
        } else {
          this.unmemoised(v as string, memo, valueAt);
          wa = words[0]!;
          wb = words[1]!;
        }
      } else if (type === 'number' && Number.isFinite(v)) {
        a = mixA(a, TAG_NUMBER);
        b = mixB(b, TAG_NUMBER);
        FLOAT[0] = v === 0 ? 0 : (v as number);
        wa = FLOAT_WORDS[LOW_WORD]!;
        wb = FLOAT_WORDS[HIGH_WORD]!;
      } else if (type === 'boolean') wa = wb = v ? TAG_TRUE : TAG_FALSE;
      else if (v === null || (type === 'number' && !freeze))
        wa = wb = TAG_NULL; // NaN, ±Infinity
      else return false; // the general walk
      a = mixA(a, wa);
      b = mixB(b, wb);
      at += 2 * STRIDE;
      count++;
    }
    a = mixA(a, TAG_OBJECT_END);
    b = mixB(b, TAG_OBJECT_END);
    if (sameNames && memo![SHAPE] === count) {
      this.a = mixA(a, memo![SHAPE + 1] as number);
      this.b = mixB(b, memo![SHAPE + 2] as number);
    } else {
      this.flatShape(record, memo, count);
      this.a = mixA(a, words[0]!);
      this.b = mixB(b, words[1]!);
    }
    if (freeze) Object.freeze(record);
    return true;
  }

  /**
   * Puts the lanes after a flat entry's node, topic and key in {@link words}, and keeps them in the
   * key's memo for its next entry from the same node on the same topic.
   */
  private header(memo: StringMemo | undefined, node: string, topic: string, key: string): void {
    const words = this.words;
    this.stringWords(node, 0);
    let a = mixA(SEED_A, words[0]!);
    let b = mixB(SEED_B, words[1]!);
    this.stringWords(topic, STRIDE);
    a = mixA(a, words[0]!);
    b = mixB(b, words[1]!);
    this.stringWords(key, 2 * STRIDE);
    this.keep(memo, HEADER, HEADER_KEPT, mixA(a, words[0]!), mixB(b, words[1]!));
  }

  /**
   * Puts the shape of a flat entry's value (see {@link object}) in {@link words}, and keeps it in
   * the key's memo with the field names at their places, for the key's next entry with them.
   */
  private flatShape(record: Record<string, unknown>, memo: StringMemo | undefined, count: number): void {
    const words = this.words;
    let a = SHAPE_A;
    let b = SHAPE_B;
    let at = FIELDS;
    for (const name in record) {
      if (record[name] === undefined) continue;
      this.stringWords(name, at);
      a = mixA(a, words[0]!);
      b = mixB(b, words[1]!);
      at += 2 * STRIDE;
    }
    a = mixA(a, count);
    b = mixB(b, count);
    this.keep(memo, SHAPE, count, finalHigh(a, b), finalLow(a, b));
  }

  /**
   * Puts two words in {@link words}, and keeps them in `memo` (if any, and `place` is one it has)
   * after `mark`: a string, whose digest they are, or the number that marks a header or a shape.
   */
  private keep(
    memo: StringMemo | undefined,
    place: number,
    mark: string | number,
    first: number,
    second: number,
  ): void {
    if (memo !== undefined && place < STRIDE * MEMO_SLOTS) {
      reserve(memo, place);
      memo[place] = mark;
      memo[place + 1] = first;
      memo[place + 2] = second;
    }
    this.words[0] = first;
    this.words[1] = second;
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
    // A long string keeps its place with a number, which no string equals.
    this.keep(memo, at, n <= MEMO_MAX_LENGTH ? value : NO_STRING, high, low);
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

  /**
   * An object: its tag, its values, its end tag, then its shape, the digest of its field names (in
   * order) and their count, in lanes of their own. A flat entry finds the shape in its key's memo
   * when its names are the last entry's; written apart from the values, the shape costs nothing
   * more then.
   */
  private object(value: Record<string, unknown>, depth: number): void {
    this.word(TAG_OBJECT);
    // for-in also yields inherited enumerable keys, which JSON skips; a plain object has none.
    const proto = Object.getPrototypeOf(value) as unknown;
    const plain = proto === Object.prototype || proto === null;
    let a = SHAPE_A;
    let b = SHAPE_B;
    let count = 0;
    for (const key in value) {
      if (!plain && !Object.hasOwn(value, key)) continue;
      const v = value[key];
      const type = typeof v;
      if (type === 'undefined' || type === 'function' || type === 'symbol') continue;
      const at = this.slot;
      this.slot = at + STRIDE;
      this.stringWords(key, at);
      a = mixA(a, this.words[0]!);
      b = mixB(b, this.words[1]!);
      count++;
      // Strings and numbers, most fields, here rather than through value(), which is not inlined.
      if (type === 'string') this.string(v as string);
      else if (type === 'number') this.number(v as number);
      else this.value(v, depth + 1);
    }
    this.word(TAG_OBJECT_END);
    a = mixA(a, count);
    b = mixB(b, count);
    this.pair(finalHigh(a, b), finalLow(a, b));
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

/** Fills a memo up to (not including) `at` with {@link NO_STRING}: an array without holes. */
function reserve(memo: StringMemo, at: number): void {
  while (memo.length < at) memo.push(NO_STRING);
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
