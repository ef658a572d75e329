// `pnpm start`: a live charging network in one process (memory transport, real clock): Central
// with its dashboard and API, 10 CPs with monitors, drivers requesting forever. Ctrl+C stops it.
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { createLogger } from '@evcharging/core';
import { createQuickstart } from './quickstart.js';

const USAGE = `Usage: pnpm start -- [--port <n>] [--host <addr>] [--cps <n>] [--drivers <n>] [--site-limit <kW>]

  --port        Central's HTTP port (default CENTRAL_HTTP_PORT or PORT, else 8000)
  --host        address to listen on (default 127.0.0.1)
  --cps         charging points (default 10)
  --drivers     drivers requesting forever (default 3)
  --site-limit  sites of ten CPs behind a grid connection of this many kW, shared by smart
                charging; the dashboard charts each site's load against its limit (default none)
LOG_LEVEL=info shows every component's structured log (default warn).
`;

function fail(message: string): never {
  process.stderr.write(`error: ${message}\n\n${USAGE}`);
  process.exit(2);
}

let values: Record<string, string | boolean | undefined>;
try {
  const args = process.argv.slice(2);
  ({ values } = parseArgs({
    args: args[0] === '--' ? args.slice(1) : args,
    strict: true,
    allowPositionals: false,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      cps: { type: 'string' },
      drivers: { type: 'string' },
      'site-limit': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  }));
} catch (error) {
  fail((error as Error).message);
}
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const integer = (
  name: string,
  raw: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number => {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    fail(`${name} expects an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return n;
};
const port = integer(
  values.port !== undefined ? '--port' : 'CENTRAL_HTTP_PORT',
  (values.port as string | undefined) ?? process.env.CENTRAL_HTTP_PORT ?? process.env.PORT,
  8000,
  0,
  65_535,
);
const host = (values.host as string | undefined) ?? '127.0.0.1';
const cps = integer('--cps', values.cps as string | undefined, 10, 1, 1000);
const drivers = integer('--drivers', values.drivers as string | undefined, 3, 0, 100);
const siteLimitRaw = values['site-limit'] as string | undefined;
const siteLimitKw = siteLimitRaw === undefined ? undefined : Number(siteLimitRaw);
if (siteLimitKw !== undefined && !(Number.isFinite(siteLimitKw) && siteLimitKw > 0 && siteLimitKw <= 100_000))
  fail(`--site-limit expects kW from above 0 to 100000, got ${JSON.stringify(siteLimitRaw)}`);

const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'warn' });
const network = await createQuickstart({
  port,
  host,
  cps,
  drivers,
  logger,
  ...(siteLimitKw !== undefined ? { siteLimitKw } : {}),
});
try {
  await network.start();
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`could not start: ${message}\n`);
  if (/EADDRINUSE/.test(message)) process.stderr.write(`port ${port} is taken: try --port 8080\n`);
  await network.stop().catch(() => undefined);
  process.exit(1);
}

const address = network.central.httpAddress;
const shown = address
  ? `${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}`
  : `${host}:${port}`;
const out = (line: string) => process.stdout.write(`${line}\n`);
out(
  `EV charging network running: ${cps} charging points, ${drivers} drivers, Central on the memory transport${
    siteLimitKw !== undefined ? `, sites of ten CPs behind ${siteLimitKw} kW each` : ''
  }`,
);
out(`  dashboard  http://${shown}/`);
out(`  API docs   http://${shown}/docs     CPs: http://${shown}/cp     health: http://${shown}/health`);
out('Press Ctrl+C to stop.');

for (const driverId of network.drivers.keys()) {
  network.sim.node(`driver/${driverId}`).bus.on('driver.result', ({ result }) => {
    const ticket =
      result.energy_kwh !== undefined
        ? ` ${result.energy_kwh.toFixed(3)} kWh €${(result.total_cost_eur ?? 0).toFixed(2)}`
        : '';
    out(
      `${driverId}: ${result.cp_id} ${result.status}${ticket}${result.reason && result.status !== 'completed' ? ` (${result.reason})` : ''}`,
    );
  });
}

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) {
    process.stderr.write('forced exit\n');
    process.exit(130);
  }
  stopping = true;
  out(`\n${signal}: stopping...`);
  try {
    await network.stop();
    out('stopped cleanly');
    process.exit(0);
  } catch (error) {
    process.stderr.write(`error while stopping: ${(error as Error).message}\n`);
    process.exit(1);
  }
};
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
