/**
 * Memory transport throughput against raw mitt doing the same JSON round-trip, in one run.
 * Both deliver telemetry-sized JSON to two consumers; the figure is delivered messages per second
 * (each message counted once per group). On a VirtualClock the same load also runs through the
 * standard mode and the simulation lane, each timed in CPU as well (a busy neighbour disturbs CPU
 * time least). Run: pnpm bench:transport [-- --messages 200000 --rounds 5]
 */

import { type CpTelemetry, RealClock, VirtualClock } from '@evcharging/core';
import { MemoryBroker } from '@evcharging/transport-memory';
import mittImport from 'mitt';
import { parseBenchArgs } from './lib/cli.js';
import { report } from './lib/results.js';
import { cliArgs } from './lib/stats.js';

const mitt = mittImport as unknown as typeof mittImport.default;

const { values } = parseBenchArgs(import.meta.url, {
  args: cliArgs(),
  options: { messages: { type: 'string', default: '200000' }, rounds: { type: 'string', default: '5' } },
});
const N = Number(values.messages);
const ROUNDS = Number(values.rounds);
if (!(N > 0 && N <= 5_000_000 && ROUNDS > 0 && ROUNDS <= 50)) {
  process.stderr.write('usage: transport.bench.ts [--messages 1..5000000] [--rounds 1..50]\n');
  process.exit(2);
}

const messages: CpTelemetry[] = Array.from({ length: 1000 }, (_, i) => ({
  cp_id: `CP-${String(i % 100).padStart(4, '0')}`,
  kw: 22,
  kwh: i / 100,
  euros: i / 300,
  driver_id: `driver-${i % 37}`,
  session_id: `session-${(i * 2654435761).toString(16).slice(-8).padStart(8, '0')}`,
  ts: '2026-01-01T00:00:00.000Z',
}));

async function mittRound(): Promise<number> {
  const emitter = mitt<{ telemetry: string }>();
  let a = 0;
  let b = 0;
  emitter.on('telemetry', (json) => {
    if ((JSON.parse(json) as CpTelemetry).kw > 0) a++;
  });
  emitter.on('telemetry', (json) => {
    if ((JSON.parse(json) as CpTelemetry).kw > 0) b++;
  });
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) emitter.emit('telemetry', JSON.stringify(messages[i % messages.length]));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (a !== N || b !== N) throw new Error(`mitt lost messages: ${a}, ${b}`);
  return (2 * N) / seconds;
}

async function memoryRound(): Promise<number> {
  const clock = new RealClock();
  const broker = new MemoryBroker();
  const transport = broker.transport('bench', { clock });
  await transport.connect();
  let a = 0;
  let b = 0;
  await transport.subscribe('cp.telemetry', { group: 'a' }, (v) => {
    if (v.kw > 0) a++;
  });
  await transport.subscribe('cp.telemetry', { group: 'b' }, (v) => {
    if (v.kw > 0) b++;
  });
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) await transport.publish('cp.telemetry', messages[i % messages.length]!);
  await broker.drain({ timeoutMs: 120_000 });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await transport.close();
  if (a !== N || b !== N) throw new Error(`memory transport lost messages: ${a}, ${b}`);
  return (2 * N) / seconds;
}

/** Deliveries per wall second and per CPU second on a VirtualClock, standard mode or simulation lane. */
async function virtualRound(simulationLane: boolean): Promise<{ wall: number; cpu: number }> {
  const clock = new VirtualClock();
  const broker = new MemoryBroker({ simulationLane });
  const transport = broker.transport('bench', { clock });
  await transport.connect();
  let a = 0;
  let b = 0;
  await transport.subscribe('cp.telemetry', { group: 'a' }, (v) => {
    if (v.kw > 0) a++;
  });
  await transport.subscribe('cp.telemetry', { group: 'b' }, (v) => {
    if (v.kw > 0) b++;
  });
  // A fresh object per publish (the lane freezes what it is given), as a publisher makes one.
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) await transport.publish('cp.telemetry', { ...messages[i % messages.length]! });
  await broker.drain();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  await transport.close();
  if (a !== N || b !== N) throw new Error(`memory transport (virtual clock) lost messages: ${a}, ${b}`);
  return { wall: (2 * N) / seconds, cpu: (2 * N) / ((used.user + used.system) / 1e6) };
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  await mittRound(); // warm-up both paths so the JIT treats them alike
  await memoryRound();
  await virtualRound(false);
  await virtualRound(true);
  const mittRates: number[] = [];
  const memoryRates: number[] = [];
  const standard: { wall: number; cpu: number }[] = [];
  const lane: { wall: number; cpu: number }[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    // Interleaved rounds: a noisy neighbour slows both sides alike.
    mittRates.push(await mittRound());
    memoryRates.push(await memoryRound());
    standard.push(await virtualRound(false));
    lane.push(await virtualRound(true));
    process.stderr.write(`round ${r + 1}/${ROUNDS}\n`);
  }
  const ratio = median(memoryRates) / median(mittRates);
  const laneRatio = median(lane.map((x) => x.cpu)) / median(standard.map((x) => x.cpu));
  report(
    'transport',
    [
      { name: 'raw mitt + JSON (baseline)', value: Math.round(median(mittRates)), unit: 'deliveries/s' },
      { name: 'MemoryTransport, 2 groups', value: Math.round(median(memoryRates)), unit: 'deliveries/s' },
      { name: 'ratio memory / mitt', value: ratio, unit: '', target: '>= 0.5', met: ratio >= 0.5 },
      {
        name: 'virtual clock, standard mode, 2 groups',
        value: Math.round(median(standard.map((x) => x.wall))),
        unit: 'deliveries/s',
      },
      {
        name: 'virtual clock, standard mode, 2 groups (CPU)',
        value: Math.round(median(standard.map((x) => x.cpu))),
        unit: 'deliveries/CPU s',
      },
      {
        name: 'virtual clock, simulation lane, 2 groups',
        value: Math.round(median(lane.map((x) => x.wall))),
        unit: 'deliveries/s',
      },
      {
        name: 'virtual clock, simulation lane, 2 groups (CPU)',
        value: Math.round(median(lane.map((x) => x.cpu))),
        unit: 'deliveries/CPU s',
      },
      { name: 'ratio lane / standard (CPU)', value: laneRatio, unit: '' },
    ],
    { messages: N, rounds: ROUNDS, mittRates, memoryRates, standard, lane },
  );
}

await main();
