import type { AuditEntry, CentralStore, RequestRecord } from '../store/central-store.js';

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
  // Central calls the store on every message: bind each method once, not on every call.
  const bound = new Map<PropertyKey, unknown>();
  const tapped = new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'saveRequest') {
        return (record: RequestRecord) => {
          target.saveRequest(record);
          tell({ kind: 'request', record });
        };
      }
      if (property === 'appendAudit') {
        return (entry: AuditEntry) => {
          target.appendAudit(entry);
          tell({ kind: 'audit', entry });
        };
      }
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      let fn = bound.get(property);
      if (fn === undefined) {
        fn = value.bind(target);
        bound.set(property, fn);
      }
      return fn;
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
