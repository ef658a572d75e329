import { parseArgs } from 'node:util';

/** What `pnpm sim` runs. */
export interface SimOptions {
  cps: number;
  drivers: number;
  hours: number;
  seed: number | string;
  policy: 'random-available' | 'cheapest';
  sessionsPerDriver: number;
  /** Local hour the run starts at (the arrival profile follows the clock). */
  startHour: number;
  telemetryIntervalS: number;
  monitorIntervalS: number;
  heartbeatTimeoutS: number;
  /** Event-log entries kept in the JSON report (the hash always covers every message). */
  events: number;
  json: string | undefined;
  csv: string | undefined;
  progress: boolean;
}

export const USAGE = `Usage: pnpm sim -- [options]

Simulates a charging network in virtual time: Central, N charging points (engine + monitor),
a fleet of drivers arriving by time of day. Prints a summary; writes the full report and the
sessions on request.

  --cps <n>                    charging points (default 100)
  --drivers <n>                drivers in the fleet (default 300)
  --hours <h>                  simulated hours (default 24)
  --seed <s>                   seed; same seed, same run (default 1)
  --policy <p>                 random-available | cheapest (default random-available)
  --sessions-per-driver <n>    charging sessions per driver per day (default 1)
  --start-hour <h>             local time the run starts at, 0-23 (default 0)
  --telemetry-interval <s>     engine telemetry interval, seconds (default 60)
  --monitor-interval <s>       monitor probe and heartbeat interval, seconds (default 60)
  --heartbeat-timeout <s>      Central marks a monitor down after this, seconds (default 3x monitor)
  --events <n>                 event-log entries to include in --json (default 0; the hash covers all)
  --json <file>                write the full report as JSON
  --csv <file>                 write Central's sessions as CSV
  --no-progress                no progress bar on stderr
  -h, --help                   this text

The original system's intervals are 1 s (telemetry, probes, heartbeats, 5 s heartbeat timeout);
the defaults above are coarser so a city-day runs in seconds: pass --telemetry-interval 1
--monitor-interval 1 --heartbeat-timeout 5 for the original's.

Example: pnpm sim -- --cps 1000 --drivers 3000 --hours 24 --seed 42 --json report.json --csv sessions.csv
`;

/** A bad command line: the message says which flag and what it expects. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

function number(
  flag: string,
  raw: string | undefined,
  fallback: number,
  check: { integer?: boolean; min: number; max?: number },
): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  const ok =
    raw.trim() !== '' &&
    Number.isFinite(value) &&
    (!check.integer || Number.isInteger(value)) &&
    value >= check.min &&
    (check.max === undefined || value <= check.max);
  if (!ok) {
    const kind = check.integer ? 'an integer' : 'a number';
    const range = check.max === undefined ? `>= ${check.min}` : `from ${check.min} to ${check.max}`;
    throw new UsageError(`--${flag} expects ${kind} ${range}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/**
 * Reads `pnpm sim` flags (node:util parseArgs, strict). Returns `'help'` for -h/--help; throws a
 * {@link UsageError} for an unknown flag, a missing value or a value out of range.
 */
export function parseSimArgs(argv: readonly string[]): SimOptions | 'help' {
  // `pnpm sim -- --cps 10` hands the script a leading `--`.
  const args = argv[0] === '--' ? argv.slice(1) : [...argv];
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        cps: { type: 'string' },
        drivers: { type: 'string' },
        hours: { type: 'string' },
        seed: { type: 'string' },
        policy: { type: 'string' },
        'sessions-per-driver': { type: 'string' },
        'start-hour': { type: 'string' },
        'telemetry-interval': { type: 'string' },
        'monitor-interval': { type: 'string' },
        'heartbeat-timeout': { type: 'string' },
        events: { type: 'string' },
        json: { type: 'string' },
        csv: { type: 'string' },
        'no-progress': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return 'help';
  const s = (name: string) => values[name] as string | undefined;
  const policy = s('policy') ?? 'random-available';
  if (policy !== 'random-available' && policy !== 'cheapest') {
    throw new UsageError(`--policy expects random-available or cheapest, got ${JSON.stringify(policy)}`);
  }
  const seedRaw = s('seed');
  if (seedRaw !== undefined && seedRaw.trim() === '') throw new UsageError('--seed expects a value, got ""');
  const monitorIntervalS = number('monitor-interval', s('monitor-interval'), 60, { min: 0.01 });
  for (const flag of ['json', 'csv']) {
    if (s(flag) === '') throw new UsageError(`--${flag} expects a file name`);
  }
  return {
    cps: number('cps', s('cps'), 100, { integer: true, min: 1, max: 100_000 }),
    drivers: number('drivers', s('drivers'), 300, { integer: true, min: 0, max: 1_000_000 }),
    hours: number('hours', s('hours'), 24, { min: 0.001, max: 24 * 366 }),
    seed: seedRaw === undefined ? 1 : /^-?\d+$/.test(seedRaw) ? Number(seedRaw) : seedRaw,
    policy,
    sessionsPerDriver: number('sessions-per-driver', s('sessions-per-driver'), 1, { min: 0, max: 100 }),
    startHour: number('start-hour', s('start-hour'), 0, { min: 0, max: 23.999 }),
    telemetryIntervalS: number('telemetry-interval', s('telemetry-interval'), 60, { min: 0.01 }),
    monitorIntervalS,
    heartbeatTimeoutS: number('heartbeat-timeout', s('heartbeat-timeout'), 3 * monitorIntervalS, {
      min: monitorIntervalS,
    }),
    events: number('events', s('events'), 0, { integer: true, min: 0, max: 10_000_000 }),
    json: s('json'),
    csv: s('csv'),
    progress: !values['no-progress'],
  };
}
