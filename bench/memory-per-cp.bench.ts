/**
 * Memory per charging point: engine + monitor in simulation mode (memory transport, in-process
 * links, VirtualClock), idle (started, registered, no session), over 10,000 CPs. The figure is the
 * heap used after a full GC with the CPs started minus the heap before they were built, divided by
 * the number of CPs; the baseline is the same process's heap before the fleet.
 *
 * Layouts, each in its own child process (a heap measured after another layout would be off):
 * - `node`, `shared`, `combined`: packages/cp/scripts/cp-fleet.bench.ts, run unchanged with
 *   `--child` (one node per CP holding engine and monitor; all engines and monitors as plugins of
 *   one node; one `chargingPoint` plugin per CP on one node) against a Central stub;
 * - `network`: `createChargingNetwork` as a user gets it: one node per engine and one per monitor,
 *   plus Central's registry entry for the CP (its real Central, not a stub);
 * - `central`: Central alone with N CPs registered: the part of `network` that is not engine+monitor.
 * Each layout runs from the TypeScript sources through tsx (esbuild's keepNames gives every named
 * closure an own `name` property) and, with `--dist` (default on), from compiled dist/ as published.
 *
 * Run: pnpm bench:memory [-- --cps 10000 --layouts node,shared,combined,network --no-dist]
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import { parseBenchArgs } from './lib/cli.js';
import { type BenchRow, report } from './lib/results.js';
import { cliArgs } from './lib/stats.js';

const { values } = parseBenchArgs(import.meta.url, {
  args: cliArgs(),
  options: {
    cps: { type: 'string', default: '10000' },
    layouts: { type: 'string', default: 'node,shared,combined,network,central' },
    dist: { type: 'boolean', default: true },
    'no-dist': { type: 'boolean', default: false },
    'child-network': { type: 'string' },
  },
});
const CPS = Number(values.cps);
const LAYOUTS = values.layouts.split(',');
const DIST = values.dist && !values['no-dist'];
if (
  !(Number.isInteger(CPS) && CPS >= 100 && CPS <= 20_000) ||
  !LAYOUTS.every((l) => ['node', 'shared', 'combined', 'network', 'central'].includes(l))
) {
  process.stderr.write(
    'usage: memory-per-cp.bench.ts [--cps 100..20000] [--layouts node,shared,combined,network,central] [--no-dist]\n',
  );
  process.exit(2);
}
const TARGET = 10_240;
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const fleetScript = path.join(root, 'packages', 'cp', 'scripts', 'cp-fleet.bench.ts');

/**
 * `network`: `createChargingNetwork` with N CPs and monitors, no drivers, started, every CP
 * registered, idle. `central`: Central alone with the same N CPs registered through its monitor
 * API: its share of the `network` figure.
 */
async function networkChild(
  layout: 'network' | 'central',
): Promise<{ idleBytesPerCp: number; rssMiB: number }> {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const heap = () => {
    gc();
    gc();
    return process.memoryUsage().heapUsed;
  };
  // Imported before the first measurement, so module code is not counted.
  const { createLogger, createNode, VirtualClock } = await import('@evcharging/core');
  const { MemoryBroker } = await import('@evcharging/transport-memory');
  const { centralController } = await import('../packages/central/src/index.js');
  const { createChargingNetwork } = await import('../packages/network/src/index.js');
  const logger = createLogger({ level: 'silent' });
  // Warm the code paths once with a tiny network, so compiled code is not counted either.
  const warm = createChargingNetwork({ cps: 2, logger });
  await warm.run({ for: 5_000 });
  await warm.stop();
  const before = heap();
  let idle: number;
  let stop: () => Promise<void>;
  if (layout === 'network') {
    const network = createChargingNetwork({
      cps: CPS,
      clock: new VirtualClock(),
      logger,
      broker: { jsonRoundTrip: false },
      eventLog: { keep: 0 },
    });
    // Two seconds of simulated time: every monitor has probed its engine and registered.
    await network.run({ for: 2_000 });
    const activated = network.central.registry.countByState().ACTIVATED;
    if (activated !== CPS) throw new Error(`memory bench: ${activated} of ${CPS} CPs registered`);
    idle = heap();
    stop = () => network.stop();
  } else {
    const clock = new VirtualClock();
    const central = centralController({});
    const node = createNode({
      id: 'central',
      transport: new MemoryBroker({ jsonRoundTrip: false }).transport('central', { clock }),
      clock,
      logger,
      plugins: [central],
    });
    await node.start();
    for (let i = 0; i < CPS; i++) {
      const ack = await central.api.register({
        cp_id: `CP-${String(i + 1).padStart(5, '0')}`,
        cp_e_host: 'in-process',
        cp_e_port: 0,
        location: `Site ${Math.floor(i / 10) + 1}`,
        price_eur_kwh: 0.3,
        kw: 22,
      });
      if (!ack.ok) throw new Error(`memory bench: registering CP ${i} failed: ${ack.reason}`);
    }
    idle = heap();
    stop = () => node.stop();
  }
  const result = { idleBytesPerCp: (idle - before) / CPS, rssMiB: process.memoryUsage().rss / 2 ** 20 };
  await stop();
  return result;
}

interface LayoutResult {
  layout: string;
  code: 'tsx-src' | 'dist';
  idleBytesPerCp: number;
  rssMiB: number;
}

function runLayout(layout: string, code: 'tsx-src' | 'dist'): LayoutResult {
  const loader =
    code === 'tsx-src' ? ['--conditions=@evcharging/source', '--import', 'tsx'] : ['--import', 'tsx'];
  const args =
    layout === 'network' || layout === 'central'
      ? [...loader, process.argv[1]!, `--child-network=${layout}`, `--cps=${CPS}`]
      : [
          ...loader,
          fleetScript,
          '--child',
          `--layout=${layout}`,
          `--cps=${CPS}`,
          '--hours=0.001',
          '--sessions-per-cp-hour=0',
          '--flaky-share=0',
        ];
  const child = spawnSync(process.execPath, args, {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 600_000,
    maxBuffer: 16 * 2 ** 20,
  });
  const line = child.stdout?.split('\n').find((l) => l.startsWith('RESULT '));
  if (child.status !== 0 || !line) {
    throw new Error(
      `memory bench: layout ${layout} (${code}) failed (exit ${child.status ?? child.signal})\n${(child.stderr ?? '').slice(-2000)}`,
    );
  }
  const parsed = JSON.parse(line.slice('RESULT '.length)) as { idleBytesPerCp: number; rssMiB: number };
  return { layout, code, idleBytesPerCp: parsed.idleBytesPerCp, rssMiB: parsed.rssMiB };
}

function buildDist(): void {
  const packages = ['core', 'transport-memory', 'cp', 'central', 'driver', 'network'];
  const build = spawnSync(
    'pnpm',
    [...packages.flatMap((p) => ['--filter', `@evcharging/${p}`]), 'run', 'build'],
    { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 },
  );
  if (build.status !== 0) {
    throw new Error(
      `memory bench: building dist/ failed\n${build.stdout.slice(-2000)}${build.stderr.slice(-2000)}`,
    );
  }
}

async function main(): Promise<void> {
  const childLayout = values['child-network'];
  if (childLayout === 'network' || childLayout === 'central') {
    process.stdout.write(`RESULT ${JSON.stringify(await networkChild(childLayout))}\n`);
    process.exit(0);
  }
  const results: LayoutResult[] = [];
  for (const layout of LAYOUTS) results.push(runLayout(layout, 'tsx-src'));
  if (DIST) {
    buildDist();
    for (const layout of LAYOUTS) results.push(runLayout(layout, 'dist'));
  }
  const describe: Record<string, string> = {
    node: 'one node per CP (engine+monitor)',
    shared: 'one node, engine+monitor plugins',
    combined: 'one node, chargingPoint plugin per CP',
    network: 'createChargingNetwork (2 nodes per CP + Central entry)',
    central: "of which Central's registry entry",
  };
  // Central's entry is not engine + monitor: a breakdown, without the target.
  const rows: BenchRow[] = results.map((r) => ({
    name: `${r.code}: ${describe[r.layout]}`,
    value: Math.round(r.idleBytesPerCp),
    unit: 'bytes/CP',
    ...(r.layout === 'central' ? {} : { target: `<= ${TARGET}`, met: r.idleBytesPerCp <= TARGET }),
  }));
  report('memory-per-cp', rows, { cps: CPS, results });
}

await main();
