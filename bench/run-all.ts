/**
 * `pnpm bench`: every benchmark, one after another, each as `pnpm bench:<name>` in its own process
 * (a failing one does not stop the rest), then one table of every figure that has a target, read
 * back from the JSON results the runs just wrote.
 *
 * Run: pnpm bench [-- --only city-day,central-http] [-- --skip kafka,kafka-request]
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBenchArgs } from './lib/cli.js';
import type { BenchRow } from './lib/results.js';
import { cliArgs } from './lib/stats.js';

/** Script names (`pnpm bench:<name>`) and the result-file name each writes. */
const BENCHES = [
  { name: 'transport', result: 'transport' },
  { name: 'memory-per-cp', result: 'memory-per-cp' },
  { name: 'central-http', result: 'central-http' },
  { name: 'city-day', result: 'city-day' },
  { name: 'realtime-capacity', result: 'realtime-capacity' },
  { name: 'kafka', result: 'kafka' },
  { name: 'kafka-request', result: 'kafka-request' },
] as const;

const { values } = parseBenchArgs(import.meta.url, {
  args: cliArgs(),
  options: { only: { type: 'string' }, skip: { type: 'string' } },
});
const only = values.only?.split(',');
const skip = values.skip?.split(',') ?? [];
const unknown = [...(only ?? []), ...skip].filter((n) => !BENCHES.some((b) => b.name === n));
if (unknown.length > 0) {
  process.stderr.write(
    `unknown bench ${unknown.join(', ')}; known: ${BENCHES.map((b) => b.name).join(', ')}\n`,
  );
  process.exit(2);
}

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const resultsDir = path.join(root, 'bench', 'results');

/** The newest result file of a bench written at or after `since` (ISO date in the file). */
function newestResult(name: string, since: string): { rows: BenchRow[]; file: string } | undefined {
  const files = readdirSync(resultsDir)
    .filter((f) => new RegExp(`^${name}-\\d{4}-\\d{2}-\\d{2}-\\d{2}-\\d{2}-\\d{2}\\.json$`).test(f))
    .sort();
  const file = files.at(-1);
  if (!file) return undefined;
  const json = JSON.parse(readFileSync(path.join(resultsDir, file), 'utf8')) as {
    date: string;
    rows: BenchRow[];
  };
  return json.date >= since ? { rows: json.rows, file } : undefined;
}

const started = new Date().toISOString();
const outcomes: { name: string; status: number | null; seconds: number }[] = [];
for (const bench of BENCHES) {
  if ((only && !only.includes(bench.name)) || skip.includes(bench.name)) continue;
  process.stdout.write(`\n=== pnpm bench:${bench.name}\n`);
  const t0 = performance.now();
  const run = spawnSync('pnpm', ['-s', `bench:${bench.name}`], { cwd: root, stdio: 'inherit' });
  outcomes.push({ name: bench.name, status: run.status, seconds: (performance.now() - t0) / 1000 });
}

process.stdout.write('\n| bench | figure | value | target | met |\n|---|---|---|---|---|\n');
for (const outcome of outcomes) {
  const bench = BENCHES.find((b) => b.name === outcome.name)!;
  const result = outcome.status === 0 ? newestResult(bench.result, started) : undefined;
  if (!result) {
    process.stdout.write(`| ${outcome.name} | failed (exit ${outcome.status}) | | | |\n`);
    continue;
  }
  for (const row of result.rows.filter((r) => r.target)) {
    const value = Number.isInteger(row.value) ? row.value.toLocaleString('en-US') : row.value.toFixed(3);
    process.stdout.write(
      `| ${outcome.name} | ${row.name} | ${value} ${row.unit} | ${row.target} | ${row.met ? 'yes' : 'no'} |\n`,
    );
  }
}
const failed = outcomes.filter((o) => o.status !== 0);
process.stdout.write(
  `\n${outcomes.length - failed.length} of ${outcomes.length} benches ran; ${failed.length ? `failed: ${failed.map((f) => f.name).join(', ')}` : 'none failed'}\n`,
);
process.exit(failed.length ? 1 : 0);
