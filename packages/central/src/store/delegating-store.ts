import type { CentralStore } from './central-store.js';

/**
 * A store that forwards every call to `store`, with `overrides` in place of the methods a wrapper
 * changes. A plain object, not a Proxy: Central calls its store on every message.
 *
 * @example
 *   const counted = delegatingStore(store, { saveTicket: (t) => { saved++; store.saveTicket(t); } });
 */
export function delegatingStore(store: CentralStore, overrides: Partial<CentralStore>): CentralStore {
  return {
    kind: store.kind,
    upsertCp: (cp) => store.upsertCp(cp),
    getCp: (cpId) => store.getCp(cpId),
    listCps: () => store.listCps(),
    saveRequest: (record) => store.saveRequest(record),
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
    appendAudit: (entry) => store.appendAudit(entry),
    listAudit: (query) => store.listAudit(query),
    listDrivers: (query) => store.listDrivers(query),
    getDriver: (driverId) => store.getDriver(driverId),
    transaction: (work) => store.transaction(work),
    close: () => store.close(),
    ...overrides,
  };
}
