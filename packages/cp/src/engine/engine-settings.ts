import type { SupplyKind } from '@evcharging/core';
import { constantAcModel } from '../models/constant-ac-model.js';
import type { CpModel } from '../models/cp-model.js';
import { MemoryOutbox } from '../outbox/memory-outbox.js';
import type { TicketOutbox } from '../outbox/ticket-outbox.js';
import type { ChargingPointEngineOptions, EngineHealthServerOptions, EngineStats } from './engine-types.js';
import { fixedDuration, type SessionPolicy } from './session-policy.js';

/** An engine's options with every default applied and every figure checked. */
export interface EngineSettings {
  readonly cpId: string;
  readonly name: string;
  readonly priceEurKwh: number;
  readonly telemetryIntervalMs: number;
  readonly policy: SessionPolicy;
  readonly model: CpModel;
  readonly supply: SupplyKind;
  readonly onPower: ChargingPointEngineOptions['onPower'];
  readonly groupId: string;
  readonly outbox: TicketOutbox;
  /** Undefined: no health server (simulations). */
  readonly healthServer: EngineHealthServerOptions | undefined;
  readonly outboxRetryMs: number;
}

function positive(cpId: string, option: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0)) {
    throw new RangeError(`chargingPointEngine("${cpId}"): ${option} must be a positive number, got ${value}`);
  }
  return value;
}

/** Applies the defaults; a bad figure throws an error naming the CP, the option and the value. */
export function engineSettings(options: ChargingPointEngineOptions): EngineSettings {
  if (typeof options.cpId !== 'string' || options.cpId.length === 0) {
    throw new TypeError('chargingPointEngine: cpId must be a non-empty string');
  }
  const cpId = options.cpId;
  const kw = positive(cpId, 'kw', options.kw ?? 22);
  const price = options.priceEurKwh ?? 0.3;
  if (!(Number.isFinite(price) && price >= 0)) {
    throw new RangeError(`chargingPointEngine("${cpId}"): priceEurKwh must be >= 0, got ${price}`);
  }
  const port = options.healthServer?.port;
  const model = options.model ?? constantAcModel(kw);
  return {
    cpId,
    name: options.name ?? `cp-engine/${cpId.replace(/[^a-z0-9@/._-]/gi, '_')}`,
    priceEurKwh: price,
    telemetryIntervalMs: positive(cpId, 'telemetryIntervalMs', options.telemetryIntervalMs ?? 1000),
    policy: options.policy ?? fixedDuration(10),
    model,
    supply: options.supply ?? model.supply ?? 'AC',
    onPower: options.onPower,
    groupId: options.groupId ?? `cp-engine-${cpId}`,
    outbox: options.outbox ?? new MemoryOutbox(),
    healthServer: port === undefined || port === null ? undefined : options.healthServer,
    outboxRetryMs: positive(cpId, 'outboxRetryMs', options.outboxRetryMs ?? 5000),
  };
}

/** An engine's counters, all zero. */
export function newEngineStats(): EngineStats {
  return {
    commands: 0,
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
}
