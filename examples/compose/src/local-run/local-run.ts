#!/usr/bin/env node
import { spawnSync } from 'node:child_process';
// local-run: the compose topology as processes on this machine, with the project's Kafka broker.
//   local-run [start]            Kafka (scripts/kafka.sh unless KAFKA_BOOTSTRAP is set), Central,
//                                engines on 8001/8002, their monitors, a driver; returns once the
//                                CPs show ACTIVATED. Pid and log files under .local-run/.
//   local-run start <name>...    start stopped processes (after a kill -9), e.g. ev-cp-e-1
//   local-run stop [<name>...]   SIGTERM (then SIGKILL after 6 s); everything, broker included
//   local-run restart <name>...  stop, then start
//   local-run status             every process, its pid and port; exit 0 when all run
//   local-run clean              stop, then remove the folder
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  cpsFileOf,
  driverStateFileOf,
  type LocalRunSettings,
  localTopology,
  type ProcessSpec,
  passThrough,
  REPO_ROOT,
  settingsFromEnv,
} from './local-topology.js';
import { cpState, getJson, pingEngine, waitFor } from './probes.js';
import { isRoleProcess, logFileOf, logTail, readPid, startRole, stopRole } from './role-process.js';

interface SavedRun {
  settings: LocalRunSettings;
  /** Role variables of the environment local-run was started from, reused by restarts. */
  env: Record<string, string>;
  /** True when local-run started the broker (and so stops it). */
  startedKafka: boolean;
}

const say = (line: string) => process.stdout.write(`local-run: ${line}\n`);
const fail = (line: string): never => {
  process.stderr.write(`local-run: error: ${line}\n`);
  process.exit(1);
};

function baseDir(): string {
  return resolve(REPO_ROOT, process.env.LOCAL_RUN_DIR?.trim() || '.local-run');
}

function savedRun(): SavedRun | undefined {
  const file = resolve(baseDir(), 'local-run.json');
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as SavedRun;
}

function save(run: SavedRun): void {
  mkdirSync(run.settings.dir, { recursive: true });
  writeFileSync(resolve(run.settings.dir, 'local-run.json'), `${JSON.stringify(run, null, 2)}\n`);
  // The same facts for verify.sh (bash), one KEY=VALUE a line.
  const s = run.settings;
  const lines = [
    `LOCAL_RUN_DIR=${s.dir}`,
    `KAFKA_BOOTSTRAP=${s.bootstrap}`,
    `KAFKA_TOPIC_PREFIX=${s.topicPrefix}`,
    `LOCAL_HOST=${s.localHost}`,
    `CENTRAL_HTTP_PORT=${s.httpPort}`,
    `CENTRAL_LISTEN_PORT=${s.tcpPort}`,
    `ENGINE_PORTS="${s.cps.map((cp) => cp.port).join(' ')}"`,
    `CP_IDS="${s.cps.map((cp) => cp.cpId).join(' ')}"`,
    `PROCESSES="${localTopology(s)
      .map((p) => `${p.name}:${p.role}`)
      .join(' ')}"`,
    `LOCAL_RUN_MODE=${s.mode}`,
    `DRIVER_STATE_FILE=${driverStateFileOf(s)}`,
  ];
  writeFileSync(resolve(s.dir, 'local-run.env'), `${lines.join('\n')}\n`);
}

function kafkaScript(command: 'start' | 'stop' | 'status', port: number) {
  const result = spawnSync('bash', [resolve(REPO_ROOT, 'scripts/kafka.sh'), command], {
    env: { ...process.env, KAFKA_PORT: String(port) },
    encoding: 'utf8',
    timeout: 240_000,
  });
  return { ok: result.status === 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}`.trim() };
}

function select(run: SavedRun, names: string[]): ProcessSpec[] {
  const all = localTopology(run.settings);
  if (names.length === 0) return all;
  return names.map(
    (name) =>
      all.find((p) => p.name === name) ??
      fail(`no process "${name}"; the processes are ${all.map((p) => p.name).join(', ')}`),
  );
}

function running(run: SavedRun, spec: ProcessSpec): number | undefined {
  const pid = readPid(run.settings, spec.name);
  return isRoleProcess(pid, spec) ? pid : undefined;
}

async function waitReady(run: SavedRun, spec: ProcessSpec, pid: number, timeoutMs: number): Promise<void> {
  const alive = () => isRoleProcess(pid, spec);
  const ready = spec.ready;
  if (ready.kind === 'http') {
    await waitFor(`${spec.name} ${ready.url}`, () => getJson(ready.url), { timeoutMs, alive });
  } else if (ready.kind === 'health-port') {
    await waitFor(
      `${spec.name} health port ${ready.port}`,
      async () => {
        const answer = await pingEngine(run.settings.localHost, ready.port);
        return answer?.startsWith('OK:') ? answer : undefined;
      },
      { timeoutMs, alive },
    );
  }
  void run;
}

async function startSpecs(run: SavedRun, specs: ProcessSpec[], timeoutMs: number): Promise<void> {
  const env = { ...cleanEnv(), ...run.env };
  await Promise.all(
    specs.map(async (spec) => {
      const already = running(run, spec);
      if (already !== undefined) {
        say(`${spec.name} already runs (pid ${already})`);
        return;
      }
      const pid = startRole(run.settings, spec, env);
      say(`${spec.name} started (pid ${pid}, log ${logFileOf(run.settings, spec.name)})`);
      try {
        await waitReady(run, spec, pid, timeoutMs);
      } catch (error) {
        throw new Error(
          `${spec.name} did not come up: ${(error as Error).message}\n--- last lines of its log ---\n${logTail(run.settings, spec.name)}`,
        );
      }
    }),
  );
}

/** The environment without what would change a child's behaviour by accident (vitest's markers). */
function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined || name.startsWith('VITEST') || name === 'NODE_OPTIONS') continue;
    env[name] = value;
  }
  return env;
}

async function startAll(timeoutMs: number): Promise<void> {
  const previous = savedRun();
  if (previous && localTopology(previous.settings).some((spec) => running(previous, spec) !== undefined)) {
    fail(`already running in ${previous.settings.dir} (see local-run status); run local-run stop first`);
  }
  let settings: LocalRunSettings;
  try {
    settings = settingsFromEnv(process.env);
  } catch (error) {
    return fail((error as Error).message);
  }
  const run: SavedRun = { settings, env: passThrough(process.env), startedKafka: false };
  mkdirSync(settings.dir, { recursive: true });
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
  // A new run goes through the driver's list again; Central's database and the outboxes stay.
  rmSync(driverStateFileOf(settings), { force: true });

  if (settings.kafkaPort !== null) {
    const before = kafkaScript('status', settings.kafkaPort);
    if (!before.ok) {
      say(`starting Kafka on ${settings.bootstrap} (scripts/kafka.sh; 20 s cold, 5 s warm)`);
      const started = kafkaScript('start', settings.kafkaPort);
      if (!started.ok) fail(`scripts/kafka.sh start failed:\n${started.output}`);
      run.startedKafka = true;
    } else {
      say(`Kafka already runs on ${settings.bootstrap}`);
    }
  } else {
    say(`using the Kafka broker at ${settings.bootstrap}`);
  }
  save(run);

  const all = localTopology(settings);
  const byRole = (role: ProcessSpec['role']) => all.filter((p) => p.role === role);
  try {
    await startSpecs(run, byRole('central'), timeoutMs);
    await startSpecs(run, byRole('cp-engine'), timeoutMs);
    await startSpecs(run, byRole('cp-monitor'), timeoutMs);
    for (const cp of settings.cps) {
      await waitFor(
        `${cp.cpId} ACTIVATED at Central`,
        async () =>
          (await cpState(settings.httpPort, cp.cpId, settings.localHost)) === 'ACTIVATED' ? true : undefined,
        { timeoutMs },
      );
    }
    say(`Central shows ${settings.cps.map((cp) => `${cp.cpId} ACTIVATED`).join(', ')}`);
    await startSpecs(run, byRole('driver'), timeoutMs);
  } catch (error) {
    process.stderr.write(`local-run: error: ${(error as Error).message}\n`);
    say('stopping what was started');
    await stopAll(run);
    process.exit(1);
  }
  say(
    `up: dashboard http://${settings.localHost}:${settings.httpPort}/  (status: pnpm local-run status, stop: pnpm local-run stop)`,
  );
}

async function stopAll(run: SavedRun, names: string[] = []): Promise<void> {
  const specs = select(run, names).reverse();
  for (const spec of specs) {
    const outcome = await stopRole(run.settings, spec);
    if (outcome !== 'not running') say(`${spec.name} ${outcome}`);
  }
  if (names.length === 0 && run.startedKafka && run.settings.kafkaPort !== null) {
    if (process.env.LOCAL_RUN_KEEP_KAFKA === '1') {
      say(`Kafka left running on ${run.settings.bootstrap} (LOCAL_RUN_KEEP_KAFKA=1)`);
    } else {
      const stopped = kafkaScript('stop', run.settings.kafkaPort);
      say(stopped.ok ? 'Kafka stopped' : `Kafka did not stop: ${stopped.output}`);
      run.startedKafka = false;
      save(run);
    }
  }
}

function driverOutcome(run: SavedRun): string {
  try {
    const state = JSON.parse(readFileSync(driverStateFileOf(run.settings), 'utf8')) as {
      results: { status: string }[];
      pending: unknown[];
    };
    const completed = state.results.filter((r) => r.status === 'completed').length;
    return `${state.results.length} results (${completed} completed), ${state.pending.length} pending`;
  } catch {
    return 'no results yet';
  }
}

async function status(run: SavedRun): Promise<number> {
  let missing = 0;
  const rows: string[][] = [['process', 'pid', 'state', 'detail']];
  for (const spec of localTopology(run.settings)) {
    const pid = running(run, spec);
    let detail = '';
    if (spec.ready.kind === 'health-port') {
      detail = `health ${spec.ready.port}: ${(await pingEngine(run.settings.localHost, spec.ready.port, 1_000)) ?? 'no answer'}`;
    } else if (spec.ready.kind === 'http') {
      detail = `http ${run.settings.httpPort}, tcp ${run.settings.tcpPort}`;
    } else if (spec.role === 'driver') {
      detail = driverOutcome(run);
    } else if (spec.role === 'cp-monitor') {
      detail = `${spec.env.CP_MONITOR_CP_ID}: ${(await cpState(run.settings.httpPort, spec.env.CP_MONITOR_CP_ID!, run.settings.localHost)) ?? '?'} at Central`;
    }
    // The driver exits when its list is done: that is not a failure.
    const finished = spec.role === 'driver' && pid === undefined && detail.includes('0 pending');
    if (pid === undefined && !finished) missing++;
    rows.push([
      spec.name,
      pid === undefined ? '-' : String(pid),
      pid ? 'running' : finished ? 'finished' : 'stopped',
      detail,
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const row of rows) process.stdout.write(`${row.map((c, i) => c.padEnd(widths[i]!)).join('  ')}\n`);
  const kafka =
    run.settings.kafkaPort !== null
      ? kafkaScript('status', run.settings.kafkaPort).output
      : `external broker ${run.settings.bootstrap}`;
  process.stdout.write(`kafka: ${kafka}\nfolder: ${run.settings.dir}\n`);
  return missing === 0 ? 0 : 3;
}

const USAGE = `usage: local-run [start [name...] | stop [name...] | restart name... | status | clean | help]

Runs the compose topology as processes on this machine: Kafka (scripts/kafka.sh on KAFKA_PORT,
default 9092, unless KAFKA_BOOTSTRAP names a broker), ev-central (CENTRAL_HTTP_PORT 8000,
CENTRAL_LISTEN_PORT 9999), ev-cp-e-1/2 (CP-001 22 kW EUR 0.30 and CP-002 50 kW EUR 0.35, health
ports LOCAL_RUN_ENGINE_PORTS=8001,8002), ev-cp-m-1/2 and ev-driver (DRIVER_REQUESTS_FILE, default
examples/compose/requests.txt). Pid and log files go to LOCAL_RUN_DIR (default .local-run/).
Central and the engines listen on LOCAL_RUN_BIND_HOST (127.0.0.1; 0.0.0.0 lets other machines
reach them), the broker on KAFKA_LISTEN_HOST (127.0.0.1; with 0.0.0.0 set KAFKA_ADVERTISED_HOST
to this machine's address).
Role variables in the environment (CP_ENGINE_SESSION_DURATION=3, DRIVER_REQUEST_INTERVAL=1, ...)
are passed to every process. LOCAL_RUN_MODE=dist runs the compiled dist/ instead of the sources.
`;

async function main(argv: string[]): Promise<void> {
  const [command = 'start', ...names] = argv;
  const timeoutMs = Number(process.env.LOCAL_RUN_START_TIMEOUT ?? 90) * 1000;
  if (command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(USAGE);
    return;
  }
  if (command === 'start' && names.length === 0) return startAll(timeoutMs);
  const run = savedRun();
  if (!run) {
    if (command === 'stop' || command === 'clean') {
      say(`nothing to stop in ${baseDir()}`);
      if (command === 'clean') rmSync(baseDir(), { recursive: true, force: true });
      return;
    }
    return fail(`no local run in ${baseDir()}; start one with: pnpm local-run`);
  }
  switch (command) {
    case 'start':
      await startSpecs(run, select(run, names), timeoutMs).catch((error: Error) => fail(error.message));
      return;
    case 'restart':
      if (names.length === 0) fail('restart needs process names, e.g. local-run restart ev-cp-e-1');
      await stopAll(run, names);
      await startSpecs(run, select(run, names), timeoutMs).catch((error: Error) => fail(error.message));
      return;
    case 'stop':
      await stopAll(run, names);
      return;
    case 'status':
      process.exitCode = await status(run);
      return;
    case 'clean':
      await stopAll(run);
      rmSync(run.settings.dir, { recursive: true, force: true });
      say(`removed ${run.settings.dir}`);
      return;
    default:
      process.stderr.write(USAGE);
      process.exit(2);
  }
}

await main(process.argv.slice(2));
