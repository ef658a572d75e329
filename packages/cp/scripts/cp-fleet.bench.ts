/**
 * A fleet of charging points in one process: N engines + N monitors with in-process links, an
 * in-process Central stub (monitor API + a consumer of status, telemetry and tickets), Poisson
 * session arrivals and a few flaky CPs, run for simulated hours on a VirtualClock.
 *
 * Reports, per layout, the wall time of the run, its speed-up over real time, the heap per idle CP
 * (engine + monitor, started, nothing running: heap after start minus heap before, after a full GC)
 * and the heap per CP after the run.
 * Layouts: `node` = one node per CP holding its engine and monitor plugins;
 * `shared` = all engines and monitors as plugins of one node;
 * `combined` = one node, one `chargingPoint` plugin (engine + monitor) per CP: the cheapest.
 *
 * Run from packages/cp:
 *   pnpm bench:fleet [-- --cps 1000 --hours 1 --layout both --seed 42]   (TypeScript sources through tsx)
 *   pnpm bench:fleet:dist [-- ...]                                         (compiled dist/, as published)
 * tsx compiles with esbuild's keepNames, which gives every named closure an own `name` property
 * (about 250 bytes each in V8); the dist run shows the footprint of the published packages.
 */
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import vm from 'node:vm';
import {
  type CentralMonitorApi,
  createLogger,
  createNode,
  type EvNode,
  isoTime,
  type MonitorAck,
  type Plugin,
  SeededRandom,
  VirtualClock,
} from '@evcharging/core';
import {
  type ChargingPointEnginePlugin,
  type ChargingPointMonitorPlugin,
  chargingPoint,
  chargingPointEngine,
  chargingPointMonitor,
  constantAcModel,
  fixedDuration,
  flakyModel,
  inProcessCentralLink,
  inProcessEngineLink,
} from '@evcharging/cp';
import { MemoryBroker } from '@evcharging/transport-memory';
import { type BenchRow, report } from '../../../bench/lib/results.js';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    cps: { type: 'string', default: '1000' },
    hours: { type: 'string', default: '1' },
    layout: { type: 'string', default: 'all' },
    seed: { type: 'string', default: '42' },
    'sessions-per-cp-hour': { type: 'string', default: '1' },
    'flaky-share': { type: 'string', default: '0.05' },
    retention: { type: 'string', default: '10000' },
    child: { type: 'boolean', default: false },
  },
});
const CPS = Number(values.cps);
const HOURS = Number(values.hours);
const SEED = Number(values.seed);
const RATE = Number(values['sessions-per-cp-hour']);
const FLAKY = Number(values['flaky-share']);
const RETENTION = Number(values.retention);
const LAYOUTS = values.layout === 'all' ? ['node', 'shared', 'combined'] : [values.layout];
if (
  !(CPS >= 1 && CPS <= 20_000 && HOURS > 0 && HOURS <= 48 && RATE >= 0 && RATE <= 10) ||
  !(FLAKY >= 0 && FLAKY <= 1 && RETENTION >= 1 && RETENTION <= 1_000_000) ||
  !LAYOUTS.every((l) => l === 'node' || l === 'shared' || l === 'combined')
) {
  process.stderr.write(
    'usage: cp-fleet.bench.ts [--cps 1..20000] [--hours 0..48] [--layout node|shared|combined|all] [--seed n]\n' +
      '                         [--sessions-per-cp-hour 0..10] [--flaky-share 0..1] [--retention n]\n',
  );
  process.exit(2);
}

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const heap = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

/** Central's side of the monitor protocol, counting what arrives. */
class CentralStub implements CentralMonitorApi {
  registrations = 0;
  heartbeats = 0;
  faults = 0;
  recoveries = 0;
  private readonly ok: MonitorAck = { ok: true };
  register() {
    this.registrations++;
    return Promise.resolve(this.ok);
  }
  heartbeat() {
    this.heartbeats++;
    return Promise.resolve(this.ok);
  }
  reportFault(report: { status: string }) {
    if (report.status === 'FAULT') this.faults++;
    else this.recoveries++;
    return Promise.resolve(this.ok);
  }
}

async function run(layout: string) {
  const before = heap();
  const clock = new VirtualClock();
  // Large simulations skip the JSON round trip (the transport's documented switch for fleets).
  const broker = new MemoryBroker({ jsonRoundTrip: false, retention: RETENTION });
  const central = new CentralStub();
  const centralLink = inProcessCentralLink(central);
  const random = new SeededRandom(SEED);
  const engines: ChargingPointEnginePlugin[] = [];
  const monitors: ChargingPointMonitorPlugin[] = [];
  const nodes: EvNode[] = [];
  const shared: Plugin[] = [];
  for (let i = 0; i < CPS; i++) {
    const cpId = `CP-${String(i + 1).padStart(5, '0')}`;
    const base = constantAcModel(i % 10 === 0 ? 50 : 22);
    const flaky = random.chance(FLAKY);
    const engineOptions = {
      cpId,
      kw: base.maxKw,
      priceEurKwh: 0.3,
      policy: fixedDuration(1800),
      model: flaky ? flakyModel(base, { faultRatePerHour: 1, meanRepairS: 120 }) : base,
    };
    if (layout === 'combined') {
      const cp = chargingPoint({ ...engineOptions, central: centralLink });
      engines.push(cp.engine);
      monitors.push(cp.monitor!);
      shared.push(cp);
      continue;
    }
    const engine = chargingPointEngine(engineOptions);
    const monitor = chargingPointMonitor({ cpId, engine: inProcessEngineLink(engine), central: centralLink });
    engines.push(engine);
    monitors.push(monitor);
    if (layout === 'node') {
      nodes.push(
        createNode({
          id: cpId,
          transport: broker.transport(cpId, { clock }),
          clock,
          random: random.fork(cpId),
          logger,
          plugins: [engine, monitor],
        }),
      );
    } else {
      shared.push(engine, monitor);
    }
  }
  if (layout !== 'node') {
    nodes.push(
      createNode({
        id: 'fleet',
        transport: broker.transport('fleet', { clock }),
        clock,
        random,
        logger,
        plugins: shared,
      }),
    );
  }
  // Central's consumer: counts what the engines publish.
  const seen = { status: 0, telemetry: 0, tickets: 0, energyKwh: 0 };
  const centralTransport = broker.transport('central', { clock });
  await centralTransport.subscribe('cp.status', { group: 'central' }, () => {
    seen.status++;
  });
  await centralTransport.subscribe('cp.telemetry', { group: 'central' }, () => {
    seen.telemetry++;
  });
  await centralTransport.subscribe('cp.session_end', { group: 'central' }, (t) => {
    seen.tickets++;
    seen.energyKwh += t.energy_kwh;
  });
  for (const node of nodes) await node.start();
  await clock.advance(0);
  await broker.drain();
  const idle = heap();

  // Session arrivals: one Poisson process for the fleet; an arrival at a busy CP is lost.
  const arrivals = random.fork('arrivals');
  let requested = 0;
  let lost = 0;
  const ratePerMs = (RATE * CPS) / 3_600_000;
  const scheduleArrival = () => {
    if (ratePerMs <= 0) return;
    clock.setTimeout(() => {
      const i = arrivals.int(0, CPS - 1);
      const engine = engines[i]!;
      if (engine.state === 'ACTIVATED' && !engine.currentSession) {
        requested++;
        const sessionId = arrivals.id('session');
        void centralTransport.publish('central.commands', {
          cmd: 'start_supply',
          cp_id: engine.cpId,
          payload: {
            driver_id: `driver-${i}`,
            request_id: arrivals.id('req'),
            session_id: sessionId,
            duration_s: arrivals.int(600, 2400),
          },
          ts: isoTime(clock.now()),
        });
      } else lost++;
      scheduleArrival();
    }, arrivals.exponential(ratePerMs));
  };
  scheduleArrival();

  const loadBefore = (await import('node:os')).loadavg()[0];
  const firedBefore = clock.fired;
  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();
  const simulatedMs = HOURS * 3_600_000;
  const step = 60_000;
  for (let t = 0; t < simulatedMs; t += step) await clock.advance(Math.min(step, simulatedMs - t));
  const wallMs = performance.now() - wallStart;
  const cpu = process.cpuUsage(cpuStart);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const after = heap();
  const rss = process.memoryUsage().rss;
  const fired = clock.fired - firedBefore;
  const faults = engines.reduce((n, e) => n + e.stats.faults, 0);
  const supplying = engines.filter((e) => e.state === 'SUPPLYING').length;
  const summary = {
    layout,
    cps: CPS,
    simulatedHours: HOURS,
    wallSeconds: wallMs / 1000,
    cpuSeconds: cpuMs / 1000,
    speedUp: simulatedMs / wallMs,
    speedUpPerCpuSecond: simulatedMs / cpuMs,
    loadAverageBefore: loadBefore,
    idleBytesPerCp: (idle - before) / CPS,
    afterRunBytesPerCp: (after - before) / CPS,
    rssMiB: rss / 2 ** 20,
    timersFired: fired,
    sessionsRequested: requested,
    arrivalsAtBusyCps: lost,
    ticketsReceived: seen.tickets,
    energyKwh: seen.energyKwh,
    telemetryReceived: seen.telemetry,
    statusReceived: seen.status,
    supplyingAtEnd: supplying,
    engineFaults: faults,
    registrations: central.registrations,
    heartbeats: central.heartbeats,
    faultReports: central.faults,
    healthyReports: central.recoveries,
    probes: monitors.reduce((n, m) => n + m.stats.probes, 0),
  };
  for (const node of nodes) await node.stop();
  return summary;
}

const logger = createLogger({ level: 'silent' });
const sourceRun = import.meta.resolve('@evcharging/cp').endsWith('.ts');

if (values.child) {
  // One layout per process: a heap measured after another layout's run would be off.
  process.stdout.write(`RESULT ${JSON.stringify(await run(LAYOUTS[0]!))}\n`);
  process.exit(0);
}

const rows: BenchRow[] = [];
const details: Record<string, unknown>[] = [];
for (const layout of LAYOUTS) {
  const args = [
    `--cps=${CPS}`,
    `--hours=${HOURS}`,
    `--seed=${SEED}`,
    `--sessions-per-cp-hour=${RATE}`,
    `--flaky-share=${FLAKY}`,
    `--retention=${RETENTION}`,
    `--layout=${layout}`,
    '--child',
  ];
  const child = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 2 ** 20,
  });
  const line = child.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (child.status !== 0 || !line) {
    process.stderr.write(`layout ${layout} failed (exit ${child.status})\n${child.stdout.slice(-2000)}\n`);
    process.exit(1);
  }
  const s = JSON.parse(line.slice('RESULT '.length)) as Awaited<ReturnType<typeof run>>;
  details.push(s);
  process.stdout.write(`${JSON.stringify(s)}\n`);
  rows.push(
    { name: `${layout}: wall time`, value: s.wallSeconds, unit: 's' },
    { name: `${layout}: CPU time`, value: s.cpuSeconds, unit: 's' },
    { name: `${layout}: simulated / wall time`, value: Math.round(s.speedUp), unit: '×' },
    { name: `${layout}: simulated / CPU time`, value: Math.round(s.speedUpPerCpuSecond), unit: '×' },
    {
      name: `${layout}: heap per idle CP (engine+monitor)`,
      value: Math.round(s.idleBytesPerCp),
      unit: 'bytes',
      target: '<= 10240',
      met: s.idleBytesPerCp <= 10_240,
    },
    { name: `${layout}: heap per CP after the run`, value: Math.round(s.afterRunBytesPerCp), unit: 'bytes' },
    { name: `${layout}: tickets`, value: s.ticketsReceived, unit: 'sessions' },
  );
}
report(`cp-fleet-${CPS}x${HOURS}h-${sourceRun ? 'tsx-src' : 'dist'}`, rows, {
  runs: details,
  seed: SEED,
  retention: RETENTION,
  code: sourceRun ? 'TypeScript sources through tsx (esbuild keepNames)' : 'compiled dist/',
});
