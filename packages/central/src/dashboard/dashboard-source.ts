import type { CpState } from '@evcharging/core';

/**
 * Whether the CP's monitor is heard from: `up` = heartbeats arrive, `down` = heartbeat timeout,
 * `unknown` = no monitor has registered this CP yet.
 */
export type MonitorLiveness = 'up' | 'down' | 'unknown';

/** One charging point as the dashboard shows it. Field names are the wire's snake_case. */
export interface DashboardCp {
  cp_id: string;
  location: string;
  price_eur_kwh: number;
  /** Rated power of the CP, kW. */
  max_kw: number;
  state: CpState;
  monitor: MonitorLiveness;
  /** Why the CP is in FAULT / STOPPED / DISCONNECTED, when known. */
  reason: string | null;
  driver_id: string | null;
  session_id: string | null;
  /** ISO time the running session started supplying. */
  session_started_at: string | null;
  /** Power, energy and cost of the running session (0 when idle). */
  kw: number;
  kwh: number;
  euros: number;
  /** The vehicle's state of charge in the running session, % (absent or null without a vehicle). */
  soc?: number | null;
}

/** What the event log shows; the page colours each kind. */
export const DASHBOARD_EVENT_KINDS = [
  'request',
  'denial',
  'start',
  'end',
  'fault',
  'recovery',
  'ticket',
  'operator',
  'connection',
] as const;
export type DashboardEventKind = (typeof DASHBOARD_EVENT_KINDS)[number];

export interface DashboardEvent {
  /** ISO-8601 UTC time (from the injected clock). */
  ts: string;
  kind: DashboardEventKind;
  cp_id?: string;
  driver_id?: string;
  /** One line a person reads. */
  message: string;
}

/**
 * Totals of the sessions that have ended (tickets). The feed adds the running sessions' kWh and €
 * from the CPs, so the source never has to emit a change on every telemetry message.
 */
export interface DashboardTotals {
  closed_energy_kwh: number;
  closed_revenue_eur: number;
  closed_sessions: number;
}

/** A site (CPs behind one grid connection) at one instant: its load against its limit. */
export interface DashboardSite {
  site_id: string;
  /** CPs behind the site's connection. */
  cps: number;
  /** Power the site's sessions draw now, kW. */
  load_kw: number;
  /** The connection's limit in force now, kW (it may follow a curve over the day). */
  limit_kw: number;
}

/** Everything the dashboard shows, read in one go. */
export interface DashboardSnapshot {
  cps: DashboardCp[];
  totals: DashboardTotals;
  /** Recent events, oldest first. */
  events: DashboardEvent[];
}

/** One change in the source; the feed coalesces them per CP before anything goes on the wire. */
export type DashboardChange =
  | { type: 'cp'; cp: DashboardCp }
  | { type: 'cp_removed'; cp_id: string }
  | { type: 'event'; event: DashboardEvent }
  | { type: 'totals'; totals: DashboardTotals };

export type DashboardListener = (change: DashboardChange) => void;

/**
 * The narrow view of Central the dashboard needs. Central's controller implements it; tests and
 * other hosts can implement it over anything.
 *
 * @example
 * const source: DashboardSource = {
 *   snapshot: () => ({ cps, totals, events: [] }),
 *   subscribe: (listener) => emitter.on(listener),
 * };
 */
export interface DashboardSource {
  snapshot(): DashboardSnapshot;
  /** Calls `listener` synchronously on every change; returns the unsubscribe function. */
  subscribe(listener: DashboardListener): () => void;
  /**
   * The sites' load and limit now, read on every power sample (absent or empty: no site chart).
   * Sampled rather than pushed: a site's load changes on every telemetry message.
   */
  sites?(): DashboardSite[];
}
