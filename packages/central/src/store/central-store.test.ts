import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CentralStore, CpRecord, FaultEvent, SessionRecord } from './central-store.js';
import { MemoryCentralStore } from './memory-central-store.js';
import { openCentralStore } from './open-central-store.js';
import { SqliteCentralStore, StoreVersionError } from './sqlite-central-store.js';
import { MIGRATIONS } from './sqlite-migrations.js';

const dirs: string[] = [];
function tempDb(): string {
  const dir = mkdtempSync(join(tmpdir(), 'central-store-'));
  dirs.push(dir);
  return join(dir, 'central.db');
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function cp(id: string, patch: Partial<CpRecord> = {}): CpRecord {
  return {
    cp_id: id,
    location: 'Main St',
    price_eur_kwh: 0.3,
    kw: 22,
    source: 'config',
    engine_state: null,
    monitor_health: 'HEALTHY',
    fault_reason: null,
    operator_stopped: false,
    cp_e_host: null,
    cp_e_port: null,
    registered_at: null,
    last_heartbeat_at: null,
    current_session_id: null,
    current_driver_id: null,
    last_telemetry: null,
    updated_at: '2026-01-01T00:00:00.000Z',
    ...patch,
  };
}

function session(id: string, patch: Partial<SessionRecord> = {}): SessionRecord {
  return {
    session_id: id,
    request_id: `req-${id}`,
    driver_id: 'driver-a',
    cp_id: 'CP-001',
    status: 'accepted',
    requested_at: '2026-01-01T00:00:00.000Z',
    start_time: null,
    end_time: null,
    kw: 0,
    energy_kwh: 0,
    total_cost_eur: 0,
    reason: null,
    ticket_received: false,
    target_kwh: null,
    duration_s: null,
    updated_at: '2026-01-01T00:00:00.000Z',
    ...patch,
  };
}

const factories: [string, () => CentralStore][] = [
  ['MemoryCentralStore', () => new MemoryCentralStore()],
  ['SqliteCentralStore', () => new SqliteCentralStore(tempDb())],
];

describe.each(factories)('%s', (_name, make) => {
  it('upserts and reads CPs, in id order, with telemetry and flags intact', () => {
    const store = make();
    store.upsertCp(cp('CP-002'));
    store.upsertCp(cp('CP-001', { operator_stopped: true }));
    store.upsertCp(
      cp('CP-002', {
        engine_state: 'SUPPLYING',
        cp_e_port: 8001,
        last_telemetry: { kw: 22, kwh: 1.5, euros: 0.45, ts: 't', session_id: 's-1' },
      }),
    );
    expect(store.listCps().map((c) => c.cp_id)).toEqual(['CP-001', 'CP-002']);
    expect(store.getCp('CP-001')?.operator_stopped).toBe(true);
    const two = store.getCp('CP-002')!;
    expect(two.engine_state).toBe('SUPPLYING');
    expect(two.cp_e_port).toBe(8001);
    expect(two.last_telemetry).toEqual({ kw: 22, kwh: 1.5, euros: 0.45, ts: 't', session_id: 's-1' });
    expect(store.getCp('nope')).toBeUndefined();
    two.location = 'changed by caller';
    expect(store.getCp('CP-002')?.location).toBe('Main St');
    store.close();
  });

  it('keeps what was saved, not what the caller changes afterwards, over repeated saves', () => {
    const store = make();
    const record = cp('CP-001', { last_telemetry: { kw: 22, kwh: 1, euros: 0.3, ts: 't1' } });
    store.upsertCp(record);
    record.last_telemetry!.kwh = 2;
    record.last_telemetry!.ts = 't2';
    record.engine_state = 'SUPPLYING';
    store.upsertCp(record);
    // A later save with other ids in the snapshot, then a caller mutating everything it holds.
    record.last_telemetry = { kw: 11, kwh: 3, euros: 0.9, ts: 't3', session_id: 's-1', driver_id: 'd-1' };
    store.upsertCp(record);
    record.last_telemetry.kwh = 99;
    record.engine_state = 'FAULT';
    const read = store.getCp('CP-001')!;
    expect(read.engine_state).toBe('SUPPLYING');
    expect(read.last_telemetry).toEqual({
      kw: 11,
      kwh: 3,
      euros: 0.9,
      ts: 't3',
      session_id: 's-1',
      driver_id: 'd-1',
    });
    read.last_telemetry!.kwh = 50;
    expect(store.getCp('CP-001')!.last_telemetry!.kwh).toBe(3);
    record.last_telemetry = null;
    store.upsertCp(record);
    expect(store.getCp('CP-001')!.last_telemetry).toBeNull();

    const open = session('s-1', { status: 'supplying', energy_kwh: 1 });
    store.saveSession(open);
    open.energy_kwh = 2;
    store.saveSession(open);
    open.energy_kwh = 5;
    expect(store.getSession('s-1')!.energy_kwh).toBe(2);
    open.status = 'completed';
    store.saveSession(open);
    expect(store.getSession('s-1')!.status).toBe('completed');
    expect(store.openSessions()).toEqual([]);
  });

  it('keeps request decisions, sessions and open sessions', () => {
    const store = make();
    store.saveRequest({
      request_id: 'req-1',
      driver_id: 'd',
      cp_id: 'CP-001',
      received_at: 't',
      decision: 'denied',
      reason: 'busy',
      session_id: null,
    });
    expect(store.getRequest('req-1')).toMatchObject({ decision: 'denied', reason: 'busy' });
    store.saveSession(session('s-1'));
    store.saveSession(session('s-2', { status: 'supplying', requested_at: '2026-01-01T00:00:01.000Z' }));
    store.saveSession(session('s-3', { status: 'completed', ticket_received: true, energy_kwh: 2 }));
    expect(store.openSessions().map((s) => s.session_id)).toEqual(['s-2', 's-1']);
    store.saveSession(session('s-1', { status: 'failed', reason: 'fault' }));
    expect(store.openSessions().map((s) => s.session_id)).toEqual(['s-2']);
    expect(store.getSession('s-3')).toMatchObject({ ticket_received: true, energy_kwh: 2 });
    store.close();
  });

  it('filters and paginates sessions', () => {
    const store = make();
    for (let i = 0; i < 25; i++) {
      store.saveSession(
        session(`s-${String(i).padStart(2, '0')}`, {
          cp_id: i % 2 === 0 ? 'CP-001' : 'CP-002',
          driver_id: i % 5 === 0 ? 'driver-b' : 'driver-a',
          status: i < 20 ? 'completed' : 'supplying',
          requested_at: `2026-01-01T00:00:${String(i).padStart(2, '0')}.000Z`,
          energy_kwh: 1,
          total_cost_eur: 0.3,
        }),
      );
    }
    const first = store.listSessions({ limit: 10 });
    expect(first.total).toBe(25);
    expect(first.items).toHaveLength(10);
    expect(first.items[0]!.session_id).toBe('s-24');
    const third = store.listSessions({ limit: 10, offset: 20 });
    expect(third.items.map((s) => s.session_id)).toEqual(['s-04', 's-03', 's-02', 's-01', 's-00']);
    expect(store.listSessions({ cp_id: 'CP-002' }).total).toBe(12);
    expect(store.listSessions({ driver_id: 'driver-b', cp_id: 'CP-001' }).total).toBe(3);
    expect(store.listSessions({ status: 'supplying' }).total).toBe(5);
    expect(
      store.listSessions({ from: '2026-01-01T00:00:10.000Z', to: '2026-01-01T00:00:15.000Z' }).total,
    ).toBe(5);
    const drivers = store.listDrivers();
    expect(drivers.items.map((d) => [d.driver_id, d.sessions, d.open])).toEqual([
      ['driver-a', 20, 4],
      ['driver-b', 5, 1],
    ]);
    expect(store.getDriver('driver-b')?.energy_kwh).toBeCloseTo(5);
    expect(store.getDriver('nobody')).toBeUndefined();
    store.close();
  });

  it('keeps tickets, fault events and the audit log, newest first', () => {
    const store = make();
    store.saveTicket({
      session_id: 's-1',
      cp_id: 'CP-001',
      driver_id: 'd',
      request_id: 'req-1',
      start_time: 'a',
      end_time: 'b',
      energy_kwh: 3.2,
      total_cost_eur: 0.96,
      reason: 'target reached',
      received_at: 'b',
    });
    expect(store.getTicket('s-1')).toMatchObject({ energy_kwh: 3.2, total_cost_eur: 0.96 });
    expect(store.listTickets().total).toBe(1);
    store.recordFault({
      cp_id: 'CP-001',
      ts: 't1',
      kind: 'FAULT',
      source: 'monitor',
      reason: 'probe failed',
    });
    store.recordFault({ cp_id: 'CP-002', ts: 't2', kind: 'DISCONNECTED', source: 'liveness', reason: null });
    store.recordFault({ cp_id: 'CP-001', ts: 't3', kind: 'HEALTHY', source: 'monitor', reason: null });
    expect(store.listFaults({ cp_id: 'CP-001' }).items.map((f) => f.kind)).toEqual(['HEALTHY', 'FAULT']);
    expect(store.listFaults().total).toBe(3);
    store.appendAudit({
      ts: 't',
      who: 'operator',
      source_address: '127.0.0.1',
      action: 'cp.stop',
      target: 'ALL',
      outcome: 'ok',
      detail: null,
    });
    store.appendAudit({
      ts: 't',
      who: 'anonymous',
      source_address: '127.0.0.1',
      action: 'cp.stop',
      target: 'CP-001',
      outcome: 'unauthorized',
      detail: null,
    });
    const audit = store.listAudit({ action: 'cp.stop' });
    expect(audit.total).toBe(2);
    expect(audit.items[0]).toMatchObject({ who: 'anonymous', outcome: 'unauthorized' });
    expect(store.listAudit({ who: 'operator' }).items[0]?.target).toBe('ALL');
    store.close();
  });

  it("gives each CP's newest liveness: CONNECTED or a monitor report is alive, DISCONNECTED is not", () => {
    const store = make();
    expect(store.lastMonitorLiveness()).toEqual(new Map());
    const event = (cp_id: string, kind: FaultEvent['kind'], source: FaultEvent['source']) =>
      store.recordFault({ cp_id, ts: 't', kind, source, reason: null });
    event('CP-001', 'CONNECTED', 'liveness');
    event('CP-001', 'ENGINE_FAULT', 'engine'); // says nothing about the monitor
    event('CP-002', 'CONNECTED', 'liveness');
    event('CP-002', 'DISCONNECTED', 'liveness');
    event('CP-003', 'DISCONNECTED', 'liveness');
    event('CP-003', 'FAULT', 'monitor');
    event('CP-004', 'ENGINE_FAULT', 'engine');
    expect(store.lastMonitorLiveness()).toEqual(
      new Map([
        ['CP-001', true],
        ['CP-002', false],
        ['CP-003', true],
      ]),
    );
  });

  it('commits a transaction as a whole', () => {
    const store = make();
    store.transaction(() => {
      store.upsertCp(cp('CP-001'));
      store.saveSession(session('s-1'));
    });
    expect(store.getCp('CP-001')).toBeDefined();
    expect(store.getSession('s-1')).toBeDefined();
    store.close();
  });
});

describe('SqliteCentralStore', () => {
  it('applies every migration once and records it', () => {
    const path = tempDb();
    const store = new SqliteCentralStore(path);
    expect(store.appliedMigrations().map((m) => m.version)).toEqual(MIGRATIONS.map((m) => m.version));
    store.upsertCp(cp('CP-001'));
    store.close();
    const again = new SqliteCentralStore(path);
    expect(again.appliedMigrations()).toHaveLength(MIGRATIONS.length);
    expect(again.getCp('CP-001')).toBeDefined();
    again.close();
  });

  it('upgrades a database written by an older version', () => {
    const path = tempDb();
    const old = new SqliteCentralStore(path, { migrations: MIGRATIONS.slice(0, 1) });
    old.upsertCp(cp('CP-001'));
    expect(() =>
      old.appendAudit({
        ts: 't',
        who: 'w',
        source_address: 's',
        action: 'a',
        target: null,
        outcome: 'ok',
        detail: null,
      }),
    ).toThrow(/audit_log/);
    old.close();
    const upgraded = new SqliteCentralStore(path);
    expect(upgraded.appliedMigrations().map((m) => m.version)).toEqual([1, 2]);
    expect(upgraded.getCp('CP-001')).toBeDefined();
    upgraded.close();
  });

  it('refuses a database from a newer Central', () => {
    const path = tempDb();
    new SqliteCentralStore(path, {
      migrations: [...MIGRATIONS, { version: 99, name: 'future', sql: 'CREATE TABLE future (x)' }],
    }).close();
    expect(() => new SqliteCentralStore(path)).toThrow(StoreVersionError);
  });

  it('sees every committed write from a second connection while the first is still open (a crash)', () => {
    const path = tempDb();
    const crashed = new SqliteCentralStore(path);
    crashed.upsertCp(cp('CP-001', { engine_state: 'SUPPLYING', current_session_id: 's-1' }));
    crashed.saveSession(session('s-1', { status: 'supplying' }));
    // no close(): the WAL is not checkpointed, as when the process dies
    const next = new SqliteCentralStore(path);
    expect(next.getCp('CP-001')?.current_session_id).toBe('s-1');
    expect(next.openSessions().map((s) => s.session_id)).toEqual(['s-1']);
    next.close();
    crashed.close();
  });
});

describe('openCentralStore', () => {
  it('maps db urls to stores', () => {
    expect(openCentralStore(undefined).kind).toBe('memory');
    expect(openCentralStore('memory:').kind).toBe('memory');
    const path = tempDb();
    const store = openCentralStore(`sqlite:///${path}`);
    expect(store.kind).toBe('sqlite');
    expect((store as SqliteCentralStore).path).toBe(path);
    store.close();
    const file = openCentralStore(`file:${path}`);
    expect((file as SqliteCentralStore).path).toBe(path);
    file.close();
    expect(() => openCentralStore('postgres://db/central')).toThrow(/only sqlite/);
  });
});
