import type { AuditEntry, CentralStore } from '../store/central-store.js';
import { delegatingStore } from '../store/delegating-store.js';

export interface AuditRefusalLimits {
  /** Refusals of one source address recorded one by one per minute (default 60). */
  perAddressPerMinute?: number;
  /** Refusals of all addresses recorded one by one per minute (default 600). */
  totalPerMinute?: number;
}

const MINUTE_MS = 60_000;
/** Source address under which refusals past the total limit are counted together. */
export const OTHER_ADDRESSES = '*';

/**
 * Bounds the audit log's growth from refused requests (any outcome but `ok`): per minute of the
 * entries' own time, the first `perAddressPerMinute` refusals of each source address, and the
 * first `totalPerMinute` of all, are recorded one by one; the rest are counted, and each address's
 * count becomes one `audit.suppressed` entry (addresses past the total limit share one, source
 * `*`) when a later minute's entry arrives, when the log is read, or on `flush()` (Central's stop). A
 * refusal flood thus adds at most `totalPerMinute` entries plus a few summaries a minute. Entries
 * with outcome `ok` always pass, and nothing else of the store changes.
 *
 * @example
 * const limited = limitAuditRefusals(new MemoryCentralStore(), { perAddressPerMinute: 60 });
 * const central = new CentralService(limited.store, ...); // on stop: limited.flush()
 */
export function limitAuditRefusals(
  store: CentralStore,
  limits: AuditRefusalLimits = {},
): { store: CentralStore; flush(): void } {
  const perAddress = limits.perAddressPerMinute ?? 60;
  const total = limits.totalPerMinute ?? 600;
  for (const [name, value] of [
    ['perAddressPerMinute', perAddress],
    ['totalPerMinute', total],
  ] as const) {
    if (!(Number.isInteger(value) && value >= 1)) {
      throw new RangeError(`limitAuditRefusals: ${name} must be an integer >= 1, got ${value}`);
    }
  }
  let minute = Number.NEGATIVE_INFINITY;
  let recorded = 0;
  const recordedBy = new Map<string, number>();
  /** Counted, not recorded: per address (or `*`), with the newest such entry's time. */
  const suppressed = new Map<string, { count: number; last: AuditEntry }>();

  const flush = () => {
    for (const [address, { count, last }] of suppressed) {
      const from = address === OTHER_ADDRESSES ? 'other addresses' : 'this address';
      const limit = address === OTHER_ADDRESSES ? total : perAddress;
      store.appendAudit({
        ts: last.ts,
        who: address === OTHER_ADDRESSES ? 'anonymous' : last.who,
        source_address: address,
        action: 'audit.suppressed',
        target: null,
        outcome: last.outcome,
        detail: `${count} more refused request(s) from ${from} in the minute from ${new Date(minute * MINUTE_MS).toISOString()} (past ${limit} a minute, counted, not recorded one by one; last: ${last.action})`,
      });
    }
    suppressed.clear();
  };

  const append = (entry: AuditEntry) => {
    const at = Date.parse(entry.ts);
    const entryMinute = Number.isFinite(at) ? Math.floor(at / MINUTE_MS) : minute;
    if (entryMinute > minute) {
      flush();
      minute = entryMinute;
      recorded = 0;
      recordedBy.clear();
    }
    if (entry.outcome === 'ok') {
      store.appendAudit(entry);
      return;
    }
    const mine = recordedBy.get(entry.source_address) ?? 0;
    if (mine < perAddress && recorded < total) {
      recordedBy.set(entry.source_address, mine + 1);
      recorded++;
      store.appendAudit(entry);
      return;
    }
    // Past the total, new addresses share one count: the map cannot grow with the addresses.
    const key = mine >= perAddress ? entry.source_address : OTHER_ADDRESSES;
    const bucket = suppressed.get(key);
    if (bucket) {
      bucket.count++;
      bucket.last = entry;
    } else suppressed.set(key, { count: 1, last: entry });
  };

  const limited = delegatingStore(store, {
    appendAudit: append,
    listAudit(query) {
      flush();
      return store.listAudit(query);
    },
  });
  return { store: limited, flush };
}
