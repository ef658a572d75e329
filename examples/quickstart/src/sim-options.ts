import { parseArgs } from 'node:util';
import type { Tariff } from '@evcharging/core';
import { type ScheduledArrival, VEHICLE_CATALOGUE } from '@evcharging/driver';

/** The allocation policies `--charging-policy` and `--compare-policies` know. */
export const CHARGING_POLICIES = ['uncontrolled', 'equal-share', 'edf', 'llf'] as const;
export type ChargingPolicyName = (typeof CHARGING_POLICIES)[number];

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
  /** Each site's grid limit, kW (one site per 10 CPs); undefined: no sites, no smart charging. */
  siteLimitKw: number | undefined;
  chargingPolicy: ChargingPolicyName;
  /** Drivers' vehicles: archetype weights, or undefined for the original's requests. */
  vehicles: Record<string, number> | undefined;
  /** Time-of-use prices of every site. */
  tariff: Tariff | undefined;
  /** Run the same seed under every charging policy and compare. */
  comparePolicies: boolean;
  /** A CSV of recorded sessions the fleet replays instead of drawing arrivals. */
  arrivals: string | undefined;
  /** The arrivals read from that file (filled in by the CLI before the run; not a flag). */
  schedule?: readonly ScheduledArrival[];
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
  --site-limit <kW>            group the CPs into sites of 10 behind a grid connection of this many kW,
                               shared by Central's smart charging (default: no sites)
  --charging-policy <p>        uncontrolled | equal-share | edf | llf (default equal-share)
  --vehicles <mix>             drivers arrive with vehicles: "default" (the whole catalogue), or
                               archetype:weight,... e.g. compact-52:2,suv-58-800v:1 (default: none)
  --arrivals <file.csv>        replay recorded sessions instead of drawing arrivals: columns arrival
                               (or requested_at), then duration_s, departure, or start_time and
                               end_time; optional cp_id, target_kwh. Another run's --csv replays as
                               it is. Drivers come from the --drivers pool (no vehicles); the
                               clock starts on the day of the first arrival
  --tariff <periods>           every site's time-of-use prices, e.g. 22:00-07:00=0.18,07:00-22:00=0.32
  --compare-policies           run the same seed under each charging policy; one table, and the
                               comparison in --json / --csv (default compare-policies.json / .csv)
  --events <n>                 event-log entries to include in --json (default 0; the hash covers all)
  --json <file>                write the full report as JSON
  --csv <file>                 write Central's sessions as CSV
  --no-progress                no progress bar on stderr
  -h, --help                   this text

The original system's intervals are 1 s (telemetry, probes, heartbeats, 5 s heartbeat timeout);
the defaults above are coarser so a city-day runs in seconds: pass --telemetry-interval 1
--monitor-interval 1 --heartbeat-timeout 5 for the original's.

Example: pnpm sim -- --cps 1000 --drivers 3000 --hours 24 --seed 42 --json report.json --csv sessions.csv
         pnpm sim -- --cps 1000 --drivers 3000 --site-limit 100 --vehicles default --compare-policies
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
        'site-limit': { type: 'string' },
        'charging-policy': { type: 'string' },
        vehicles: { type: 'string' },
        tariff: { type: 'string' },
        'compare-policies': { type: 'boolean' },
        arrivals: { type: 'string' },
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
  for (const flag of ['json', 'csv', 'arrivals']) {
    if (s(flag) === '') throw new UsageError(`--${flag} expects a file name`);
  }
  const chargingPolicy = s('charging-policy') ?? 'equal-share';
  if (!(CHARGING_POLICIES as readonly string[]).includes(chargingPolicy)) {
    throw new UsageError(
      `--charging-policy expects ${CHARGING_POLICIES.join(', ')}, got ${JSON.stringify(chargingPolicy)}`,
    );
  }
  const siteLimit = s('site-limit');
  const comparePolicies = values['compare-policies'] === true;
  if (s('arrivals') !== undefined && s('vehicles') !== undefined && s('vehicles') !== 'none') {
    throw new UsageError('--arrivals replays requests without vehicles: drop --vehicles');
  }
  if (comparePolicies && siteLimit === undefined) {
    throw new UsageError('--compare-policies needs --site-limit (policies share a site limit)');
  }
  return {
    siteLimitKw: siteLimit === undefined ? undefined : number('site-limit', siteLimit, 0, { min: 0 }),
    chargingPolicy: chargingPolicy as ChargingPolicyName,
    vehicles: parseMix(s('vehicles')),
    tariff: parseTariff(s('tariff')),
    comparePolicies,
    arrivals: s('arrivals'),
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

/** `default` (every archetype alike), `none`, or `name:weight,...`. */
function parseMix(raw: string | undefined): Record<string, number> | undefined {
  if (raw === undefined || raw === 'none') return undefined;
  if (raw === 'default') return {};
  const mix: Record<string, number> = {};
  for (const part of raw.split(',')) {
    const [name, weight = '1'] = part.split(':');
    const w = Number(weight);
    if (!name || !(Number.isFinite(w) && w >= 0)) {
      throw new UsageError(
        `--vehicles expects default, none or archetype:weight,..., got ${JSON.stringify(raw)}`,
      );
    }
    if (!Object.hasOwn(VEHICLE_CATALOGUE, name.trim())) {
      throw new UsageError(
        `--vehicles: unknown vehicle archetype "${name.trim()}" (known: ${Object.keys(VEHICLE_CATALOGUE).join(', ')})`,
      );
    }
    mix[name.trim()] = w;
  }
  return mix;
}

/** `HH:MM-HH:MM=eur,...` into tariff periods (the gaps are checked with the sites). */
function parseTariff(raw: string | undefined): Tariff | undefined {
  if (raw === undefined) return undefined;
  return raw.split(',').map((part) => {
    const match = /^\s*(\d\d:\d\d)-(\d\d:\d\d)=(\d+(?:\.\d+)?)\s*$/.exec(part);
    if (!match) {
      throw new UsageError(`--tariff expects HH:MM-HH:MM=eur,..., got ${JSON.stringify(part)}`);
    }
    return { from: match[1]!, to: match[2]!, eur_kwh: Number(match[3]) };
  });
}
