import type { AuditEntry, CentralStore, RequestRecord } from '../store/central-store.js';
import { delegatingStore } from '../store/delegating-store.js';

/** A write to Central's store that the dashboard's event log shows. */
export type StoreWrite = { kind: 'request'; record: RequestRecord } | { kind: 'audit'; entry: AuditEntry };

export interface CentralStoreTap {
  /** The store to give Central: every call goes to the wrapped store unchanged. */
  readonly store: CentralStore;
  /** Calls `listener` after each tapped write; returns the unsubscribe function. */
  on(listener: (write: StoreWrite) => void): () => void;
}

/**
 * Wraps Central's store so the dashboard hears of decided requests (denials included) and audited
 * actions (operator commands, refusals, registrations) without Central knowing the dashboard.
 * A listener that throws never fails the write.
 *
 * @example
 * const tap = tapCentralStore(new MemoryCentralStore());
 * tap.on((write) => { if (write.kind === 'audit') log(write.entry.action); });
 */
export function tapCentralStore(store: CentralStore): CentralStoreTap {
  const listeners = new Set<(write: StoreWrite) => void>();
  const tell = (write: StoreWrite) => {
    for (const listener of listeners) {
      try {
        listener(write);
      } catch {
        // the dashboard's trouble is never the store's
      }
    }
  };
  const tapped = delegatingStore(store, {
    saveRequest(record) {
      store.saveRequest(record);
      tell({ kind: 'request', record });
    },
    appendAudit(entry) {
      store.appendAudit(entry);
      tell({ kind: 'audit', entry });
    },
  });
  return {
    store: tapped,
    on(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
