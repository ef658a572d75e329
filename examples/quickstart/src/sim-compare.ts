import type { SiteReport } from '@evcharging/central';
import { CHARGING_POLICIES, type ChargingPolicyName, type SimOptions } from './sim-options.js';
import { runSimulation } from './sim-run.js';

/** One policy's run of a `--compare-policies` comparison: its sites' figures summed. */
export interface PolicyRow {
  policy: string;
  sites: number;
  sessions: number;
  /** The highest peak of any site, kW. */
  max_site_peak_kw: number;
  /** The highest site limit at the end of the run, kW. */
  site_limit_kw: number;
  energy_requested_kwh: number;
  energy_delivered_kwh: number;
  unmet_kwh: number;
  drivers_with_target: number;
  drivers_met_target: number;
  /** drivers_met_target / drivers_with_target. */
  met_target_share: number;
  cost_eur: number;
  limit_commands: number;
  allocation_errors: number;
  event_log_hash: string;
  /** Wall time of the run (not deterministic: kept apart from the figures above). */
  wall_ms: number;
}

const r3 = (n: number) => Math.round(n * 1000) / 1000;

/** Sums a run's site reports into one row. */
export function policyRow(
  policy: string,
  sites: readonly SiteReport[],
  hash: string,
  wallMs: number,
): PolicyRow {
  const sum = (pick: (s: SiteReport) => number) => sites.reduce((total, s) => total + pick(s), 0);
  const withTarget = sum((s) => s.drivers_with_target);
  const met = sum((s) => s.drivers_met_target);
  return {
    policy,
    sites: sites.length,
    sessions: sum((s) => s.sessions),
    max_site_peak_kw: r3(Math.max(0, ...sites.map((s) => s.peak_kw))),
    site_limit_kw: Math.max(0, ...sites.map((s) => s.limit_kw)),
    energy_requested_kwh: r3(sum((s) => s.energy_requested_kwh)),
    energy_delivered_kwh: r3(sum((s) => s.energy_delivered_kwh)),
    unmet_kwh: r3(sum((s) => s.unmet_kwh)),
    drivers_with_target: withTarget,
    drivers_met_target: met,
    met_target_share: withTarget > 0 ? r3(met / withTarget) : 0,
    cost_eur: Math.round(sum((s) => s.cost_eur) * 100) / 100,
    limit_commands: sum((s) => s.limit_commands),
    allocation_errors: sum((s) => s.allocation_errors),
    event_log_hash: hash,
    wall_ms: Math.round(wallMs),
  };
}

/**
 * Runs the same options (same seed) once under each policy and returns one row per policy.
 *
 * @example
 * const rows = await comparePolicies({ ...options, siteLimitKw: 60 });
 * console.log(comparisonTable(rows));
 */
export async function comparePolicies(
  options: SimOptions,
  policies: readonly ChargingPolicyName[] = CHARGING_POLICIES,
  onRun: (policy: string) => void = () => {},
): Promise<PolicyRow[]> {
  if (options.siteLimitKw === undefined) {
    throw new RangeError('comparePolicies: options.siteLimitKw is needed (the policies share a site limit)');
  }
  const rows: PolicyRow[] = [];
  for (const policy of policies) {
    onRun(policy);
    const outcome = await runSimulation({ ...options, chargingPolicy: policy });
    await outcome.network.stop();
    rows.push(policyRow(policy, outcome.report.sites ?? [], outcome.report.event_log.hash, outcome.wallMs));
  }
  return rows;
}

/** The policy whose drivers most often left with their target SoC (ties: the least unmet energy). */
export function bestPolicy(rows: readonly PolicyRow[]): PolicyRow | undefined {
  // Without targets (requests without vehicles or energies) no policy meets more than another.
  if (rows.every((row) => row.drivers_with_target === 0)) return undefined;
  return [...rows].sort((a, b) => b.met_target_share - a.met_target_share || a.unmet_kwh - b.unmet_kwh)[0];
}

const COLUMNS: [keyof PolicyRow, string][] = [
  ['policy', 'policy'],
  ['sessions', 'sessions'],
  ['max_site_peak_kw', 'max site peak kW'],
  ['energy_requested_kwh', 'requested kWh'],
  ['energy_delivered_kwh', 'delivered kWh'],
  ['unmet_kwh', 'unmet kWh'],
  ['drivers_met_target', 'met target'],
  ['met_target_share', 'met share'],
  ['cost_eur', 'cost €'],
  ['limit_commands', 'limit cmds'],
];

/** The comparison as a fixed-width table, then the best policy and each run's hash. */
export function comparisonTable(rows: readonly PolicyRow[]): string {
  const cells = rows.map((row) =>
    COLUMNS.map(([key]) => {
      const value = row[key];
      if (key === 'met_target_share') return `${(Number(value) * 100).toFixed(1)}%`;
      if (key === 'drivers_met_target') return `${row.drivers_met_target}/${row.drivers_with_target}`;
      return typeof value === 'number' ? value.toLocaleString('en-US', { maximumFractionDigits: 1 }) : value;
    }),
  );
  const widths = COLUMNS.map(([, title], c) => Math.max(title.length, ...cells.map((r) => r[c]!.length)));
  const line = (r: string[]) =>
    `  ${r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')}`;
  const best = bestPolicy(rows);
  return [
    line(COLUMNS.map(([, title]) => title)),
    ...cells.map(line),
    '',
    best
      ? `  most targets met: ${best.policy} (${(best.met_target_share * 100).toFixed(1)}%)`
      : '  no driver had a target (requests without vehicles or energies): no policy meets more',
    ...rows.map(
      (row) =>
        `  ${row.policy.padEnd(widths[0]!)}  hash ${row.event_log_hash}  ${(row.wall_ms / 1000).toFixed(1)} s`,
    ),
    '',
  ].join('\n');
}

/** The comparison as CSV with a header (every field of {@link PolicyRow}). */
export function comparisonCsv(rows: readonly PolicyRow[]): string {
  if (rows.length === 0) return '';
  const keys = Object.keys(rows[0]!) as (keyof PolicyRow)[];
  return `${[keys.join(','), ...rows.map((row) => keys.map((k) => String(row[k])).join(','))].join('\n')}\n`;
}

/** The comparison as JSON: the options, the rows, the best policy. */
export function comparisonJson(options: SimOptions, rows: readonly PolicyRow[]): string {
  return `${JSON.stringify(
    {
      options: { ...options, json: undefined, csv: undefined, schedule: undefined },
      best: bestPolicy(rows)?.policy,
      rows,
    },
    null,
    2,
  )}\n`;
}
