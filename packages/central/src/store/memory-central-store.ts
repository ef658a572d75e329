import {
  type AuditEntry,
  type AuditQuery,
  type CentralStore,
  type CpRecord,
  type DriverSummary,
  type FaultEvent,
  type FaultQuery,
  type Page,
  type PageQuery,
  pageBounds,
  type RequestRecord,
  type SessionQuery,
  type SessionRecord,
  type TicketRecord,
} from './central-store.js';
import { assignCpRecord, assignSessionRecord, copySnapshotInto } from './record-copy.js';

const copyCp = (cp: CpRecord): CpRecord => ({
  ...cp,
  last_telemetry: cp.last_telemetry ? { ...cp.last_telemetry } : null,
});

function page<T>(all: T[], query: PageQuery, copy: (item: T) => T): Page<T> {
  const { limit, offset } = pageBounds(query);
  return { items: all.slice(offset, offset + limit).map(copy), total: all.length, limit, offset };
}

/** Newest first, then by id, the order both stores list sessions in. */
function bySessionOrder(a: SessionRecord, b: SessionRecord): number {
  if (a.requested_at !== b.requested_at) return a.requested_at < b.requested_at ? 1 : -1;
  return a.session_id < b.session_id ? -1 : a.session_id > b.session_id ? 1 : 0;
}

export function matchesSession(session: SessionRecord, query: SessionQuery): boolean {
  if (query.cp_id !== undefined && session.cp_id !== query.cp_id) return false;
  if (query.driver_id !== undefined && session.driver_id !== query.driver_id) return false;
  if (query.status !== undefined && session.status !== query.status) return false;
  if (query.from !== undefined && session.requested_at < query.from) return false;
  if (query.to !== undefined && session.requested_at >= query.to) return false;
  return true;
}

/**
 * Central's state in memory: for simulations and tests. Values are copied in and out, so a caller
 * mutating what it got never changes the store behind its back (as with SQLite).
 *
 * @example
 * const central = centralController({ store: new MemoryCentralStore(), cps });
 */
export class MemoryCentralStore implements CentralStore {
  readonly kind = 'memory';
  private readonly cps = new Map<string, CpRecord>();
  private readonly requests = new Map<string, RequestRecord>();
  private readonly sessions = new Map<string, SessionRecord>();
  private readonly open = new Set<string>();
  private readonly tickets = new Map<string, TicketRecord>();
  private readonly faults: FaultEvent[] = [];
  private readonly audit: AuditEntry[] = [];
  private closed = false;

  upsertCp(cp: CpRecord): void {
    this.check();
    // Updated in place: Central saves every CP on every telemetry message, and a fresh copy each
    // time lived about a second, long enough to be promoted to the old generation.
    const stored = this.cps.get(cp.cp_id);
    if (!stored) {
      this.cps.set(cp.cp_id, copyCp(cp));
      return;
    }
    assignCpRecord(stored, cp);
    stored.last_telemetry = cp.last_telemetry
      ? copySnapshotInto(stored.last_telemetry, cp.last_telemetry)
      : null;
  }

  getCp(cpId: string): CpRecord | undefined {
    const cp = this.cps.get(cpId);
    return cp ? copyCp(cp) : undefined;
  }

  listCps(): CpRecord[] {
    return [...this.cps.values()].sort((a, b) => (a.cp_id < b.cp_id ? -1 : 1)).map(copyCp);
  }

  saveRequest(request: RequestRecord): void {
    this.check();
    this.requests.set(request.request_id, { ...request });
  }

  getRequest(requestId: string): RequestRecord | undefined {
    const request = this.requests.get(requestId);
    return request ? { ...request } : undefined;
  }

  saveSession(session: SessionRecord): void {
    this.check();
    // In place, like upsertCp: an open session is saved on every telemetry message.
    const stored = this.sessions.get(session.session_id);
    if (stored) assignSessionRecord(stored, session);
    else this.sessions.set(session.session_id, { ...session });
    if (session.status === 'accepted' || session.status === 'supplying') this.open.add(session.session_id);
    else this.open.delete(session.session_id);
  }

  getSession(sessionId: string): SessionRecord | undefined {
    const session = this.sessions.get(sessionId);
    return session ? { ...session } : undefined;
  }

  openSessions(): SessionRecord[] {
    return [...this.open].map((id) => ({ ...this.sessions.get(id)! })).sort(bySessionOrder);
  }

  listSessions(query: SessionQuery = {}): Page<SessionRecord> {
    const all = [...this.sessions.values()].filter((s) => matchesSession(s, query)).sort(bySessionOrder);
    return page(all, query, (s) => ({ ...s }));
  }

  saveTicket(ticket: TicketRecord): void {
    this.check();
    this.tickets.set(ticket.session_id, { ...ticket });
  }

  getTicket(sessionId: string): TicketRecord | undefined {
    const ticket = this.tickets.get(sessionId);
    return ticket ? { ...ticket } : undefined;
  }

  listTickets(query: PageQuery = {}): Page<TicketRecord> {
    const all = [...this.tickets.values()].sort((a, b) =>
      a.end_time !== b.end_time ? (a.end_time < b.end_time ? 1 : -1) : a.session_id < b.session_id ? -1 : 1,
    );
    return page(all, query, (t) => ({ ...t }));
  }

  recordFault(event: FaultEvent): void {
    this.check();
    // Field by field: V8 gives every object made by `{ ...event, id }` past a few dozen a hidden
    // class of its own, and a network records one fault event and one audit entry per CP at least.
    const { cp_id, ts, kind, source, reason } = event;
    this.faults.push({ cp_id, ts, kind, source, reason, id: this.faults.length + 1 });
  }

  lastMonitorLiveness(): Map<string, boolean> {
    const liveness = new Map<string, boolean>();
    for (const f of this.faults) {
      if (f.kind === 'CONNECTED' || f.kind === 'DISCONNECTED' || f.source === 'monitor') {
        liveness.set(f.cp_id, f.kind !== 'DISCONNECTED');
      }
    }
    return liveness;
  }

  listFaults(query: FaultQuery = {}): Page<FaultEvent> {
    const all = this.faults.filter((f) => query.cp_id === undefined || f.cp_id === query.cp_id).reverse();
    return page(all, query, (f) => ({ ...f }));
  }

  appendAudit(entry: AuditEntry): void {
    this.check();
    // Field by field, as in recordFault.
    const { ts, who, source_address, action, target, outcome, detail } = entry;
    this.audit.push({ ts, who, source_address, action, target, outcome, detail, id: this.audit.length + 1 });
  }

  listAudit(query: AuditQuery = {}): Page<AuditEntry> {
    const all = this.audit
      .filter(
        (a) =>
          (query.who === undefined || a.who === query.who) &&
          (query.action === undefined || a.action === query.action),
      )
      .reverse();
    return page(all, query, (a) => ({ ...a }));
  }

  listDrivers(query: PageQuery = {}): Page<DriverSummary> {
    const all = [...this.summaries().values()].sort((a, b) => (a.driver_id < b.driver_id ? -1 : 1));
    return page(all, query, (d) => ({ ...d }));
  }

  getDriver(driverId: string): DriverSummary | undefined {
    return this.summaries(driverId).get(driverId);
  }

  transaction<T>(work: () => T): T {
    return work();
  }

  close(): void {
    this.closed = true;
  }

  private summaries(only?: string): Map<string, DriverSummary> {
    const byDriver = new Map<string, DriverSummary>();
    for (const s of this.sessions.values()) {
      if (only !== undefined && s.driver_id !== only) continue;
      let d = byDriver.get(s.driver_id);
      if (!d) {
        d = {
          driver_id: s.driver_id,
          sessions: 0,
          completed: 0,
          failed: 0,
          open: 0,
          energy_kwh: 0,
          total_cost_eur: 0,
          last_request_at: s.requested_at,
        };
        byDriver.set(s.driver_id, d);
      }
      d.sessions++;
      if (s.status === 'completed') d.completed++;
      else if (s.status === 'failed') d.failed++;
      else d.open++;
      d.energy_kwh += s.energy_kwh;
      d.total_cost_eur += s.total_cost_eur;
      if (s.requested_at > d.last_request_at) d.last_request_at = s.requested_at;
    }
    return byDriver;
  }

  private check(): void {
    if (this.closed) throw new Error('MemoryCentralStore is closed');
  }
}
