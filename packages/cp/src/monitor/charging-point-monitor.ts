import {
  type Clock,
  definePlugin,
  isoTime,
  type Logger,
  type MonitorAck,
  type MonitorFaultReport,
  type MonitorRegistration,
  type Plugin,
  type PluginContext,
  type Random,
  type TimerHandle,
} from '@evcharging/core';
import type { ProbeResult } from '../health/health-answer.js';

import type { CentralLink } from './central-link.js';
import type { EngineLink } from './engine-link.js';
import { everyShared } from './shared-ticker.js';

/** Extra registration fields Central may use (all optional; the original sent none of them). */
export interface MonitorRegistrationExtras {
  location?: string;
  price_eur_kwh?: number;
  kw?: number;
}

export interface ChargingPointMonitorOptions {
  /** Charging point id. Required. */
  cpId: string;
  /** How to probe the engine (`tcpEngineLink` or `inProcessEngineLink`). Required. */
  engine: EngineLink;
  /** How to reach Central (`httpCentralLink` or `inProcessCentralLink`). Required. */
  central: CentralLink;
  /** Probe interval, ms (default 1,000, `CP_MONITOR_HEALTH_INTERVAL`). */
  intervalMs?: number;
  /** Consecutive failed probes that make a fault (default 3; 1 reports on the first failure). */
  failureThreshold?: number;
  /** Heartbeat interval, ms (default: the probe interval). */
  heartbeatIntervalMs?: number;
  /** First registration retry delay, ms (default 1,000; doubles up to `registerMaxBackoffMs`). */
  registerBackoffMs?: number;
  /** Longest registration retry delay, ms (default 30,000). */
  registerMaxBackoffMs?: number;
  /** Added to the registration. */
  registration?: MonitorRegistrationExtras;
  /** Plugin name (default `cp-monitor/<cpId>`). */
  name?: string;
}

/** What the monitor believes about its engine. */
export type MonitorVerdict = 'UNKNOWN' | 'HEALTHY' | 'FAULT';

/** Counters of one monitor. */
export interface MonitorStats {
  probes: number;
  probeFailures: number;
  registrationAttempts: number;
  heartbeats: number;
  heartbeatFailures: number;
  faultReports: number;
  healthyReports: number;
  reportFailures: number;
}

/** The monitor plugin with its read-only view (usable after the node started). */
export interface ChargingPointMonitorPlugin extends Plugin {
  readonly cpId: string;
  start(ctx: PluginContext): void;
  stop(): Promise<void>;
  readonly verdict: MonitorVerdict;
  readonly registered: boolean;
  readonly consecutiveFailures: number;
  /** Reason of the last failed probe. */
  readonly lastFailure: string | undefined;
  readonly stats: Readonly<MonitorStats>;
  report(): Record<string, unknown>;
}

interface PendingReport {
  status: 'FAULT' | 'HEALTHY';
  reason: string;
}

function positive(cpId: string, option: string, value: number, integer = false): number {
  if (!(Number.isFinite(value) && value > 0) || (integer && !Number.isInteger(value))) {
    throw new RangeError(
      `chargingPointMonitor("${cpId}"): ${option} must be a positive ${integer ? 'integer' : 'number'}, got ${value}`,
    );
  }
  return value;
}

/**
 * One charging point's monitor: probes the engine, registers with Central (retrying with backoff),
 * sends heartbeats, and reports FAULT after `failureThreshold` consecutive failures and HEALTHY on
 * the first success after that. One timer per monitor; reports Central could not take are resent.
 */
class ChargingPointMonitor implements ChargingPointMonitorPlugin {
  readonly name: string;
  readonly cpId: string;
  private readonly engine: EngineLink;
  private readonly central: CentralLink;
  private readonly intervalMs: number;
  private readonly threshold: number;
  private readonly heartbeatMs: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly extras: MonitorRegistrationExtras | undefined;

  private clock!: Clock;
  private logger!: Logger;
  private random!: Random;
  private running = false;
  private tickTimer: TimerHandle | undefined;
  private registerTimer: TimerHandle | undefined;
  private isRegistered = false;
  private registering = false;
  private registerAttempt = 0;
  private probing = false;
  /** A tick came while a probe was still out: the next probe is due as soon as that one ends. */
  private probeOverdue = false;
  private heartbeating = false;
  private reporting = false;
  private lastHeartbeatMs = 0;
  private failures = 0;
  private failureReason: string | undefined;
  private currentVerdict: MonitorVerdict = 'UNKNOWN';
  private pending: PendingReport | undefined;
  private readonly counters: MonitorStats = {
    probes: 0,
    probeFailures: 0,
    registrationAttempts: 0,
    heartbeats: 0,
    heartbeatFailures: 0,
    faultReports: 0,
    healthyReports: 0,
    reportFailures: 0,
  };

  constructor(options: ChargingPointMonitorOptions) {
    if (typeof options.cpId !== 'string' || options.cpId.length === 0) {
      throw new TypeError('chargingPointMonitor: cpId must be a non-empty string');
    }
    this.cpId = options.cpId;
    if (!options.engine || !options.central) {
      throw new TypeError(`chargingPointMonitor("${this.cpId}"): the engine and central links are required`);
    }
    this.name = options.name ?? `cp-monitor/${options.cpId.replace(/[^a-z0-9@/._-]/gi, '_')}`;
    this.engine = options.engine;
    this.central = options.central;
    this.intervalMs = positive(this.cpId, 'intervalMs', options.intervalMs ?? 1000);
    this.threshold = positive(this.cpId, 'failureThreshold', options.failureThreshold ?? 3, true);
    this.heartbeatMs = positive(
      this.cpId,
      'heartbeatIntervalMs',
      options.heartbeatIntervalMs ?? this.intervalMs,
    );
    this.backoffMs = positive(this.cpId, 'registerBackoffMs', options.registerBackoffMs ?? 1000);
    this.maxBackoffMs = Math.max(this.backoffMs, options.registerMaxBackoffMs ?? 30_000);
    this.extras = options.registration;
  }

  get verdict(): MonitorVerdict {
    return this.currentVerdict;
  }

  get registered(): boolean {
    return this.isRegistered;
  }

  get consecutiveFailures(): number {
    return this.failures;
  }

  get lastFailure(): string | undefined {
    return this.failureReason;
  }

  get stats(): Readonly<MonitorStats> {
    return { ...this.counters };
  }

  start(ctx: PluginContext): void {
    if (this.running || this.clock) {
      throw new Error(`monitor "${this.cpId}" was already started; create a new plugin to restart it`);
    }
    this.clock = ctx.clock;
    this.logger = ctx.logger;
    this.random = ctx.random;
    this.running = true;
    this.tickTimer = everyShared(
      this.clock,
      this.intervalMs,
      () => this.tick(),
      (error) => this.logger.error({ err: error }, 'monitor tick failed'),
    );
    this.registerWithCentral();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.tickTimer?.cancel();
    this.registerTimer?.cancel();
    this.tickTimer = undefined;
    this.registerTimer = undefined;
    await this.engine.close?.();
  }

  report(): Record<string, unknown> {
    return {
      cp_id: this.cpId,
      verdict: this.currentVerdict,
      registered: this.isRegistered,
      ...this.counters,
    };
  }

  private tick(): void {
    if (!this.running) return;
    if (this.probing) this.probeOverdue = true;
    else this.probe();
    if (
      this.isRegistered &&
      !this.heartbeating &&
      this.clock.now() - this.lastHeartbeatMs >= this.heartbeatMs
    ) {
      this.heartbeat();
    }
    this.sendPendingReport();
  }

  /**
   * One probe at a time: a probe that outlasts the interval (a connect that waits out its timeout on
   * an engine that just died) is followed at once by the one its missed tick was due for, not a whole
   * interval later. Skipping that tick made three failed probes span up to four intervals instead of
   * three, and Central see FAULT a second late.
   */
  private probe(): void {
    this.probing = true;
    this.probeOverdue = false;
    if (this.engine.probeNow) {
      this.onProbe(this.engine.probeNow());
      return;
    }
    this.engine.probe().then(
      (result) => this.onProbe(result),
      (error: unknown) => this.onProbe({ ok: false, reason: `probe failed: ${(error as Error).message}` }),
    );
  }

  private onProbe(result: ProbeResult): void {
    this.probing = false;
    if (!this.running) return;
    this.judge(result);
    if (this.probeOverdue) this.probe(); // judging a result cannot stop the monitor
  }

  /** Counts one probe's outcome; reports FAULT at the threshold and HEALTHY on the first success after. */
  private judge(result: ProbeResult): void {
    this.counters.probes++;
    if (result.ok) {
      this.failures = 0;
      this.failureReason = undefined;
      if (this.currentVerdict === 'FAULT') {
        this.currentVerdict = 'HEALTHY';
        this.pending = { status: 'HEALTHY', reason: `engine answers OK:${result.state}` };
        this.logger.info({ cp_id: this.cpId }, 'engine healthy again');
        this.sendPendingReport();
      } else {
        this.currentVerdict = 'HEALTHY';
      }
      return;
    }
    this.counters.probeFailures++;
    this.failures++;
    this.failureReason = result.reason;
    if (this.failures >= this.threshold && this.currentVerdict !== 'FAULT') {
      this.currentVerdict = 'FAULT';
      const reason = `${this.failures} consecutive failed probe${this.failures > 1 ? 's' : ''}: ${result.reason}`;
      this.pending = { status: 'FAULT', reason };
      this.logger.warn({ cp_id: this.cpId, reason }, 'engine fault detected');
      this.sendPendingReport();
    }
  }

  // ---- Central -------------------------------------------------------------------------------

  private registerWithCentral(): void {
    if (!this.running || this.registering || this.isRegistered) return;
    this.registering = true;
    this.registerAttempt++;
    this.counters.registrationAttempts++;
    const registration: MonitorRegistration = {
      cp_id: this.cpId,
      cp_e_host: this.engine.host,
      cp_e_port: this.engine.port,
      ts: isoTime(this.clock.now()),
      ...this.extras,
    };
    this.call(() => this.central.register(registration)).then((ack) => {
      this.registering = false;
      if (!this.running) return;
      if (ack.ok) {
        this.isRegistered = true;
        this.registerAttempt = 0;
        this.lastHeartbeatMs = this.clock.now();
        this.logger.debug({ cp_id: this.cpId }, 'registered with Central');
        this.sendPendingReport();
        return;
      }
      // Exponential backoff with jitter, drawn from the seeded stream: a thousand monitors that
      // lost Central together do not all come back in the same millisecond.
      const base = Math.min(this.maxBackoffMs, this.backoffMs * 2 ** (this.registerAttempt - 1));
      const delay = base * (0.5 + this.random.next() / 2);
      this.logger.warn(
        { cp_id: this.cpId, reason: ack.reason, attempt: this.registerAttempt, retry_ms: Math.round(delay) },
        'registration failed; retrying',
      );
      this.registerTimer = this.clock.setTimeout(() => {
        this.registerTimer = undefined;
        this.registerWithCentral();
      }, delay);
    });
  }

  private heartbeat(): void {
    this.heartbeating = true;
    this.lastHeartbeatMs = this.clock.now();
    let sent: Promise<MonitorAck>;
    try {
      sent = this.central.heartbeat({ cp_id: this.cpId, ts: isoTime(this.lastHeartbeatMs) });
    } catch (error) {
      sent = Promise.reject(error);
    }
    // Per-call closures rather than handlers bound per monitor: they die young, and fields would
    // cost every idle CP of a large fleet their bytes (memory-per-cp).
    sent.then(acknowledged, unreachable).then((ack) => this.onHeartbeatAck(ack));
  }

  private onHeartbeatAck(ack: MonitorAck & { refused?: boolean }): void {
    this.heartbeating = false;
    if (!this.running) return;
    if (ack.ok) {
      this.counters.heartbeats++;
      return;
    }
    this.counters.heartbeatFailures++;
    if (ack.refused) {
      // Central answered but does not know this CP (e.g. restarted on an empty store): register again.
      this.logger.warn({ cp_id: this.cpId, reason: ack.reason }, 'heartbeat refused; registering again');
      this.isRegistered = false;
      this.registerWithCentral();
    }
  }

  private sendPendingReport(): void {
    const report = this.pending;
    if (!report || !this.isRegistered || this.reporting || !this.running) return;
    this.reporting = true;
    const body: MonitorFaultReport = {
      cp_id: this.cpId,
      status: report.status,
      reason: report.reason,
      ts: isoTime(this.clock.now()),
    };
    this.call(() => this.central.reportFault(body)).then((ack) => {
      this.reporting = false;
      if (ack.ok) {
        if (report.status === 'FAULT') this.counters.faultReports++;
        else this.counters.healthyReports++;
        if (this.pending === report) this.pending = undefined;
        else this.sendPendingReport(); // the verdict changed while this report was in flight
        return;
      }
      this.counters.reportFailures++;
      this.logger.warn(
        { cp_id: this.cpId, status: report.status, reason: ack.reason },
        'report not accepted',
      );
      // Kept pending: the next tick sends it again.
    });
  }

  /** A Central call that never rejects: unreachable → `{ ok: false }`, refused → also `refused`. */
  private call(fn: () => Promise<MonitorAck>): Promise<MonitorAck & { refused?: boolean }> {
    let promise: Promise<MonitorAck>;
    try {
      promise = fn();
    } catch (error) {
      promise = Promise.reject(error);
    }
    return promise.then(acknowledged, unreachable);
  }
}

/** Central answered: `{ ok: false }` from Central itself is a refusal. */
function acknowledged(ack: MonitorAck): MonitorAck & { refused?: boolean } {
  return ack.ok ? ack : { ...ack, refused: true };
}

/** Central could not be reached. */
function unreachable(error: unknown): MonitorAck {
  return { ok: false, reason: error instanceof Error ? error.message : String(error) };
}

/**
 * The charging-point monitor plugin (EV_CP_M): probes its engine every interval, registers the CP
 * with Central, sends heartbeats, and reports faults and recoveries.
 *
 * @example
 * const monitor = chargingPointMonitor({
 *   cpId: 'CP-001',
 *   engine: tcpEngineLink({ host: 'localhost', port: 8001 }),
 *   central: httpCentralLink({ host: 'localhost', port: 8000 }),
 * });
 * await createNode({ id: 'cp-monitor-1', transport, plugins: [monitor] }).start();
 */
export function chargingPointMonitor(options: ChargingPointMonitorOptions): ChargingPointMonitorPlugin {
  return definePlugin(new ChargingPointMonitor(options));
}
