import { type Clock, type CpState, isoTime, type LocalBus } from '@evcharging/core';
import type { CpChangedEvent, SessionChangedEvent } from '../central-events.js';
import type { CentralService } from '../central-service.js';
import type { CpView } from '../domain/cp-registry.js';
import type { CentralStoreTap, StoreWrite } from './central-store-tap.js';
import type {
  DashboardChange,
  DashboardCp,
  DashboardEvent,
  DashboardListener,
  DashboardSnapshot,
  DashboardSource,
  DashboardTotals,
} from './dashboard-source.js';
import '../central-events.js';

export interface CentralDashboardSourceOptions {
  /** The running service: its registry, sessions and report. */
  central: Pick<CentralService, 'cps' | 'session' | 'report'>;
  /** The node's bus, where Central announces CP and session changes. */
  bus: LocalBus;
  clock: Clock;
  /** Central's store wrapped by {@link tapCentralStore}: denials and operator actions for the log. */
  tap?: CentralStoreTap;
  /** Events kept for a new feed (default 200). */
  eventLimit?: number;
}

/**
 * Central as a {@link DashboardSource}: CPs from the registry, changes from Central's local-bus
 * events, the event log from state transitions, sessions and (with a store tap) requests and
 * audited operator actions. Tracks from construction until `close()`.
 *
 * @example
 * const tap = tapCentralStore(store);
 * // ... Central built with tap.store ...
 * const source = new CentralDashboardSource({ central: service, bus: ctx.bus, clock: ctx.clock, tap });
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
    const report = options.central.report();
    this.totals = {
      closed_energy_kwh: report.energy_kwh,
      closed_revenue_eur: report.revenue_eur,
      closed_sessions: report.sessions.completed + report.sessions.failed,
    };
    for (const cp of options.central.cps.list()) this.states.set(cp.cp_id, cp.state);
    this.unsubscribers.push(
      // Casts: the bus's event map is augmented in central-events.ts, which not every reader sees.
      options.bus.on('central.cp.changed', (event) => this.onCpChanged(event as CpChangedEvent)),
      options.bus.on('central.session.changed', (event) =>
        this.onSessionChanged(event as SessionChangedEvent),
      ),
    );
    if (options.tap) this.unsubscribers.push(options.tap.on((write) => this.onStoreWrite(write)));
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

  /** Stops listening to Central. */
  close(): void {
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
    this.listeners.clear();
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

  private onCpChanged(event: CpChangedEvent): void {
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
          this.totals = {
            closed_energy_kwh: this.totals.closed_energy_kwh + ticket.energy_kwh,
            closed_revenue_eur: this.totals.closed_revenue_eur + ticket.total_cost_eur,
            closed_sessions: this.totals.closed_sessions + 1,
          };
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

  private onStoreWrite(write: StoreWrite): void {
    if (write.kind === 'request') {
      const r = write.record;
      if (r.decision === 'denied') {
        this.log('denial', `${r.driver_id} → ${r.cp_id}: denied${r.reason ? ` (${r.reason})` : ''}`, {
          cp_id: r.cp_id,
          driver_id: r.driver_id,
        });
      }
      return;
    }
    const a = write.entry;
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
