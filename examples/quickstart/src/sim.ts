// `pnpm sim`: a charging network in virtual time, with a progress bar, a summary, and the full
// report and sessions on request. Bad flags print the usage and exit with code 2.
import 'reflect-metadata';
import { writeFile } from 'node:fs/promises';
import { ArrivalsFileError, readArrivals, replayLine } from './arrivals-file.js';
import { comparePolicies, comparisonCsv, comparisonJson, comparisonTable } from './sim-compare.js';
import { parseSimArgs, type SimOptions, USAGE, UsageError } from './sim-options.js';
import { jsonReport, progressLine, sessionsCsv, summaryTable } from './sim-output.js';
import { runSimulation, simStart } from './sim-run.js';

let options: SimOptions | 'help';
try {
  options = parseSimArgs(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  process.stderr.write(`error: ${error.message}\n\n${USAGE}`);
  process.exit(2);
}
if (options === 'help') {
  process.stdout.write(USAGE);
  process.exit(0);
}
const opts = options;
if (opts.arrivals !== undefined) {
  try {
    const { schedule, skipped } = await readArrivals(opts.arrivals);
    opts.schedule = schedule;
    process.stderr.write(`${replayLine(opts.arrivals, schedule, skipped, simStart(opts), opts.hours)}\n`);
  } catch (error) {
    if (!(error instanceof ArrivalsFileError)) throw error;
    process.stderr.write(`error: ${error.message}\n`);
    process.exit(2);
  }
}

if (opts.comparePolicies) {
  const rows = await comparePolicies(opts, undefined, (policy) => {
    if (opts.progress) process.stderr.write(`running ${policy}...\n`);
  });
  process.stdout.write(`\n${comparisonTable(rows)}`);
  const json = opts.json ?? 'compare-policies.json';
  const csv = opts.csv ?? 'compare-policies.csv';
  await writeFile(json, comparisonJson(opts, rows));
  await writeFile(csv, comparisonCsv(rows));
  process.stdout.write(`  comparison written to ${json} and ${csv}\n`);
  process.exit(0);
}

const tty = process.stderr.isTTY === true;
let lastDraw = 0;
let lastTenth = -1;
const outcome = await runSimulation(opts, (p) => {
  if (!opts.progress) return;
  if (tty) {
    // Redraw at most five times a second, and always at the end.
    if (p.wallMs - lastDraw < 200 && p.simulatedMs < p.totalMs) return;
    lastDraw = p.wallMs;
    process.stderr.write(`\r${progressLine(p)}\u001b[K`);
    if (p.simulatedMs >= p.totalMs) process.stderr.write('\n');
  } else {
    const tenth = Math.floor((p.simulatedMs / p.totalMs) * 10);
    if (tenth === lastTenth) return;
    lastTenth = tenth;
    process.stderr.write(`${progressLine(p)}\n`);
  }
});

process.stdout.write(`\n${summaryTable(opts, outcome)}`);
if (opts.json) {
  await writeFile(opts.json, jsonReport(opts, outcome));
  process.stdout.write(`  report written to ${opts.json}\n`);
}
if (opts.csv) {
  await writeFile(opts.csv, sessionsCsv(outcome.network.central.store));
  process.stdout.write(`  sessions written to ${opts.csv}\n`);
}
await outcome.network.stop();
