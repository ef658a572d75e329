import { parseArgs } from 'node:util';

/** What `pnpm ocpp:fleet` was asked to run. */
export interface FleetCliOptions {
  csms: string;
  cps: number;
  drivers: number;
  sessionsPerDriver: number;
  meterIntervalS: number;
  idPrefix: string;
  kw: number;
  password: string | undefined;
  connectRate: number;
  durationS: number | undefined;
  seed: number;
  json: string | undefined;
}

/** A flag that is wrong: the CLI prints it with the usage and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const USAGE = `usage: pnpm ocpp:fleet -- --csms <ws-url> --cps <n> [options]

Runs <n> simulated OCPP 1.6J charge points against a CSMS, in real time, with drivers arriving.
Each charge point connects to <ws-url>/<id> (subprotocol ocpp1.6), boots, reports its status and
runs the transactions of the drivers who plug in. A progress line while it runs; a summary on exit
(Ctrl-C, or after --duration).

  --csms <ws-url>              the CSMS endpoint without the id, e.g. ws://127.0.0.1:9000/ocpp (required)
  --cps <n>                    charge points, 1 to 18000 (required)
  --drivers <n>                drivers in the population (default 0: none arrive)
  --sessions-per-driver <n>    charging sessions per driver per day (default 1)
  --meter-interval <s>         MeterValueSampleInterval, seconds (default 60)
  --id-prefix <prefix>         charge point ids are <prefix>00001... (default CP-)
  --kw <kW>                    rated power of every charge point (default 22)
  --password <secret>          HTTP Basic password of every charge point (security profile 1)
  --connect-rate <n>           connections opened per second at start (default 200)
  --duration <s>               stop after this many seconds (default: until Ctrl-C)
  --seed <n>                   seed of the arrivals and trips (default 1)
  --json <file>                also write the summary as JSON
  --help                       this text
`;

function number(name: string, text: string | undefined, min: number, max: number, integer = false): number {
  const value = Number(text);
  if (text === undefined || text.trim() === '' || !Number.isFinite(value) || value < min || value > max) {
    throw new UsageError(`--${name} must be a number from ${min} to ${max}, got ${JSON.stringify(text)}`);
  }
  if (integer && !Number.isInteger(value))
    throw new UsageError(`--${name} must be a whole number, got ${text}`);
  return value;
}

/** Parses the flags; throws a {@link UsageError} naming the wrong one; `'help'` for --help. */
export function parseFleetArgs(argv: readonly string[]): FleetCliOptions | 'help' {
  const args = argv.filter((a) => a !== '--');
  if (args.includes('--help') || args.includes('-h')) return 'help';
  let values: Record<string, string | undefined>;
  try {
    values = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        csms: { type: 'string' },
        cps: { type: 'string' },
        drivers: { type: 'string' },
        'sessions-per-driver': { type: 'string' },
        'meter-interval': { type: 'string' },
        'id-prefix': { type: 'string' },
        kw: { type: 'string' },
        password: { type: 'string' },
        'connect-rate': { type: 'string' },
        duration: { type: 'string' },
        seed: { type: 'string' },
        json: { type: 'string' },
      },
    }).values as Record<string, string | undefined>;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const csms = values.csms;
  if (!csms) throw new UsageError('--csms is required');
  let url: URL;
  try {
    url = new URL(csms);
  } catch {
    throw new UsageError(`--csms must be a ws:// or wss:// URL, got ${JSON.stringify(csms)}`);
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new UsageError(`--csms must be a ws:// or wss:// URL, got ${JSON.stringify(csms)}`);
  }
  if (values.cps === undefined) throw new UsageError('--cps is required');
  const idPrefix = values['id-prefix'] ?? 'CP-';
  if (!/^[\x21-\x7e]{0,40}$/.test(idPrefix) || idPrefix.includes('/')) {
    throw new UsageError(
      `--id-prefix must be up to 40 printable characters without "/", got ${JSON.stringify(idPrefix)}`,
    );
  }
  return {
    csms: csms.replace(/\/+$/, ''),
    cps: number('cps', values.cps, 1, 18_000, true),
    drivers: number('drivers', values.drivers ?? '0', 0, 10_000_000, true),
    sessionsPerDriver: number('sessions-per-driver', values['sessions-per-driver'] ?? '1', 0, 1000),
    meterIntervalS: number('meter-interval', values['meter-interval'] ?? '60', 1, 3600, true),
    idPrefix,
    kw: number('kw', values.kw ?? '22', 0.1, 1000),
    password: values.password,
    connectRate: number('connect-rate', values['connect-rate'] ?? '200', 1, 5000),
    durationS:
      values.duration === undefined ? undefined : number('duration', values.duration, 1, 31 * 86_400),
    seed: number('seed', values.seed ?? '1', 0, 2 ** 31, true),
    json: values.json,
  };
}
