import {
  type CentralCommand,
  type Clock,
  type CommandOf,
  type CpState,
  type CpStatus,
  type CpTelemetry,
  compileTariff,
  definePlugin,
  isDone,
  isoTime,
  type LocalBus,
  type Logger,
  type PluginContext,
  type SessionEnd,
  type SessionEndCause,
  type StartSupplyPayload,
  type Subscription,
  type Transport,
} from '@evcharging/core';
import type { CpStateChange } from '../bus-events.js';
import { formatHealthAnswer, oneLine, type ProbeResult } from '../health/health-answer.js';
import { HealthServer } from '../health/health-server.js';
import type { InflightSession } from '../outbox/ticket-outbox.js';
import { type CpEvent, cpStateMachine, IllegalTransitionError } from './cp-state-machine.js';
import { type EngineSettings, engineSettings, newEngineStats } from './engine-settings.js';
import type {
  ChargingPointEngineOptions,
  ChargingPointEnginePlugin,
  EngineHealthServerOptions,
  EngineStats,
  SupplySessionView,
} from './engine-types.js';
import { FaultSchedule } from './fault-schedule.js';
import { SerialTasks } from './serial-tasks.js';
import { limitsFor } from './session-policy.js';
import { SupplyRun } from './supply-run.js';
import { SupplySession, ticketOf } from './supply-session.js';
import { TicketPublisher } from './ticket-publisher.js';

export type {
  ChargingPointEngineOptions,
  ChargingPointEnginePlugin,
  EngineHealthServerOptions,
  EngineStats,
  SupplySessionView,
} from './engine-types.js';

type Lifecycle = 'created' | 'started' | 'stopped';

/**
 * One charging point's engine: the state machine, commands from Central, the supply in progress
 * (a {@link SupplyRun}), tickets (a {@link TicketPublisher}), the model's faults (a
 * {@link FaultSchedule}) and health answers. Built by {@link chargingPointEngine}.
 */
class ChargingPointEngine implements ChargingPointEnginePlugin {
  readonly name: string;
  readonly cpId: string;
  private readonly settings: EngineSettings;
  private lifecycle: Lifecycle = 'created';
  private current: CpState = 'DISCONNECTED';
  private transport!: Transport;
  private clock!: Clock;
  private logger!: Logger;
  private bus: LocalBus | undefined;
  private tickets!: TicketPublisher;
  private faults: FaultSchedule | undefined;
  private subscription: Subscription | undefined;
  private healthServer: HealthServer | undefined;
  private supply: SupplyRun | undefined;
  private lastSessionId: string | undefined;
  private faultReason: string | undefined;
  private koReason: string | undefined;
  /** Commands delivered while starting (queued for this CP while it was down): handled once connected. */
  private early: CentralCommand[] | undefined = [];
  /** Every publish and outbox write, in program order: keeps per-CP order on the wire and on disk. */
  private readonly tasks = new SerialTasks((error) => {
    this.counters.publishFailures++;
    this.logger.warn({ err: error, cp_id: this.cpId }, 'engine publish failed');
  });
  private readonly counters = newEngineStats();

  constructor(options: ChargingPointEngineOptions) {
    this.settings = engineSettings(options);
    this.cpId = this.settings.cpId;
    this.name = this.settings.name;
  }

  get state(): CpState {
    return this.current;
  }

  get currentSession(): SupplySessionView | undefined {
    return this.supply?.session;
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
    this.tickets = new TicketPublisher({
      cpId: this.cpId,
      outbox: this.settings.outbox,
      clock: this.clock,
      logger: this.logger,
      counters: this.counters,
      retryMs: this.settings.outboxRetryMs,
      publish: (ticket) => this.transport.publish('cp.session_end', ticket),
      enqueue: (task) => this.enqueue(task),
    });
    if (this.settings.model.faults) {
      this.faults = new FaultSchedule(this.settings.model.faults, ctx.random.fork('faults'), this.clock, {
        fault: (reason) => {
          if (!cpStateMachine.can(this.current, 'fault_detected')) return false;
          this.fault(reason);
          return true;
        },
        repair: () => void this.clearFault('fault repaired'),
      });
    }
    const left = await this.settings.outbox.load();
    this.subscription = await this.transport.subscribe(
      'central.commands',
      { group: this.settings.groupId, key: this.cpId },
      (command) => this.handleCommand(command),
    );
    if (this.settings.healthServer) {
      const server = this.healthServerFor(this.settings.healthServer);
      try {
        await server.listen();
      } catch (error) {
        await this.subscription.unsubscribe();
        throw error;
      }
      this.healthServer = server;
    }
    this.lifecycle = 'started';
    this.tickets.start();
    this.transition('connect', this.billInterrupted(left.inflight, left.tickets));
    const early = this.early ?? [];
    this.early = undefined;
    for (const command of early) this.handleCommand(command);
    if (left.tickets.length > 0 || left.inflight) {
      this.logger.info(
        { cp_id: this.cpId, tickets: left.tickets.length, interrupted: left.inflight?.session_id },
        'publishing tickets left by the previous run',
      );
    }
    this.enqueue(() => this.tickets.flush());
    this.faults?.armNext();
    await this.tasks.idle();
  }

  async stop(): Promise<void> {
    if (this.lifecycle !== 'started') return;
    if (this.supply) this.endSession('shutdown', 'shutdown: engine stopping');
    if (this.current !== 'DISCONNECTED') this.transition('disconnect', 'engine stopping');
    this.faults?.cancel();
    this.tickets.stop();
    await this.tasks.idle();
    this.lifecycle = 'stopped';
    await this.subscription?.unsubscribe();
    this.subscription = undefined;
    await this.healthServer?.close();
  }

  report(): Record<string, unknown> {
    return { cp_id: this.cpId, state: this.current, model: this.settings.model.name, ...this.counters };
  }

  whenIdle(): Promise<void> {
    return this.tasks.idle();
  }

  /**
   * The previous run died mid-supply: its ticket bills what was measured up to its last interval.
   * Returns the reason of the `connect` transition.
   */
  private billInterrupted(inflight: InflightSession | undefined, pending: readonly SessionEnd[]): string {
    if (!inflight || pending.some((t) => t.session_id === inflight.session_id)) return 'engine connected';
    const ticket = ticketOf(
      inflight,
      'interrupted',
      'interrupted: engine stopped during the supply',
      this.clock.now(),
    );
    this.countTicket(ticket);
    this.lastSessionId = ticket.session_id;
    this.enqueue(() => this.settings.outbox.add(ticket));
    return `engine connected; session ${ticket.session_id} was interrupted at ${ticket.end_time} after ${ticket.energy_kwh} kWh`;
  }

  private healthServerFor(options: EngineHealthServerOptions): HealthServer {
    return new HealthServer(
      () => this.probe(),
      {
        port: options.port ?? 0,
        ...(options.host !== undefined ? { host: options.host } : {}),
        ...(options.maxLineBytes !== undefined ? { maxLineBytes: options.maxLineBytes } : {}),
        ...(options.idleTimeoutMs !== undefined ? { idleTimeoutMs: options.idleTimeoutMs } : {}),
      },
      this.logger,
    );
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
    if (this.current === 'FAULT') return this.tasks.idle();
    if (!cpStateMachine.can(this.current, 'fault_detected')) {
      throw new IllegalTransitionError(this.cpId, this.current, 'fault_detected');
    }
    this.fault(oneLine(reason) || 'fault injected');
    return this.tasks.idle();
  }

  clearFault(reason = 'fault cleared'): Promise<void> {
    this.assertStarted('clearFault');
    if (this.current !== 'FAULT') return this.tasks.idle();
    this.faults?.cancelRepair();
    this.faultReason = undefined;
    this.transition('fault_cleared', reason);
    this.faults?.armNext();
    return this.tasks.idle();
  }

  setKo(on: boolean, reason?: string): void {
    this.koReason = on ? oneLine(reason ?? 'KO switch on') || 'KO switch on' : undefined;
    this.logger?.info(
      { cp_id: this.cpId, ko: on, reason: this.koReason },
      on ? 'KO switch on' : 'KO switch off',
    );
  }

  // ---- commands --------------------------------------------------------------------------------

  /** Commands arrive validated by the transport, each with its own typed payload. */
  private handleCommand(command: CentralCommand): void {
    if (this.lifecycle !== 'started') {
      this.early?.push(command);
      return;
    }
    this.counters.commands++;
    if (command.cp_id !== this.cpId) {
      this.counters.ignoredCommands++;
      return;
    }
    try {
      this.apply(command);
    } catch (error) {
      // A handler must never throw: the transport would redeliver the command forever.
      this.counters.rejectedCommands++;
      this.logger.error({ err: error, cp_id: this.cpId }, 'command failed');
    }
  }

  private apply(command: CentralCommand): void {
    switch (command.cmd) {
      case 'start_supply':
        this.startSupply(command.payload);
        return;
      case 'stop_supply':
        this.stopSupply(command);
        return;
      case 'stop_cp':
        if (this.current === 'STOPPED') this.ignore();
        else if (!cpStateMachine.can(this.current, 'stop_cp')) {
          this.reject(command, `cannot stop in state ${this.current}`);
        } else {
          if (this.supply) this.endSession('central', 'stop_cp: CP stopped by Central');
          this.transition('stop_cp', 'out of order: stopped by Central');
        }
        return;
      case 'resume_cp':
        if (this.current === 'ACTIVATED') this.ignore();
        else if (!cpStateMachine.can(this.current, 'resume_cp')) {
          this.reject(command, `cannot resume in state ${this.current}`);
        } else this.transition('resume_cp', 'resumed by Central');
        return;
      case 'set_power_limit':
        if (!this.setPowerLimit(command.payload.limit_kw, command.payload.session_id, command.payload.seq)) {
          this.ignore();
        }
        return;
      case 'shutdown':
        if (this.current === 'DISCONNECTED') this.ignore();
        else {
          if (this.supply) this.endSession('shutdown', 'shutdown: requested by Central');
          this.faults?.cancel();
          this.transition('disconnect', 'shut down by Central');
        }
        return;
    }
  }

  private stopSupply(command: CommandOf<'stop_supply'>): void {
    const sessionId = command.payload?.session_id;
    if (this.current !== 'SUPPLYING') {
      this.reject(command, `no supply in progress (state ${this.current})`);
    } else if (sessionId !== undefined && sessionId !== this.supply?.session.sessionId) {
      this.ignore(); // a stop for a session that already ended
    } else {
      this.endSession('central', 'stop_supply');
      this.transition('stop_supply', 'supply stopped by Central');
    }
  }

  setPowerLimit(limitKw: number | undefined, sessionId?: string, seq?: number): boolean {
    const run = this.supply;
    if (!run || (sessionId !== undefined && sessionId !== run.session.sessionId)) return false;
    if (limitKw !== undefined && !(limitKw >= 0 && Number.isFinite(limitKw))) {
      throw new RangeError(`engine "${this.cpId}": power limit must be a finite number >= 0, got ${limitKw}`);
    }
    run.setLimit(limitKw, seq);
    return true;
  }

  private ignore(): void {
    this.counters.ignoredCommands++;
  }

  private reject(command: Pick<CentralCommand, 'cmd'>, why: string): void {
    this.counters.rejectedCommands++;
    this.logger.warn({ cp_id: this.cpId, cmd: command.cmd }, `command rejected: ${why}`);
  }

  // ---- supply ----------------------------------------------------------------------------------

  private startSupply(payload: StartSupplyPayload): void {
    const current = this.supply?.session.sessionId;
    if (payload.session_id === current || payload.session_id === this.lastSessionId) {
      this.counters.duplicateCommands++; // at-least-once delivery: the same start again
      return;
    }
    if (!cpStateMachine.canTakeRequest(this.current, current !== undefined)) {
      this.reject(
        { cmd: 'start_supply' },
        `CP is ${this.current}${current ? ` with session ${current}` : ''}`,
      );
      return;
    }
    const now = this.clock.now();
    const session = SupplySession.fromPayload(
      this.cpId,
      payload,
      now,
      this.settings.priceEurKwh,
      limitsFor(this.settings.policy, payload),
      payload.tariff ? compileTariff(payload.tariff, `session ${payload.session_id}`) : undefined,
    );
    const run = new SupplyRun(
      session,
      {
        cpId: this.cpId,
        clock: this.clock,
        model: this.settings.model,
        supply: this.settings.supply,
        intervalMs: this.settings.telemetryIntervalMs,
      },
      {
        telemetry: (message, snapshot) => this.enqueue(() => this.sendTelemetry(message, snapshot)),
        ended: (cause, reason) => {
          this.endSession(cause, reason);
          this.transition('stop_supply', `session ended: ${reason}`);
        },
        ...(this.settings.onPower ? { power: this.settings.onPower } : {}),
      },
    );
    this.transition(
      'start_supply',
      `supplying driver ${payload.driver_id} (session ${payload.session_id})`,
      payload.session_id,
    );
    this.supply = run;
    this.counters.sessionsStarted++;
    run.start();
    const snapshot = session.snapshot(now);
    this.enqueue(() => this.settings.outbox.saveInflight(snapshot));
  }

  /** Ends the supply: final energy, ticket into the outbox, then published. The caller transitions. */
  private endSession(cause: SessionEndCause, reason: string): void {
    const run = this.supply;
    if (!run) return;
    run.finish();
    this.supply = undefined;
    this.lastSessionId = run.session.sessionId;
    const ticket = run.session.ticket(this.clock.now(), cause, reason);
    this.countTicket(ticket);
    this.enqueue(() => this.tickets.write(ticket));
  }

  private countTicket(ticket: SessionEnd): void {
    this.counters.sessionsEnded++;
    this.counters.energyKwh += ticket.energy_kwh;
    this.counters.revenueEur += ticket.total_cost_eur;
  }

  private fault(reason: string): void {
    this.faults?.cancelFault();
    this.counters.faults++;
    this.faultReason = reason;
    if (this.supply) this.endSession('fault', `fault: ${reason}`);
    this.transition('fault_detected', reason);
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
      ts: isoTime(now),
      ...(sessionId !== undefined ? { session_id: sessionId } : {}),
    };
    this.logger.debug({ cp_id: this.cpId, from: previous, to: next, reason }, 'state changed');
    if (this.bus) {
      const change: CpStateChange = { cpId: this.cpId, previous, state: next, reason, ts: now };
      this.bus.emit('cp.state', change);
    }
    this.enqueue(() => this.transport.publish('cp.status', status));
  }

  /**
   * One telemetry tick's task: publish, then save the session as of this reading. Synchronous when
   * both were (core's `DONE`, as on the memory transport and outbox): every supplying CP runs this
   * every interval, and an async function cost a promise and three microtask turns per reading.
   */
  private sendTelemetry(message: CpTelemetry, snapshot: InflightSession): Promise<void> {
    let sent: Promise<void>;
    try {
      sent = this.transport.publish('cp.telemetry', message);
    } catch (error) {
      sent = Promise.reject(error);
    }
    if (isDone(sent)) {
      this.counters.telemetrySent++;
      return this.settings.outbox.saveInflight(snapshot);
    }
    return sent.then(
      () => {
        this.counters.telemetrySent++;
        return this.settings.outbox.saveInflight(snapshot);
      },
      async (error: unknown) => {
        await this.settings.outbox.saveInflight(snapshot);
        throw error;
      },
    );
  }

  private enqueue(task: () => Promise<void>): void {
    this.tasks.run(task);
  }

  private assertStarted(action: string): void {
    if (this.lifecycle !== 'started') {
      throw new Error(`engine "${this.cpId}": cannot ${action}, the engine is ${this.lifecycle}`);
    }
  }
}

/**
 * The charging-point engine plugin: the CP state machine (docs/wire-contract.md), supplies driven
 * by `central.commands`, `cp.status` on every transition, `cp.telemetry` every interval while
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
