import type { DriverUpdate } from '@evcharging/core';

/** How a request ended, from the driver's side. `timeout`: no update within the timeout. */
export type DriverOutcome = 'completed' | 'denied' | 'failed' | 'timeout';

/** One request's outcome, with its ticket when the session produced one. */
export interface DriverResult {
  request_id: string;
  driver_id: string;
  cp_id: string;
  status: DriverOutcome;
  reason?: string;
  session_id?: string;
  start_time?: string;
  end_time?: string;
  energy_kwh?: number;
  total_cost_eur?: number;
  /** When the request was sent and when its outcome was known, ISO-8601 (the driver's clock). */
  requested_at: string;
  finished_at: string;
  /** True when the outcome was matched after a timeout or a restart of the driver. */
  late?: boolean;
}

/** Totals over a list of results. */
export interface DriverSummary {
  requests: number;
  completed: number;
  denied: number;
  failed: number;
  timeout: number;
  energy_kwh: number;
  cost_eur: number;
}

export const TERMINAL_STATUSES: ReadonlySet<string> = new Set(['completed', 'denied', 'failed']);

/** True when an update carries a ticket (energy and cost of the session). */
export function hasTicket(update: DriverUpdate): boolean {
  return update.energy_kwh !== undefined && update.total_cost_eur !== undefined;
}

/** Sums results into a summary (energy and cost rounded to 1 Wh and 1 cent). */
export function summarize(results: readonly DriverResult[]): DriverSummary {
  const summary: DriverSummary = {
    requests: results.length,
    completed: 0,
    denied: 0,
    failed: 0,
    timeout: 0,
    energy_kwh: 0,
    cost_eur: 0,
  };
  for (const r of results) {
    summary[r.status]++;
    summary.energy_kwh += r.energy_kwh ?? 0;
    summary.cost_eur += r.total_cost_eur ?? 0;
  }
  summary.energy_kwh = Math.round(summary.energy_kwh * 1000) / 1000;
  summary.cost_eur = Math.round(summary.cost_eur * 100) / 100;
  return summary;
}
