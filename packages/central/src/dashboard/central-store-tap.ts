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
  // Central calls the store on every message: a plain delegating object, no Proxy trap per call.
  const tapped: CentralStore = {
    kind: store.kind,
    upsertCp: (cp) => store.upsertCp(cp),
    getCp: (cpId) => store.getCp(cpId),
    listCps: () => store.listCps(),
    saveRequest(record) {
      store.saveRequest(record);
      tell({ kind: 'request', record });
    },
    getRequest: (requestId) => store.getRequest(requestId),
    saveSession: (session) => store.saveSession(session),
    getSession: (sessionId) => store.getSession(sessionId),
    openSessions: () => store.openSessions(),
    listSessions: (query) => store.listSessions(query),
    saveTicket: (ticket) => store.saveTicket(ticket),
    getTicket: (sessionId) => store.getTicket(sessionId),
    listTickets: (query) => store.listTickets(query),
    recordFault: (event) => store.recordFault(event),
    listFaults: (query) => store.listFaults(query),
    lastMonitorLiveness: () => store.lastMonitorLiveness(),
    appendAudit(entry) {
      store.appendAudit(entry);
      tell({ kind: 'audit', entry });
    },
    listAudit: (query) => store.listAudit(query),
    listDrivers: (query) => store.listDrivers(query),
    getDriver: (driverId) => store.getDriver(driverId),
    transaction: (work) => store.transaction(work),
    close: () => store.close(),
  };
  return {
    store: tapped,
    on(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
