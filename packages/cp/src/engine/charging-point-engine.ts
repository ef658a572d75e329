import {
  type CentralCommand,
  type Clock,
  type CpState,
  type CpStatus,
  definePlugin,
  type LocalBus,
  type Logger,
  type Plugin,
  type PluginContext,
  type Random,
  type SessionEnd,
  type StartSupplyPayload,
  StartSupplyPayloadSchema,
  type Subscription,
  type TimerHandle,
  type Transport,
  validate,
  validateSchema,
} from '@evcharging/core';
import type { CpStateChange } from '../bus-events.js';
import { formatHealthAnswer, oneLine, type ProbeResult } from '../health/health-answer.js';
import { HealthServer } from '../health/health-server.js';
import { constantAcModel } from '../models/constant-ac-model.js';
import { type CpModel, clampedPower } from '../models/cp-model.js';
import { MemoryOutbox } from '../outbox/memory-outbox.js';
import type { TicketOutbox } from '../outbox/ticket-outbox.js';
import { wireTime } from '../wire-time.js';
import { type CpEvent, cpStateMachine, IllegalTransitionError } from './cp-state-machine.js';
import { fixedDuration, limitsFor, type SessionPolicy } from './session-policy.js';
import { roundEur, roundKw, roundKwh, SupplySession, ticketOf } from './supply-session.js';

/** Where the deployment's TCP health server listens; no port means no server (simulations). */
export interface EngineHealthServerOptions {
  /** TCP port (the original's default is 8001; 0 picks a free one); undefined or null: no server. */
  port?: number | null;
  /** Interface (default 0.0.0.0). */
  host?: string;
  /** Longest request line, bytes (default 256). */
  maxLineBytes?: number;
  /** Idle connections are closed after this, ms (default 30,000). */
  idleTimeoutMs?: number;
}

export interface ChargingPointEngineOptions {
  /** Charging point id, e.g. `CP-001`. Required. */
  cpId: string;
  /** Rated power, kW, used by the default model (default 22, `CP_ENGINE_KW_RATE`). */
  kw?: number;
  /** Price, €/kWh (default 0.30, `CP_ENGINE_EURO_RATE`). */
  priceEurKwh?: number;
  /** Telemetry interval, ms (default 1,000, `CP_ENGINE_TELEMETRY_INTERVAL`). */
  telemetryIntervalMs?: number;
  /** When a supply ends by itself (default `fixedDuration(10)`). */
  policy?: SessionPolicy;
  /** How power behaves (default `constantAcModel(kw)`). */
  model?: CpModel;
  /** Consumer group for `central.commands` (default `cp-engine-<cpId>`). */
  groupId?: string;
  /** Plugin name (default `cp-engine/<cpId>`, so many engines fit in one node). */
  name?: string;
  /** Where tickets wait until published (default a new MemoryOutbox). */
  outbox?: TicketOutbox;
  /** TCP health server for deployments (default none). */
  healthServer?: EngineHealthServerOptions;
  /** First retry delay after a failed ticket publish, ms (default 5,000; doubles up to 60,000). */
  outboxRetryMs?: number;
}

/** Counters of one engine. */
export interface EngineStats {
  commands: number;
  /** Commands that failed their schema (or start_supply payload) check. */
  malformedCommands: number;
  /** Well-formed commands the current state does not allow. */
  rejectedCommands: number;
  /** Commands for another CP, stale stops, and repeats of a state already reached. */
  ignoredCommands: number;
  /** Redelivered start_supply commands for a session already started. */
  duplicateCommands: number;
  sessionsStarted: number;
  sessionsEnded: number;
  /** Energy of every ended session (tickets), kWh. */
  energyKwh: number;
  /** Cost of every ended session (tickets), €. */
  revenueEur: number;
  faults: number;
  transitions: number;
  telemetrySent: number;
  ticketsPublished: number;
  publishFailures: number;
}

/** A read-only view of the supply in progress. */
export interface SupplySessionView {
  readonly sessionId: string;
  readonly driverId: string;
  readonly requestId: string | undefined;
  readonly startMs: number;
  /** Energy up to the last telemetry interval, kWh. */
  readonly energyKwh: number;
  /** Power of the current interval, kW. */
  readonly kw: number;
  readonly euros: number;
}

/** The engine plugin with its control API (usable after the node started). */
export interface ChargingPointEnginePlugin extends Plugin {
  readonly cpId: string;
  start(ctx: PluginContext): Promise<void>;
  stop(): Promise<void>;
  readonly state: CpState;
  readonly currentSession: SupplySessionView | undefined;
  readonly stats: Readonly<EngineStats>;
  /** The health server's bound address, when there is one. */
  readonly healthAddress: { host: string; port: number } | undefined;
  /** Health answer: `OK:<STATE>`, or `KO:<reason>` while faulted, KO-switched or not running. */
  probe(): string;
  /** The same answer, structured. */
  health(): ProbeResult;
  /** → FAULT; a running supply ends at once with a ticket. No-op when already faulted. */
  injectFault(reason?: string): Promise<void>;
  /** FAULT → ACTIVATED. No-op when not faulted. */
  clearFault(reason?: string): Promise<void>;
  /** The KO switch (the course's key press): probes answer KO while on; the state is unchanged. */
  setKo(on: boolean, reason?: string): void;
  /** Resolves once every status, telemetry and ticket queued so far has been handed to the transport. */
  whenIdle(): Promise<void>;
  report(): Record<string, unknown>;
}

type Lifecycle = 'created' | 'started' | 'stopped';

const MAX_RETRY_MS = 60_000;

function pluginName(prefix: string, cpId: string): string {
  return `${prefix}/${cpId.replace(/[^a-z0-9@/._-]/gi, '_')}`;
}

function positive(cpId: string, option: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0)) {
    throw new RangeError(`chargingPointEngine("${cpId}"): ${option} must be a positive number, got ${value}`);
  }
  return value;
}

/**
 * One charging point's engine: the state machine, supplies, telemetry, tickets through the outbox,
 * fault injection and health answers. Built by {@link chargingPointEngine}.
 */
class ChargingPointEngine implements ChargingPointEnginePlugin {
  readonly name: string;
  readonly cpId: string;
  private readonly kw: number;
  private readonly price: number;
  private readonly intervalMs: number;
  private readonly policy: SessionPolicy;
  private readonly model: CpModel;
  private readonly groupId: string;
  private readonly outbox: TicketOutbox;
  private readonly healthOptions: EngineHealthServerOptions | undefined;
  private readonly retryMs: number;

  private lifecycle: Lifecycle = 'created';
  private current: CpState = 'DISCONNECTED';
  private transport!: Transport;
  private clock!: Clock;
  private logger!: Logger;
  private bus: LocalBus | undefined;
  private faultRandom: Random | undefined;
  private subscription: Subscription | undefined;
  private healthServer: HealthServer | undefined;
  private session: SupplySession | undefined;
  private lastSessionId: string | undefined;
  private telemetryTimer: TimerHandle | undefined;
  private durationTimer: TimerHandle | undefined;
  private targetTimer: TimerHandle | undefined;
  private faultTimer: TimerHandle | undefined;
  private repairTimer: TimerHandle | undefined;
  private retryTimer: TimerHandle | undefined;
  private retryDelay: number;
  private faultReason: string | undefined;
  private koReason: string | undefined;
  /** Commands delivered while starting (queued for this CP while it was down): handled once connected. */
  private early: unknown[] | undefined = [];
  /** Every publish and outbox write, in program order: keeps per-CP order on the wire and on disk. */
  private chain: Promise<void> = Promise.resolve();
  private readonly counters: EngineStats = {
    commands: 0,
    malformedCommands: 0,
    rejectedCommands: 0,
    ignoredCommands: 0,
    duplicateCommands: 0,
    sessionsStarted: 0,
    sessionsEnded: 0,
    energyKwh: 0,
    revenueEur: 0,
    faults: 0,
    transitions: 0,
    telemetrySent: 0,
    ticketsPublished: 0,
    publishFailures: 0,
  };

  constructor(options: ChargingPointEngineOptions) {
    if (typeof options.cpId !== 'string' || options.cpId.length === 0) {
      throw new TypeError('chargingPointEngine: cpId must be a non-empty string');
    }
    this.cpId = options.cpId;
    this.name = options.name ?? pluginName('cp-engine', options.cpId);
    this.kw = positive(this.cpId, 'kw', options.kw ?? 22);
    const price = options.priceEurKwh ?? 0.3;
    if (!(Number.isFinite(price) && price >= 0)) {
      throw new RangeError(`chargingPointEngine("${this.cpId}"): priceEurKwh must be >= 0, got ${price}`);
    }
    this.price = price;
    this.intervalMs = positive(this.cpId, 'telemetryIntervalMs', options.telemetryIntervalMs ?? 1000);
    this.policy = options.policy ?? fixedDuration(10);
    this.model = options.model ?? constantAcModel(this.kw);
    this.groupId = options.groupId ?? `cp-engine-${this.cpId}`;
    this.outbox = options.outbox ?? new MemoryOutbox();
    const port = options.healthServer?.port;
    this.healthOptions = port === undefined || port === null ? undefined : options.healthServer;
    this.retryMs = positive(this.cpId, 'outboxRetryMs', options.outboxRetryMs ?? 5000);
    this.retryDelay = this.retryMs;
  }

  get state(): CpState {
    return this.current;
  }

  get currentSession(): SupplySessionView | undefined {
    return this.session;
  }

  get stats(): Readonly<EngineStats> {
    return { ...this.counters };
  }

  get healthAddress(): { host: string; port: number } | undefined {
    return this.healthServer?.address;
  }

  // ---- lifecycle -------------------------------------------------------------------------------

  async start(ctx: PluginContext): Promise<void> {
    if (this.lifecycle !== 'created') {
      throw new Error(`engine "${this.cpId}" was already started; create a new plugin to restart it`);
    }
    this.transport = ctx.transport;
    this.clock = ctx.clock;
    this.logger = ctx.logger;
    this.bus = ctx.bus;
    if (this.model.faults) this.faultRandom = ctx.random.fork('faults');
    const left = await this.outbox.load();
    this.subscription = await this.transport.subscribe(
      'central.commands',
      { group: this.groupId, key: this.cpId },
      (value) => this.handleCommand(value),
    );
    if (this.healthOptions) {
      const server = new HealthServer(
        () => this.probe(),
        {
          port: this.healthOptions.port ?? 0,
          ...(this.healthOptions.host !== undefined ? { host: this.healthOptions.host } : {}),
          ...(this.healthOptions.maxLineBytes !== undefined
            ? { maxLineBytes: this.healthOptions.maxLineBytes }
            : {}),
          ...(this.healthOptions.idleTimeoutMs !== undefined
            ? { idleTimeoutMs: this.healthOptions.idleTimeoutMs }
            : {}),
        },
        this.logger,
      );
      try {
        await server.listen();
      } catch (error) {
        await this.subscription.unsubscribe();
        throw error;
      }
      this.healthServer = server;
    }
    this.lifecycle = 'started';
    let reason = 'engine connected';
    const interrupted = left.inflight;
    if (interrupted && !left.tickets.some((t) => t.session_id === interrupted.session_id)) {
      // The previous run died mid-supply: bill what was measured up to its last interval.
      const ticket = ticketOf(interrupted, 'interrupted: engine stopped during the supply', this.clock.now());
      this.countTicket(ticket);
      reason = `engine connected; session ${ticket.session_id} was interrupted at ${ticket.end_time} after ${ticket.energy_kwh} kWh`;
      this.lastSessionId = ticket.session_id;
      this.enqueue(() => this.outbox.add(ticket));
    }
    this.transition('connect', reason);
    const early = this.early ?? [];
    this.early = undefined;
    for (const command of early) this.handleCommand(command);
    if (left.tickets.length > 0 || interrupted) {
      this.logger.info(
        { cp_id: this.cpId, tickets: left.tickets.length, interrupted: interrupted?.session_id },
        'publishing tickets left by the previous run',
      );
    }
    this.enqueue(() => this.flushOutbox());
    this.scheduleNextFault();
    await this.chain;
  }

  async stop(): Promise<void> {
    if (this.lifecycle !== 'started') return;
    if (this.session) this.endSession('shutdown: engine stopping');
    if (this.current !== 'DISCONNECTED') this.transition('disconnect', 'engine stopping');
    this.cancel('faultTimer');
    this.cancel('repairTimer');
    this.cancel('retryTimer');
    await this.chain;
    this.lifecycle = 'stopped';
    await this.subscription?.unsubscribe();
    this.subscription = undefined;
    await this.healthServer?.close();
  }

  report(): Record<string, unknown> {
    return { cp_id: this.cpId, state: this.current, model: this.model.name, ...this.counters };
  }

  whenIdle(): Promise<void> {
    return this.chain;
  }

  // ---- health and fault API --------------------------------------------------------------------

  health(): ProbeResult {
    if (this.lifecycle !== 'started') return { ok: false, reason: `engine ${this.lifecycle}` };
    if (this.current === 'FAULT') return { ok: false, reason: this.faultReason ?? 'fault' };
    if (this.koReason !== undefined) return { ok: false, reason: this.koReason };
    return { ok: true, state: this.current };
  }

  probe(): string {
    return formatHealthAnswer(this.health());
  }

  injectFault(reason = 'fault injected'): Promise<void> {
    this.assertStarted('injectFault');
    if (this.current === 'FAULT') return this.chain;
    if (!cpStateMachine.can(this.current, 'fault_detected')) {
      throw new IllegalTransitionError(this.cpId, this.current, 'fault_detected');
    }
    this.fault(oneLine(reason) || 'fault injected');
    return this.chain;
  }

  clearFault(reason = 'fault cleared'): Promise<void> {
    this.assertStarted('clearFault');
    if (this.current !== 'FAULT') return this.chain;
    this.cancel('repairTimer');
    this.faultReason = undefined;
    this.transition('fault_cleared', reason);
    this.scheduleNextFault();
    return this.chain;
  }

  setKo(on: boolean, reason?: string): void {
    this.koReason = on ? oneLine(reason ?? 'KO switch on') || 'KO switch on' : undefined;
    this.logger?.info(
      { cp_id: this.cpId, ko: on, reason: this.koReason },
      on ? 'KO switch on' : 'KO switch off',
    );
  }

  // ---- commands --------------------------------------------------------------------------------

  private handleCommand(value: unknown): void {
    if (this.lifecycle !== 'started') {
      this.early?.push(value);
      return;
    }
    this.counters.commands++;
    try {
      const result = validate('central.commands', value);
      if (!result.ok) {
        this.malformed(result.reasons, value);
        return;
      }
      const command = result.value;
      if (command.cp_id !== this.cpId) {
        this.counters.ignoredCommands++;
        return;
      }
      this.apply(command);
    } catch (error) {
      // A handler must never throw: the transport would redeliver the command forever.
      this.counters.rejectedCommands++;
      this.logger.error({ err: error, cp_id: this.cpId }, 'command failed');
    }
  }

  private apply(command: CentralCommand): void {
    switch (command.cmd) {
      case 'start_supply': {
        const payload = validateSchema<StartSupplyPayload>(StartSupplyPayloadSchema, command.payload);
        if (!payload.ok) {
          this.malformed(
            payload.reasons.map((r) => `payload${r.startsWith('/') ? r : `/${r}`}`),
            command,
          );
          return;
        }
        this.startSupply(payload.value);
        return;
      }
      case 'stop_supply': {
        const sessionId = command.payload?.session_id;
        if (this.current !== 'SUPPLYING') {
          this.reject(command, `no supply in progress (state ${this.current})`);
          return;
        }
        if (typeof sessionId === 'string' && sessionId !== this.session?.sessionId) {
          this.counters.ignoredCommands++; // a stop for a session that already ended
          return;
        }
        this.endSession('stop_supply');
        this.transition('stop_supply', 'supply stopped by Central');
        return;
      }
      case 'stop_cp':
        if (this.current === 'STOPPED') {
          this.counters.ignoredCommands++;
          return;
        }
        if (!cpStateMachine.can(this.current, 'stop_cp')) {
          this.reject(command, `cannot stop in state ${this.current}`);
          return;
        }
        if (this.session) this.endSession('stop_cp: CP stopped by Central');
        this.transition('stop_cp', 'out of order: stopped by Central');
        return;
      case 'resume_cp':
        if (this.current === 'ACTIVATED') {
          this.counters.ignoredCommands++;
          return;
        }
        if (!cpStateMachine.can(this.current, 'resume_cp')) {
          this.reject(command, `cannot resume in state ${this.current}`);
          return;
        }
        this.transition('resume_cp', 'resumed by Central');
        return;
      case 'shutdown':
        if (this.current === 'DISCONNECTED') {
          this.counters.ignoredCommands++;
          return;
        }
        if (this.session) this.endSession('shutdown: requested by Central');
        this.cancel('faultTimer');
        this.cancel('repairTimer');
        this.transition('disconnect', 'shut down by Central');
        return;
    }
  }

  private malformed(reasons: string[], value: unknown): void {
    this.counters.malformedCommands++;
    this.logger.warn({ cp_id: this.cpId, reasons, command: preview(value) }, 'malformed command rejected');
  }

  private reject(command: CentralCommand, why: string): void {
    this.counters.rejectedCommands++;
    this.logger.warn({ cp_id: this.cpId, cmd: command.cmd }, `command rejected: ${why}`);
  }

  // ---- supply ----------------------------------------------------------------------------------

  private startSupply(payload: StartSupplyPayload): void {
    if (payload.session_id === this.session?.sessionId || payload.session_id === this.lastSessionId) {
      this.counters.duplicateCommands++; // at-least-once delivery: the same start again
      return;
    }
    if (!cpStateMachine.canTakeRequest(this.current, this.session !== undefined)) {
      this.reject(
        { cmd: 'start_supply', cp_id: this.cpId },
        `CP is ${this.current}${this.session ? ` with session ${this.session.sessionId}` : ''}`,
      );
      return;
    }
    const now = this.clock.now();
    const limits = limitsFor(this.policy, payload);
    const session = SupplySession.fromPayload(this.cpId, payload, now, this.price, limits);
    session.kw = clampedPower(this.model, 0, 0, { cpId: this.cpId, nowMs: now });
    this.transition(
      'start_supply',
      `supplying driver ${payload.driver_id} (session ${payload.session_id})`,
      payload.session_id,
    );
    this.session = session;
    this.counters.sessionsStarted++;
    this.telemetryTimer = this.clock.setInterval(() => this.onTelemetryTick(), this.intervalMs);
    if (limits.durationMs !== undefined) {
      this.durationTimer = this.clock.setTimeout(
        () => this.endByPolicy('duration reached'),
        limits.durationMs,
      );
    }
    this.scheduleTargetEnd();
    const snapshot = session.snapshot(now);
    this.enqueue(() => this.outbox.saveInflight(snapshot));
  }

  private onTelemetryTick(): void {
    const session = this.session;
    if (!session) return;
    const now = this.clock.now();
    const deliveredKw = session.kw;
    session.advanceTo(now);
    if (session.targetReached()) {
      this.endByPolicy('target energy reached');
      return;
    }
    const elapsedS = session.elapsedS(now);
    if (this.model.sessionComplete?.(elapsedS, session.energyKwh)) {
      this.endByPolicy('vehicle charged');
      return;
    }
    session.kw = clampedPower(this.model, elapsedS, session.energyKwh, { cpId: this.cpId, nowMs: now });
    const telemetry = {
      cp_id: this.cpId,
      kw: roundKw(deliveredKw),
      kwh: roundKwh(session.energyKwh),
      euros: roundEur(session.euros),
      driver_id: session.driverId,
      session_id: session.sessionId,
      ts: wireTime(now),
    };
    const snapshot = session.snapshot(now);
    // One queued task per tick (it was two): each costs a closure and two promises.
    this.enqueue(async () => {
      try {
        await this.transport.publish('cp.telemetry', telemetry);
        this.counters.telemetrySent++;
      } finally {
        await this.outbox.saveInflight(snapshot);
      }
    });
    this.scheduleTargetEnd();
  }

  /** Schedules the exact end when the target energy falls within the next interval. */
  private scheduleTargetEnd(): void {
    const session = this.session;
    if (!session) return;
    const ms = session.msToTarget();
    this.cancel('targetTimer');
    if (ms === undefined || ms > this.intervalMs) return;
    this.targetTimer = this.clock.setTimeout(() => {
      this.targetTimer = undefined;
      const target = this.session?.limits.targetKwh;
      if (this.session && target !== undefined) {
        this.session.advanceTo(this.clock.now());
        this.session.energyKwh = target; // rounding of the end time must not shave the target
      }
      this.endByPolicy('target energy reached');
    }, ms);
  }

  private endByPolicy(reason: string): void {
    if (!this.session) return;
    this.endSession(reason);
    this.transition('stop_supply', `session ended: ${reason}`);
  }

  /** Ends the supply: final energy, ticket into the outbox, then published. The caller transitions. */
  private endSession(reason: string): void {
    const session = this.session;
    if (!session) return;
    const now = this.clock.now();
    session.advanceTo(now);
    this.session = undefined;
    this.lastSessionId = session.sessionId;
    this.cancel('telemetryTimer');
    this.cancel('durationTimer');
    this.cancel('targetTimer');
    const ticket = session.ticket(now, reason);
    this.countTicket(ticket);
    this.enqueue(async () => {
      try {
        await this.outbox.add(ticket);
      } catch (error) {
        // Could not make it durable; publishing it now is still better than losing it.
        this.logger.error({ err: error, cp_id: this.cpId }, 'ticket outbox write failed');
        await this.transport.publish('cp.session_end', ticket);
        this.counters.ticketsPublished++;
        return;
      }
      await this.flushOutbox();
    });
  }

  private countTicket(ticket: SessionEnd): void {
    this.counters.sessionsEnded++;
    this.counters.energyKwh += ticket.energy_kwh;
    this.counters.revenueEur += ticket.total_cost_eur;
  }

  /** Publishes every pending ticket in order; on failure retries later with backoff. */
  private async flushOutbox(): Promise<void> {
    for (const ticket of [...this.outbox.pending()]) {
      try {
        await this.transport.publish('cp.session_end', ticket);
      } catch (error) {
        this.counters.publishFailures++;
        this.logger.warn(
          { err: error, cp_id: this.cpId, session_id: ticket.session_id, retry_ms: this.retryDelay },
          'ticket publish failed; kept in the outbox',
        );
        this.scheduleRetry();
        return;
      }
      this.counters.ticketsPublished++;
      this.retryDelay = this.retryMs;
      await this.outbox.remove(ticket.session_id);
    }
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this.lifecycle !== 'started') return;
    const delay = this.retryDelay;
    this.retryDelay = Math.min(MAX_RETRY_MS, this.retryDelay * 2);
    this.retryTimer = this.clock.setTimeout(() => {
      this.retryTimer = undefined;
      this.enqueue(() => this.flushOutbox());
    }, delay);
  }

  // ---- faults ----------------------------------------------------------------------------------

  private fault(reason: string): void {
    this.cancel('faultTimer');
    this.counters.faults++;
    this.faultReason = reason;
    if (this.session) this.endSession(`fault: ${reason}`);
    this.transition('fault_detected', reason);
  }

  private scheduleNextFault(): void {
    this.cancel('faultTimer');
    const faults = this.model.faults;
    const random = this.faultRandom;
    if (!faults || !random || this.lifecycle !== 'started') return;
    const ms = faults.nextFaultInMs(random);
    if (ms === undefined) return;
    this.faultTimer = this.clock.setTimeout(() => {
      this.faultTimer = undefined;
      if (!cpStateMachine.can(this.current, 'fault_detected')) return;
      this.fault(faults.reason ?? 'model fault');
      const repairMs = faults.repairInMs?.(random);
      if (repairMs === undefined) return;
      this.repairTimer = this.clock.setTimeout(() => {
        this.repairTimer = undefined;
        void this.clearFault('fault repaired');
      }, repairMs);
    }, ms);
  }

  // ---- plumbing --------------------------------------------------------------------------------

  private transition(event: CpEvent, reason: string, sessionId?: string): void {
    const previous = this.current;
    const next = cpStateMachine.transition(previous, event, {
      cpId: this.cpId,
      authorized: event === 'start_supply',
    });
    this.current = next;
    this.counters.transitions++;
    const now = this.clock.now();
    const status: CpStatus = {
      cp_id: this.cpId,
      state: next,
      reason,
      ts: wireTime(now),
      ...(sessionId !== undefined ? { session_id: sessionId } : {}),
    };
    this.logger.debug({ cp_id: this.cpId, from: previous, to: next, reason }, 'state changed');
    if (this.bus) {
      const change: CpStateChange = { cpId: this.cpId, previous, state: next, reason, ts: now };
      this.bus.emit('cp.state', change);
    }
    this.enqueue(() => this.transport.publish('cp.status', status));
  }

  private enqueue(task: () => Promise<void>): void {
    // A closure per task rather than a bound handler per engine: it dies young, and a field would
    // cost every idle CP of a large fleet its bytes.
    this.chain = this.chain.then(task).catch((error: unknown) => {
      this.counters.publishFailures++;
      this.logger.warn({ err: error, cp_id: this.cpId }, 'engine publish failed');
    });
  }

  private cancel(
    timer: 'telemetryTimer' | 'durationTimer' | 'targetTimer' | 'faultTimer' | 'repairTimer' | 'retryTimer',
  ): void {
    this[timer]?.cancel();
    this[timer] = undefined;
  }

  private assertStarted(action: string): void {
    if (this.lifecycle !== 'started') {
      throw new Error(`engine "${this.cpId}": cannot ${action}, the engine is ${this.lifecycle}`);
    }
  }
}

function preview(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/**
 * The charging-point engine plugin: the state machine of ORIGINAL.md §3, supplies driven by
 * `central.commands`, `cp.status` on every transition, `cp.telemetry` every interval while
 * supplying, and a ticket on `cp.session_end` (through the outbox) for every session end.
 *
 * @example
 * const engine = chargingPointEngine({ cpId: 'CP-001', kw: 22, priceEurKwh: 0.3 });
 * const node = createNode({ id: 'cp-001', transport, clock, plugins: [engine] });
 * await node.start();
 * engine.state; // 'ACTIVATED'
 * await engine.injectFault('overheating'); // → FAULT, a running supply ends with a ticket
 */
export function chargingPointEngine(options: ChargingPointEngineOptions): ChargingPointEnginePlugin {
  return definePlugin(new ChargingPointEngine(options));
}
