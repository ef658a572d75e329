import type { CpState, Plugin, PluginContext, SupplyKind } from '@evcharging/core';
import type { ProbeResult } from '../health/health-answer.js';
import type { CpModel } from '../models/cp-model.js';
import type { TicketOutbox } from '../outbox/ticket-outbox.js';
import type { SessionPolicy } from './session-policy.js';
import type { PowerSample } from './supply-run.js';

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
  /** AC or DC, which of a vehicle's limits applies (default the model's, else AC). */
  supply?: SupplyKind;
  /**
   * Called at every change of a session's power (start, each interval, a new limit, the end at
   * 0 kW): the exact power trace, for property tests and studies. Default none (no cost).
   */
  onPower?: (sample: PowerSample) => void;
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
  /** The vehicle's state of charge, % (undefined without a vehicle). */
  readonly soc: number | undefined;
  /** The allocation honoured, kW (undefined: no limit). */
  readonly limitKw: number | undefined;
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
  /**
   * Limits the session in progress to `limitKw` from now (undefined lifts the limit): what a
   * `set_power_limit` command does (`seq`, its number, is echoed in telemetry as `limit_seq`).
   * False when no supply runs or it is another session's.
   */
  setPowerLimit(limitKw: number | undefined, sessionId?: string, seq?: number): boolean;
  /** The KO switch (the course's key press): probes answer KO while on; the state is unchanged. */
  setKo(on: boolean, reason?: string): void;
  /** Resolves once every status, telemetry and ticket queued so far has been handed to the transport. */
  whenIdle(): Promise<void>;
  report(): Record<string, unknown>;
}
