import { describe, expect, it } from 'vitest';
import { parseArrivals, replayLine } from './arrivals-file.js';

const at = (iso: string) => Date.parse(iso);

describe('parseArrivals', () => {
  it('replays the sessions CSV pnpm sim writes: arrival at the request, stay as long as it charged', () => {
    const csv = [
      'session_id,request_id,driver_id,cp_id,status,requested_at,start_time,end_time,energy_kwh,total_cost_eur,reason',
      's-1,r-1,d-1,CP-0007,completed,2026-01-01T08:00:00.000Z,2026-01-01T08:00:00.000Z,2026-01-01T09:15:30.000Z,12.5,4.1,"departure time reached"',
      's-2,r-2,d-2,CP-0002,denied,2026-01-01T08:01:00.000Z,,,,,busy',
      's-3,r-3,d-3,CP-0003,charging,2026-01-01T23:50:00.000Z,2026-01-01T23:50:00.000Z,,,,',
    ].join('\n');
    expect(parseArrivals(csv, 'sessions.csv')).toEqual({
      schedule: [{ at: at('2026-01-01T08:00:00Z'), duration_s: 4_530, cp_id: 'CP-0007' }],
      skipped: 2,
    });
  });

  it('reads arrival and departure, or a duration, with an optional energy target', () => {
    expect(
      parseArrivals('arrival,departure,target_kwh\n2026-01-01T17:00:00Z,2026-01-01T19:30:00Z,20\n\n', 'a.csv')
        .schedule,
    ).toEqual([{ at: at('2026-01-01T17:00:00Z'), duration_s: 9_000, target_kwh: 20 }]);
    expect(parseArrivals('requested_at,duration_s\n2026-01-01T06:00:00Z,600\n', 'b.csv').schedule).toEqual([
      { at: at('2026-01-01T06:00:00Z'), duration_s: 600 },
    ]);
  });

  it('names the file, the line and the column of a value it cannot use', () => {
    const bad = (csv: string) => () => parseArrivals(csv, 'x.csv');
    expect(bad('cp_id,energy\nCP-1,3\n')).toThrow(
      'x.csv: expected a column arrival (or requested_at) and one of duration_s, departure, or start_time and end_time; found cp_id, energy',
    );
    expect(bad('arrival,departure\n2026-01-01T08:00:00Z,2026-01-01T07:00:00Z\n')).toThrow(
      'x.csv:2: departure must be after the arrival (arrival), got "2026-01-01T07:00:00Z"',
    );
    expect(bad('arrival,duration_s\n2026-01-01T08:00:00Z,600\n2026-01-01T09:00:00Z,ten\n')).toThrow(
      'x.csv:3: duration_s must be a number of seconds > 0, got "ten"',
    );
    expect(bad('arrival,duration_s,target_kwh\n2026-01-01T08:00:00Z,600,-1\n')).toThrow(
      'x.csv:2: target_kwh must be a number of kWh > 0, got "-1"',
    );
    expect(bad('arrival,duration_s\n2026-01-01T08:00:00Z,600,7\n')).toThrow(/^x\.csv: Invalid Record Length/);
  });

  it('says what a replay does with the arrivals outside the simulated window', () => {
    const start = at('2026-01-01T06:00:00Z');
    const schedule = ['05:00', '07:00', '09:30', '12:00'].map((hhmm) => ({
      at: at(`2026-01-01T${hhmm}:00Z`),
      duration_s: 600,
    }));
    expect(replayLine('a.csv', schedule, 2, start, 6)).toBe(
      'replaying 4 arrivals from a.csv (2026-01-01T05:00:00.000Z to 2026-01-01T12:00:00.000Z; 2 rows without a session skipped; 1 before the start arrive at once; 1 after the end not reached)',
    );
    expect(replayLine('b.csv', [], 0, start, 6)).toBe('replaying 0 arrivals from b.csv');
  });
});
