/** One step of the SQLite schema; applied in version order, each exactly once. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * The schema history. Append only: a released migration never changes, a change is a new version.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'registry, requests, sessions, tickets, fault events',
    sql: `
      CREATE TABLE cps (
        cp_id TEXT PRIMARY KEY,
        location TEXT NOT NULL,
        price_eur_kwh REAL NOT NULL,
        kw REAL NOT NULL,
        source TEXT NOT NULL,
        engine_state TEXT,
        monitor_health TEXT NOT NULL,
        fault_reason TEXT,
        operator_stopped INTEGER NOT NULL DEFAULT 0,
        cp_e_host TEXT,
        cp_e_port INTEGER,
        registered_at TEXT,
        last_heartbeat_at TEXT,
        current_session_id TEXT,
        current_driver_id TEXT,
        last_telemetry TEXT,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE requests (
        request_id TEXT PRIMARY KEY,
        driver_id TEXT NOT NULL,
        cp_id TEXT NOT NULL,
        received_at TEXT NOT NULL,
        decision TEXT NOT NULL,
        reason TEXT,
        session_id TEXT
      );
      CREATE TABLE sessions (
        session_id TEXT PRIMARY KEY,
        request_id TEXT NOT NULL UNIQUE,
        driver_id TEXT NOT NULL,
        cp_id TEXT NOT NULL,
        status TEXT NOT NULL,
        requested_at TEXT NOT NULL,
        start_time TEXT,
        end_time TEXT,
        kw REAL NOT NULL DEFAULT 0,
        energy_kwh REAL NOT NULL DEFAULT 0,
        total_cost_eur REAL NOT NULL DEFAULT 0,
        reason TEXT,
        ticket_received INTEGER NOT NULL DEFAULT 0,
        target_kwh REAL,
        duration_s REAL,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX sessions_by_cp ON sessions (cp_id, requested_at);
      CREATE INDEX sessions_by_driver ON sessions (driver_id, requested_at);
      CREATE INDEX sessions_by_status ON sessions (status);
      CREATE TABLE tickets (
        session_id TEXT PRIMARY KEY,
        cp_id TEXT NOT NULL,
        driver_id TEXT NOT NULL,
        request_id TEXT,
        start_time TEXT NOT NULL,
        end_time TEXT NOT NULL,
        energy_kwh REAL NOT NULL,
        total_cost_eur REAL NOT NULL,
        reason TEXT,
        received_at TEXT NOT NULL
      );
      CREATE TABLE fault_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        cp_id TEXT NOT NULL,
        ts TEXT NOT NULL,
        kind TEXT NOT NULL,
        source TEXT NOT NULL,
        reason TEXT
      );
      CREATE INDEX fault_events_by_cp ON fault_events (cp_id, id);
    `,
  },
  {
    version: 2,
    name: 'audit log',
    sql: `
      CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ts TEXT NOT NULL,
        who TEXT NOT NULL,
        source_address TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT,
        outcome TEXT NOT NULL,
        detail TEXT
      );
      CREATE INDEX audit_log_by_action ON audit_log (action, id);
    `,
  },
];
