import 'reflect-metadata';
import {
  type CentralMonitorApi,
  type Clock,
  EventStream,
  type Logger,
  type MonitorFaultReport,
  MonitorFaultReportSchema,
  type MonitorHeartbeat,
  MonitorHeartbeatSchema,
  type MonitorRegistration,
  MonitorRegistrationSchema,
  type Random,
  type Subscription,
  TOKENS,
  type Transport,
  validateSchema,
} from '@evcharging/core';
import type { TSchema } from '@sinclair/typebox';
import { inject, injectable } from 'tsyringe';
import type { CentralEventStream, CentralEvents } from './central-events.js';
import type { CpDefinition } from './config/cp-definitions.js';
import type { CentralReport } from './domain/central-report.js';
import { type CpDefaults, CpRegistry, type CpRegistryView } from './domain/cp-registry.js';
import { EngineReports } from './engine-reports.js';
import { FaultLog } from './liveness/fault-log.js';
import { LivenessWatch } from './liveness/liveness-watch.js';
import { type MonitorOutcome, MonitorProtocol } from './liveness/monitor-protocol.js';
import { CentralWire } from './messaging/central-wire.js';
import type { CentralMetrics } from './metrics/central-metrics.js';
import { type Actor, AuditTrail, IN_PROCESS } from './operator/audit-trail.js';
import { OperatorCommands, type OperatorResult } from './operator/operator-commands.js';
import { restore } from './restore/restore.js';
import { RequestDesk } from './sessions/request-desk.js';
import { SessionBook, type SessionView } from './sessions/session-book.js';
import { SettlingCps } from './sessions/settling-cps.js';
import type { Site } from './smart-charging/site.js';
import { SmartCharging, type SmartChargingSettings } from './smart-charging/smart-charging.js';
import { CentralStats } from './stats/central-stats.js';
import type { CentralStore } from './store/central-store.js';
import { CENTRAL_TOKENS } from './tokens.js';

/**
 * A restart sends the outcome of sessions failed this recently, with no ticket since, again: longer
 * than a restart plus a driver's request timeout (90 s by default), so a driver still waiting hears
 * it and one that gave up records it as late.
 */
const FAILURE_RESEND_WINDOW_MS = 10 * 60_000;

export type { MonitorOutcome } from './liveness/monitor-protocol.js';
export { type Actor, IN_PROCESS } from './operator/audit-trail.js';
export type { OperatorCommand, OperatorResult } from './operator/operator-commands.js';
export type { SessionView } from './sessions/session-book.js';

/** Central's behaviour settings (the plugin fills them from its options). */
export interface CentralSettings {
  /** Consumer group for every subscription. */
  groupId: string;
  /** A monitor silent this long makes its CP DISCONNECTED. */
  heartbeatTimeoutMs: number;
  /** An accepted session whose CP has not started supplying after this long fails. */
  startTimeoutMs: number;
  /** The longest a request waits for the next status of a CP whose supply has just ended. */
  settleTimeoutMs: number;
  /** Monitors decide liveness (the original). Off: the engine's own state decides. */
  requireMonitor: boolean;
  /** Accept registrations and engine messages of CPs not in the configuration. */
  allowUnregisteredCps: boolean;
  /** Location, price and power of a CP first seen without those figures. */
  defaults: CpDefaults;
  /** Sites (CPs behind one grid connection); none: no smart charging. */
  sites: readonly Site[];
  /** How the sites' power is shared (used when there are sites). */
  smartCharging: SmartChargingSettings;
  /** DC CPs (a vehicle's DC limits apply there); every other CP is AC. */
  dcCps: ReadonlySet<string>;
}

/**
 * Central: a facade over its modules, which own one concern each —
 * `RequestDesk` and `SessionBook` (requests, sessions, tickets),
 * `MonitorProtocol` and `LivenessWatch` (monitors, heartbeats, faults),
 * `OperatorCommands` and `AuditTrail` (stop/resume, the audit log),
 * `EngineReports` (what the engines say), `restore` (restart recovery) and
 * {@link CentralStats} (the figures every reader shares). Everything Central announces goes out on
 * {@link CentralService.events}. Message handlers change the in-memory state and write the store in
 * the same turn, then publish; a redelivered message finds its effect already recorded.
 */
@injectable()
export class CentralService {
  readonly registry: CpRegistry;
  /** Central's one event stream: CP and session changes, decided requests, audited actions. */
  readonly events: CentralEventStream;
  readonly stats = new CentralStats();
  /** The monitor protocol for in-process callers (simulations): each call is validated here. */
  readonly api: CentralMonitorApi;
  /** The monitor protocol for callers that validated their input (the HTTP routes). */
  readonly monitors: MonitorProtocol;
  private readonly book: SessionBook;
  private readonly desk: RequestDesk;
  private readonly settling: SettlingCps;
  private readonly watch: LivenessWatch;
  private readonly operator: OperatorCommands;
  private readonly audit: AuditTrail;
  private readonly engines: EngineReports;
  /** The sites' smart charging, when Central has sites. */
  readonly charging: SmartCharging | undefined;
  private readonly subscriptions: Subscription[] = [];
  private shuttingDown = false;
  private running = false;
  private startedAtMs = 0;

  constructor(
    @inject(TOKENS.Transport) private readonly transport: Transport,
    @inject(TOKENS.Clock) private readonly clock: Clock,
    @inject(TOKENS.Random) random: Random,
    @inject(TOKENS.Logger) private readonly logger: Logger,
    @inject(CENTRAL_TOKENS.Store) readonly store: CentralStore,
    @inject(CENTRAL_TOKENS.Settings) readonly settings: CentralSettings,
    @inject(CENTRAL_TOKENS.Metrics) readonly metrics: CentralMetrics,
  ) {
    const events = new EventStream<CentralEvents>(logger, 'central events');
    this.events = events;
    const registry = new CpRegistry(store, settings.requireMonitor, {
      changed(entry) {
        events.emit('cp.changed', { cp_id: entry.record.cp_id, state: registry.stateOf(entry) });
      },
      reading(entry) {
        const telemetry = entry.record.last_telemetry;
        if (telemetry && events.has('cp.reading'))
          events.emit('cp.reading', { cp_id: entry.record.cp_id, telemetry: { ...telemetry } });
      },
    });
    this.registry = registry;
    const { stats } = this;
    const wire = new CentralWire(transport, clock, stats);
    const background = (work: Promise<void>, what: string) => this.background(work, what);
    const faults = new FaultLog(store, stats, clock);
    const charging =
      settings.sites.length > 0
        ? new SmartCharging({
            sites: settings.sites,
            settings: settings.smartCharging,
            clock,
            wire,
            logger,
            cp: (cpId) => {
              const entry = registry.entry(cpId);
              return entry
                ? { kw: entry.record.kw, supply: settings.dcCps.has(cpId) ? 'DC' : 'AC' }
                : undefined;
            },
          })
        : undefined;
    this.charging = charging;
    this.audit = new AuditTrail(store, events, clock, logger);
    this.book = new SessionBook({
      registry,
      store,
      clock,
      random,
      wire,
      stats,
      events,
      logger,
      startTimeoutMs: settings.startTimeoutMs,
      background,
      charging,
    });
    const settling = new SettlingCps({ clock, settleMs: settings.settleTimeoutMs });
    this.settling = settling;
    this.desk = new RequestDesk({
      charging,
      settling,
      book: this.book,
      registry,
      store,
      clock,
      wire,
      stats,
      events,
      shuttingDown: () => this.shuttingDown,
    });
    this.watch = new LivenessWatch({
      registry,
      book: this.book,
      faults,
      clock,
      logger,
      heartbeatTimeoutMs: settings.heartbeatTimeoutMs,
      background,
    });
    this.monitors = new MonitorProtocol({
      registry,
      watch: this.watch,
      faults,
      book: this.book,
      audit: this.audit,
      clock,
      logger,
      allowUnregisteredCps: settings.allowUnregisteredCps,
      defaults: settings.defaults,
    });
    this.operator = new OperatorCommands({ registry, book: this.book, wire, audit: this.audit, clock });
    this.engines = new EngineReports({
      charging,
      settling,
      registry,
      book: this.book,
      faults,
      operator: this.operator,
      clock,
      allowUnregisteredCps: settings.allowUnregisteredCps,
      defaults: settings.defaults,
    });
    metrics.countCpsWith(() => registry.countByState());
    metrics.readFiguresFrom(() => ({ stats, rejected: transport.stats().rejected }));
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
   * Restores the registry, open sessions and liveness from the store (see `restore`), applies the
   * configured CPs, then subscribes and arms the restored timers.
   */
  async start(definitions: readonly CpDefinition[]): Promise<void> {
    this.startedAtMs = this.clock.now();
    const restored = restore(
      {
        registry: this.registry,
        store: this.store,
        book: this.book,
        watch: this.watch,
        clock: this.clock,
        requireMonitor: this.settings.requireMonitor,
        defaults: this.settings.defaults,
      },
      definitions,
    );
    // Before consuming: the backlog's first reading of each restored session syncs its limit.
    const restoredAtSites = this.charging?.restore(this.book.openSessions()) ?? 0;
    // Before consuming too: a ticket read from the backlog must reach its driver after this.
    const failuresResent = await this.book.resendRecentFailures(FAILURE_RESEND_WINDOW_MS);
    const group = this.settings.groupId;
    const { engines, desk, stats } = this;
    // The engines' topics first, requests last: after a restart, what the engines said while
    // Central was down (a supply ended, the CP ACTIVATED again) is read before the requests that
    // waited are judged, not after (a CP last stored SUPPLYING denied one as busy).
    this.subscriptions.push(
      // Statuses and tickets published before Central's group existed still count (Kafka: only
      // when the group has no committed offset yet).
      await this.transport.subscribe('cp.status', { group, fromBeginning: true }, (status) => {
        stats.messageIn('cp.status');
        return engines.status(status);
      }),
      await this.transport.subscribe('cp.telemetry', { group }, (telemetry) => {
        stats.messageIn('cp.telemetry');
        return engines.telemetry(telemetry);
      }),
      await this.transport.subscribe('cp.session_end', { group, fromBeginning: true }, (end) => {
        stats.messageIn('cp.session_end');
        return engines.ticket(end);
      }),
      await this.transport.subscribe('driver.requests', { group }, (request) => {
        stats.messageIn('driver.requests');
        return desk.handle(request);
      }),
    );
    restored.resume();
    this.charging?.start();
    this.running = true;
    this.logger.info(
      {
        cps: this.registry.size,
        open_sessions: restored.openSessions,
        ...(this.charging ? { restored_at_sites: restoredAtSites } : {}),
        presumed_alive: restored.presumedAlive,
        ...(failuresResent > 0 ? { failures_resent: failuresResent } : {}),
        store: this.store.kind,
      },
      'central started',
    );
  }

  /** From now on every new request is denied ("Central is shutting down"), waiting ones too. */
  beginShutdown(): void {
    this.shuttingDown = true;
    this.settling.releaseAll();
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
    this.book.stop();
    this.watch.stop();
    this.charging?.stop();
    this.running = false;
  }

  // ---------------------------------------------------------------- monitor protocol (validating)

  /** A monitor registers its CP; the input is checked against the contract first. */
  register(input: unknown, actor: Actor): Promise<MonitorOutcome> {
    const checked = this.checkMonitorInput<MonitorRegistration>(
      MonitorRegistrationSchema,
      input,
      'register',
      actor,
    );
    return 'outcome' in checked
      ? Promise.resolve(checked.outcome)
      : this.monitors.register(checked.value, actor);
  }

  heartbeat(input: unknown, actor: Actor): Promise<MonitorOutcome> {
    const checked = this.checkMonitorInput<MonitorHeartbeat>(
      MonitorHeartbeatSchema,
      input,
      'heartbeat',
      actor,
    );
    return 'outcome' in checked
      ? Promise.resolve(checked.outcome)
      : this.monitors.heartbeat(checked.value, actor);
  }

  reportFault(input: unknown, actor: Actor): Promise<MonitorOutcome> {
    const checked = this.checkMonitorInput<MonitorFaultReport>(
      MonitorFaultReportSchema,
      input,
      'fault',
      actor,
    );
    return 'outcome' in checked
      ? Promise.resolve(checked.outcome)
      : this.monitors.reportFault(checked.value, actor);
  }

  // ---------------------------------------------------------------- operator

  /** Stops one CP or `ALL`: a running supply ends (with a ticket) and the CP takes no request. */
  stopCp(target: string, actor: Actor = IN_PROCESS): Promise<OperatorResult> {
    return this.operator.stop(target, actor);
  }

  /** Resumes one CP or `ALL` after an operator stop. */
  resumeCp(target: string, actor: Actor = IN_PROCESS): Promise<OperatorResult> {
    return this.operator.resume(target, actor);
  }

  /** Audits a refused operator call (bad or missing token). */
  auditRefusal(actor: Actor, action: string, target: string, reason: string): void {
    this.audit.record(actor, action, target, 'unauthorized', reason);
  }

  // ---------------------------------------------------------------- reads

  session(sessionId: string): SessionView | undefined {
    return this.book.view(sessionId);
  }

  report(): CentralReport {
    const report = this.stats.report({
      registry: this.registry,
      startedAtMs: this.startedAtMs,
      nowMs: this.clock.now(),
      openSessions: this.book.openCount,
      rejected: this.transport.stats().rejected,
    });
    if (this.charging) {
      report.sites = this.charging.report();
      report.charging_policy = this.charging.policyName;
    }
    return report;
  }

  // ---------------------------------------------------------------- helpers

  private checkMonitorInput<T>(
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

  /** Work started from a timer: its failure is logged, never thrown into the clock. */
  private background(work: Promise<void>, what: string): void {
    work.catch((error: unknown) => {
      if (this.running) this.logger.error({ err: error }, `${what} failed`);
    });
  }
}
