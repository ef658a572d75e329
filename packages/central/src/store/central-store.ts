import type { CpState } from '@evcharging/core';

/** What the monitor last said about its engine. */
export type MonitorHealth = 'HEALTHY' | 'FAULT';

/** Where a CP's definition came from. */
export type CpSource = 'config' | 'registration' | 'engine';

/** The last telemetry of a CP. */
export interface TelemetrySnapshot {
  kw: number;
  kwh: number;
  euros: number;
  ts: string;
  session_id?: string;
  driver_id?: string;
  /** The vehicle's state of charge, % (sessions with a vehicle). */
  soc?: number;
}

/** A charging point as Central persists it (monitor liveness is not persisted: it is live). */
export interface CpRecord {
  cp_id: string;
  location: string;
  price_eur_kwh: number;
  kw: number;
  source: CpSource;
  /** Last state the engine reported on `cp.status`; null until it reports one. */
  engine_state: CpState | null;
  monitor_health: MonitorHealth;
  fault_reason: string | null;
  /** An operator stopped this CP and has not resumed it. */
  operator_stopped: boolean;
  cp_e_host: string | null;
  cp_e_port: number | null;
  registered_at: string | null;
  last_heartbeat_at: string | null;
  current_session_id: string | null;
  current_driver_id: string | null;
  last_telemetry: TelemetrySnapshot | null;
  updated_at: string;
}

export type RequestDecision = 'accepted' | 'denied';

/** A driver request and what Central decided, kept so a redelivered request gets the same answer. */
export interface RequestRecord {
  request_id: string;
  driver_id: string;
  cp_id: string;
  received_at: string;
  decision: RequestDecision;
  reason: string | null;
  session_id: string | null;
}

export const SESSION_STATUSES = ['accepted', 'supplying', 'completed', 'failed'] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

/** A charging session from acceptance to its ticket. */
export interface SessionRecord {
  session_id: string;
  request_id: string;
  driver_id: string;
  cp_id: string;
  status: SessionStatus;
  requested_at: string;
  start_time: string | null;
  end_time: string | null;
  kw: number;
  energy_kwh: number;
  total_cost_eur: number;
  reason: string | null;
  /** The engine's ticket (`cp.session_end`) has arrived; energy and cost are final. */
  ticket_received: boolean;
  target_kwh: number | null;
  duration_s: number | null;
  updated_at: string;
}

/** The engine's ticket of one session (`cp.session_end`). */
export interface TicketRecord {
  session_id: string;
  cp_id: string;
  driver_id: string;
  request_id: string | null;
  start_time: string;
  end_time: string;
  energy_kwh: number;
  total_cost_eur: number;
  reason: string | null;
  received_at: string;
}

export type FaultKind = 'FAULT' | 'HEALTHY' | 'ENGINE_FAULT' | 'DISCONNECTED' | 'CONNECTED';
export type FaultSource = 'monitor' | 'engine' | 'liveness';

/** One fault or liveness event of a CP. */
export interface FaultEvent {
  id?: number;
  cp_id: string;
  ts: string;
  kind: FaultKind;
  source: FaultSource;
  reason: string | null;
}

/** One audited action: who did what from where, and how it ended. */
export interface AuditEntry {
  id?: number;
  ts: string;
  /** `operator`, `anonymous`, a CP id, ... */
  who: string;
  /** Remote address, or `in-process`. */
  source_address: string;
  /** e.g. `cp.stop`, `cp.resume`, `monitor.register`, `monitor.fault`, `auth`. */
  action: string;
  target: string | null;
  /** `ok`, `denied`, `unauthorized`, `not_found`, ... */
  outcome: string;
  detail: string | null;
}

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export interface PageQuery {
  limit?: number;
  offset?: number;
}

export interface SessionQuery extends PageQuery {
  cp_id?: string;
  driver_id?: string;
  status?: SessionStatus;
  /** Requested at or after this ISO time. */
  from?: string;
  /** Requested before this ISO time. */
  to?: string;
}

export interface FaultQuery extends PageQuery {
  cp_id?: string;
}

export interface AuditQuery extends PageQuery {
  who?: string;
  action?: string;
}

/** A driver as seen through their sessions. */
export interface DriverSummary {
  driver_id: string;
  sessions: number;
  completed: number;
  failed: number;
  open: number;
  energy_kwh: number;
  total_cost_eur: number;
  last_request_at: string;
}

export const DEFAULT_PAGE_LIMIT = 50;
export const MAX_PAGE_LIMIT = 500;

/** Largest offset a page query may ask for (SQLite binds integers as 64-bit; 1e21 would throw). */
export const MAX_PAGE_OFFSET = Number.MAX_SAFE_INTEGER;

/** Clamps a page query to sane bounds (a non-finite number counts as unset). */
export function pageBounds(query: PageQuery): { limit: number; offset: number } {
  const finite = (n: number | undefined, fallback: number) =>
    n !== undefined && Number.isFinite(n) ? Math.floor(n) : fallback;
  const limit = Math.min(MAX_PAGE_LIMIT, Math.max(1, finite(query.limit, DEFAULT_PAGE_LIMIT)));
  const offset = Math.min(MAX_PAGE_OFFSET, Math.max(0, finite(query.offset, 0)));
  return { limit, offset };
}

/**
 * Every item of a paged listing: asks `list` for one full page after another until the last.
 *
 * @example
 * const failed = listAll((page) => store.listSessions({ ...page, status: 'failed' }));
 */
export function listAll<T>(list: (page: PageQuery) => Page<T>): T[] {
  const items: T[] = [];
  for (let offset = 0; ; ) {
    const page = list({ limit: MAX_PAGE_LIMIT, offset });
    items.push(...page.items);
    offset += page.items.length;
    if (page.items.length === 0 || offset >= page.total) return items;
  }
}

/**
 * Central's durable state. Both implementations are synchronous on purpose: better-sqlite3 is
 * synchronous, and a message handler that changes the registry and writes it in one turn of the
 * event loop needs no locks to stay consistent when messages are redelivered.
 *
 * @example
 * const store = new SqliteCentralStore('/var/lib/central/central.db');
 * const central = centralController({ store, cps: [...] });
 */
export interface CentralStore {
  /** `memory` or `sqlite`. */
  readonly kind: string;
  upsertCp(cp: CpRecord): void;
  getCp(cpId: string): CpRecord | undefined;
  listCps(): CpRecord[];

  saveRequest(request: RequestRecord): void;
  getRequest(requestId: string): RequestRecord | undefined;

  saveSession(session: SessionRecord): void;
  getSession(sessionId: string): SessionRecord | undefined;
  /** Sessions still accepted or supplying. */
  openSessions(): SessionRecord[];
  listSessions(query?: SessionQuery): Page<SessionRecord>;

  saveTicket(ticket: TicketRecord): void;
  getTicket(sessionId: string): TicketRecord | undefined;
  listTickets(query?: PageQuery): Page<TicketRecord>;

  recordFault(event: FaultEvent): void;
  listFaults(query?: FaultQuery): Page<FaultEvent>;
  /**
   * Each CP's monitor liveness as its newest liveness event says: true when that is CONNECTED or a
   * monitor's own report (FAULT, HEALTHY), false when DISCONNECTED; CPs without one are absent.
   * Read once at start (one query, not one per CP).
   */
  lastMonitorLiveness(): Map<string, boolean>;

  appendAudit(entry: AuditEntry): void;
  listAudit(query?: AuditQuery): Page<AuditEntry>;

  listDrivers(query?: PageQuery): Page<DriverSummary>;
  getDriver(driverId: string): DriverSummary | undefined;

  /** Runs `work` atomically (one SQLite transaction); the memory store just runs it. */
  transaction<T>(work: () => T): T;
  close(): void;
}
