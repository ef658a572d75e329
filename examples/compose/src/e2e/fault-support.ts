import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, resolve } from 'node:path';
import type { DriverState } from '@evcharging/driver';
import {
  type CpSpec,
  cpsFileOf,
  driverStateFileOf,
  type LocalRunSettings,
  localTopology,
  type ProcessSpec,
} from '../local-run/local-topology.js';
import { getJson, pingEngine, waitFor } from '../local-run/probes.js';
import { isRoleProcess, logTail, readPid, startRole } from '../local-run/role-process.js';
import { type CommandResult, REPO_ROOT, readJson, run } from './process-support.js';

const KAFKA_SCRIPT = resolve(REPO_ROOT, 'scripts/kafka.sh');

/** The environment for scripts/kafka.sh without another broker's port, home or SASL settings. */
function scriptEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined || name.startsWith('VITEST') || name === 'NODE_OPTIONS') continue;
    if (/^KAFKA_(PORT|CONTROLLER_PORT|HOME_DIR|SASL.*|BOOTSTRAP|STOP_TIMEOUT)$/.test(name)) continue;
    env[name] = value;
  }
  return { ...env, ...extra };
}

/**
 * A broker of the fault tests' own: scripts/kafka.sh on its own port, with a home (and so a data
 * dir) in a temporary folder, so a kill -9 disturbs no other test and every run starts from an
 * empty log. The jar cache of the usual home is linked in (resolved there once with `kafka.sh path`).
 */
export class OwnBroker {
  readonly bootstrap: string;

  private constructor(
    readonly port: number,
    readonly home: string,
  ) {
    this.bootstrap = `127.0.0.1:${port}`;
  }

  static async create(port: number): Promise<OwnBroker> {
    const path = await run('bash', [KAFKA_SCRIPT, 'path'], {
      env: scriptEnv(process.env.KAFKA_HOME_DIR ? { KAFKA_HOME_DIR: process.env.KAFKA_HOME_DIR } : {}),
      timeoutMs: 900_000,
    });
    const libs = path.stdout.trim().split('\n').pop() ?? '';
    if (path.code !== 0 || !existsSync(resolve(libs, '.complete'))) {
      throw new Error(`scripts/kafka.sh path failed (${path.code}): ${path.stderr.trim()}`);
    }
    const home = mkdtempSync(resolve(tmpdir(), 'ev-fault-kafka-'));
    symlinkSync(libs, resolve(home, basename(libs)));
    return new OwnBroker(port, home);
  }

  private script(command: 'start' | 'stop' | 'status', timeoutMs: number): Promise<CommandResult> {
    return run('bash', [KAFKA_SCRIPT, command], {
      env: scriptEnv({ KAFKA_PORT: String(this.port), KAFKA_HOME_DIR: this.home, KAFKA_STOP_TIMEOUT: '10' }),
      timeoutMs,
    });
  }

  /** Starts the broker; resolves once it answers a metadata request (or the script failed). */
  start(): Promise<CommandResult> {
    return this.script('start', 180_000);
  }

  stop(): Promise<CommandResult> {
    return this.script('stop', 60_000);
  }

  /** The broker JVM's pid, when it runs. */
  pid(): number | undefined {
    const file = resolve(this.home, `broker-${this.port}`, 'kafka.pid');
    const pid = Number(existsSync(file) ? readFileSync(file, 'utf8').trim() : NaN);
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return cmdline.includes('kafka.Kafka') && !/^\d+ \(.*\) Z /.test(stat) ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  /** kill -9 of the broker JVM; returns its pid. */
  kill9(): number {
    const pid = this.pid();
    if (pid === undefined) throw new Error(`no broker runs on port ${this.port}`);
    process.kill(pid, 'SIGKILL');
    return pid;
  }

  /** The last lines of the broker's log. */
  logTail(lines = 20): string {
    const file = resolve(this.home, `broker-${this.port}`, 'kafka.log');
    if (!existsSync(file)) return '(no broker log)';
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  }

  remove(): void {
    rmSync(this.home, { recursive: true, force: true });
  }
}

/** `count` charging points with distinct rates and prices, on the given engine health ports. */
export function faultCps(ports: readonly number[]): CpSpec[] {
  const kws = [22, 50, 11, 150, 7.4, 43];
  return ports.map((port, i) => ({
    cpId: `CP-F${String(i + 1).padStart(2, '0')}`,
    location: `Fault bay ${i + 1}`,
    kw: kws[i % kws.length]!,
    priceEurKwh: 0.3 + i * 0.01,
    port,
  }));
}

/** Settings for local-run's topology with any number of CPs (local-run itself runs two). */
export function faultSettings(options: {
  dir: string;
  bootstrap: string;
  prefix: string;
  httpPort: number;
  tcpPort: number;
  cps: CpSpec[];
}): LocalRunSettings {
  return {
    dir: options.dir,
    bootstrap: options.bootstrap,
    kafkaPort: null,
    topicPrefix: options.prefix,
    bindHost: '127.0.0.1',
    localHost: '127.0.0.1',
    httpPort: options.httpPort,
    tcpPort: options.tcpPort,
    mode: 'source',
    cps: options.cps,
    driverId: 'unused',
    requestsFile: resolve(options.dir, 'unused.txt'),
  };
}

/** Central, the engines and their monitors (the drivers are started by the test), cps.json written. */
export function serviceSpecs(settings: LocalRunSettings): ProcessSpec[] {
  writeFileSync(
    cpsFileOf(settings),
    `${JSON.stringify(
      settings.cps.map((cp) => ({
        cp_id: cp.cpId,
        location: cp.location,
        price_eur_kwh: cp.priceEurKwh,
        kw: cp.kw,
      })),
      null,
      2,
    )}\n`,
  );
  return localTopology(settings).filter((p) => p.role !== 'driver');
}

/** Starts a role and waits until it is up as its spec defines it; returns its pid. */
export async function startAndWait(
  settings: LocalRunSettings,
  spec: ProcessSpec,
  env: Record<string, string>,
  timeoutMs: number,
): Promise<number> {
  const pid = startRole(settings, spec, env);
  const alive = () => isRoleProcess(pid, spec);
  const ready = spec.ready;
  try {
    if (ready.kind === 'http') {
      await waitFor(`${spec.name} ${ready.url}`, () => getJson(ready.url, 1_000), {
        timeoutMs,
        pollMs: 100,
        alive,
      });
    } else if (ready.kind === 'health-port') {
      await waitFor(
        `${spec.name} health port ${ready.port}`,
        async () => {
          const answer = await pingEngine('127.0.0.1', ready.port, 1_000);
          return answer?.startsWith('OK:') ? answer : undefined;
        },
        { timeoutMs, pollMs: 100, alive },
      );
    }
  } catch (error) {
    throw new Error(
      `${spec.name} did not come up: ${(error as Error).message}\n--- last lines of its log ---\n${logTail(settings, spec.name)}`,
    );
  }
  return pid;
}

/** A driver process of its own with a requests file; its state file keeps its results. */
export function driverSpec(
  settings: LocalRunSettings,
  driverId: string,
  lines: readonly string[],
): ProcessSpec {
  const requests = resolve(settings.dir, `${driverId}.txt`);
  writeFileSync(requests, `${lines.join('\n')}\n`);
  return {
    name: driverId,
    role: 'driver',
    env: {
      KAFKA_BOOTSTRAP: settings.bootstrap,
      KAFKA_TOPIC_PREFIX: settings.topicPrefix,
      DRIVER_DRIVER_ID: driverId,
      DRIVER_REQUESTS_FILE: requests,
      DRIVER_STATE_FILE: driverStateFileOf(settings, driverId),
    },
    ready: { kind: 'none' },
  };
}

export const driverStateOf = (settings: LocalRunSettings, driverId: string) =>
  readJson<DriverState>(driverStateFileOf(settings, driverId));

/** The pid of each process that runs now, by name. */
export function runningPids(settings: LocalRunSettings, specs: readonly ProcessSpec[]): Map<string, number> {
  const pids = new Map<string, number>();
  for (const spec of specs) {
    const pid = readPid(settings, spec.name);
    if (pid !== undefined && isRoleProcess(pid, spec)) pids.set(spec.name, pid);
  }
  return pids;
}

/** Central's session as the API lists it. */
export interface SessionRow {
  session_id: string;
  request_id: string;
  driver_id: string;
  cp_id: string;
  status: string;
  energy_kwh: number;
  total_cost_eur: number;
  ticket_received: boolean;
  reason: string | null;
}

/** Every session Central lists (newest first, up to 500). */
export async function allSessions(httpPort: number): Promise<SessionRow[] | undefined> {
  const page = (await getJson(`http://127.0.0.1:${httpPort}/api/v1/sessions?limit=500`, 5_000)) as
    | { items: SessionRow[] }
    | undefined;
  return page?.items;
}

/** One session with its ticket. */
export async function sessionWithTicket(
  httpPort: number,
  sessionId: string,
): Promise<(SessionRow & { ticket: { energy_kwh: number; total_cost_eur: number } | null }) | undefined> {
  return (await getJson(
    `http://127.0.0.1:${httpPort}/api/v1/sessions/${encodeURIComponent(sessionId)}`,
    5_000,
  )) as (SessionRow & { ticket: { energy_kwh: number; total_cost_eur: number } | null }) | undefined;
}
