import { type Clock, type CpState, isoTime } from '@evcharging/core';
import type { CpChangedEvent, CpReadingEvent, SessionChangedEvent } from '../central-events.js';
import type { CentralService } from '../central-service.js';
import type { CpView } from '../domain/cp-registry.js';
import type { AuditEntry, RequestRecord } from '../store/central-store.js';
import type {
  DashboardChange,
  DashboardCp,
  DashboardEvent,
  DashboardListener,
  DashboardSite,
  DashboardSnapshot,
  DashboardSource,
  DashboardTotals,
} from './dashboard-source.js';

export interface CentralDashboardSourceOptions {
  /** The running service: its registry, sessions, report and events. */
  central: Pick<CentralService, 'cps' | 'session' | 'stats' | 'events' | 'charging'>;
  clock: Clock;
  /** Events kept for a new feed (default 200). */
  eventLimit?: number;
}

/**
 * Central as a {@link DashboardSource}: CPs from the registry, and from Central's events the
 * changes, and the event log of state transitions, sessions, denied requests and audited operator
 * actions. Tracks from construction until `close()`.
 *
 * @example
 * const source = new CentralDashboardSource({ central: service, clock: ctx.clock });
 * source.subscribe((change) => console.log(change.type));
 */
export class CentralDashboardSource implements DashboardSource {
  private readonly listeners = new Set<DashboardListener>();
  private readonly states = new Map<string, CpState>();
  /** Start time of each running session (from Central's session), so cards show it cheaply. */
  private readonly startedAt = new Map<string, string>();
  private readonly events: DashboardEvent[] = [];
  private readonly eventLimit: number;
  private totals: DashboardTotals;
  private readonly unsubscribers: Array<() => void> = [];

  constructor(private readonly options: CentralDashboardSourceOptions) {
    this.eventLimit = options.eventLimit ?? 200;
    this.totals = this.currentTotals();
    for (const cp of options.central.cps.list()) this.states.set(cp.cp_id, cp.state);
    const { events } = options.central;
    this.unsubscribers.push(
      events.on('cp.changed', (event) => this.onCpChanged(event)),
      events.on('cp.reading', (event) => this.onCpChanged(event)),
      events.on('session.changed', (event) => this.onSessionChanged(event)),
      events.on('request.decided', (record) => this.onRequestDecided(record)),
      events.on('audit', (entry) => this.onAudit(entry)),
    );
  }

  snapshot(): DashboardSnapshot {
    return {
      cps: this.options.central.cps.list().map((cp) => this.toDashboardCp(cp)),
      totals: { ...this.totals },
      events: [...this.events],
    };
  }

  subscribe(listener: DashboardListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The sites of Central's smart charging, their load against their limit now (none without). */
  sites(): DashboardSite[] {
    return this.options.central.charging?.siteLoads() ?? [];
  }

  /** Stops listening to Central. */
  close(): void {
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
    this.listeners.clear();
  }

  /** The totals of closed sessions: Central's own figures. */
  private currentTotals(): DashboardTotals {
    const { stats } = this.options.central;
    return {
      closed_energy_kwh: stats.energyKwh,
      closed_revenue_eur: stats.revenueEur,
      closed_sessions: stats.sessions.completed + stats.sessions.failed,
    };
  }

  private toDashboardCp(cp: CpView): DashboardCp {
    const t = cp.telemetry;
    const live = cp.session_id !== null && t !== null && (t.session_id ?? cp.session_id) === cp.session_id;
    return {
      cp_id: cp.cp_id,
      location: cp.location,
      price_eur_kwh: cp.price_eur_kwh,
      max_kw: cp.kw,
      state: cp.state,
      monitor: cp.monitor_alive ? 'up' : cp.registered_at ? 'down' : 'unknown',
      reason: cp.state === 'FAULT' || cp.state === 'DISCONNECTED' ? cp.fault_reason : null,
      driver_id: cp.driver_id,
      session_id: cp.session_id,
      session_started_at: cp.session_id ? this.sessionStart(cp.session_id) : null,
      kw: live ? t.kw : 0,
      kwh: live ? t.kwh : 0,
      euros: live ? t.euros : 0,
      soc: live && t.soc !== undefined ? t.soc : null,
    };
  }

  private sessionStart(sessionId: string): string | null {
    const known = this.startedAt.get(sessionId);
    if (known) return known;
    const session = this.options.central.session(sessionId);
    const start = session?.start_time ?? session?.requested_at ?? null;
    if (start && (session?.status === 'accepted' || session?.status === 'supplying')) {
      this.startedAt.set(sessionId, start);
    }
    return start;
  }

  private onCpChanged(event: CpChangedEvent | CpReadingEvent): void {
    const view = this.options.central.cps.get(event.cp_id);
    if (!view) {
      this.states.delete(event.cp_id);
      this.emit({ type: 'cp_removed', cp_id: event.cp_id });
      return;
    }
    const before = this.states.get(event.cp_id);
    this.states.set(event.cp_id, view.state);
    this.emit({ type: 'cp', cp: this.toDashboardCp(view) });
    if (before !== view.state) this.transition(view, before);
  }

  /** Log lines for state changes that no session event explains. */
  private transition(cp: CpView, before: CpState | undefined): void {
    const id = cp.cp_id;
    const why = cp.fault_reason ? `: ${cp.fault_reason}` : '';
    if (cp.state === 'FAULT') this.log('fault', `${id} in FAULT${why}`, { cp_id: id });
    else if (before === 'FAULT' && cp.state !== 'DISCONNECTED') {
      this.log('recovery', `${id} recovered (${cp.state})`, { cp_id: id });
    } else if (cp.state === 'DISCONNECTED' && before !== undefined) {
      this.log('connection', `${id} disconnected${cp.monitor_alive ? '' : ' (no monitor heartbeat)'}`, {
        cp_id: id,
      });
    } else if (before === 'DISCONNECTED' || before === undefined) {
      this.log('connection', `${id} connected (${cp.state})`, { cp_id: id });
    } else if (cp.state === 'STOPPED') this.log('operator', `${id} out of order (stopped)`, { cp_id: id });
    else if (before === 'STOPPED') this.log('operator', `${id} back in service (${cp.state})`, { cp_id: id });
  }

  private onSessionChanged(event: SessionChangedEvent): void {
    const ids = { cp_id: event.cp_id, driver_id: event.driver_id };
    switch (event.status) {
      case 'accepted':
        this.log('request', `${event.driver_id} → ${event.cp_id}: accepted (${event.session_id})`, ids);
        break;
      case 'supplying': {
        const session = this.options.central.session(event.session_id);
        if (session?.start_time) this.startedAt.set(event.session_id, session.start_time);
        this.log('start', `${event.cp_id} supplying ${event.driver_id} (${event.session_id})`, ids);
        break;
      }
      case 'completed':
      case 'failed': {
        this.startedAt.delete(event.session_id);
        const session = this.options.central.session(event.session_id);
        const ticket = session?.ticket;
        if (ticket) {
          this.totals = this.currentTotals();
          this.emit({ type: 'totals', totals: { ...this.totals } });
          this.log(
            'ticket',
            `ticket ${event.session_id} for ${event.driver_id} at ${event.cp_id}: ${ticket.energy_kwh.toFixed(3)} kWh, €${ticket.total_cost_eur.toFixed(2)}`,
            ids,
          );
        } else {
          const reason = session?.reason ? `: ${session.reason}` : '';
          this.log('end', `${event.session_id} at ${event.cp_id} ${event.status}${reason}`, ids);
        }
        break;
      }
    }
  }

  private onRequestDecided(r: RequestRecord): void {
    if (r.decision !== 'denied') return;
    this.log('denial', `${r.driver_id} → ${r.cp_id}: denied${r.reason ? ` (${r.reason})` : ''}`, {
      cp_id: r.cp_id,
      driver_id: r.driver_id,
    });
  }

  private onAudit(a: AuditEntry): void {
    const target = a.target ?? '';
    if (a.action === 'cp.stop' || a.action === 'cp.resume') {
      const verb = a.action === 'cp.stop' ? 'stop' : 'resume';
      const detail = a.detail ? ` (${a.detail})` : '';
      const text =
        a.outcome === 'ok'
          ? `${a.who} ${verb === 'stop' ? 'stopped' : 'resumed'} ${target}${detail}`
          : `${a.who}: ${verb} ${target} refused, ${a.outcome}${detail}`;
      this.log('operator', text, target && target !== 'ALL' ? { cp_id: target } : {});
    } else if (a.outcome === 'unauthorized') {
      this.log('operator', `${a.action} on ${target} refused: ${a.detail ?? 'unauthorized'}`, {});
    } else if (a.action === 'monitor.register' && a.outcome === 'ok') {
      this.log('connection', `${target} monitor registered`, { cp_id: target });
    }
  }

  private log(
    kind: DashboardEvent['kind'],
    message: string,
    ids: { cp_id?: string; driver_id?: string },
  ): void {
    const event: DashboardEvent = { ts: isoTime(this.options.clock.now()), kind, message, ...ids };
    this.events.push(event);
    if (this.events.length > this.eventLimit) this.events.shift();
    this.emit({ type: 'event', event });
  }

  private emit(change: DashboardChange): void {
    for (const listener of this.listeners) listener(change);
  }
}
