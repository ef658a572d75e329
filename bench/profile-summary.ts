/**
 * Prints where a V8 CPU profile spent its time: the functions with the most self time, the same
 * grouped by package, and the busy time grouped by what started the work (the timer callback or
 * message handler each sample ran for). For profiles written by `node --cpu-prof` (any of this repository's
 * commands) or by `pnpm bench:realtime-capacity -- --profile <n>`. With several files (tsx's loader
 * thread writes its own), pass them all: the busiest one is summarised.
 *
 * Run: pnpm bench:profile-summary -- <file.cpuprofile> [...] [--top 30]
 */
import { statSync } from 'node:fs';
import { parseBenchArgs } from './lib/cli.js';
import { readCpuProfile, timeByArea, timeByEntry, topFunctions } from './lib/cpu-profile.js';
import { cliArgs } from './lib/stats.js';

const { values, positionals } = parseBenchArgs(import.meta.url, {
  args: cliArgs(),
  allowPositionals: true,
  options: { top: { type: 'string', default: '30' } },
});
const TOP = Number(values.top);
if (positionals.length === 0 || !(Number.isInteger(TOP) && TOP >= 1 && TOP <= 500)) {
  process.stderr.write('usage: profile-summary.ts <file.cpuprofile> [...] [--top 1..500]\n');
  process.exit(2);
}
// The main thread's profile is the biggest.
const file = [...positionals].sort((a, b) => statSync(b).size - statSync(a).size)[0]!;
const profile = readCpuProfile(file);
const all = topFunctions(profile, Number.MAX_SAFE_INTEGER);
process.stdout.write(`${file}\n\ntop self time (share of busy samples)\n`);
for (const f of all.slice(0, TOP)) {
  process.stdout.write(`  ${f.selfPercent.toFixed(1).padStart(5)}%  ${f.name}  ${f.where}\n`);
}
process.stdout.write('\nby where the code lives\n');
for (const a of timeByArea(all).filter((x) => x.selfPercent >= 0.1))
  process.stdout.write(`  ${a.selfPercent.toFixed(1).padStart(5)}%  ${a.area}\n`);
process.stdout.write('\nby what started the work (timer callback or message handler)\n');
for (const e of timeByEntry(profile)
  .slice(0, TOP)
  .filter((x) => x.percent >= 0.1))
  process.stdout.write(`  ${e.percent.toFixed(1).padStart(5)}%  ${e.entry}\n`);
