/**
 * A compact, unambiguous binary encoding of a JSON-like value, for hashing: what two messages
 * encode to is equal exactly when their JSON texts are (same keys in the same order, same values),
 * but writing it costs no number formatting and no string building. Every value starts with a tag
 * byte; strings carry their length; objects and arrays end with their own end tag.
 *
 * - `z` null (also NaN and ±Infinity, and `undefined` or a function in an array, as JSON has them)
 * - `t` / `f` true / false
 * - `d` number: float64, little-endian (-0 is written as 0, as JSON does)
 * - `s` string of Latin-1 characters: uint32 length, one byte each; `u` any other string: uint32
 *   length, two bytes (UTF-16 code unit) each
 * - `o` object: (key string, value)* then `}`; keys with `undefined`, function or symbol values
 *   are skipped and `toJSON` is honoured, as JSON does
 * - `a` array: values, then `]`
 */
const TAG_NULL = 0x7a; // z
const TAG_TRUE = 0x74; // t
const TAG_FALSE = 0x66; // f
const TAG_NUMBER = 0x64; // d
const TAG_LATIN1 = 0x73; // s
const TAG_UTF16 = 0x75; // u
const TAG_OBJECT = 0x6f; // o
const TAG_OBJECT_END = 0x7d; // }
const TAG_ARRAY = 0x61; // a
const TAG_ARRAY_END = 0x5d; // ]

/** Nesting deeper than this is treated as a cycle (JSON.stringify throws on one too). */
const MAX_DEPTH = 256;

/** Writes values into a growing byte buffer; `bytes()` is what was written since `reset()`. */
export class EntryEncoder {
  private buf = new Uint8Array(4096);
  private view = new DataView(this.buf.buffer);
  private pos = 0;

  get length(): number {
    return this.pos;
  }

  reset(): void {
    this.pos = 0;
  }

  /** A view of the bytes written since the last reset (valid until the next write). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  number(value: number): void {
    if (!Number.isFinite(value)) {
      this.ensure(1);
      this.buf[this.pos++] = TAG_NULL;
      return;
    }
    this.ensure(9);
    this.buf[this.pos] = TAG_NUMBER;
    this.view.setFloat64(this.pos + 1, value === 0 ? 0 : value, true);
    this.pos += 9;
  }

  string(value: string): void {
    const n = value.length;
    this.ensure(5 + 2 * n);
    const buf = this.buf;
    const start = this.pos;
    this.view.setUint32(start + 1, n, true);
    let p = start + 5;
    for (let i = 0; i < n; i++) {
      const c = value.charCodeAt(i);
      if (c > 0xff) {
        this.utf16(value, start);
        return;
      }
      buf[p++] = c;
    }
    buf[start] = TAG_LATIN1;
    this.pos = p;
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
        this.ensure(1);
        this.buf[this.pos++] = value ? TAG_TRUE : TAG_FALSE;
        return;
      case 'object':
        if (value === null) {
          this.ensure(1);
          this.buf[this.pos++] = TAG_NULL;
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
        this.ensure(1);
        this.buf[this.pos++] = TAG_NULL;
    }
  }

  private object(value: Record<string, unknown>, depth: number): void {
    this.ensure(1);
    this.buf[this.pos++] = TAG_OBJECT;
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue;
      const v = value[key];
      const type = typeof v;
      if (type === 'undefined' || type === 'function' || type === 'symbol') continue;
      this.string(key);
      this.value(v, depth + 1);
    }
    this.ensure(1);
    this.buf[this.pos++] = TAG_OBJECT_END;
  }

  private array(value: readonly unknown[], depth: number): void {
    this.ensure(1);
    this.buf[this.pos++] = TAG_ARRAY;
    for (let i = 0; i < value.length; i++) this.value(value[i], depth + 1);
    this.ensure(1);
    this.buf[this.pos++] = TAG_ARRAY_END;
  }

  private utf16(value: string, start: number): void {
    const n = value.length;
    this.buf[start] = TAG_UTF16;
    let p = start + 5;
    for (let i = 0; i < n; i++) {
      this.view.setUint16(p, value.charCodeAt(i), true);
      p += 2;
    }
    this.pos = p;
  }

  private ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
}
