import { readFile } from 'node:fs/promises';
import type { ScheduledArrival } from '@evcharging/driver';
import { parse } from 'csv-parse/sync';

/** Arrivals read from a CSV file, and the rows that had no session to replay. */
export interface ArrivalsFile {
  schedule: ScheduledArrival[];
  /** Rows without a stay (a request that was denied, or a session still open when its run ended). */
  skipped: number;
}

/** A CSV row that cannot be replayed; names the file, the line and the column. */
export class ArrivalsFileError extends Error {
  override readonly name = 'ArrivalsFileError';
}

type Row = Record<string, string>;

/**
 * Reads recorded sessions for `pnpm sim -- --arrivals <file>`: a CSV with a header naming
 *
 * - when the driver arrives: `arrival` or `requested_at` (ISO 8601);
 * - how long it stays: `duration_s`, or `departure` (ISO 8601), or `start_time` and `end_time`
 *   (the time it charged, as in the sessions CSV `pnpm sim -- --csv` writes);
 * - optionally `cp_id` (the CP it goes to when free) and `target_kwh` (energy wanted).
 *
 * Other columns are ignored, so another run's `--csv` output replays as it is. A row whose stay is
 * empty is skipped and counted; a value that is present and wrong is an error naming its line.
 *
 * @example
 * parseArrivals('arrival,departure,cp_id\n2026-01-01T08:00:00Z,2026-01-01T09:30:00Z,CP-0001\n', 'a.csv');
 * // { schedule: [{ at: 1767254400000, duration_s: 5400, cp_id: 'CP-0001' }], skipped: 0 }
 */
export function parseArrivals(text: string, file: string): ArrivalsFile {
  let rows: { record: Row; info: { lines: number } }[];
  /** The header as csv-parse read it (also when no row follows). */
  let header: string[] = [];
  try {
    rows = parse(text, {
      columns: (names: string[]) => (header = names),
      skip_empty_lines: true,
      trim: true,
      info: true,
    });
  } catch (error) {
    throw new ArrivalsFileError(`${file}: ${(error as Error).message}`);
  }
  const columns = new Set(header);
  const arrivalColumn = ['arrival', 'requested_at'].find((c) => columns.has(c));
  const stay = columns.has('duration_s')
    ? 'duration_s'
    : columns.has('departure')
      ? 'departure'
      : columns.has('start_time') && columns.has('end_time')
        ? 'start_time/end_time'
        : undefined;
  if (!arrivalColumn || !stay) {
    throw new ArrivalsFileError(
      `${file}: expected a column arrival (or requested_at) and one of duration_s, departure, or start_time and end_time; found ${[...columns].join(', ') || 'no header'}`,
    );
  }
  const schedule: ScheduledArrival[] = [];
  let skipped = 0;
  for (const { record, info } of rows) {
    const wrong = (column: string, expected: string): never => {
      throw new ArrivalsFileError(
        `${file}:${info.lines}: ${column} must be ${expected}, got ${JSON.stringify(record[column])}`,
      );
    };
    const time = (column: string): number | undefined => {
      const raw = record[column] ?? '';
      if (raw === '') return undefined;
      const ms = Date.parse(raw);
      return Number.isFinite(ms) ? ms : wrong(column, 'an ISO 8601 time');
    };
    const at = time(arrivalColumn) ?? wrong(arrivalColumn, 'an ISO 8601 time');
    let durationS: number | undefined;
    if (stay === 'duration_s') {
      const raw = record.duration_s ?? '';
      durationS = raw === '' ? undefined : Number(raw);
    } else if (stay === 'departure') {
      const departure = time('departure');
      durationS = departure === undefined ? undefined : (departure - at) / 1000;
    } else {
      const start = time('start_time');
      const end = time('end_time');
      durationS = start === undefined || end === undefined ? undefined : (end - start) / 1000;
    }
    if (durationS === undefined) {
      skipped++;
      continue;
    }
    if (!(durationS > 0) || !Number.isFinite(durationS)) {
      if (stay === 'duration_s') wrong('duration_s', 'a number of seconds > 0');
      else if (stay === 'departure') wrong('departure', `after the arrival (${arrivalColumn})`);
      else wrong('end_time', 'after start_time');
    }
    const entry: ScheduledArrival = { at, duration_s: durationS };
    const target = record.target_kwh ?? '';
    if (target !== '') {
      const kwh = Number(target);
      if (!(kwh > 0) || !Number.isFinite(kwh)) wrong('target_kwh', 'a number of kWh > 0');
      entry.target_kwh = kwh;
    }
    if (record.cp_id) entry.cp_id = record.cp_id;
    schedule.push(entry);
  }
  return { schedule, skipped };
}

/**
 * What a replay will do with a file's arrivals, in one line: how many, their span, and those outside
 * the simulated window (before its start: they arrive at once; after its end: never).
 */
export function replayLine(
  file: string,
  schedule: readonly ScheduledArrival[],
  skipped: number,
  start: number,
  hours: number,
): string {
  const end = start + hours * 3_600_000;
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  let before = 0;
  let after = 0;
  for (const { at } of schedule) {
    first = Math.min(first, at);
    last = Math.max(last, at);
    if (at < start) before++;
    else if (at >= end) after++;
  }
  const notes = [
    ...(schedule.length > 0 ? [`${new Date(first).toISOString()} to ${new Date(last).toISOString()}`] : []),
    ...(skipped > 0 ? [`${skipped} rows without a session skipped`] : []),
    ...(before > 0 ? [`${before} before the start arrive at once`] : []),
    ...(after > 0 ? [`${after} after the end not reached`] : []),
  ];
  return `replaying ${schedule.length} arrivals from ${file}${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`;
}

/** Reads and parses an arrivals file ({@link parseArrivals}). */
export async function readArrivals(file: string): Promise<ArrivalsFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ArrivalsFileError(`${file}: cannot read: ${(error as Error).message}`);
  }
  return parseArrivals(text, file);
}
