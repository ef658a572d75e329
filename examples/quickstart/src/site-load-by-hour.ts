// The hours in which sites' load would pass a limit: runs `pnpm sim`'s network with sites whose
// limit never binds and, from every engine's power trace, finds each hour's highest site load.
// Run: pnpm --filter @evcharging/example-quickstart site-load-by-hour -- --cps 1000 --drivers 3000 --vehicles default --site-limit 1000000
import 'reflect-metadata';
import type { PowerSample } from '@evcharging/cp';
import { parseSimArgs, type SimOptions } from './sim-options.js';
import { simNetwork } from './sim-run.js';

const HOUR = 3_600_000;

/** For each hour of the run: the highest load of any site, and how many sites passed `threshold`. */
export async function siteLoadByHour(
  options: SimOptions,
  threshold: number,
): Promise<{ hour: number; max_site_kw: number; sites_over: number }[]> {
  const loads = new Map<string, number>();
  const kwOf = new Map<string, number>();
  const hours = Math.ceil(options.hours);
  const maxByHour = Array.from({ length: hours }, () => new Map<string, number>());
  let start = 0;
  const siteOf = (cpId: string) => `Site ${Math.floor((Number(cpId.slice(3)) - 1) / 10) + 1}`;
  const onPower = (sample: PowerSample) => {
    const site = siteOf(sample.cpId);
    const load = (loads.get(site) ?? 0) + sample.kw - (kwOf.get(sample.cpId) ?? 0);
    kwOf.set(sample.cpId, sample.kw);
    loads.set(site, load);
    const hour = Math.min(hours - 1, Math.floor((sample.atMs - start) / HOUR));
    const seen = maxByHour[hour]!;
    if (load > (seen.get(site) ?? 0)) seen.set(site, load);
  };
  const network = simNetwork(options, undefined, { onPower });
  start = network.clock.now();
  await network.run({ for: options.hours * HOUR });
  await network.stop();
  return maxByHour.map((sites, i) => ({
    hour: (options.startHour + i) % 24,
    max_site_kw: Math.round(Math.max(0, ...sites.values()) * 10) / 10,
    sites_over: [...sites.values()].filter((kw) => kw > threshold + 1e-9).length,
  }));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--threshold');
  const threshold = at >= 0 ? Number(args.splice(at, 2)[1]) : 100;
  const options = parseSimArgs(args);
  if (options === 'help') process.exit(0);
  process.stdout.write(`hour  max site kW  sites over ${threshold} kW\n`);
  for (const row of await siteLoadByHour(options, threshold)) {
    process.stdout.write(
      `${String(row.hour).padStart(2, '0')}:00 ${String(row.max_site_kw).padStart(12)} ${String(row.sites_over).padStart(10)}\n`,
    );
  }
}
