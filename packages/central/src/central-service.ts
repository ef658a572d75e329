import 'reflect-metadata';
import {
  type CentralMonitorApi,
  type Clock,
  type DriverUpdate,
  isoTime,
  type LocalBus,
  type Logger,
  type MonitorAck,
  type MonitorFaultReport,
  MonitorFaultReportSchema,
  type MonitorHeartbeat,
  MonitorHeartbeatSchema,
  type MonitorRegistration,
  MonitorRegistrationSchema,
  type Random,
  type Subscription,
  type TimerHandle,
  TOKENS,
  type TopicMessage,
  type TopicName,
  type Transport,
  validate,
  validateSchema,
} from '@evcharging/core';
import type { TSchema } from '@sinclair/typebox';
import { inject, injectable } from 'tsyringe';
import type { CpDefinition } from './config/cp-definitions.js';
import type { CentralReport } from './domain/central-report.js';
import { type CpEntry, CpRegistry, type CpRegistryView } from './domain/cp-registry.js';
import { secretsMatch } from './domain/secrets.js';
import type { CentralMetrics, DenialKind } from './metrics/central-metrics.js';
import type {
  CentralStore,
  CpRecord,
  CpSource,
  FaultEvent,
  RequestRecord,
  SessionRecord,
  TelemetrySnapshot,
  TicketRecord,
} from './store/central-store.js';
import { CENTRAL_TOKENS } from './tokens.js';
import './central-events.js';

/** Central's behaviour settings (the plugin fills them from its options). */
export interface CentralSettings {
  /** Consumer group for every subscription. */
  groupId: string;
  /** A monitor silent this long makes its CP DISCONNECTED. */
  heartbeatTimeoutMs: number;
  /** An accepted session whose CP has not started supplying after this long fails. */
  startTimeoutMs: number;
  /** Monitors decide liveness (the original). Off: the engine's own state decides. */
  requireMonitor: boolean;
  /** Accept registrations and engine messages of CPs not in the configuration. */
  allowUnregisteredCps: boolean;
  /** Location, price and power of a CP first seen without those figures. */
  defaults: { location: string; price_eur_kwh: number; kw: number };
}

/** Who asked for something, for the audit log. */
export interface Actor {
  who: string;
  /** Remote address, or `in-process`. */
  source: string;
}

export const IN_PROCESS: Actor = { who: 'in-process', source: 'in-process' };

/** A monitor call's answer, with a machine-readable code when it failed. */
export interface MonitorOutcome extends MonitorAck {
  code?: 'invalid' | 'unknown_cp' | 'unauthorized';
  reasons?: string[];
}

export type OperatorCommand = 'stop' | 'resume';

export type OperatorResult =
  | { ok: true; command: OperatorCommand; target: string; affected: string[] }
  | { ok: false; command: OperatorCommand; target: string; code: 'unknown_cp'; reason: string };

/** A session with its engine ticket, when it has arrived. */
export interface SessionView extends SessionRecord {
  ticket: TicketRecord | null;
}

/**
 * A ticket whose reason starts like this ended the supply against the driver's wish (the engine
 * faulted, stopped, or died mid-supply), so its session fails. The ticket may arrive before the
 * engine's FAULT status: the reason is the only thing that says why.
 */
export const FAILED_TICKET = /^\s*(fault|interrupted|shutdown)\b/i;

const OPEN = (s: SessionRecord) => s.status === 'accepted' || s.status === 'supplying';

/**
 * Central: the registry, request authorization, sessions and tickets, faults and liveness, and
 * operator commands. Message handlers change the in-memory registry and write the store in the same
 * turn, then publish; a redelivered message finds its effect already recorded.
 */
@injectable()
export class CentralService {
  readonly registry: CpRegistry;
  /** The monitor protocol for in-process callers (simulations); HTTP and TCP call the methods with their actor. */
  readonly api: CentralMonitorApi;
  private readonly open = new Map<string, SessionRecord>();
  private readonly startTimers = new Map<string, TimerHandle>();
  private readonly livenessTimers = new Map<string, TimerHandle>();
  /** Why a supplying session is being ended by Central, until its ticket arrives. */
  private readonly endReasons = new Map<string, string>();
  private readonly subscriptions: Subscription[] = [];
  private shuttingDown = false;
  private running = false;
  private isoMs = Number.NaN;
  private isoText = '';
  private startedAtMs = 0;
  private readonly counts = {
    received: 0,
    accepted: 0,
    denied: 0,
    duplicates: 0,
    deniedBy: { unknown_cp: 0, not_available: 0, busy: 0, shutting_down: 0 } as Record<DenialKind, number>,
    completed: 0,
    failed: 0,
    energyKwh: 0,
    revenueEur: 0,
    faults: 0,
    disconnections: 0,
    in: {} as Record<string, number>,
    out: {} as Record<string, number>,
    rejected: {} as Record<string, number>,
  };

  constructor(
    @inject(TOKENS.Transport) private readonly transport: Transport,
    @inject(TOKENS.Clock) private readonly clock: Clock,
    @inject(TOKENS.Random) private readonly random: Random,
    @inject(TOKENS.Logger) private readonly logger: Logger,
    @inject(TOKENS.LocalBus) private readonly bus: LocalBus,
    @inject(CENTRAL_TOKENS.Store) readonly store: CentralStore,
    @inject(CENTRAL_TOKENS.Settings) readonly settings: CentralSettings,
    @inject(CENTRAL_TOKENS.Metrics) readonly metrics: CentralMetrics,
  ) {
    this.registry = new CpRegistry(store, settings.requireMonitor, (entry) => {
      this.bus.emit('central.cp.changed', { cp_id: entry.record.cp_id, state: this.registry.stateOf(entry) });
    });
    metrics.countCpsWith(() => this.registry.countByState());
    metrics.countMessagesWith(() => this.counts);
    // The methods are async already: no second promise around each call.
    this.api = {
      register: (registration) => this.register(registration, IN_PROCESS),
      heartbeat: (heartbeat) => this.heartbeat(heartbeat, IN_PROCESS),
      reportFault: (report) => this.reportFault(report, IN_PROCESS),
    };
  }

  /** The registry as readers see it. */
  get cps(): CpRegistryView {
    return this.registry;
  }

  /** When this Central started, ms since the epoch (its clock). */
  get startedAt(): number {
    return this.startedAtMs;
  }

  uptimeMs(): number {
    return Math.max(0, this.clock.now() - this.startedAtMs);
  }

  /** Central's clock time, ms since the epoch. */
  now(): number {
    return this.clock.now();
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /**
   * Loads the persisted registry and open sessions, applies the configured CPs (configuration wins
   * over what was stored), then subscribes. A CP starts DISCONNECTED until its monitor connects,
   * except after a restart (below).
   *
   * A restart picks up where the last run left off, so what waited in the broker while Central was
   * down is judged fairly:
   * - A CP whose monitor was last heard alive (its newest liveness event in the store) is presumed
   *   still alive: requests read from the backlog find it in its last known state. Its monitor has
   *   one heartbeat timeout, counted from when Central consumes again, to be heard (it re-registers
   *   or heartbeats); if it is not, the CP goes DISCONNECTED as for any silent monitor.
   * - A session still waiting for its engine to start gets the whole start timeout again, counted
   *   from when Central consumes again, not from its request: the engine's statuses and telemetry
   *   sent while Central was down arrive in the backlog, maybe after a slow group join.
   */
  async start(definitions: readonly CpDefinition[]): Promise<void> {
    this.startedAtMs = this.clock.now();
    const ts = this.nowIso();
    for (const record of this.store.listCps()) this.registry.add(record);
    for (const def of definitions) {
      const entry =
        this.registry.entry(def.cp_id) ?? this.registry.add(this.newRecord(def.cp_id, 'config', def, ts));
      entry.secret = def.secret;
      Object.assign(entry.record, {
        location: def.location,
        price_eur_kwh: def.price_eur_kwh,
        kw: def.kw,
        source: 'config',
      });
      this.registry.save(entry, ts);
    }
    for (const session of this.store.openSessions()) {
      this.open.set(session.session_id, session);
      const entry = this.registry.entry(session.cp_id);
      if (entry && entry.record.current_session_id === session.session_id && session.status === 'supplying') {
        entry.supplyingSinceMs = this.clock.now();
      }
    }
    const presumed = this.presumeLastKnownLiveness();
    for (const entry of this.registry.entriesInOrder()) {
      // A CP pointing at a session that is no longer open would look busy forever.
      const current = entry.record.current_session_id;
      if (current && !this.open.has(current)) {
        entry.record.current_session_id = null;
        entry.record.current_driver_id = null;
        this.registry.save(entry, ts);
      }
    }
    const group = this.settings.groupId;
    // The engines' topics first, requests last: after a restart, what the engines said while
    // Central was down (a supply ended, the CP ACTIVATED again) is read before the requests that
    // waited are judged, not after (a CP last stored SUPPLYING denied one as busy).
    this.subscriptions.push(
      // Statuses and tickets published before Central's group existed still count (Kafka: only
      // when the group has no committed offset yet).
      await this.transport.subscribe('cp.status', { group, fromBeginning: true }, (v) => this.onStatus(v)),
      await this.transport.subscribe('cp.telemetry', { group }, (v) => this.onTelemetry(v)),
      await this.transport.subscribe('cp.session_end', { group, fromBeginning: true }, (v) =>
        this.onSessionEnd(v),
      ),
      await this.transport.subscribe('driver.requests', { group }, (v) => this.onRequest(v)),
    );
    // Consuming again: the restored timers count from now (see above). A handler may already have
    // started a session's supply or heard a monitor from the backlog.
    for (const session of this.open.values()) {
      if (session.status === 'accepted' && !this.startTimers.has(session.session_id)) {
        this.armStartTimer(session.session_id, this.settings.startTimeoutMs);
      }
    }
    const now = this.clock.now();
    for (const entry of presumed) {
      if (!entry.monitorAlive || this.livenessTimers.has(entry.record.cp_id)) continue;
      entry.lastHeartbeatMs = now;
      this.armLiveness(entry.record.cp_id, this.settings.heartbeatTimeoutMs);
    }
    this.running = true;
    this.logger.info(
      {
        cps: this.registry.size,
        open_sessions: this.open.size,
        presumed_alive: presumed.length,
        store: this.store.kind,
      },
      'central started',
    );
  }

  /**
   * Marks alive each CP whose monitor was alive as far as the store knows: its newest liveness
   * event is CONNECTED or a monitor report, not DISCONNECTED, and a monitor registered it once.
   * Their liveness timers are armed once Central consumes.
   */
  private presumeLastKnownLiveness(): CpEntry[] {
    if (!this.settings.requireMonitor) return [];
    const presumed: CpEntry[] = [];
    for (const [cpId, alive] of this.store.lastMonitorLiveness()) {
      const entry = this.registry.entry(cpId);
      if (!alive || !entry || entry.record.registered_at === null || entry.monitorAlive) continue;
      entry.monitorAlive = true;
      presumed.push(entry);
    }
    return presumed;
  }

  /** From now on every new request is denied ("Central is shutting down"). */
  beginShutdown(): void {
    this.shuttingDown = true;
  }

  async stop(): Promise<void> {
    this.beginShutdown();
    for (const subscription of this.subscriptions.splice(0)) {
      try {
        await subscription.unsubscribe();
      } catch (error) {
        this.logger.warn({ err: error }, 'unsubscribe failed');
      }
    }
    for (const timer of this.startTimers.values()) timer.cancel();
    for (const timer of this.livenessTimers.values()) timer.cancel();
    this.startTimers.clear();
    this.livenessTimers.clear();
    this.running = false;
  }

  // ---------------------------------------------------------------- monitor protocol

  async register(input: unknown, actor: Actor): Promise<MonitorOutcome> {
    const checked = this.checkMonitor<MonitorRegistration>(
      MonitorRegistrationSchema,
      input,
      'register',
      actor,
    );
    if ('outcome' in checked) return checked.outcome;
    const reg = checked.value;
    const ts = this.nowIso();
    let entry = this.registry.entry(reg.cp_id);
    if (!entry) {
      if (!this.settings.allowUnregisteredCps) {
        return this.refuse(actor, 'monitor.register', reg.cp_id, 'unknown_cp', `unknown CP "${reg.cp_id}"`);
      }
      entry = this.registry.add(this.newRecord(reg.cp_id, 'registration', reg, ts));
    }
    const denied = this.checkSecret(entry, reg.secret, actor, 'monitor.register');
    if (denied) return denied;
    const record = entry.record;
    if (record.source !== 'config') {
      if (reg.location !== undefined) record.location = reg.location;
      if (reg.price_eur_kwh !== undefined) record.price_eur_kwh = reg.price_eur_kwh;
      if (reg.kw !== undefined) record.kw = reg.kw;
      record.source = 'registration';
    }
    record.cp_e_host = reg.cp_e_host;
    record.cp_e_port = reg.cp_e_port;
    record.registered_at = ts;
    // A (re)starting monitor has a fresh view of its engine; it reports FAULT again if it sees one.
    if (record.monitor_health === 'FAULT') {
      record.monitor_health = 'HEALTHY';
      record.fault_reason = null;
    }
    this.markAlive(entry, ts);
    this.registry.save(entry, ts);
    this.audit(actor, 'monitor.register', reg.cp_id, 'ok', `${reg.cp_e_host}:${reg.cp_e_port}`);
    return { ok: true };
  }

  async heartbeat(input: unknown, actor: Actor): Promise<MonitorOutcome> {
    const checked = this.checkMonitor<MonitorHeartbeat>(MonitorHeartbeatSchema, input, 'heartbeat', actor);
    if ('outcome' in checked) return checked.outcome;
    const hb = checked.value;
    const entry = this.registry.entry(hb.cp_id);
    if (!entry) {
      return { ok: false, code: 'unknown_cp', reason: `unknown CP "${hb.cp_id}": register first` };
    }
    const denied = this.checkSecret(entry, hb.secret, actor, 'monitor.heartbeat');
    if (denied) return denied;
    const ts = this.nowIso();
    let changed = this.markAlive(entry, ts);
    // Additive: a heartbeat may carry the monitor's current verdict, so a restarted Central learns it.
    const status = (hb as Record<string, unknown>).status;
    if ((status === 'FAULT' || status === 'HEALTHY') && status !== entry.record.monitor_health) {
      const reason = (hb as Record<string, unknown>).reason;
      await this.applyHealth(entry, status, typeof reason === 'string' ? reason : undefined);
      changed = true;
    }
    if (changed) this.registry.save(entry, ts);
    return { ok: true };
  }

  async reportFault(input: unknown, actor: Actor): Promise<MonitorOutcome> {
    const checked = this.checkMonitor<MonitorFaultReport>(MonitorFaultReportSchema, input, 'fault', actor);
    if ('outcome' in checked) return checked.outcome;
    const report = checked.value;
    const entry = this.registry.entry(report.cp_id);
    if (!entry) {
      return this.refuse(actor, 'monitor.fault', report.cp_id, 'unknown_cp', `unknown CP "${report.cp_id}"`);
    }
    const denied = this.checkSecret(entry, report.secret, actor, 'monitor.fault');
    if (denied) return denied;
    const ts = this.nowIso();
    this.markAlive(entry, ts);
    await this.applyHealth(entry, report.status, report.reason);
    this.registry.save(entry, ts);
    this.audit(
      actor,
      'monitor.fault',
      report.cp_id,
      'ok',
      `${report.status}${report.reason ? `: ${report.reason}` : ''}`,
    );
    return { ok: true };
  }

  // ---------------------------------------------------------------- operator

  /** Stops one CP or `ALL`: a running supply ends (with a ticket) and the CP takes no request. */
  async stopCp(target: string, actor: Actor = IN_PROCESS): Promise<OperatorResult> {
    const entries = this.targets(target);
    if (!entries) return this.unknownTarget('stop', target, actor);
    const ts = this.nowIso();
    const commands: Promise<void>[] = [];
    for (const entry of entries) {
      const record = entry.record;
      const alreadyStopped = record.operator_stopped && record.engine_state === 'STOPPED';
      record.operator_stopped = true;
      const session = this.openSessionOf(entry);
      if (session?.status === 'accepted') commands.push(this.interrupt(session, 'stopped by operator'));
      else if (session) {
        this.endReasons.set(session.session_id, 'stopped by operator');
        commands.push(this.command(record.cp_id, 'stop_supply', { session_id: session.session_id }));
      }
      this.registry.save(entry, ts);
      if (!alreadyStopped) commands.push(this.command(record.cp_id, 'stop_cp'));
    }
    await Promise.all(commands);
    const affected = entries.map((e) => e.record.cp_id);
    this.audit(actor, 'cp.stop', target, 'ok', `${affected.length} CP(s)`);
    return { ok: true, command: 'stop', target, affected };
  }

  /** Resumes one CP or `ALL` after an operator stop. */
  async resumeCp(target: string, actor: Actor = IN_PROCESS): Promise<OperatorResult> {
    const entries = this.targets(target);
    if (!entries) return this.unknownTarget('resume', target, actor);
    const ts = this.nowIso();
    const commands: Promise<void>[] = [];
    for (const entry of entries) {
      const record = entry.record;
      const wasStopped = record.operator_stopped || record.engine_state === 'STOPPED';
      record.operator_stopped = false;
      this.registry.save(entry, ts);
      if (wasStopped) commands.push(this.command(record.cp_id, 'resume_cp'));
    }
    await Promise.all(commands);
    const affected = entries.map((e) => e.record.cp_id);
    this.audit(actor, 'cp.resume', target, 'ok', `${affected.length} CP(s)`);
    return { ok: true, command: 'resume', target, affected };
  }

  /** Audits a refused operator call (bad or missing token). */
  auditRefusal(actor: Actor, action: string, target: string, reason: string): void {
    this.audit(actor, action, target, 'unauthorized', reason);
  }

  // ---------------------------------------------------------------- reads

  session(sessionId: string): SessionView | undefined {
    const session = this.open.get(sessionId) ?? this.store.getSession(sessionId);
    if (!session) return undefined;
    return { ...session, ticket: this.store.getTicket(sessionId) ?? null };
  }

  report(): CentralReport {
    const now = this.clock.now();
    const elapsed = Math.max(0, now - this.startedAtMs);
    const c = this.counts;
    return {
      since: isoTime(this.startedAtMs),
      until: isoTime(now),
      elapsed_ms: elapsed,
      requests: {
        received: c.received,
        accepted: c.accepted,
        denied: c.denied,
        duplicates: c.duplicates,
        denied_by_reason: { ...c.deniedBy },
      },
      sessions: { started: c.accepted, completed: c.completed, failed: c.failed, open: this.open.size },
      energy_kwh: c.energyKwh,
      revenue_eur: c.revenueEur,
      faults: c.faults,
      disconnections: c.disconnections,
      messages: { in: { ...c.in }, out: { ...c.out }, rejected: { ...c.rejected } },
      cps: this.registry.entriesInOrder().map((e) => {
        const busy = e.busyMs + (e.supplyingSinceMs !== undefined ? now - e.supplyingSinceMs : 0);
        return {
          cp_id: e.record.cp_id,
          state: this.registry.stateOf(e),
          sessions: e.sessions,
          completed: e.completed,
          failed: e.failed,
          energy_kwh: e.energyKwh,
          revenue_eur: e.revenueEur,
          busy_ms: busy,
          utilisation: elapsed > 0 ? Math.min(1, busy / elapsed) : 0,
          faults: e.faults,
        };
      }),
    };
  }

  // ---------------------------------------------------------------- message handlers

  private async onRequest(raw: unknown): Promise<void> {
    const request = this.accept('driver.requests', raw);
    if (!request) return;
    this.counts.received++;
    const known = this.store.getRequest(request.request_id);
    if (known) {
      this.counts.duplicates++;
      await this.replay(known);
      return;
    }
    const ts = this.nowIso();
    const entry = this.registry.entry(request.cp_id);
    const denial = this.denialFor(request.cp_id, entry);
    if (denial) {
      this.store.saveRequest({
        request_id: request.request_id,
        driver_id: request.driver_id,
        cp_id: request.cp_id,
        received_at: ts,
        decision: 'denied',
        reason: denial.reason,
        session_id: null,
      });
      this.counts.denied++;
      this.counts.deniedBy[denial.kind]++;
      this.metrics.requestDenied(denial.kind);
      await this.publish('driver.updates', {
        request_id: request.request_id,
        driver_id: request.driver_id,
        cp_id: request.cp_id,
        status: 'denied',
        reason: denial.reason,
        ts,
      });
      return;
    }
    const cp = entry!;
    const session: SessionRecord = {
      session_id: this.newSessionId(),
      request_id: request.request_id,
      driver_id: request.driver_id,
      cp_id: request.cp_id,
      status: 'accepted',
      requested_at: ts,
      start_time: null,
      end_time: null,
      kw: 0,
      energy_kwh: 0,
      total_cost_eur: 0,
      reason: null,
      ticket_received: false,
      target_kwh: request.target_kwh ?? null,
      duration_s: request.duration_s ?? null,
      updated_at: ts,
    };
    cp.record.current_session_id = session.session_id;
    cp.record.current_driver_id = session.driver_id;
    cp.sessions++;
    this.open.set(session.session_id, session);
    this.store.transaction(() => {
      this.store.saveRequest({
        request_id: request.request_id,
        driver_id: request.driver_id,
        cp_id: request.cp_id,
        received_at: ts,
        decision: 'accepted',
        reason: null,
        session_id: session.session_id,
      });
      this.store.saveSession(session);
      this.registry.save(cp, ts);
    });
    this.counts.accepted++;
    this.metrics.sessionStarted();
    this.sessionChanged(session);
    this.armStartTimer(session.session_id, this.settings.startTimeoutMs);
    const payload: Record<string, unknown> = {
      driver_id: session.driver_id,
      request_id: session.request_id,
      session_id: session.session_id,
    };
    if (request.target_kwh !== undefined) payload.target_kwh = request.target_kwh;
    if (request.duration_s !== undefined) payload.duration_s = request.duration_s;
    await this.command(session.cp_id, 'start_supply', payload);
    await this.publish('driver.updates', this.updateFor(session, 'accepted'));
  }

  private async onStatus(raw: unknown): Promise<void> {
    const status = this.accept('cp.status', raw);
    if (!status) return;
    const entry = this.entryFor(status.cp_id);
    if (!entry) return;
    const record = entry.record;
    const ts = this.nowIso();
    record.engine_state = status.state;
    const session = this.openSessionOf(entry);
    const work: Promise<void>[] = [];
    switch (status.state) {
      case 'SUPPLYING':
        if (
          session?.status === 'accepted' &&
          (status.session_id === undefined || status.session_id === session.session_id)
        ) {
          this.markSupplying(entry, session, ts);
          this.store.saveSession(session);
        }
        break;
      case 'FAULT':
        this.recordFault(entry, {
          kind: 'ENGINE_FAULT',
          source: 'engine',
          reason: status.reason ?? 'engine reported FAULT',
        });
        // The engine ended the supply itself (its ticket follows): no stop_supply needed.
        if (session) {
          work.push(this.interrupt(session, `CP fault: ${status.reason ?? 'engine reported FAULT'}`, false));
        }
        break;
      case 'DISCONNECTED':
        if (session) work.push(this.interrupt(session, 'CP engine disconnected', false));
        break;
      case 'ACTIVATED':
        // The engine came (back) without knowing an operator had stopped it.
        if (record.operator_stopped) work.push(this.command(record.cp_id, 'stop_cp'));
        break;
      case 'STOPPED':
        if (session?.status === 'accepted') work.push(this.interrupt(session, 'CP stopped'));
        break;
    }
    this.registry.save(entry, ts);
    await Promise.all(work);
  }

  private async onTelemetry(raw: unknown): Promise<void> {
    const telemetry = this.accept('cp.telemetry', raw);
    if (!telemetry) return;
    const entry = this.entryFor(telemetry.cp_id);
    if (!entry) return;
    const record = entry.record;
    const ts = this.nowIso();
    const kwh = telemetry.kwh ?? (record.price_eur_kwh > 0 ? telemetry.euros / record.price_eur_kwh : 0);
    record.last_telemetry = snapshotOf(record.last_telemetry, telemetry, kwh, ts);
    const sessionId = telemetry.session_id ?? record.current_session_id;
    const session = sessionId ? this.open.get(sessionId) : undefined;
    if (!session || session.cp_id !== telemetry.cp_id) {
      this.registry.save(entry, ts);
      return;
    }
    if (session.status === 'accepted') this.markSupplying(entry, session, ts);
    session.kw = telemetry.kw;
    session.energy_kwh = kwh;
    session.total_cost_eur = telemetry.euros;
    session.updated_at = ts;
    this.store.transaction(() => {
      this.store.saveSession(session);
      this.registry.save(entry, ts);
    });
    // One object literal of a fixed shape: a spread copy of `updateFor`'s object made every
    // schema check of it ten times slower (2.8 against 0.26 µs) and cost a second allocation.
    await this.publish('driver.updates', {
      request_id: session.request_id,
      driver_id: session.driver_id,
      cp_id: session.cp_id,
      status: 'in_progress',
      session_id: session.session_id,
      ts,
      kw: telemetry.kw,
      kwh,
      euros: telemetry.euros,
    });
  }

  private async onSessionEnd(raw: unknown): Promise<void> {
    const end = this.accept('cp.session_end', raw);
    if (!end) return;
    if (this.store.getTicket(end.session_id)) return; // redelivered: already applied
    const ts = this.nowIso();
    const ticket: TicketRecord = {
      session_id: end.session_id,
      cp_id: end.cp_id,
      driver_id: end.driver_id,
      request_id: end.request_id ?? null,
      start_time: end.start_time,
      end_time: end.end_time,
      energy_kwh: end.energy_kwh,
      total_cost_eur: end.total_cost_eur,
      reason: end.reason ?? null,
      received_at: ts,
    };
    this.counts.energyKwh += ticket.energy_kwh;
    this.counts.revenueEur += ticket.total_cost_eur;
    this.metrics.ticket(ticket.energy_kwh, ticket.total_cost_eur);
    const session = this.open.get(end.session_id) ?? this.store.getSession(end.session_id);
    const entry = this.registry.entry(end.cp_id);
    if (entry) {
      entry.energyKwh += ticket.energy_kwh;
      entry.revenueEur += ticket.total_cost_eur;
    }
    if (!session) {
      this.store.saveTicket(ticket);
      this.logger.warn(
        { session_id: end.session_id, cp_id: end.cp_id },
        'ticket for an unknown session kept',
      );
      return;
    }
    if (session.ticket_received) {
      this.store.saveTicket(ticket);
      return;
    }
    const wasOpen = OPEN(session);
    session.start_time = end.start_time;
    session.end_time = end.end_time;
    session.energy_kwh = end.energy_kwh;
    session.total_cost_eur = end.total_cost_eur;
    session.ticket_received = true;
    session.updated_at = ts;
    if (wasOpen) {
      const asked = this.endReasons.get(session.session_id);
      const failed = asked === undefined && FAILED_TICKET.test(end.reason ?? '');
      session.status = failed ? 'failed' : 'completed';
      session.reason = asked ?? end.reason ?? null;
      session.kw = 0;
      this.closeSession(session, entry);
      if (failed) {
        this.counts.failed++;
        if (entry) entry.failed++;
        this.metrics.sessionFailed();
      } else {
        this.counts.completed++;
        if (entry) entry.completed++;
        this.metrics.sessionCompleted();
      }
    }
    this.store.transaction(() => {
      this.store.saveTicket(ticket);
      this.store.saveSession(session);
      if (entry) this.registry.save(entry, ts);
    });
    this.sessionChanged(session);
    // A session that already failed (fault, disconnection) gets its final figures in a second update.
    await this.publish('driver.updates', this.terminalUpdate(session));
  }

  // ---------------------------------------------------------------- session lifecycle

  private markSupplying(entry: CpEntry, session: SessionRecord, ts: string): void {
    this.cancelStartTimer(session.session_id);
    session.status = 'supplying';
    session.start_time ??= ts;
    session.updated_at = ts;
    entry.supplyingSinceMs = this.clock.now();
    this.sessionChanged(session);
  }

  /** Removes a session from its CP and from the open set, and counts the CP's busy time. */
  private closeSession(session: SessionRecord, entry: CpEntry | undefined): void {
    this.cancelStartTimer(session.session_id);
    this.open.delete(session.session_id);
    this.endReasons.delete(session.session_id);
    if (!entry) return;
    if (entry.record.current_session_id === session.session_id) {
      entry.record.current_session_id = null;
      entry.record.current_driver_id = null;
    }
    if (entry.supplyingSinceMs !== undefined) {
      entry.busyMs += this.clock.now() - entry.supplyingSinceMs;
      entry.supplyingSinceMs = undefined;
    }
  }

  /**
   * Ends an open session at once as failed (fault, disconnection, no start), tells the driver with
   * the energy so far, and asks the engine to stop; the engine's ticket follows later.
   */
  private async interrupt(session: SessionRecord, reason: string, stopEngine = true): Promise<void> {
    if (!OPEN(session)) return;
    const ts = this.nowIso();
    const entry = this.registry.entry(session.cp_id);
    session.status = 'failed';
    session.reason = reason;
    session.end_time = ts;
    session.kw = 0;
    session.updated_at = ts;
    this.closeSession(session, entry);
    this.counts.failed++;
    if (entry) entry.failed++;
    this.metrics.sessionFailed();
    this.store.transaction(() => {
      this.store.saveSession(session);
      if (entry) this.registry.save(entry, ts);
    });
    this.sessionChanged(session);
    this.logger.info({ session_id: session.session_id, cp_id: session.cp_id, reason }, 'session failed');
    if (stopEngine)
      await this.command(session.cp_id, 'stop_supply', { session_id: session.session_id, reason });
    await this.publish('driver.updates', this.terminalUpdate(session));
  }

  private armStartTimer(sessionId: string, delayMs: number): void {
    this.cancelStartTimer(sessionId);
    this.startTimers.set(
      sessionId,
      this.clock.setTimeout(() => {
        this.startTimers.delete(sessionId);
        const session = this.open.get(sessionId);
        if (session?.status !== 'accepted') return;
        const seconds = this.settings.startTimeoutMs / 1000;
        this.background(
          this.interrupt(session, `CP did not start supplying within ${seconds} s`),
          'start timeout',
        );
      }, delayMs),
    );
  }

  private cancelStartTimer(sessionId: string): void {
    this.startTimers.get(sessionId)?.cancel();
    this.startTimers.delete(sessionId);
  }

  private async replay(request: RequestRecord): Promise<void> {
    if (request.decision === 'denied' || !request.session_id) {
      await this.publish('driver.updates', {
        request_id: request.request_id,
        driver_id: request.driver_id,
        cp_id: request.cp_id,
        status: 'denied',
        reason: request.reason ?? 'denied',
        ts: this.nowIso(),
      });
      return;
    }
    const session = this.open.get(request.session_id) ?? this.store.getSession(request.session_id);
    if (!session) return;
    if (OPEN(session)) {
      await this.publish(
        'driver.updates',
        this.updateFor(session, session.status === 'supplying' ? 'in_progress' : 'accepted'),
      );
    } else await this.publish('driver.updates', this.terminalUpdate(session));
  }

  private denialFor(
    cpId: string,
    entry: CpEntry | undefined,
  ): { kind: DenialKind; reason: string } | undefined {
    if (this.shuttingDown) return { kind: 'shutting_down', reason: 'Central is shutting down' };
    if (!entry) return { kind: 'unknown_cp', reason: `unknown CP "${cpId}"` };
    const state = this.registry.stateOf(entry);
    if (state === 'SUPPLYING' || (state === 'ACTIVATED' && entry.record.current_session_id)) {
      return { kind: 'busy', reason: `CP ${cpId} is busy` };
    }
    if (state !== 'ACTIVATED') {
      return { kind: 'not_available', reason: `CP ${cpId} is not available (${state})` };
    }
    return undefined;
  }

  private updateFor(session: SessionRecord, status: DriverUpdate['status']): DriverUpdate {
    return {
      request_id: session.request_id,
      driver_id: session.driver_id,
      cp_id: session.cp_id,
      status,
      session_id: session.session_id,
      ts: this.nowIso(),
    };
  }

  private terminalUpdate(session: SessionRecord): DriverUpdate {
    const update: DriverUpdate = this.updateFor(
      session,
      session.status === 'completed' ? 'completed' : 'failed',
    );
    update.energy_kwh = session.energy_kwh;
    update.total_cost_eur = session.total_cost_eur;
    if (session.reason) update.reason = session.reason;
    if (session.start_time) update.start_time = session.start_time;
    if (session.end_time) update.end_time = session.end_time;
    return update;
  }

  // ---------------------------------------------------------------- faults and liveness

  private async applyHealth(entry: CpEntry, status: 'FAULT' | 'HEALTHY', reason?: string): Promise<void> {
    const record = entry.record;
    if (status === 'FAULT') {
      const why = reason ?? 'monitor reported FAULT';
      if (record.monitor_health !== 'FAULT')
        this.recordFault(entry, { kind: 'FAULT', source: 'monitor', reason: why });
      record.monitor_health = 'FAULT';
      record.fault_reason = why;
      const session = this.openSessionOf(entry);
      if (session) await this.interrupt(session, `CP fault: ${why}`);
      return;
    }
    if (record.monitor_health === 'FAULT') {
      this.store.recordFault({
        cp_id: record.cp_id,
        ts: this.nowIso(),
        kind: 'HEALTHY',
        source: 'monitor',
        reason: reason ?? null,
      });
    }
    record.monitor_health = 'HEALTHY';
    record.fault_reason = null;
  }

  /** Notes a sign of life; returns true when the monitor was down until now. */
  private markAlive(entry: CpEntry, ts: string): boolean {
    entry.lastHeartbeatMs = this.clock.now();
    entry.record.last_heartbeat_at = ts;
    if (!this.livenessTimers.has(entry.record.cp_id))
      this.armLiveness(entry.record.cp_id, this.settings.heartbeatTimeoutMs);
    if (entry.monitorAlive) return false;
    entry.monitorAlive = true;
    this.store.recordFault({
      cp_id: entry.record.cp_id,
      ts,
      kind: 'CONNECTED',
      source: 'liveness',
      reason: null,
    });
    return true;
  }

  // One timer per CP, re-armed only when it fires early: heartbeats cost no timer churn.
  private armLiveness(cpId: string, delayMs: number): void {
    this.livenessTimers.set(
      cpId,
      this.clock.setTimeout(() => {
        this.livenessTimers.delete(cpId);
        const entry = this.registry.entry(cpId);
        if (!entry?.monitorAlive || entry.lastHeartbeatMs === undefined) return;
        const due = entry.lastHeartbeatMs + this.settings.heartbeatTimeoutMs;
        if (this.clock.now() < due) {
          this.armLiveness(cpId, due - this.clock.now());
          return;
        }
        this.background(this.disconnect(entry), 'heartbeat timeout');
      }, delayMs),
    );
  }

  private async disconnect(entry: CpEntry): Promise<void> {
    const seconds = this.settings.heartbeatTimeoutMs / 1000;
    entry.monitorAlive = false;
    this.counts.disconnections++;
    this.metrics.fault('disconnected');
    this.store.recordFault({
      cp_id: entry.record.cp_id,
      ts: this.nowIso(),
      kind: 'DISCONNECTED',
      source: 'liveness',
      reason: `no monitor heartbeat for ${seconds} s`,
    });
    this.logger.warn({ cp_id: entry.record.cp_id }, 'monitor heartbeat lost: CP disconnected');
    const session = this.openSessionOf(entry);
    this.registry.save(entry, this.nowIso());
    if (session) await this.interrupt(session, `CP disconnected: no monitor heartbeat for ${seconds} s`);
  }

  private recordFault(entry: CpEntry, event: Omit<FaultEvent, 'cp_id' | 'ts'>): void {
    entry.faults++;
    this.counts.faults++;
    this.metrics.fault(event.kind === 'ENGINE_FAULT' ? 'engine' : 'monitor');
    this.store.recordFault({ ...event, cp_id: entry.record.cp_id, ts: this.nowIso() });
  }

  // ---------------------------------------------------------------- helpers

  private openSessionOf(entry: CpEntry): SessionRecord | undefined {
    const id = entry.record.current_session_id;
    return id ? this.open.get(id) : undefined;
  }

  private entryFor(cpId: string): CpEntry | undefined {
    const entry = this.registry.entry(cpId);
    if (entry || !this.settings.allowUnregisteredCps) return entry;
    return this.registry.add(this.newRecord(cpId, 'engine', {}, this.nowIso()));
  }

  private newRecord(
    cpId: string,
    source: CpSource,
    figures: { location?: string; price_eur_kwh?: number; kw?: number },
    ts: string,
  ): CpRecord {
    const d = this.settings.defaults;
    return {
      cp_id: cpId,
      location: figures.location ?? d.location,
      price_eur_kwh: figures.price_eur_kwh ?? d.price_eur_kwh,
      kw: figures.kw ?? d.kw,
      source,
      engine_state: null,
      monitor_health: 'HEALTHY',
      fault_reason: null,
      operator_stopped: false,
      cp_e_host: null,
      cp_e_port: null,
      registered_at: null,
      last_heartbeat_at: null,
      current_session_id: null,
      current_driver_id: null,
      last_telemetry: null,
      updated_at: ts,
    };
  }

  private newSessionId(): string {
    // 32-bit ids collide within a long simulation: draw again until the id is new.
    for (;;) {
      const id = this.random.id('session');
      if (!this.open.has(id) && !this.store.getSession(id)) return id;
    }
  }

  private targets(target: string): CpEntry[] | undefined {
    if (target === 'ALL') return this.registry.entriesInOrder();
    const entry = this.registry.entry(target);
    return entry ? [entry] : undefined;
  }

  private unknownTarget(command: OperatorCommand, target: string, actor: Actor): OperatorResult {
    const reason = `unknown CP "${target}"`;
    this.audit(actor, `cp.${command}`, target, 'not_found', reason);
    return { ok: false, command, target, code: 'unknown_cp', reason };
  }

  private checkMonitor<T>(
    schema: TSchema,
    input: unknown,
    what: string,
    actor: Actor,
  ): { value: T } | { outcome: MonitorOutcome } {
    const checked = validateSchema<T>(schema, input);
    if (checked.ok) return { value: checked.value };
    this.logger.debug({ reasons: checked.reasons, who: actor.source }, `invalid monitor ${what}`);
    return {
      outcome: { ok: false, code: 'invalid', reason: checked.reasons.join('; '), reasons: checked.reasons },
    };
  }

  private checkSecret(
    entry: CpEntry,
    presented: string | undefined,
    actor: Actor,
    action: string,
  ): MonitorOutcome | undefined {
    if (entry.secret === undefined || secretsMatch(entry.secret, presented)) return undefined;
    const reason = presented === undefined ? 'this CP needs its secret' : 'wrong secret';
    return this.refuse(actor, action, entry.record.cp_id, 'unauthorized', reason);
  }

  private refuse(
    actor: Actor,
    action: string,
    target: string,
    code: 'unknown_cp' | 'unauthorized',
    reason: string,
  ): MonitorOutcome {
    this.audit(actor, action, target, code === 'unauthorized' ? 'unauthorized' : 'not_found', reason);
    return { ok: false, code, reason };
  }

  private audit(actor: Actor, action: string, target: string | null, outcome: string, detail?: string): void {
    try {
      this.store.appendAudit({
        ts: this.nowIso(),
        who: actor.who,
        source_address: actor.source,
        action,
        target,
        outcome,
        detail: detail ?? null,
      });
    } catch (error) {
      this.logger.error({ err: error, action }, 'audit log write failed');
    }
  }

  /** Validates a received message; an invalid one is counted, logged and dropped (never retried). */
  private accept<T extends TopicName>(topic: T, raw: unknown): TopicMessage<T> | undefined {
    const checked = validate(topic, raw);
    if (!checked.ok) {
      this.counts.rejected[topic] = (this.counts.rejected[topic] ?? 0) + 1;
      this.logger.warn({ topic, reasons: checked.reasons }, 'rejected an invalid message');
      return undefined;
    }
    // The metrics read these totals when scraped (CentralMetrics.countMessagesWith).
    this.counts.in[topic] = (this.counts.in[topic] ?? 0) + 1;
    return checked.value;
  }

  private async publish<T extends TopicName>(topic: T, message: TopicMessage<T>): Promise<void> {
    await this.transport.publish(topic, message);
    this.counts.out[topic] = (this.counts.out[topic] ?? 0) + 1;
  }

  private command(
    cpId: string,
    cmd: TopicMessage<'central.commands'>['cmd'],
    payload?: Record<string, unknown>,
  ): Promise<void> {
    return this.publish('central.commands', {
      cmd,
      cp_id: cpId,
      ...(payload ? { payload } : {}),
      ts: this.nowIso(),
    });
  }

  private sessionChanged(session: SessionRecord): void {
    this.bus.emit('central.session.changed', {
      session_id: session.session_id,
      cp_id: session.cp_id,
      driver_id: session.driver_id,
      status: session.status,
    });
  }

  /** Work started from a timer: its failure is logged, never thrown into the clock. */
  private background(work: Promise<void>, what: string): void {
    work.catch((error: unknown) => {
      if (this.running) this.logger.error({ err: error }, `${what} failed`);
    });
  }

  /** The clock's time as ISO text, formatted once per millisecond: thousands of messages share one. */
  private nowIso(): string {
    const ms = this.clock.now();
    if (ms !== this.isoMs) {
      this.isoMs = ms;
      this.isoText = isoTime(ms);
    }
    return this.isoText;
  }
}

/**
 * A telemetry message as Central keeps it: a fixed shape, the optional ids only when sent. The
 * previous snapshot is updated in place when it has the same ids: a new one on every message lived
 * about a second (until the next), long enough to be promoted to the old generation. Readers get
 * copies (registry views, the stores), never this object.
 */
function snapshotOf(
  previous: TelemetrySnapshot | null,
  telemetry: TopicMessage<'cp.telemetry'>,
  kwh: number,
  receivedAt: string,
): TelemetrySnapshot {
  const ts = telemetry.ts ?? receivedAt;
  if (
    previous !== null &&
    'session_id' in previous === (telemetry.session_id !== undefined) &&
    'driver_id' in previous === (telemetry.driver_id !== undefined)
  ) {
    previous.kw = telemetry.kw;
    previous.kwh = kwh;
    previous.euros = telemetry.euros;
    previous.ts = ts;
    if (telemetry.session_id !== undefined) previous.session_id = telemetry.session_id;
    if (telemetry.driver_id !== undefined) previous.driver_id = telemetry.driver_id;
    return previous;
  }
  const snapshot: TelemetrySnapshot = { kw: telemetry.kw, kwh, euros: telemetry.euros, ts };
  if (telemetry.session_id !== undefined) snapshot.session_id = telemetry.session_id;
  if (telemetry.driver_id !== undefined) snapshot.driver_id = telemetry.driver_id;
  return snapshot;
}
