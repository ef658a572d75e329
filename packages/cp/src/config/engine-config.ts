import { type Static, Type } from '@sinclair/typebox';
import type { ChargingPointEngineOptions } from '../engine/charging-point-engine.js';
import { fixedDuration, manualStop } from '../engine/session-policy.js';
import { FileOutbox } from '../outbox/file-outbox.js';

/**
 * The engine's environment (prefix `CP_ENGINE`, docs/wire-contract.md §9): field names are the original's
 * variable suffixes, so `loadConfig('CP_ENGINE', CpEngineConfigSchema)` reads `CP_ENGINE_CP_ID`,
 * `CP_ENGINE_KW_RATE`, ... Fields after `log_level` are additions with defaults.
 *
 * @example
 * const config = loadConfig('CP_ENGINE', CpEngineConfigSchema, process.env, { fallbacks: { kafka_bootstrap: ['KAFKA_BOOTSTRAP'] } });
 * const engine = chargingPointEngine(engineOptionsFromConfig(config));
 */
export const CpEngineConfigSchema = Type.Object({
  cp_id: Type.String({ minLength: 1, maxLength: 256 }),
  kafka_bootstrap: Type.String({ minLength: 1, default: 'localhost:9092' }),
  health_port: Type.Integer({ minimum: 0, maximum: 65535, default: 8001 }),
  /** Seconds. */
  telemetry_interval: Type.Number({ exclusiveMinimum: 0, default: 1.0 }),
  kw_rate: Type.Number({ exclusiveMinimum: 0, default: 22.0 }),
  euro_rate: Type.Number({ minimum: 0, default: 0.3 }),
  log_level: Type.String({ minLength: 1, default: 'INFO' }),
  /** Interface of the health server (addition). */
  health_host: Type.String({ minLength: 1, default: '0.0.0.0' }),
  /** Seconds a supply lasts when the request sets no limit; 0 = until stopped (addition). */
  session_duration: Type.Number({ minimum: 0, default: 10 }),
  /** File of the durable ticket outbox; unset = in memory, tickets lost on a crash (addition). */
  outbox_file: Type.Optional(Type.String({ minLength: 1 })),
});
export type CpEngineConfig = Static<typeof CpEngineConfigSchema>;

/** Engine options from a loaded {@link CpEngineConfigSchema} config (seconds → ms, file outbox). */
export function engineOptionsFromConfig(
  config: CpEngineConfig,
  overrides: Partial<ChargingPointEngineOptions> = {},
): ChargingPointEngineOptions {
  return {
    cpId: config.cp_id,
    kw: config.kw_rate,
    priceEurKwh: config.euro_rate,
    telemetryIntervalMs: config.telemetry_interval * 1000,
    policy: config.session_duration > 0 ? fixedDuration(config.session_duration) : manualStop(),
    healthServer: { port: config.health_port, host: config.health_host },
    ...(config.outbox_file !== undefined ? { outbox: new FileOutbox(config.outbox_file) } : {}),
    ...overrides,
  };
}
