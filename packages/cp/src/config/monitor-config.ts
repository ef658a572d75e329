import { type Static, Type } from '@sinclair/typebox';
import type { ChargingPointMonitorOptions } from '../monitor/charging-point-monitor.js';
import { httpCentralLink } from '../monitor/http-central-link.js';
import { tcpEngineLink } from '../monitor/tcp-engine-link.js';

/**
 * The monitor's environment (prefix `CP_MONITOR`, docs/wire-contract.md §9): field names are the original's
 * variable suffixes (`CP_MONITOR_CP_E_HOST`, `CP_MONITOR_HEALTH_INTERVAL`, ...). Fields after
 * `log_level` are additions with defaults.
 *
 * @example
 * const config = loadConfig('CP_MONITOR', CpMonitorConfigSchema, process.env);
 * const monitor = chargingPointMonitor(monitorOptionsFromConfig(config));
 */
export const CpMonitorConfigSchema = Type.Object({
  cp_id: Type.String({ minLength: 1, maxLength: 256 }),
  cp_e_host: Type.String({ minLength: 1, default: 'localhost' }),
  cp_e_port: Type.Integer({ minimum: 1, maximum: 65535, default: 8001 }),
  central_host: Type.String({ minLength: 1, default: 'localhost' }),
  central_port: Type.Integer({ minimum: 1, maximum: 65535, default: 8000 }),
  /** Seconds between probes (and heartbeats). */
  health_interval: Type.Number({ exclusiveMinimum: 0, default: 1.0 }),
  log_level: Type.String({ minLength: 1, default: 'INFO' }),
  /** Consecutive failed probes that make a fault (addition). */
  failure_threshold: Type.Integer({ minimum: 1, default: 3 }),
  /** Seconds (addition). */
  connect_timeout: Type.Number({ exclusiveMinimum: 0, default: 2.0 }),
  /** Seconds (addition). */
  read_timeout: Type.Number({ exclusiveMinimum: 0, default: 1.0 }),
  /** Per-CP secret sent to Central, when Central's config has one (addition). */
  secret: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
});
export type CpMonitorConfig = Static<typeof CpMonitorConfigSchema>;

/** Monitor options from a loaded {@link CpMonitorConfigSchema} config: TCP engine link, HTTP Central link. */
export function monitorOptionsFromConfig(
  config: CpMonitorConfig,
  overrides: Partial<ChargingPointMonitorOptions> = {},
): ChargingPointMonitorOptions {
  return {
    cpId: config.cp_id,
    engine: tcpEngineLink({
      host: config.cp_e_host,
      port: config.cp_e_port,
      connectTimeoutMs: config.connect_timeout * 1000,
      readTimeoutMs: config.read_timeout * 1000,
    }),
    central: httpCentralLink({
      host: config.central_host,
      port: config.central_port,
      ...(config.secret !== undefined ? { secret: config.secret } : {}),
    }),
    intervalMs: config.health_interval * 1000,
    failureThreshold: config.failure_threshold,
    ...overrides,
  };
}
