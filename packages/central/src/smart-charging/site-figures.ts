/** A site's figures over Central's run, as the report shows them. */
export interface SiteReport {
  site_id: string;
  cps: number;
  /** The limit in force at the report's time, kW. */
  limit_kw: number;
  /** The highest load telemetry showed, kW (the sum of each CP's last reported power). */
  peak_kw: number;
  /** The load now, kW. */
  load_kw: number;
  sessions: number;
  /** Energy the sessions asked for (target SoC, or `target_kwh`), kWh. */
  energy_requested_kwh: number;
  /** Energy their tickets billed, kWh. */
  energy_delivered_kwh: number;
  /** Energy asked for and not delivered, kWh (sessions with a target, once their ticket came). */
  unmet_kwh: number;
  /** Sessions with a target whose ticket came, and those that left with it reached. */
  drivers_with_target: number;
  drivers_met_target: number;
  /** drivers_met_target / drivers_with_target (0 when none). */
  met_target_share: number;
  cost_eur: number;
  /** set_power_limit commands sent. */
  limit_commands: number;
  /** Policy answers refused (the previous limits stayed). */
  allocation_errors: number;
}

const r3 = (n: number) => Math.round(n * 1000) / 1000;

/** One site's running figures, kept by the smart-charging module only. */
export class SiteFigures {
  sessions = 0;
  requestedKwh = 0;
  deliveredKwh = 0;
  unmetKwh = 0;
  withTarget = 0;
  metTarget = 0;
  costEur = 0;
  limitCommands = 0;
  allocationErrors = 0;

  /** A ticket of one of the site's sessions; `wantedKwh` Infinity when it named no target. */
  ticket(energyKwh: number, costEur: number, wantedKwh: number, met: boolean): void {
    this.deliveredKwh += energyKwh;
    this.costEur += costEur;
    if (Number.isFinite(wantedKwh)) {
      this.withTarget++;
      if (met) this.metTarget++;
      this.unmetKwh += Math.max(0, wantedKwh - energyKwh);
    }
  }

  /** The figures with the site's own: its limit now, and its load now and at its highest. */
  report(site: { id: string; cps: number; limitKw: number; loadKw: number; peakKw: number }): SiteReport {
    return {
      site_id: site.id,
      cps: site.cps,
      limit_kw: site.limitKw,
      peak_kw: r3(site.peakKw),
      load_kw: r3(site.loadKw),
      sessions: this.sessions,
      energy_requested_kwh: r3(this.requestedKwh),
      energy_delivered_kwh: r3(this.deliveredKwh),
      unmet_kwh: r3(this.unmetKwh),
      drivers_with_target: this.withTarget,
      drivers_met_target: this.metTarget,
      met_target_share: this.withTarget > 0 ? r3(this.metTarget / this.withTarget) : 0,
      cost_eur: Math.round(this.costEur * 100) / 100,
      limit_commands: this.limitCommands,
      allocation_errors: this.allocationErrors,
    };
  }
}
