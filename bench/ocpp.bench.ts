/**
 * OCPP capacity: the most simulated OCPP 1.6J charge points one process holds against a CSMS in
 * another process, every charge point in a transaction sending MeterValues every 10 s, with the
 * p99 of CALL → CALLRESULT under 100 ms; and memory per connected charge point.
 *
 * Each fleet size runs in fresh processes: a CSMS (ocpp-rpc in strict mode, validating every
 * message both ways, answering at once) and a fleet (`createOcppFleet`: N engines with their OCPP
 * plugins, one memory broker, connections opened at --connect-rate per second). Once every charge
 * point has booted, each gets a driver (3-hour, 1,000 kWh session: it charges for the whole run),
 * plugged in evenly over one meter interval so the MeterValues do not come in step. After a
 * warm-up a window of real time is measured. A size passes when every charge point is connected,
 * the p99 CALL → CALLRESULT latency of the window is under the bound, no CALLERROR or timeout came
 * back, and the CSMS answered at least 95 % of the MeterValues the fleet owed in the window. A
 * failed size is retried once (the machine is shared); the stepping stops at the first size that
 * fails twice, or at the time limit. Before the first size, a 100-CP floor shows what the
 * machine's load alone does to the latency. The load average is recorded with every figure.
 *
 * Run: pnpm bench:ocpp [-- --sizes 1000,2500,5000,10000 --window 60 --warmup 20 --connect-rate 500]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createOcppFleet } from '../packages/ocpp/src/index.js';
import { parseBenchArgs } from './lib/cli.js';
import { nodeFlagsOf, SHIPPED_NODE_FLAGS } from './lib/node-flags.js';
import { type BenchRow, report } from './lib/results.js';
import { cliArgs } from './lib/stats.js';

const { values } = parseBenchArgs(import.meta.url, {
  args: cliArgs(),
  options: {
    sizes: { type: 'string', default: '1000,2500,5000,10000' },
    window: { type: 'string', default: '60' },
    warmup: { type: 'string', default: '20' },
    'meter-interval': { type: 'string', default: '10' },
    'connect-rate': { type: 'string', default: '500' },
    'bound-ms': { type: 'string', default: '100' },
    'time-limit': { type: 'string', default: '2400' },
    'floor-cps': { type: 'string', default: '100' },
    'node-flags': { type: 'string', default: SHIPPED_NODE_FLAGS },
    'csms-child': { type: 'boolean', default: false },
    'fleet-child': { type: 'boolean', default: false },
    cps: { type: 'string' },
    csms: { type: 'string' },
  },
});
const SIZES = values.sizes.split(',').map(Number);
const WINDOW_S = Number(values.window);
const WARMUP_S = Number(values.warmup);
const METER_S = Number(values['meter-interval']);
const RATE = Number(values['connect-rate']);
const BOUND_MS = Number(values['bound-ms']);
const TIME_LIMIT_S = Number(values['time-limit']);
const FLOOR_CPS = Number(values['floor-cps']);
/** V8/Node flags for both child processes: the shipped entry points' by default, none with `--node-flags=`. */
const NODE_FLAGS = nodeFlagsOf(values['node-flags']);
const valid =
  SIZES.every((n) => Number.isInteger(n) && n >= 1 && n <= 18_000) &&
  WINDOW_S >= 10 &&
  WINDOW_S <= 600 &&
  WARMUP_S >= 0 &&
  WARMUP_S <= 300 &&
  METER_S >= 1 &&
  METER_S <= 300 &&
  RATE >= 10 &&
  RATE <= 5000 &&
  BOUND_MS > 0 &&
  TIME_LIMIT_S >= 60 &&
  TIME_LIMIT_S <= 7200 &&
  Number.isInteger(FLOOR_CPS) &&
  FLOOR_CPS >= 0 &&
  FLOOR_CPS <= 1000 &&
  NODE_FLAGS.every((f) => /^--[a-z0-9-]+(=[\w.-]+)?$/.test(f));
if (!valid) {
  process.stderr.write(
    'ocpp.bench.ts: --sizes n,... (1..18000: one port per CP on 127.0.0.1, 20,000 descriptors per process)\n' +
      '  --window 10..600 s --warmup 0..300 s --meter-interval 1..300 s --connect-rate 10..5000/s\n' +
      '  --bound-ms ms --time-limit 60..7200 s --floor-cps 0..1000 --node-flags="--max-semi-space-size=64 ..."\n',
  );
  process.exit(2);
}

const script = fileURLToPath(import.meta.url);
const load = () => os.loadavg().map((l) => Math.round(l * 100) / 100);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const gc = () => (globalThis as { gc?: () => void }).gc?.();

// ---------------------------------------------------------------- the CSMS process

async function csmsChild(): Promise<void> {
  const { RPCServer } = await import('ocpp-rpc');
  const server = new RPCServer({ protocols: ['ocpp1.6'], strictMode: true, pingIntervalMs: 0 });
  const counts: Record<string, number> = {};
  let strictFailures = 0;
  let nextId = 1;
  server.on(
    'client',
    (client: {
      handle: (h: (c: { method: string }) => unknown) => void;
      on: (e: string, l: () => void) => void;
    }) => {
      client.on('strictValidationFailure', () => {
        strictFailures++;
      });
      client.handle(({ method }) => {
        counts[method] = (counts[method] ?? 0) + 1;
        const now = new Date().toISOString();
        switch (method) {
          case 'BootNotification':
            return { status: 'Accepted', currentTime: now, interval: 300 };
          case 'Heartbeat':
            return { currentTime: now };
          case 'Authorize':
          case 'StopTransaction':
            return { idTagInfo: { status: 'Accepted' } };
          case 'StartTransaction':
            return { transactionId: nextId++, idTagInfo: { status: 'Accepted' } };
          default:
            return {};
        }
      });
    },
  );
  const http = await server.listen(0, '127.0.0.1');
  const address = http.address();
  process.stdout.write(`PORT ${typeof address === 'object' && address ? address.port : 0}\n`);
  process.on('SIGTERM', () => {
    const cpu = process.cpuUsage();
    process.stdout.write(
      `STATS ${JSON.stringify({ counts, strictFailures, cpuSeconds: (cpu.user + cpu.system) / 1e6, rssMiB: process.memoryUsage().rss / 2 ** 20 })}\n`,
      () => process.exit(0),
    );
  });
}

// ---------------------------------------------------------------- the fleet process

interface StepResult {
  cps: number;
  connected: number;
  booted: number;
  charging: number;
  setupSeconds: number;
  heapPerCpBytes: number;
  rssPerCpBytes: number;
  window: {
    seconds: number;
    meterValuesOwed: number;
    meterValuesAnswered: number;
    answeredShare: number;
    latencyMs: ReturnType<ReturnType<typeof createOcppFleet>['metrics']['latency']['summary']>;
    callErrors: number;
    timeouts: number;
    eventLoopDelayP99Ms: number;
    cpuSeconds: number;
  };
  loadAverage: { start: number[]; end: number[] };
}

async function fleetChild(cps: number, csms: string): Promise<StepResult> {
  const loadStart = load();
  gc();
  const before = process.memoryUsage();
  const t0 = performance.now();
  const fleet = createOcppFleet({
    csms,
    cps,
    meterIntervalS: METER_S,
    connectRatePerS: RATE,
    kw: 22,
    connection: { callTimeoutMs: 30_000 },
  });
  await fleet.start();
  const setupDeadline = t0 + (cps / RATE + 120) * 1000;
  while (fleet.figures().booted < cps && performance.now() < setupDeadline) await sleep(250);
  // Every charge point charges for the whole run; plugged in evenly over one meter interval.
  const spreadMs = METER_S * 1000;
  for (let i = 0; i < fleet.cps.length; i++) {
    const cp = fleet.cps[i]!;
    setTimeout(
      () => cp.plugIn({ idTag: `BENCH-${i}`, targetKwh: 1000, durationS: 3 * 3600 }),
      (i * spreadMs) / cps,
    );
  }
  await sleep(spreadMs + 2000);
  const setupSeconds = (performance.now() - t0) / 1000;
  gc();
  const after = process.memoryUsage();
  await sleep(WARMUP_S * 1000);

  const m = fleet.metrics;
  m.latency.clear();
  const sentBefore = m.callsSent.MeterValues ?? 0;
  const resultsBefore = m.callResultsReceived;
  const errorsBefore = m.callErrorsReceivedTotal;
  const timeoutsBefore = m.callTimeouts;
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const cpu0 = process.cpuUsage();
  const w0 = performance.now();
  await sleep(WINDOW_S * 1000);
  const seconds = (performance.now() - w0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  delay.disable();
  const meterSent = (m.callsSent.MeterValues ?? 0) - sentBefore;
  const answered = m.callResultsReceived - resultsBefore;
  // Other calls in the window (status, heartbeats) are few; MeterValues answered ≈ sent − in flight.
  const meterAnswered = Math.min(meterSent, answered);
  const owed = Math.floor((cps * seconds) / METER_S);
  const f = fleet.figures();
  const result: StepResult = {
    cps,
    connected: f.connected,
    booted: f.booted,
    charging: f.charging,
    setupSeconds,
    heapPerCpBytes: Math.round((after.heapUsed - before.heapUsed) / cps),
    rssPerCpBytes: Math.round((after.rss - before.rss) / cps),
    window: {
      seconds,
      meterValuesOwed: owed,
      meterValuesAnswered: meterAnswered,
      answeredShare: owed > 0 ? meterAnswered / owed : 0,
      latencyMs: m.latency.summary(),
      callErrors: m.callErrorsReceivedTotal - errorsBefore,
      timeouts: m.callTimeouts - timeoutsBefore,
      eventLoopDelayP99Ms: delay.percentile(99) / 1e6,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
    },
    loadAverage: { start: loadStart, end: load() },
  };
  await fleet.stop();
  return result;
}

// ---------------------------------------------------------------- the parent

function lines(child: ChildProcess, prefix: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', (line) => {
      if (line.startsWith(prefix)) {
        rl.close();
        resolve(line.slice(prefix.length));
      }
    });
    child.once('exit', (code) => reject(new Error(`child exited (${code}) before "${prefix}"`)));
  });
}

async function step(cps: number): Promise<{ result?: StepResult; csms?: unknown; error?: string }> {
  const node = [...process.execArgv, '--expose-gc', '--max-old-space-size=8192', ...NODE_FLAGS, script];
  const csms = spawn(process.execPath, [...node, '--csms-child'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = Number(await lines(csms, 'PORT '));
    const settings = [
      `--window=${WINDOW_S}`,
      `--warmup=${WARMUP_S}`,
      `--meter-interval=${METER_S}`,
      `--connect-rate=${RATE}`,
    ];
    const fleet = spawn(
      process.execPath,
      [...node, '--fleet-child', `--cps=${cps}`, `--csms=ws://127.0.0.1:${port}/ocpp`, ...settings],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const limit = setTimeout(
      () => fleet.kill('SIGKILL'),
      (cps / RATE + 240 + METER_S + WARMUP_S + WINDOW_S) * 1000,
    );
    try {
      const result = JSON.parse(await lines(fleet, 'RESULT ')) as StepResult;
      const stats = lines(csms, 'STATS ');
      csms.kill('SIGTERM');
      return { result, csms: JSON.parse(await stats) };
    } finally {
      clearTimeout(limit);
      if (fleet.exitCode === null) fleet.kill('SIGKILL');
    }
  } catch (error) {
    return { error: (error as Error).message };
  } finally {
    if (csms.exitCode === null) csms.kill('SIGKILL');
  }
}

function passes(r: StepResult | undefined): boolean {
  return (
    r !== undefined &&
    r.connected === r.cps &&
    r.booted === r.cps &&
    r.window.latencyMs.p99 < BOUND_MS &&
    r.window.callErrors === 0 &&
    r.window.timeouts === 0 &&
    r.window.answeredShare >= 0.95
  );
}

async function parent(): Promise<void> {
  const started = performance.now();
  const steps: {
    cps: number;
    attempt: number;
    pass: boolean;
    result?: StepResult;
    csms?: unknown;
    error?: string;
  }[] = [];
  const say = (text: string) => process.stderr.write(`${text}\n`);
  const line = (cps: number, r: StepResult | undefined, pass: boolean, error?: string) =>
    r
      ? `${cps} CPs: connected ${r.connected}, p50 ${r.window.latencyMs.p50} p99 ${r.window.latencyMs.p99} ms, answered ${(100 * r.window.answeredShare).toFixed(1)} %, heap ${r.heapPerCpBytes} B/CP, rss ${r.rssPerCpBytes} B/CP, load ${r.loadAverage.start.join('/')} → ${pass ? 'pass' : 'FAIL'}`
      : `${cps} CPs: error ${error}`;
  let floor: StepResult | undefined;
  if (FLOOR_CPS > 0) {
    const f = await step(FLOOR_CPS);
    floor = f.result;
    say(`floor ${line(FLOOR_CPS, f.result, passes(f.result), f.error)}`);
  }
  let best = 0;
  for (const cps of SIZES) {
    let ok = false;
    for (let attempt = 1; attempt <= 2 && !ok; attempt++) {
      if ((performance.now() - started) / 1000 > TIME_LIMIT_S) break;
      const s = await step(cps);
      ok = passes(s.result);
      steps.push({ cps, attempt, pass: ok, ...s });
      say(line(cps, s.result, ok, s.error));
    }
    if (!ok) break;
    best = cps;
  }
  const bestStep = steps.filter((s) => s.pass && s.cps === best).at(-1)?.result;
  const rows: BenchRow[] = [
    {
      name: 'most OCPP CPs held, p99 < bound',
      value: best,
      unit: 'CPs',
      target: '>= 10000',
      met: best >= 10_000,
    },
    ...(bestStep
      ? [
          {
            name: 'p99 CALL→CALLRESULT at that size',
            value: bestStep.window.latencyMs.p99,
            unit: 'ms',
            target: `< ${BOUND_MS}`,
            met: bestStep.window.latencyMs.p99 < BOUND_MS,
          },
          { name: 'p50 CALL→CALLRESULT at that size', value: bestStep.window.latencyMs.p50, unit: 'ms' },
          { name: 'heap per connected CP', value: bestStep.heapPerCpBytes, unit: 'bytes' },
          { name: 'RSS per connected CP', value: bestStep.rssPerCpBytes, unit: 'bytes' },
          {
            name: 'fleet CPU per CP-second',
            value: (1e6 * bestStep.window.cpuSeconds) / (bestStep.cps * bestStep.window.seconds),
            unit: 'µs',
          },
        ]
      : []),
    ...(floor
      ? [{ name: `floor p99 (${FLOOR_CPS} CPs)`, value: floor.window.latencyMs.p99, unit: 'ms' }]
      : []),
  ];
  report('ocpp', rows, {
    config: {
      sizes: SIZES,
      windowS: WINDOW_S,
      warmupS: WARMUP_S,
      meterIntervalS: METER_S,
      connectRatePerS: RATE,
      boundMs: BOUND_MS,
    },
    floor,
    steps,
  });
}

if (values['csms-child']) {
  await csmsChild();
} else if (values['fleet-child']) {
  const result = await fleetChild(Number(values.cps), String(values.csms));
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`, () => process.exit(0));
} else {
  await parent();
}
