import type { CpState } from '@evcharging/core';
import type { SiteReport } from '../smart-charging/site-figures.js';

/** Figures of one CP over Central's run. */
export type CpReport = {
  cp_id: string;
  state: CpState;
  sessions: number;
  completed: number;
  failed: number;
  energy_kwh: number;
  revenue_eur: number;
  /** Time spent supplying, ms. */
  busy_ms: number;
  /** busy_ms / elapsed_ms, 0..1. */
  utilisation: number;
  faults: number;
};

/**
 * What Central contributes to a simulation report: figures since this Central started. A type
 * alias, not an interface, so it is a `Record<string, unknown>` for the plugin report hook.
 */
export type CentralReport = {
  since: string;
  until: string;
  elapsed_ms: number;
  requests: {
    received: number;
    accepted: number;
    denied: number;
    duplicates: number;
    denied_by_reason: Record<
      'unknown_cp' | 'not_available' | 'busy' | 'shutting_down' | 'invalid_request',
      number
    >;
  };
  sessions: { started: number; completed: number; failed: number; open: number };
  energy_kwh: number;
  revenue_eur: number;
  faults: number;
  disconnections: number;
  messages: { in: Record<string, number>; out: Record<string, number>; rejected: Record<string, number> };
  cps: CpReport[];
  /** Per site, when Central has sites (smart charging). */
  sites?: SiteReport[];
  /** The allocation policy of the sites. */
  charging_policy?: string;
};
