import { type CentralStore, listAll, type SessionRecord, type SiteReport } from '@evcharging/central';
import type { NetworkReport } from '@evcharging/network';
import type { SimOptions } from './sim-options.js';
import type { SimOutcome, SimProgress } from './sim-run.js';

const HOUR = 3_600_000;

function clockTime(ms: number): string {
  const h = Math.floor(ms / HOUR);
  const m = Math.floor((ms % HOUR) / 60_000);
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');

/** One line of progress: bar, simulated time, speed-up, sessions. */
export function progressLine(p: SimProgress, width = 30): string {
  const done = p.totalMs === 0 ? 1 : p.simulatedMs / p.totalMs;
  const filled = Math.round(done * width);
  const bar = `${'='.repeat(Math.max(0, filled - 1))}${filled > 0 ? (done >= 1 ? '=' : '>') : ''}`.padEnd(
    width,
  );
  const speed = p.wallMs > 0 ? `${int(p.simulatedMs / p.wallMs)}x` : '-';
  return `[${bar}] ${clockTime(p.simulatedMs)} / ${clockTime(p.totalMs)} simulated  ${speed} real time  ${int(p.sessions)} sessions  ${(p.wallMs / 1000).toFixed(1)} s`;
}

/** The summary printed at the end of a run. */
export function summaryTable(options: SimOptions, outcome: SimOutcome): string {
  const r: NetworkReport = outcome.report;
  const fleet = r.fleet;
  const rows: [string, string][] = [
    ['charging points', int(r.cps)],
    ['drivers', `${int(options.drivers)} (${options.sessionsPerDriver} session/day, ${options.policy})`],
    ['simulated', `${(r.simulated_ms / HOUR).toFixed(2)} h from ${r.started_at}`],
    ['seed', String(r.seed)],
    ['arrivals', fleet ? `${int(fleet.arrivals)} (${int(fleet.no_idle_driver)} with every driver out)` : '-'],
    [
      'requests',
      r.requests
        ? `${int(r.requests.received)} received, ${int(r.requests.accepted)} accepted, ${int(r.requests.denied)} denied (busy ${int(r.requests.denied_by_reason.busy)}, not available ${int(r.requests.denied_by_reason.not_available)})`
        : '-',
    ],
    [
      'sessions',
      r.sessions
        ? `${int(r.sessions.completed)} completed, ${int(r.sessions.failed)} failed, ${int(r.sessions.open)} open at the end`
        : '-',
    ],
    [
      'driver trips',
      fleet
        ? `${Object.entries(fleet.trips)
            .map(([k, v]) => `${int(v)} ${k}`)
            .join(', ')}, ${int(fleet.in_flight)} in flight`
        : '-',
    ],
    ['energy', `${r.energy_kwh.toLocaleString('en-US', { maximumFractionDigits: 1 })} kWh`],
    [
      'revenue',
      `€${r.revenue_eur.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`,
    ],
    [
      'utilisation',
      `mean ${(r.utilisation.mean * 100).toFixed(1)}%, min ${(r.utilisation.min * 100).toFixed(1)}%, max ${(r.utilisation.max * 100).toFixed(1)}%`,
    ],
    ['faults', `${int(r.faults)} faults, ${int(r.disconnections)} disconnections`],
    [
      'messages',
      `${int(r.messages.total)}: ${Object.entries(r.messages.by_topic)
        .sort((a, b) => b[1] - a[1])
        .map(([t, n]) => `${t} ${int(n)}`)
        .join(', ')}`,
    ],
    ...siteRows(r),
    ['event-log hash', r.event_log.hash],
    ['wall time', `${(outcome.wallMs / 1000).toFixed(2)} s`],
    ['speed', `${int(outcome.speedup)}x real time`],
    ['peak memory', `${int(outcome.peakRssMb)} MB RSS`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return `${rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n')}\n`;
}

/** The sites' figures (with --site-limit), summed over the sites. */
function siteRows(r: NetworkReport): [string, string][] {
  const sites = r.sites;
  if (!sites || sites.length === 0) return [];
  const sum = (pick: (s: SiteReport) => number) => sites.reduce((t, s) => t + pick(s), 0);
  const kwh = (n: number) => `${n.toLocaleString('en-US', { maximumFractionDigits: 1 })} kWh`;
  const withTarget = sum((s) => s.drivers_with_target);
  const met = sum((s) => s.drivers_met_target);
  return [
    [
      'sites',
      `${int(sites.length)} (limit ${Math.max(...sites.map((s) => s.limit_kw))} kW, policy ${r.charging_policy}), max site peak ${Math.max(...sites.map((s) => s.peak_kw)).toFixed(1)} kW`,
    ],
    [
      'site energy',
      `${kwh(sum((s) => s.energy_requested_kwh))} requested, ${kwh(sum((s) => s.energy_delivered_kwh))} delivered, ${kwh(sum((s) => s.unmet_kwh))} unmet`,
    ],
    [
      'targets met',
      `${int(met)} of ${int(withTarget)} drivers (${withTarget > 0 ? ((met / withTarget) * 100).toFixed(1) : '0.0'}%), cost €${sum((s) => s.cost_eur).toFixed(2)}`,
    ],
  ];
}

const CSV_COLUMNS = [
  'session_id',
  'request_id',
  'driver_id',
  'cp_id',
  'status',
  'requested_at',
  'start_time',
  'end_time',
  'energy_kwh',
  'total_cost_eur',
  'reason',
] as const satisfies readonly (keyof SessionRecord)[];

function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Every session Central knows, oldest request first, as CSV with a header. */
export function sessionsCsv(store: CentralStore): string {
  const sessions = listAll((page) => store.listSessions(page));
  sessions.sort((a, b) =>
    a.requested_at !== b.requested_at
      ? a.requested_at < b.requested_at
        ? -1
        : 1
      : a.session_id < b.session_id
        ? -1
        : 1,
  );
  const lines = [CSV_COLUMNS.join(',')];
  for (const s of sessions) lines.push(CSV_COLUMNS.map((c) => csvField(s[c])).join(','));
  return `${lines.join('\n')}\n`;
}

/** The `--json` file: the deterministic report, plus how the run went under `run`. */
export function jsonReport(options: SimOptions, outcome: SimOutcome): string {
  const events = options.events > 0 ? outcome.network.sim.eventLog.entries() : undefined;
  return `${JSON.stringify(
    {
      options: { ...options, json: undefined, csv: undefined, schedule: undefined },
      run: {
        wall_ms: Math.round(outcome.wallMs),
        speedup: Math.round(outcome.speedup),
        peak_rss_mb: Math.round(outcome.peakRssMb),
        node: process.version,
      },
      report: outcome.report,
      ...(events ? { events } : {}),
    },
    null,
    2,
  )}\n`;
}
