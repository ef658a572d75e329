import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listAll, MAX_PAGE_LIMIT, MAX_PAGE_OFFSET, pageBounds } from './central-store.js';
import { MemoryCentralStore } from './memory-central-store.js';
import { SqliteCentralStore } from './sqlite-central-store.js';

describe('page bounds', () => {
  it('clamps any number, including NaN, infinities and values past 2^53, to a usable page', () => {
    expect(pageBounds({})).toEqual({ limit: 50, offset: 0 });
    expect(pageBounds({ limit: Number.NaN, offset: Number.NaN })).toEqual({ limit: 50, offset: 0 });
    expect(pageBounds({ limit: Number.POSITIVE_INFINITY, offset: Number.POSITIVE_INFINITY })).toEqual({
      limit: 50,
      offset: 0,
    });
    expect(pageBounds({ limit: 1e9, offset: 1e21 })).toEqual({
      limit: MAX_PAGE_LIMIT,
      offset: MAX_PAGE_OFFSET,
    });
    expect(pageBounds({ limit: -3, offset: -7.5 })).toEqual({ limit: 1, offset: 0 });
  });

  it('both stores answer an empty page for an offset of 1e21 or 1e300 instead of throwing (SQLite binds 64-bit integers)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'page-bounds-'));
    const sqlite = new SqliteCentralStore(join(dir, 'central.db'));
    try {
      for (const store of [new MemoryCentralStore(), sqlite]) {
        for (const offset of [1e21, 1e300, Number.MAX_SAFE_INTEGER]) {
          expect(store.listSessions({ offset }).items).toEqual([]);
          expect(store.listFaults({ offset }).items).toEqual([]);
          expect(store.listAudit({ offset }).items).toEqual([]);
          expect(store.listDrivers({ offset }).items).toEqual([]);
        }
      }
    } finally {
      sqlite.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('listAll reads every page of the largest size, and stops at the total or an empty page', () => {
    const items = Array.from({ length: 2 * MAX_PAGE_LIMIT + 7 }, (_, i) => i);
    const asked: { limit?: number; offset?: number }[] = [];
    const all = listAll((page) => {
      asked.push(page);
      const { limit, offset } = pageBounds(page);
      return { items: items.slice(offset, offset + limit), total: items.length, limit, offset };
    });
    expect(all).toEqual(items);
    expect(asked.map((p) => p.offset)).toEqual([0, MAX_PAGE_LIMIT, 2 * MAX_PAGE_LIMIT]);
    expect(asked.every((p) => p.limit === MAX_PAGE_LIMIT)).toBe(true);
    // A total that says more than the listing has (rows removed meanwhile) ends at the empty page.
    expect(
      listAll(({ offset = 0 }) => ({ items: offset === 0 ? ['a'] : [], total: 5, limit: 1, offset })),
    ).toEqual(['a']);
  });
});
