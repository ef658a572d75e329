import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EntryEncoder } from './entry-encoder.js';

const encode = (value: unknown): string => {
  const e = new EntryEncoder();
  e.value(value);
  return Buffer.from(e.bytes()).toString('hex');
};

describe('EntryEncoder', () => {
  it('encodes two values equally exactly when their JSON texts are equal', () => {
    const json = fc.jsonValue({ maxDepth: 4 });
    fc.assert(
      fc.property(json, json, (a, b) => {
        expect(encode(a) === encode(b)).toBe(JSON.stringify(a) === JSON.stringify(b));
        // A copy through JSON (new objects, same text) encodes the same.
        expect(encode(JSON.parse(JSON.stringify(a)))).toBe(encode(a));
      }),
      { numRuns: 300 },
    );
  });

  it('tells apart values that differ in one place: key order, types, nesting, characters', () => {
    const variants: unknown[] = [
      { a: 1, b: 2 },
      { b: 2, a: 1 },
      { a: '1', b: 2 },
      { a: 1, b: 2, c: null },
      { a: [1, 2] },
      { a: [[1], 2] },
      { a: [1, [2]] },
      ['a', 'b'],
      ['ab'],
      { ab: '' },
      { a: 'b' },
      'é',
      'ā',
      'e\u0301',
      0.1 + 0.2,
      0.3,
      true,
      'true',
      null,
      {},
      [],
      '',
    ];
    const seen = new Map<string, unknown>();
    for (const v of variants) {
      const code = encode(v);
      expect(seen.get(code), `${JSON.stringify(v)} collides`).toBeUndefined();
      seen.set(code, v);
    }
  });

  it('treats what JSON drops or nulls the same way, and honours toJSON', () => {
    expect(encode({ a: 1, b: undefined, c: () => 1, d: Symbol('x') })).toBe(encode({ a: 1 }));
    expect(encode([undefined, () => 1, Number.NaN, Number.POSITIVE_INFINITY])).toBe(
      encode([null, null, null, null]),
    );
    expect(encode(-0)).toBe(encode(0));
    const when = new Date(Date.UTC(2026, 0, 1));
    expect(encode({ when })).toBe(encode({ when: '2026-01-01T00:00:00.000Z' }));
    const inherited = Object.create({ hidden: 1 }) as Record<string, unknown>;
    inherited.own = 2;
    expect(encode(inherited)).toBe(encode({ own: 2 }));
  });

  it('throws a TypeError where JSON.stringify throws: a cycle, a BigInt', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(() => encode(cyclic)).toThrow(TypeError);
    expect(() => encode({ n: 10n })).toThrow(TypeError);
  });

  it('grows for large values and long non-Latin-1 strings', () => {
    const big = {
      text: 'x'.repeat(100_000),
      wide: 'ā'.repeat(50_000),
      list: Array.from({ length: 5_000 }, (_, i) => i),
    };
    const e = new EntryEncoder();
    e.value(big);
    expect(e.length).toBeGreaterThan(100_000 + 100_000 + 5_000 * 9);
    expect(encode(big)).toBe(encode(JSON.parse(JSON.stringify(big))));
    expect(encode({ wide: `${'ā'.repeat(49_999)}b` })).not.toBe(encode({ wide: 'ā'.repeat(50_000) }));
  });
});
