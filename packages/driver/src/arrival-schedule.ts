/**
 * One arrival a fleet replays at a fixed time instead of drawing it: recorded sessions (real
 * arrival data, or the sessions of another run) driven through the network again.
 */
export interface ScheduledArrival {
  /** When the driver arrives, ms since the epoch (the clock's time). */
  at: number;
  /** How long the driver stays, s: the request's `duration_s`. */
  duration_s: number;
  /** Energy wanted, kWh (`target_kwh`). Without it the session lasts `duration_s`. */
  target_kwh?: number;
  /** The CP the driver goes to when it is free; otherwise the fleet's policy picks one. */
  cp_id?: string;
}

/**
 * Checks a schedule and returns it ordered by arrival time (arrivals at the same time keep their
 * order). Names the entry and the field that is wrong.
 *
 * @example
 * checkSchedule([{ at: Date.UTC(2026, 0, 1, 8), duration_s: 3_600, cp_id: 'CP-001' }]);
 */
export function checkSchedule(schedule: readonly ScheduledArrival[]): readonly ScheduledArrival[] {
  schedule.forEach((entry, i) => {
    const wrong = (field: string, value: unknown, expected: string): never => {
      throw new RangeError(
        `driverFleet schedule[${i}].${field} must be ${expected}, got ${typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value))}`,
      );
    };
    if (!Number.isFinite(entry.at)) wrong('at', entry.at, 'a time in ms since the epoch');
    if (!(entry.duration_s > 0) || !Number.isFinite(entry.duration_s)) {
      wrong('duration_s', entry.duration_s, 'a finite number of seconds > 0');
    }
    if (entry.target_kwh !== undefined && (!(entry.target_kwh > 0) || !Number.isFinite(entry.target_kwh))) {
      wrong('target_kwh', entry.target_kwh, 'a finite number of kWh > 0');
    }
    if (entry.cp_id !== undefined && (typeof entry.cp_id !== 'string' || entry.cp_id === '')) {
      wrong('cp_id', entry.cp_id, 'a CP id');
    }
  });
  return schedule
    .map((entry, i) => ({ entry, i }))
    .sort((a, b) => a.entry.at - b.entry.at || a.i - b.i)
    .map(({ entry }) => entry);
}
