import { type Clock, type CpState, isoTime, RealClock } from '@evcharging/core';
import type Database from 'better-sqlite3';
import {
  type AuditEntry,
  type AuditQuery,
  type CentralStore,
  type CpRecord,
  type CpSource,
  type DriverSummary,
  type FaultEvent,
  type FaultQuery,
  type MonitorHealth,
  type Page,
  type PageQuery,
  pageBounds,
  type RequestRecord,
  type SessionQuery,
  type SessionRecord,
  type SessionStatus,
  type TicketRecord,
} from './central-store.js';
import { loadBetterSqlite3 } from './load-better-sqlite3.js';
import { MIGRATIONS, type Migration } from './sqlite-migrations.js';

export interface SqliteCentralStoreOptions {
  /** Time source for the migrations table (default: real time). */
  clock?: Clock;
  /** Migrations to apply (default: this version's). Tests pass others. */
  migrations?: readonly Migration[];
}

type Row = Record<string, unknown>;

const str = (v: unknown): string => String(v);
const optStr = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const num = (v: unknown): number => Number(v);
const optNum = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function cpFromRow(row: Row): CpRecord {
  return {
    cp_id: str(row.cp_id),
    location: str(row.location),
    price_eur_kwh: num(row.price_eur_kwh),
    kw: num(row.kw),
    source: str(row.source) as CpSource,
    engine_state: (optStr(row.engine_state) as CpState | null) ?? null,
    monitor_health: str(row.monitor_health) as MonitorHealth,
    fault_reason: optStr(row.fault_reason),
    operator_stopped: num(row.operator_stopped) === 1,
    cp_e_host: optStr(row.cp_e_host),
    cp_e_port: optNum(row.cp_e_port),
    registered_at: optStr(row.registered_at),
    last_heartbeat_at: optStr(row.last_heartbeat_at),
    current_session_id: optStr(row.current_session_id),
    current_driver_id: optStr(row.current_driver_id),
    last_telemetry: row.last_telemetry ? JSON.parse(str(row.last_telemetry)) : null,
    updated_at: str(row.updated_at),
  };
}

function sessionFromRow(row: Row): SessionRecord {
  return {
    session_id: str(row.session_id),
    request_id: str(row.request_id),
    driver_id: str(row.driver_id),
    cp_id: str(row.cp_id),
    status: str(row.status) as SessionStatus,
    requested_at: str(row.requested_at),
    start_time: optStr(row.start_time),
    end_time: optStr(row.end_time),
    kw: num(row.kw),
    energy_kwh: num(row.energy_kwh),
    total_cost_eur: num(row.total_cost_eur),
    reason: optStr(row.reason),
    ticket_received: num(row.ticket_received) === 1,
    target_kwh: optNum(row.target_kwh),
    duration_s: optNum(row.duration_s),
    updated_at: str(row.updated_at),
  };
}

function ticketFromRow(row: Row): TicketRecord {
  return {
    session_id: str(row.session_id),
    cp_id: str(row.cp_id),
    driver_id: str(row.driver_id),
    request_id: optStr(row.request_id),
    start_time: str(row.start_time),
    end_time: str(row.end_time),
    energy_kwh: num(row.energy_kwh),
    total_cost_eur: num(row.total_cost_eur),
    reason: optStr(row.reason),
    received_at: str(row.received_at),
  };
}

function requestFromRow(row: Row): RequestRecord {
  return {
    request_id: str(row.request_id),
    driver_id: str(row.driver_id),
    cp_id: str(row.cp_id),
    received_at: str(row.received_at),
    decision: row.decision === 'accepted' ? 'accepted' : 'denied',
    reason: optStr(row.reason),
    session_id: optStr(row.session_id),
  };
}

function driverFromRow(row: Row): DriverSummary {
  return {
    driver_id: str(row.driver_id),
    sessions: num(row.sessions),
    completed: num(row.completed),
    failed: num(row.failed),
    open: num(row.open),
    energy_kwh: num(row.energy_kwh),
    total_cost_eur: num(row.total_cost_eur),
    last_request_at: str(row.last_request_at),
  };
}

const DRIVER_SUMMARY = `
  SELECT driver_id, COUNT(*) AS sessions,
    SUM(status = 'completed') AS completed, SUM(status = 'failed') AS failed,
    SUM(status IN ('accepted', 'supplying')) AS open,
    TOTAL(energy_kwh) AS energy_kwh, TOTAL(total_cost_eur) AS total_cost_eur,
    MAX(requested_at) AS last_request_at
  FROM sessions`;

/** Thrown when the database was written by a newer Central than this one. */
export class StoreVersionError extends Error {
  override readonly name = 'StoreVersionError';
}

/**
 * Central's state in a SQLite file (better-sqlite3, WAL journal), with versioned migrations in
 * `schema_migrations`. Survives a crash: a new store on the same file sees every committed write.
 * better-sqlite3 is an optional peer dependency, loaded when a store is made: without it the
 * constructor throws a {@link SqliteUnavailableError} that names the package to install.
 *
 * @example
 * const store = new SqliteCentralStore('./central.db');
 * store.listCps();
 * store.close();
 */
export class SqliteCentralStore implements CentralStore {
  readonly kind = 'sqlite';
  readonly path: string;
  private readonly db: Database.Database;
  private readonly clock: Clock;
  private readonly statements = new Map<string, Database.Statement>();

  constructor(path: string, options: SqliteCentralStoreOptions = {}) {
    this.path = path;
    this.clock = options.clock ?? new RealClock();
    const Sqlite = loadBetterSqlite3(path);
    this.db = new Sqlite(path);
    try {
      this.db.pragma('journal_mode = WAL');
      // NORMAL is durable in WAL mode against process crashes; only an OS crash may lose the last commits.
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('busy_timeout = 5000');
      this.migrate(options.migrations ?? MIGRATIONS);
    } catch (error) {
      this.db.close();
      throw error;
    }
  }

  /** Versions applied to this database, in order. */
  appliedMigrations(): { version: number; name: string; applied_at: string }[] {
    return this.db
      .prepare('SELECT version, name, applied_at FROM schema_migrations ORDER BY version')
      .all() as {
      version: number;
      name: string;
      applied_at: string;
    }[];
  }

  upsertCp(cp: CpRecord): void {
    this.stmt(
      'upsertCp',
      `INSERT INTO cps (cp_id, location, price_eur_kwh, kw, source, engine_state, monitor_health, fault_reason,
         operator_stopped, cp_e_host, cp_e_port, registered_at, last_heartbeat_at, current_session_id,
         current_driver_id, last_telemetry, updated_at)
       VALUES (@cp_id, @location, @price_eur_kwh, @kw, @source, @engine_state, @monitor_health, @fault_reason,
         @operator_stopped, @cp_e_host, @cp_e_port, @registered_at, @last_heartbeat_at, @current_session_id,
         @current_driver_id, @last_telemetry, @updated_at)
       ON CONFLICT (cp_id) DO UPDATE SET location = excluded.location, price_eur_kwh = excluded.price_eur_kwh,
         kw = excluded.kw, source = excluded.source, engine_state = excluded.engine_state,
         monitor_health = excluded.monitor_health, fault_reason = excluded.fault_reason,
         operator_stopped = excluded.operator_stopped, cp_e_host = excluded.cp_e_host, cp_e_port = excluded.cp_e_port,
         registered_at = excluded.registered_at, last_heartbeat_at = excluded.last_heartbeat_at,
         current_session_id = excluded.current_session_id, current_driver_id = excluded.current_driver_id,
         last_telemetry = excluded.last_telemetry, updated_at = excluded.updated_at`,
    ).run({
      ...cp,
      operator_stopped: cp.operator_stopped ? 1 : 0,
      last_telemetry: cp.last_telemetry ? JSON.stringify(cp.last_telemetry) : null,
    });
  }

  getCp(cpId: string): CpRecord | undefined {
    const row = this.stmt('getCp', 'SELECT * FROM cps WHERE cp_id = ?').get(cpId) as Row | undefined;
    return row ? cpFromRow(row) : undefined;
  }

  listCps(): CpRecord[] {
    return (this.stmt('listCps', 'SELECT * FROM cps ORDER BY cp_id').all() as Row[]).map(cpFromRow);
  }

  saveRequest(request: RequestRecord): void {
    this.stmt(
      'saveRequest',
      `INSERT OR REPLACE INTO requests (request_id, driver_id, cp_id, received_at, decision, reason, session_id)
       VALUES (@request_id, @driver_id, @cp_id, @received_at, @decision, @reason, @session_id)`,
    ).run(request);
  }

  getRequest(requestId: string): RequestRecord | undefined {
    const row = this.stmt('getRequest', 'SELECT * FROM requests WHERE request_id = ?').get(requestId) as
      | Row
      | undefined;
    return row ? requestFromRow(row) : undefined;
  }

  saveSession(session: SessionRecord): void {
    this.stmt(
      'saveSession',
      `INSERT INTO sessions (session_id, request_id, driver_id, cp_id, status, requested_at, start_time, end_time,
         kw, energy_kwh, total_cost_eur, reason, ticket_received, target_kwh, duration_s, updated_at)
       VALUES (@session_id, @request_id, @driver_id, @cp_id, @status, @requested_at, @start_time, @end_time,
         @kw, @energy_kwh, @total_cost_eur, @reason, @ticket_received, @target_kwh, @duration_s, @updated_at)
       ON CONFLICT (session_id) DO UPDATE SET status = excluded.status, start_time = excluded.start_time,
         end_time = excluded.end_time, kw = excluded.kw, energy_kwh = excluded.energy_kwh,
         total_cost_eur = excluded.total_cost_eur, reason = excluded.reason,
         ticket_received = excluded.ticket_received, updated_at = excluded.updated_at`,
    ).run({ ...session, ticket_received: session.ticket_received ? 1 : 0 });
  }

  getSession(sessionId: string): SessionRecord | undefined {
    const row = this.stmt('getSession', 'SELECT * FROM sessions WHERE session_id = ?').get(sessionId) as
      | Row
      | undefined;
    return row ? sessionFromRow(row) : undefined;
  }

  openSessions(): SessionRecord[] {
    return (
      this.stmt(
        'openSessions',
        `SELECT * FROM sessions WHERE status IN ('accepted', 'supplying') ORDER BY requested_at DESC, session_id`,
      ).all() as Row[]
    ).map(sessionFromRow);
  }

  listSessions(query: SessionQuery = {}): Page<SessionRecord> {
    const { limit, offset } = pageBounds(query);
    const where: string[] = [];
    const params: Record<string, unknown> = {};
    for (const field of ['cp_id', 'driver_id', 'status'] as const) {
      if (query[field] !== undefined) {
        where.push(`${field} = @${field}`);
        params[field] = query[field];
      }
    }
    if (query.from !== undefined) {
      where.push('requested_at >= @from');
      params.from = query.from;
    }
    if (query.to !== undefined) {
      where.push('requested_at < @to');
      params.to = query.to;
    }
    const clause = where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '';
    const total = num((this.db.prepare(`SELECT COUNT(*) AS n FROM sessions${clause}`).get(params) as Row).n);
    const rows = this.db
      .prepare(
        `SELECT * FROM sessions${clause} ORDER BY requested_at DESC, session_id LIMIT @limit OFFSET @offset`,
      )
      .all({ ...params, limit, offset }) as Row[];
    return { items: rows.map(sessionFromRow), total, limit, offset };
  }

  saveTicket(ticket: TicketRecord): void {
    this.stmt(
      'saveTicket',
      `INSERT OR REPLACE INTO tickets (session_id, cp_id, driver_id, request_id, start_time, end_time, energy_kwh,
         total_cost_eur, reason, received_at)
       VALUES (@session_id, @cp_id, @driver_id, @request_id, @start_time, @end_time, @energy_kwh,
         @total_cost_eur, @reason, @received_at)`,
    ).run(ticket);
  }

  getTicket(sessionId: string): TicketRecord | undefined {
    const row = this.stmt('getTicket', 'SELECT * FROM tickets WHERE session_id = ?').get(sessionId) as
      | Row
      | undefined;
    return row ? ticketFromRow(row) : undefined;
  }

  listTickets(query: PageQuery = {}): Page<TicketRecord> {
    const { limit, offset } = pageBounds(query);
    const total = num((this.stmt('countTickets', 'SELECT COUNT(*) AS n FROM tickets').get() as Row).n);
    const rows = this.stmt(
      'listTickets',
      'SELECT * FROM tickets ORDER BY end_time DESC, session_id LIMIT ? OFFSET ?',
    ).all(limit, offset) as Row[];
    return { items: rows.map(ticketFromRow), total, limit, offset };
  }

  recordFault(event: FaultEvent): void {
    this.stmt(
      'recordFault',
      'INSERT INTO fault_events (cp_id, ts, kind, source, reason) VALUES (@cp_id, @ts, @kind, @source, @reason)',
    ).run({ cp_id: event.cp_id, ts: event.ts, kind: event.kind, source: event.source, reason: event.reason });
  }

  lastMonitorLiveness(): Map<string, boolean> {
    const rows = this.db
      .prepare(
        `SELECT f.cp_id, f.kind FROM fault_events f JOIN (
           SELECT MAX(id) AS id FROM fault_events
           WHERE kind IN ('CONNECTED', 'DISCONNECTED') OR source = 'monitor' GROUP BY cp_id
         ) newest ON f.id = newest.id`,
      )
      .all() as Row[];
    return new Map(rows.map((r) => [str(r.cp_id), str(r.kind) !== 'DISCONNECTED']));
  }

  listFaults(query: FaultQuery = {}): Page<FaultEvent> {
    const { limit, offset } = pageBounds(query);
    const clause = query.cp_id !== undefined ? ' WHERE cp_id = @cp_id' : '';
    const params = query.cp_id !== undefined ? { cp_id: query.cp_id } : {};
    const total = num(
      (this.db.prepare(`SELECT COUNT(*) AS n FROM fault_events${clause}`).get(params) as Row).n,
    );
    const rows = this.db
      .prepare(`SELECT * FROM fault_events${clause} ORDER BY id DESC LIMIT @limit OFFSET @offset`)
      .all({ ...params, limit, offset }) as Row[];
    return {
      items: rows.map((r) => ({
        id: num(r.id),
        cp_id: str(r.cp_id),
        ts: str(r.ts),
        kind: str(r.kind) as FaultEvent['kind'],
        source: str(r.source) as FaultEvent['source'],
        reason: optStr(r.reason),
      })),
      total,
      limit,
      offset,
    };
  }

  appendAudit(entry: AuditEntry): void {
    this.stmt(
      'appendAudit',
      `INSERT INTO audit_log (ts, who, source_address, action, target, outcome, detail)
       VALUES (@ts, @who, @source_address, @action, @target, @outcome, @detail)`,
    ).run({
      ts: entry.ts,
      who: entry.who,
      source_address: entry.source_address,
      action: entry.action,
      target: entry.target,
      outcome: entry.outcome,
      detail: entry.detail,
    });
  }

  listAudit(query: AuditQuery = {}): Page<AuditEntry> {
    const { limit, offset } = pageBounds(query);
    const where: string[] = [];
    const params: Record<string, unknown> = {};
    if (query.who !== undefined) {
      where.push('who = @who');
      params.who = query.who;
    }
    if (query.action !== undefined) {
      where.push('action = @action');
      params.action = query.action;
    }
    const clause = where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '';
    const total = num((this.db.prepare(`SELECT COUNT(*) AS n FROM audit_log${clause}`).get(params) as Row).n);
    const rows = this.db
      .prepare(`SELECT * FROM audit_log${clause} ORDER BY id DESC LIMIT @limit OFFSET @offset`)
      .all({ ...params, limit, offset }) as Row[];
    return {
      items: rows.map((r) => ({
        id: num(r.id),
        ts: str(r.ts),
        who: str(r.who),
        source_address: str(r.source_address),
        action: str(r.action),
        target: optStr(r.target),
        outcome: str(r.outcome),
        detail: optStr(r.detail),
      })),
      total,
      limit,
      offset,
    };
  }

  listDrivers(query: PageQuery = {}): Page<DriverSummary> {
    const { limit, offset } = pageBounds(query);
    const total = num(
      (this.stmt('countDrivers', 'SELECT COUNT(DISTINCT driver_id) AS n FROM sessions').get() as Row).n,
    );
    const rows = this.stmt(
      'listDrivers',
      `${DRIVER_SUMMARY} GROUP BY driver_id ORDER BY driver_id LIMIT ? OFFSET ?`,
    ).all(limit, offset) as Row[];
    return { items: rows.map(driverFromRow), total, limit, offset };
  }

  getDriver(driverId: string): DriverSummary | undefined {
    const row = this.stmt('getDriver', `${DRIVER_SUMMARY} WHERE driver_id = ? GROUP BY driver_id`).get(
      driverId,
    ) as Row | undefined;
    return row ? driverFromRow(row) : undefined;
  }

  transaction<T>(work: () => T): T {
    return this.db.transaction(work)();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private stmt(name: string, sql: string): Database.Statement {
    let statement = this.statements.get(name);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(name, statement);
    }
    return statement;
  }

  private migrate(migrations: readonly Migration[]): void {
    this.db.exec(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
    );
    const applied = new Set(
      (this.db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map(
        (r) => r.version,
      ),
    );
    const known = new Set(migrations.map((m) => m.version));
    const newest = Math.max(0, ...applied);
    const latestKnown = Math.max(0, ...known);
    if (newest > latestKnown) {
      throw new StoreVersionError(
        `database ${this.path} has schema version ${newest}, newer than this Central knows (${latestKnown}); upgrade Central`,
      );
    }
    const pending = [...migrations]
      .filter((m) => !applied.has(m.version))
      .sort((a, b) => a.version - b.version);
    const record = this.db.prepare(
      'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)',
    );
    for (const migration of pending) {
      this.db.transaction(() => {
        this.db.exec(migration.sql);
        record.run(migration.version, migration.name, isoTime(this.clock.now()));
      })();
    }
  }
}
