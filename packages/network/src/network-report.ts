import type { CentralReport, CpReport } from '@evcharging/central';
import type { SimulationReport } from '@evcharging/core';
import type { DriverSummary, FleetStats } from '@evcharging/driver';

/** One report for a whole network run: Central's books, the engines' meters, the drivers' tickets. */
export interface NetworkReport {
  seed: number | string;
  started_at: string;
  now: string;
  simulated_ms: number;
  cps: number;
  /** Requests as Central saw them. */
  requests: CentralReport['requests'] | undefined;
  /** Sessions by outcome, from Central. */
  sessions: CentralReport['sessions'] | undefined;
  /** Energy and revenue from Central's tickets. */
  energy_kwh: number;
  revenue_eur: number;
  faults: number;
  disconnections: number;
  /** Share of the run each CP spent supplying. */
  utilisation: { mean: number; min: number; max: number };
  /** Energy, revenue and session counts as the engines metered them. */
  engines: {
    energy_kwh: number;
    revenue_eur: number;
    sessions_ended: number;
    telemetry_sent: number;
    faults: number;
  };
  fleet: FleetStats | undefined;
  drivers: (DriverSummary & { driver_id: string })[];
  messages: SimulationReport['messages'];
  event_log: SimulationReport['event_log'];
  /** Per-CP figures from Central. */
  per_cp: CpReport[];
  /** Per-site figures of Central's smart charging (only with sites). */
  sites?: NonNullable<CentralReport['sites']>;
  /** The allocation policy that shared the sites' power (only with sites). */
  charging_policy?: string;
}

const r3 = (n: number) => Math.round(n * 1000) / 1000;
const r2 = (n: number) => Math.round(n * 100) / 100;

/** Builds a {@link NetworkReport} from a simulation report and the parts' own figures. */
export function networkReport(
  sim: SimulationReport,
  parts: {
    central: CentralReport | undefined;
    cps: number;
    fleet: FleetStats | undefined;
    drivers: (DriverSummary & { driver_id: string })[];
  },
): NetworkReport {
  const engines = { energy_kwh: 0, revenue_eur: 0, sessions_ended: 0, telemetry_sent: 0, faults: 0 };
  for (const [nodeId, plugins] of Object.entries(sim.plugins)) {
    if (!nodeId.startsWith('engine/')) continue;
    for (const figures of Object.values(plugins)) {
      engines.energy_kwh += Number(figures.energyKwh ?? 0);
      engines.revenue_eur += Number(figures.revenueEur ?? 0);
      engines.sessions_ended += Number(figures.sessionsEnded ?? 0);
      engines.telemetry_sent += Number(figures.telemetrySent ?? 0);
      engines.faults += Number(figures.faults ?? 0);
    }
  }
  engines.energy_kwh = r3(engines.energy_kwh);
  engines.revenue_eur = r2(engines.revenue_eur);
  const perCp = parts.central?.cps ?? [];
  const utilisations = perCp.map((c) => c.utilisation);
  const utilisation =
    utilisations.length === 0
      ? { mean: 0, min: 0, max: 0 }
      : {
          mean: r3(utilisations.reduce((a, b) => a + b, 0) / utilisations.length),
          min: r3(Math.min(...utilisations)),
          max: r3(Math.max(...utilisations)),
        };
  return {
    seed: sim.seed,
    started_at: sim.started_at,
    now: sim.now,
    simulated_ms: sim.simulated_ms,
    cps: parts.cps,
    requests: parts.central?.requests,
    sessions: parts.central?.sessions,
    energy_kwh: r3(parts.central?.energy_kwh ?? 0),
    revenue_eur: r2(parts.central?.revenue_eur ?? 0),
    faults: parts.central?.faults ?? 0,
    disconnections: parts.central?.disconnections ?? 0,
    utilisation,
    engines,
    fleet: parts.fleet,
    drivers: parts.drivers,
    messages: sim.messages,
    event_log: sim.event_log,
    per_cp: perCp,
    ...(parts.central?.sites ? { sites: parts.central.sites } : {}),
    ...(parts.central?.charging_policy ? { charging_policy: parts.central.charging_policy } : {}),
  };
}
