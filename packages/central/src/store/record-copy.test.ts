import { describe, expect, it } from 'vitest';
import type { CpRecord, SessionRecord, TelemetrySnapshot } from './central-store.js';
import {
  assignCpRecord,
  assignSessionRecord,
  CP_RECORD_FIELDS,
  copySnapshotInto,
  SESSION_RECORD_FIELDS,
  TELEMETRY_SNAPSHOT_FIELDS,
} from './record-copy.js';

const cp = (n: number): CpRecord => ({
  cp_id: `CP-${n}`,
  location: `street ${n}`,
  price_eur_kwh: n / 10,
  kw: 11 * n,
  source: n % 2 ? 'engine' : 'registration',
  engine_state: n % 2 ? 'ACTIVATED' : 'SUPPLYING',
  monitor_health: n % 2 ? 'HEALTHY' : 'FAULT',
  fault_reason: `reason ${n}`,
  operator_stopped: n % 2 === 0,
  cp_e_host: `host-${n}`,
  cp_e_port: 7000 + n,
  registered_at: `2026-01-0${n}T00:00:00.000Z`,
  last_heartbeat_at: `2026-01-0${n}T00:00:01.000Z`,
  current_session_id: `s-${n}`,
  current_driver_id: `d-${n}`,
  last_telemetry: { kw: n, kwh: n, euros: n, ts: `t${n}` },
  updated_at: `2026-01-0${n}T00:00:02.000Z`,
});

const session = (n: number): SessionRecord => ({
  session_id: `s-${n}`,
  request_id: `r-${n}`,
  driver_id: `d-${n}`,
  cp_id: `CP-${n}`,
  status: n % 2 ? 'accepted' : 'supplying',
  requested_at: `t${n}`,
  start_time: `u${n}`,
  end_time: `v${n}`,
  kw: n,
  energy_kwh: n * 2,
  total_cost_eur: n * 3,
  reason: `why ${n}`,
  ticket_received: n % 2 === 0,
  target_kwh: n * 4,
  duration_s: n * 5,
  updated_at: `w${n}`,
});

describe('record copies', () => {
  it('copy every field of a CP record (last_telemetry is the caller’s)', () => {
    const target = cp(1);
    const source = cp(2);
    assignCpRecord(target, source);
    for (const field of Object.keys(CP_RECORD_FIELDS) as (keyof CpRecord)[]) {
      if (field === 'last_telemetry') expect(target.last_telemetry).toEqual(cp(1).last_telemetry);
      else expect(target[field], field).toEqual(source[field]);
    }
    // The table names every field a record has: none is left out of the check above.
    expect(Object.keys(CP_RECORD_FIELDS).sort()).toEqual(Object.keys(source).sort());
  });

  it('copy every field of a session record', () => {
    const target = session(1);
    const source = session(2);
    assignSessionRecord(target, source);
    expect(target).toEqual(source);
    expect(target).not.toBe(source);
    expect(Object.keys(SESSION_RECORD_FIELDS).sort()).toEqual(Object.keys(source).sort());
  });

  it('copy a telemetry snapshot in place when the optional fields match, else into a new one', () => {
    const full: TelemetrySnapshot = {
      kw: 7,
      kwh: 1,
      euros: 0.5,
      ts: 't',
      session_id: 's',
      driver_id: 'd',
      soc: 42,
    };
    expect(Object.keys(TELEMETRY_SNAPSHOT_FIELDS).sort()).toEqual(Object.keys(full).sort());
    const kept: TelemetrySnapshot = {
      kw: 1,
      kwh: 0,
      euros: 0,
      ts: 'old',
      session_id: 'x',
      driver_id: 'y',
      soc: 1,
    };
    expect(copySnapshotInto(kept, full)).toBe(kept);
    expect(kept).toEqual(full);
    // A session without a vehicle after one with: the old state of charge must not stay behind.
    const withoutSoc: TelemetrySnapshot = {
      kw: 3,
      kwh: 2,
      euros: 1,
      ts: 'u',
      session_id: 's2',
      driver_id: 'd2',
    };
    const next = copySnapshotInto(kept, withoutSoc);
    expect(next).not.toBe(kept);
    expect(next).toEqual(withoutSoc);
    expect('soc' in next).toBe(false);
    expect(copySnapshotInto(null, withoutSoc)).toEqual(withoutSoc);
  });
});
