import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../store/central-store.js';
import { MemoryCentralStore } from '../store/memory-central-store.js';
import { limitAuditRefusals } from './audit-refusal-limit.js';

const T0 = Date.parse('2026-01-01T10:00:00.000Z');
const entry = (ms: number, source: string, outcome = 'unauthorized'): AuditEntry => ({
  ts: new Date(T0 + ms).toISOString(),
  who: 'anonymous',
  source_address: source,
  action: 'cp.stop',
  target: 'CP-001',
  outcome,
  detail: 'a bearer token is required',
});
const countOf = (a: AuditEntry) => Number(/^(\d+) more/.exec(a.detail ?? '')?.[1] ?? Number.NaN);

describe('limitAuditRefusals', () => {
  it('records the first refusals of an address per minute and counts the rest into one entry', () => {
    const raw = new MemoryCentralStore();
    const { store } = limitAuditRefusals(raw, { perAddressPerMinute: 5, totalPerMinute: 100 });
    for (let i = 0; i < 1000; i++) store.appendAudit(entry(i * 10, '10.0.0.1'));
    store.appendAudit(entry(20, '10.0.0.2'));
    store.appendAudit(entry(30, '10.0.0.1', 'ok')); // accepted requests always pass
    expect(raw.listAudit({ limit: 100 }).items).toHaveLength(7);
    // The count is written when the log is read (or a later minute's entry arrives).
    const items = store.listAudit({ limit: 100 }).items;
    expect(items).toHaveLength(8);
    const summary = items.find((a) => a.action === 'audit.suppressed')!;
    expect(summary).toMatchObject({
      source_address: '10.0.0.1',
      outcome: 'unauthorized',
      ts: entry(9990, '').ts,
    });
    expect(countOf(summary)).toBe(995);
    expect(summary.detail).toContain('in the minute from 2026-01-01T10:00:00.000Z');
  });

  it('starts again each minute, and writes the previous minute’s count when the next begins', () => {
    const raw = new MemoryCentralStore();
    const { store, flush } = limitAuditRefusals(raw, { perAddressPerMinute: 2 });
    for (let i = 0; i < 5; i++) store.appendAudit(entry(i, '10.0.0.1'));
    store.appendAudit(entry(60_000, '10.0.0.1'));
    const items = raw.listAudit({ limit: 100 }).items.reverse();
    expect(items.map((a) => [a.action, a.ts.slice(14, 19)])).toEqual([
      ['cp.stop', '00:00'],
      ['cp.stop', '00:00'],
      ['audit.suppressed', '00:00'],
      ['cp.stop', '01:00'],
    ]);
    expect(countOf(items[2]!)).toBe(3);
    flush();
    expect(raw.listAudit({ limit: 100 }).items).toHaveLength(4); // nothing pending: nothing written
  });

  it('past the total, all addresses share one count: a flood from many addresses adds a bounded number of entries', () => {
    const raw = new MemoryCentralStore();
    const { store, flush } = limitAuditRefusals(raw, { perAddressPerMinute: 3, totalPerMinute: 50 });
    // 10,000 refusals from 5,000 addresses in one minute.
    for (let i = 0; i < 10_000; i++) store.appendAudit(entry(i, `10.0.${(i % 5000) >> 8}.${i % 256}`));
    flush();
    const items = raw.listAudit({ limit: 1000 }).items;
    const summaries = items.filter((a) => a.action === 'audit.suppressed');
    expect(items.length - summaries.length).toBe(50);
    expect(summaries.map((a) => a.source_address)).toEqual(['*']);
    expect(summaries[0]!.detail).toContain('from other addresses');
    expect(countOf(summaries[0]!)).toBe(10_000 - 50);
  });

  it('refuses limits below 1', () => {
    expect(() => limitAuditRefusals(new MemoryCentralStore(), { perAddressPerMinute: 0 })).toThrow(
      RangeError,
    );
    expect(() => limitAuditRefusals(new MemoryCentralStore(), { totalPerMinute: 1.5 })).toThrow(RangeError);
  });
});
