import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EntryHasher } from './entry-hasher.js';
import { type StringMemo, StringMemos } from './string-memo.js';

const code = (h: EntryHasher): string => `${h.high().toString(16)}:${h.low().toString(16)}`;

const digest = (value: unknown): string => {
  const h = new EntryHasher();
  h.value(value);
  return code(h);
};

describe('EntryHasher', () => {
  it('digests two values equally exactly when their JSON texts are equal', () => {
    const json = fc.jsonValue({ maxDepth: 4 });
    fc.assert(
      fc.property(json, json, (a, b) => {
        expect(digest(a) === digest(b)).toBe(JSON.stringify(a) === JSON.stringify(b));
        // A copy through JSON (new objects, same text) digests the same.
        expect(digest(JSON.parse(JSON.stringify(a)))).toBe(digest(a));
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
      'ab',
      'ba',
      'abc',
      'a\u0000',
      0.1 + 0.2,
      0.3,
      1,
      2 ** 32 + 1,
      -1,
      true,
      'true',
      null,
      {},
      [],
      '',
    ];
    const seen = new Map<string, unknown>();
    for (const v of variants) {
      const code = digest(v);
      expect(seen.get(code), `${JSON.stringify(v)} collides`).toBeUndefined();
      seen.set(code, v);
    }
  });

  it('spreads near-identical messages over the whole 64 bits: no collision among 200,000', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200_000; i++) {
      seen.add(
        digest({ cp_id: `CP-${i % 1000}`, kw: 22, kwh: i / 1000, euros: i % 7, session_id: `s-${i}` }),
      );
    }
    expect(seen.size).toBe(200_000);
  });

  it('treats what JSON drops or nulls the same way, and honours toJSON', () => {
    expect(digest({ a: 1, b: undefined, c: () => 1, d: Symbol('x') })).toBe(digest({ a: 1 }));
    expect(digest([undefined, () => 1, Number.NaN, Number.POSITIVE_INFINITY])).toBe(
      digest([null, null, null, null]),
    );
    expect(digest(-0)).toBe(digest(0));
    const when = new Date(Date.UTC(2026, 0, 1));
    expect(digest({ when })).toBe(digest({ when: '2026-01-01T00:00:00.000Z' }));
    const inherited = Object.create({ hidden: 1 }) as Record<string, unknown>;
    inherited.own = 2;
    expect(digest(inherited)).toBe(digest({ own: 2 }));
  });

  it('throws a TypeError where JSON.stringify throws: a cycle, a BigInt', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(() => digest(cyclic)).toThrow(TypeError);
    expect(() => digest({ n: 10n })).toThrow(TypeError);
  });

  it('digests large values and long non-Latin-1 strings, telling them apart by their last character', () => {
    const big = {
      text: 'x'.repeat(100_000),
      wide: 'ā'.repeat(50_000),
      list: Array.from({ length: 5_000 }, (_, i) => i),
    };
    expect(digest(big)).toBe(digest(JSON.parse(JSON.stringify(big))));
    expect(digest({ wide: `${'ā'.repeat(49_999)}b` })).not.toBe(digest({ wide: 'ā'.repeat(50_000) }));
  });

  it('digests alike with a stream memo, without one, and whatever the memo saw before', () => {
    const values = fc.array(fc.jsonValue({ maxDepth: 3 }), { minLength: 1, maxLength: 8 });
    fc.assert(
      fc.property(values, (list) => {
        const memo: StringMemo = [];
        const h = new EntryHasher();
        for (const value of list) {
          h.reset(memo);
          h.value(value);
          expect(code(h)).toBe(digest(value));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('reads a repeated string from the memo only when it is the same string at the same place', () => {
    // Equal lengths share a slot of the recent-strings cache; equal places share a memo slot.
    const sequence = [
      { cp_id: 'CP-1', ts: '2026-01-01T00:00:01.000Z', kw: 22 },
      { cp_id: 'CP-2', ts: '2026-01-01T00:00:01.000Z', kw: 22 },
      { cp_id: 'CP-2', ts: '2026-01-01T00:00:02.000Z', kw: 11 },
      { ts: 'CP-2', cp_id: '2026-01-01T00:00:02.000Z', kw: 11 },
      { cp_id: 'CP-1', ts: '2026-01-01T00:00:01.000Z', kw: 22 },
      ['CP-1', 'CP-1', 'CP-2', 'CP-1'],
    ];
    const memo: StringMemo = [];
    const h = new EntryHasher();
    const codes = sequence.map((value) => {
      h.reset(memo);
      h.value(value);
      return code(h);
    });
    expect(codes).toEqual(sequence.map(digest));
    expect(new Set(codes).size).toBe(sequence.length - 1); // the first and fifth are equal
    expect(codes[4]).toBe(codes[0]);
  });
});

/** A flat field value: what the one-loop walk takes, and the odd numbers JSON turns into null. */
const flatField = fc.oneof(
  fc.string(),
  fc.double(),
  fc.constantFrom(-0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
);
const flatValue = fc.dictionary(fc.constantFrom('cp_id', 'kw', 'ts', 'a', 'b', 'é', ''), flatField);

/** An entry's digest by the general walk, field after field (node `n`, topic `cp.telemetry` by default). */
const walked = (time: number, key: string, value: unknown, node = 'n', topic = 'cp.telemetry') => {
  const h = new EntryHasher();
  h.reset();
  h.string(node);
  h.string(topic);
  h.string(key);
  h.number(time);
  h.value(value);
  return code(h);
};

describe('EntryHasher.entry', () => {
  it('digests a flat entry in one loop exactly as the general walk does, with or without a memo', () => {
    const entries = fc.array(
      fc.record({ time: fc.double(), key: fc.constantFrom('CP-1', 'CP-2', 'é'), value: flatValue }),
      { minLength: 1, maxLength: 12 },
    );
    fc.assert(
      fc.property(entries, (list) => {
        const memos = new StringMemos();
        const h = new EntryHasher();
        for (const { time, key, value } of list) {
          h.entry(memos.of(key), time, 'n', 'cp.telemetry', key, value);
          expect(code(h)).toBe(walked(time, key, value));
        }
      }),
      { numRuns: 300 },
    );
  });

  it("reuses a key's shape only while its names are the same, whatever the walks before", () => {
    // Flat entries and general walks alternate on one key's memo; names move between places.
    const sequence: unknown[] = [
      { x: 'y', z: 1 },
      { x: 1, y: 2 },
      { x: 'y', z: 1 },
      { a: 1, b: 2 },
      { a: 1 },
      { a: 1, b: 2 },
      { b: 1, a: 2 },
      { a: { b: 1 } },
      { b: 1, a: 2 },
      { a: 'b', b: 'a' },
      ['a', 'b'],
      { a: 'b', b: 'a' },
      { a: 'b', b: 'a', c: undefined },
      { a: 'b', c: undefined, b: 'a' },
      { a: 'b', b: undefined },
      {},
      ['x'.repeat(300)], // too long to keep: its place holds a number
      {},
    ];
    const memos = new StringMemos();
    const h = new EntryHasher();
    for (const value of sequence) {
      h.entry(memos.of('CP-1'), 1, 'n', 'cp.telemetry', 'CP-1', value);
      expect(code(h), JSON.stringify(value)).toBe(walked(1, 'CP-1', value));
    }
  });

  it('digests flat and nested entries of shared keys as the general walk does, from any node and topic', () => {
    const entries = fc.array(
      fc.record({
        node: fc.constantFrom('n', 'm'),
        topic: fc.constantFrom('cp.telemetry', 'cp.status'),
        key: fc.constantFrom('CP-1', 'CP-2'),
        value: fc.oneof(flatValue, flatValue, fc.jsonValue({ maxDepth: 2 })),
      }),
      { minLength: 1, maxLength: 16 },
    );
    fc.assert(
      fc.property(entries, (list) => {
        const memos = new StringMemos();
        const h = new EntryHasher();
        for (const { node, topic, key, value } of list) {
          h.entry(memos.of(key), 3, node, topic, key, value);
          expect(code(h)).toBe(walked(3, key, value, node, topic));
        }
      }),
      { numRuns: 300 },
    );
  });

  it("reuses a key's header only for the same node and topic, whatever the walks before", () => {
    // [node, topic, value]: a general walk (5, [1]) from another node must not leave its node
    // beside the header lanes of the last flat entry.
    const sequence: [string, string, unknown][] = [
      ['n', 'cp.telemetry', { kw: 1 }],
      ['m', 'cp.telemetry', 5],
      ['m', 'cp.telemetry', { kw: 1 }],
      ['n', 'cp.telemetry', { kw: 1 }],
      ['n', 'cp.status', [1]],
      ['n', 'cp.status', { kw: 1 }],
      ['n', 'cp.telemetry', { kw: 1 }],
      ['n', 'cp.telemetry', { kw: 1 }],
    ];
    const memos = new StringMemos();
    const h = new EntryHasher();
    for (const [node, topic, value] of sequence) {
      h.entry(memos.of('CP-1'), 2, node, topic, 'CP-1', value);
      expect(code(h), `${node} ${topic} ${JSON.stringify(value)}`).toBe(
        walked(2, 'CP-1', value, node, topic),
      );
    }
  });

  it('takes the general walk for any other value, to the same digest', () => {
    const others: unknown[] = [
      { a: { b: 1 } },
      { a: [1, 2] },
      [1, 'a'],
      'text',
      7,
      null,
      { when: new Date(0) },
      { f: () => 1, a: 1 },
      Object.assign(Object.create({ hidden: 1 }) as object, { own: 2 }),
    ];
    const h = new EntryHasher();
    for (const value of others) {
      h.entry(undefined, 1, 'n', 'cp.telemetry', 'CP-1', value);
      expect(code(h), JSON.stringify(value)).toBe(walked(1, 'CP-1', value));
    }
  });
});

describe('EntryHasher.frozenEntry', () => {
  it('freezes a flat plain object in the walk that digests it, to the digest entry() gives', () => {
    fc.assert(
      fc.property(flatValue, (value) => {
        const finite = Object.values(value).every((v) => typeof v !== 'number' || Number.isFinite(v));
        const h = new EntryHasher();
        expect(h.frozenEntry(undefined, 5, 'n', 'cp.telemetry', 'CP-1', value)).toBe(finite);
        expect(Object.isFrozen(value)).toBe(finite);
        if (finite) expect(code(h)).toBe(walked(5, 'CP-1', value));
      }),
      { numRuns: 300 },
    );
  });

  it('leaves any other value unfrozen and undigested, for the caller to check', () => {
    const others: Record<string, unknown>[] = [
      { kw: Number.NaN },
      { kw: Number.NEGATIVE_INFINITY },
      { nested: { a: 1 } },
      { list: [1] },
      { f: () => 1 },
      { n: 10n },
    ];
    const h = new EntryHasher();
    for (const value of others) {
      expect(h.frozenEntry(undefined, 5, 'n', 'cp.telemetry', 'CP-1', value), Object.keys(value)[0]).toBe(
        false,
      );
      expect(Object.isFrozen(value)).toBe(false);
    }
    expect(h.frozenEntry(undefined, 5, 'n', 'cp.telemetry', 'CP-1', [1])).toBe(false);
    expect(h.frozenEntry(undefined, 5, 'n', 'cp.telemetry', 'CP-1', new Date(0))).toBe(false);
  });
});

describe('StringMemos', () => {
  it('keeps one memo per key from its second message, and starts again empty past 65,536 keys', () => {
    const memos = new StringMemos();
    expect(memos.of('k0')).toBeUndefined();
    const first = memos.of('k0');
    expect(first).toEqual([]);
    expect(memos.of('k0')).toBe(first);
    for (let i = 1; i < 65_536; i++) memos.of(`k${i}`);
    expect(memos.of('k0')).toBe(first);
    memos.of('k65536');
    expect(memos.of('k0')).toBeUndefined();
    expect(memos.of('k0')).not.toBe(first);
  });
});
