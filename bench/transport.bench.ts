/**
 * Memory transport throughput against raw mitt doing the same JSON round-trip, in one run.
 * Both deliver telemetry-sized JSON to two consumers; the figure is delivered messages per second
 * (each message counted once per group). Run: pnpm bench:transport [-- --messages 200000 --rounds 5]
 */

import { type CpTelemetry, RealClock } from '@evcharging/core';
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

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  await mittRound(); // warm-up both paths so the JIT treats them alike
  await memoryRound();
  const mittRates: number[] = [];
  const memoryRates: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    // Interleaved rounds: a noisy neighbour slows both sides alike.
    mittRates.push(await mittRound());
    memoryRates.push(await memoryRound());
    process.stderr.write(`round ${r + 1}/${ROUNDS}\n`);
  }
  const ratio = median(memoryRates) / median(mittRates);
  report(
    'transport',
    [
      { name: 'raw mitt + JSON (baseline)', value: Math.round(median(mittRates)), unit: 'deliveries/s' },
      { name: 'MemoryTransport, 2 groups', value: Math.round(median(memoryRates)), unit: 'deliveries/s' },
      { name: 'ratio memory / mitt', value: ratio, unit: '', target: '>= 0.5', met: ratio >= 0.5 },
    ],
    { messages: N, rounds: ROUNDS, mittRates, memoryRates },
  );
}

await main();
