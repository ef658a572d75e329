// `pnpm ocpp:fleet`: N simulated OCPP 1.6J charge points against a CSMS, in real time, with drivers
// arriving (the arrival model of `pnpm sim`). Bad flags print the usage and exit with code 2.
import 'reflect-metadata';
import { writeFile } from 'node:fs/promises';
import { createLogger, type Random, RealClock } from '@evcharging/core';
import { DEFAULT_DWELL_S, DEFAULT_ENERGY_KWH, sampleLogNormal, timeOfDayArrivals } from '@evcharging/driver';
import { createOcppFleet } from '@evcharging/ocpp';
import { type FleetCliOptions, parseFleetArgs, USAGE, UsageError } from './fleet-options.js';
import { progressLine, summaryText } from './fleet-output.js';

let parsed: FleetCliOptions | 'help';
try {
  parsed = parseFleetArgs(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  process.stderr.write(`error: ${error.message}\n\n${USAGE}`);
  process.exit(2);
}
if (parsed === 'help') {
  process.stdout.write(USAGE);
  process.exit(0);
}
const options = parsed;

/** A driver's wish: energy and time from the same distributions as `pnpm sim`, and a vehicle. */
function trip(random: Random) {
  const batteryKwh = 60;
  const initialSoc = random.float(0.1, 0.6);
  const targetKwh = Math.min(sampleLogNormal(random, DEFAULT_ENERGY_KWH), (1 - initialSoc) * batteryKwh);
  return {
    targetKwh: Math.round(targetKwh * 100) / 100,
    durationS: Math.round(sampleLogNormal(random, DEFAULT_DWELL_S)),
    vehicle: { batteryKwh, initialSoc },
  };
}

const perDay = options.drivers * options.sessionsPerDriver;
const fleet = createOcppFleet({
  csms: options.csms,
  cps: options.cps,
  idPrefix: options.idPrefix,
  meterIntervalS: options.meterIntervalS,
  kw: options.kw,
  connectRatePerS: options.connectRate,
  seed: options.seed,
  clock: new RealClock(),
  logger: createLogger({ level: process.env.LOG_LEVEL ?? 'silent' }),
  trip,
  ...(perDay > 0 ? { arrivals: timeOfDayArrivals({ perDay }) } : {}),
  ...(options.password !== undefined ? { password: () => options.password } : {}),
});

const started = performance.now();
const elapsedS = () => (performance.now() - started) / 1000;
await fleet.start();

const tty = process.stderr.isTTY === true;
let lastLine = 0;
const progress = setInterval(() => {
  const line = progressLine(elapsedS(), fleet.figures(), fleet.metrics.figures());
  if (tty) process.stderr.write(`\r${line}\u001b[K`);
  else if (performance.now() - lastLine >= 10_000) {
    lastLine = performance.now();
    process.stderr.write(`${line}\n`);
  }
}, 2000);

let stopping = false;
async function finish(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  clearInterval(progress);
  if (tty) process.stderr.write('\n');
  const figures = fleet.figures();
  const ocpp = fleet.metrics.figures();
  const seconds = elapsedS();
  process.stdout.write(`\nOCPP fleet summary\n${summaryText(options, seconds, figures, ocpp)}`);
  if (options.json) {
    await writeFile(options.json, `${JSON.stringify({ options, seconds, fleet: figures, ocpp }, null, 2)}\n`);
    process.stdout.write(`  summary written to ${options.json}\n`);
  }
  await fleet.stop();
  process.exit(code);
}
process.on('SIGINT', () => void finish(0));
process.on('SIGTERM', () => void finish(0));
if (options.durationS !== undefined) setTimeout(() => void finish(0), options.durationS * 1000);
