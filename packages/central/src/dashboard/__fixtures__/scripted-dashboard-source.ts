import type {
  DashboardChange,
  DashboardCp,
  DashboardEvent,
  DashboardListener,
  DashboardSite,
  DashboardSnapshot,
  DashboardSource,
  DashboardTotals,
} from '../dashboard-source.js';

/** A CP as a fresh, idle, connected charging point; `overrides` change any field. */
export function makeCp(cp_id: string, overrides: Partial<DashboardCp> = {}): DashboardCp {
  return {
    cp_id,
    location: `Street ${cp_id}`,
    price_eur_kwh: 0.3,
    max_kw: 22,
    state: 'ACTIVATED',
    monitor: 'up',
    reason: null,
    driver_id: null,
    session_id: null,
    session_started_at: null,
    kw: 0,
    kwh: 0,
    euros: 0,
    ...overrides,
  };
}

/** A DashboardSource a test drives by hand: every method emits the change a real source would. */
export class ScriptedDashboardSource implements DashboardSource {
  readonly cps = new Map<string, DashboardCp>();
  totals: DashboardTotals = { closed_energy_kwh: 0, closed_revenue_eur: 0, closed_sessions: 0 };
  readonly events: DashboardEvent[] = [];
  /** What `sites()` answers (the feed samples it); undefined: the source has no `sites` at all. */
  siteFigures: DashboardSite[] | undefined;
  private readonly listeners = new Set<DashboardListener>();

  constructor(cps: DashboardCp[] = []) {
    for (const cp of cps) this.cps.set(cp.cp_id, cp);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  snapshot(): DashboardSnapshot {
    return { cps: [...this.cps.values()], totals: { ...this.totals }, events: [...this.events] };
  }

  sites(): DashboardSite[] {
    return this.siteFigures ? this.siteFigures.map((site) => ({ ...site })) : [];
  }

  subscribe(listener: DashboardListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Changes (or adds) one CP. */
  update(cp_id: string, fields: Partial<DashboardCp>): DashboardCp {
    const cp = { ...(this.cps.get(cp_id) ?? makeCp(cp_id)), ...fields, cp_id };
    this.cps.set(cp_id, cp);
    this.emit({ type: 'cp', cp });
    return cp;
  }

  remove(cp_id: string): void {
    this.cps.delete(cp_id);
    this.emit({ type: 'cp_removed', cp_id });
  }

  event(event: DashboardEvent): void {
    this.events.push(event);
    this.emit({ type: 'event', event });
  }

  closeSession(energy_kwh: number, revenue_eur: number): void {
    this.totals = {
      closed_energy_kwh: this.totals.closed_energy_kwh + energy_kwh,
      closed_revenue_eur: this.totals.closed_revenue_eur + revenue_eur,
      closed_sessions: this.totals.closed_sessions + 1,
    };
    this.emit({ type: 'totals', totals: this.totals });
  }

  private emit(change: DashboardChange): void {
    for (const listener of this.listeners) listener(change);
  }
}
