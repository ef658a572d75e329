/**
 * City-day: `pnpm sim` (examples/quickstart) with 1,000 CPs, 3,000 drivers, 24 simulated hours on a
 * VirtualClock, telemetry every 1 s while supplying, everything else at the sim's defaults. The sim
 * runs unchanged in a child process under `/usr/bin/time -v`; this script reads its JSON report and
 * the kernel's figures, and reports the speed-up over real time (wall), the speed-up per CPU second
 * (simulated time / CPU time of the process: what it does with a core to itself, the figure a busy
 * neighbour disturbs least), messages per wall and per CPU second, and peak RSS. Rounds run one
 * after another; the figures are their medians.
 *
 * Run: pnpm bench:city-day [-- --rounds 3 --cps 1000 --drivers 3000 --hours 24 --telemetry-interval 1]
 *      Extra sim flags after `--sim`: pnpm bench:city-day -- --sim --monitor-interval 1 --heartbeat-timeout 5
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type BenchRow, report } from './lib/results.js';
import { cliArgs, median } from './lib/stats.js';

const argv = cliArgs();
const simAt = argv.indexOf('--sim');
const extraSimFlags = simAt >= 0 ? argv.slice(simAt + 1) : [];
const { values } = parseArgs({
  args: simAt >= 0 ? argv.slice(0, simAt) : argv,
  options: {
    rounds: { type: 'string', default: '1' },
    cps: { type: 'string', default: '1000' },
    drivers: { type: 'string', default: '3000' },
    hours: { type: 'string', default: '24' },
    seed: { type: 'string', default: '42' },
    'telemetry-interval': { type: 'string', default: '1' },
    'time-limit': { type: 'string', default: '3600' },
  },
});
const ROUNDS = Number(values.rounds);
const CPS = Number(values.cps);
const DRIVERS = Number(values.drivers);
const HOURS = Number(values.hours);
const TIME_LIMIT_S = Number(values['time-limit']);
if (
  !(ROUNDS >= 1 && ROUNDS <= 10 && CPS >= 1 && CPS <= 100_000 && DRIVERS >= 0 && DRIVERS <= 1_000_000) ||
  !(HOURS > 0 && HOURS <= 48 && TIME_LIMIT_S >= 10 && TIME_LIMIT_S <= 4 * 3600)
) {
  process.stderr.write(
    'usage: city-day.bench.ts [--rounds 1..10] [--cps 1..100000] [--drivers 0..1000000] [--hours 0..48]\n' +
      '                         [--seed s] [--telemetry-interval s] [--time-limit 10..14400 s] [--sim <sim flags>]\n',
  );
  process.exit(2);
}

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const simScript = path.join(root, 'examples', 'quickstart', 'src', 'sim.ts');
const TIME = '/usr/bin/time';

interface SimJson {
  run: { wall_ms: number; speedup: number; peak_rss_mb: number };
  report: {
    simulated_ms: number;
    messages: { total: number; by_topic: Record<string, number> };
    sessions?: { completed: number; failed: number; open: number };
    requests?: { received: number; accepted: number; denied: number };
    energy_kwh: number;
    event_log: { hash: string };
  };
}

interface Round {
  /** Wall time of the whole child process, including loading TypeScript and building the network. */
  processWallSeconds: number;
  /** The sim's own wall time (building, starting and running the network). */
  simWallSeconds: number;
  cpuSeconds: number;
  maxRssMiB: number;
  speedUpWall: number;
  speedUpCpu: number;
  messages: number;
  messagesPerWallSecond: number;
  messagesPerCpuSecond: number;
  byTopic: Record<string, number>;
  sessions: SimJson['report']['sessions'];
  requests: SimJson['report']['requests'];
  energyKwh: number;
  hash: string;
  loadAverageBefore: number[];
}

/** Reads one figure of `/usr/bin/time -v` output. */
function timeField(output: string, label: string): number {
  const line = output.split('\n').find((l) => l.trim().startsWith(label));
  if (!line) throw new Error(`city-day bench: "${label}" missing from /usr/bin/time output`);
  const value = line.slice(line.lastIndexOf(': ') + 2).trim();
  if (label.startsWith('Elapsed')) {
    // h:mm:ss or m:ss.ss
    return value
      .split(':')
      .map(Number)
      .reduce((total, part) => total * 60 + part, 0);
  }
  return Number(value);
}

function round(timeLimitMs: number): Round {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'city-day-'));
  const json = path.join(dir, 'report.json');
  const loadAverageBefore = os.loadavg();
  try {
    const args = [
      '-v',
      process.execPath,
      '--conditions=@evcharging/source',
      '--import',
      'tsx',
      simScript,
      `--cps=${CPS}`,
      `--drivers=${DRIVERS}`,
      `--hours=${HOURS}`,
      `--seed=${values.seed}`,
      `--telemetry-interval=${values['telemetry-interval']}`,
      '--no-progress',
      `--json=${json}`,
      ...extraSimFlags,
    ];
    const child = spawnSync(TIME, args, {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeLimitMs,
      maxBuffer: 16 * 2 ** 20,
    });
    if (child.status !== 0 || !existsSync(json)) {
      const why = child.error ? String(child.error) : `exit ${child.status ?? child.signal}`;
      throw new Error(
        `city-day bench: the sim failed (${why})\n${child.stdout}\n${child.stderr.slice(-3000)}`,
      );
    }
    const sim = JSON.parse(readFileSync(json, 'utf8')) as SimJson;
    const cpuSeconds =
      timeField(child.stderr, 'User time (seconds)') + timeField(child.stderr, 'System time (seconds)');
    const simulatedMs = sim.report.simulated_ms;
    const messages = sim.report.messages.total;
    const simWallSeconds = sim.run.wall_ms / 1000;
    return {
      processWallSeconds: timeField(child.stderr, 'Elapsed (wall clock) time'),
      simWallSeconds,
      cpuSeconds,
      maxRssMiB: timeField(child.stderr, 'Maximum resident set size (kbytes)') / 1024,
      speedUpWall: simulatedMs / sim.run.wall_ms,
      speedUpCpu: simulatedMs / (cpuSeconds * 1000),
      messages,
      messagesPerWallSecond: messages / simWallSeconds,
      messagesPerCpuSecond: messages / cpuSeconds,
      byTopic: sim.report.messages.by_topic,
      sessions: sim.report.sessions,
      requests: sim.report.requests,
      energyKwh: sim.report.energy_kwh,
      hash: sim.report.event_log.hash,
      loadAverageBefore,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function main(): void {
  if (!existsSync(TIME)) throw new Error(`city-day bench needs ${TIME} (GNU time) for the child's peak RSS`);
  const started = performance.now();
  const rounds: Round[] = [];
  for (let r = 1; r <= ROUNDS; r++) {
    const left = TIME_LIMIT_S * 1000 - (performance.now() - started);
    if (left <= 0) break;
    const result = round(left);
    rounds.push(result);
    process.stdout.write(
      `  round ${r}: ${result.simWallSeconds.toFixed(1)} s wall, ${result.cpuSeconds.toFixed(1)} s CPU, ` +
        `${Math.round(result.speedUpWall)}x real time (${Math.round(result.speedUpCpu)}x per CPU second), ` +
        `${result.messages.toLocaleString('en-US')} messages, peak RSS ${Math.round(result.maxRssMiB)} MiB, ` +
        `load ${result.loadAverageBefore[0]!.toFixed(1)}\n`,
    );
  }
  const hashes = new Set(rounds.map((r) => r.hash));
  const m = (pick: (r: Round) => number) => median(rounds.map(pick));
  const speedUpWall = m((r) => r.speedUpWall);
  const rows: BenchRow[] = [
    {
      name: 'speed-up over real time (wall)',
      value: Math.round(speedUpWall),
      unit: '×',
      target: '>= 2000 (stretch 10000)',
      met: speedUpWall >= 2000,
    },
    {
      name: 'speed-up per CPU second (simulated / CPU time)',
      value: Math.round(m((r) => r.speedUpCpu)),
      unit: '×',
      target: '>= 2000',
      met: m((r) => r.speedUpCpu) >= 2000,
    },
    { name: 'sim wall time', value: m((r) => r.simWallSeconds), unit: 's' },
    { name: 'process CPU time', value: m((r) => r.cpuSeconds), unit: 's' },
    { name: 'messages', value: m((r) => r.messages), unit: '' },
    { name: 'messages per wall second', value: Math.round(m((r) => r.messagesPerWallSecond)), unit: 'msg/s' },
    { name: 'messages per CPU second', value: Math.round(m((r) => r.messagesPerCpuSecond)), unit: 'msg/s' },
    { name: 'peak RSS', value: Math.round(m((r) => r.maxRssMiB)), unit: 'MiB' },
  ];
  report('city-day', rows, {
    config: {
      cps: CPS,
      drivers: DRIVERS,
      hours: HOURS,
      seed: values.seed,
      telemetryIntervalS: Number(values['telemetry-interval']),
      extraSimFlags,
      command:
        `pnpm sim -- --cps ${CPS} --drivers ${DRIVERS} --hours ${HOURS} --seed ${values.seed} --telemetry-interval ${values['telemetry-interval']} ${extraSimFlags.join(' ')}`.trim(),
    },
    deterministic: hashes.size === 1,
    rounds,
  });
}

main();
