import { execSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const resultsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'results');

export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  /** Target, stated as text (e.g. ">= 0.5"). */
  target?: string;
  met?: boolean;
}

function commit(): string {
  try {
    return execSync('git rev-parse --short HEAD', { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return 'unknown';
  }
}

/** Machine facts every result carries, because these machines are shared and noisy. */
export function machine() {
  return {
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

/** Prints a table and writes `bench/results/<name>-<date>.json`. Returns the file path. */
export function report(name: string, rows: BenchRow[], extra: Record<string, unknown> = {}): string {
  const date = new Date().toISOString();
  const width = Math.max(...rows.map((r) => r.name.length), 10);
  process.stdout.write(`\n${name} (${date}, node ${process.version})\n`);
  for (const r of rows) {
    // A figure a run could not measure (no sample at all: a percentile of nothing) prints as n/a,
    // and the table and the result file still come out.
    const value = !Number.isFinite(r.value)
      ? 'n/a'
      : Number.isInteger(r.value)
        ? r.value.toLocaleString('en-US')
        : r.value.toFixed(3);
    const target = r.target
      ? `  target ${r.target} ${r.met === undefined ? '' : r.met ? 'met' : 'MISSED'}`
      : '';
    process.stdout.write(`  ${r.name.padEnd(width)}  ${value.padStart(14)} ${r.unit}${target}\n`);
  }
  mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, `${name}-${date.slice(0, 19).replace(/[:T]/g, '-')}.json`);
  writeFileSync(
    file,
    `${JSON.stringify({ name, date, commit: commit(), machine: machine(), rows, ...extra }, null, 2)}\n`,
  );
  process.stdout.write(`  written to ${path.relative(process.cwd(), file)}\n`);
  return file;
}
