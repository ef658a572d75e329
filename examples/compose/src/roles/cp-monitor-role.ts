import { CpMonitorConfigSchema } from '@evcharging/cp';
import { checkLogLevel } from './log-level.js';
import type { RoleDefinition } from './role-cli.js';
import { checkHost } from './start-checks.js';

/** The monitor's variables: the cp package's schema (it talks to no broker). */
export const cpMonitorRole: RoleDefinition<typeof CpMonitorConfigSchema> = {
  program: 'ev-cp-monitor',
  summary: "a charging point's monitor: probes its engine, registers with Central, reports faults",
  prefix: 'CP_MONITOR',
  schema: CpMonitorConfigSchema,
  meanings: {
    cp_id: 'charging point id, e.g. CP-001',
    cp_e_host: "host of the CP's engine",
    cp_e_port: "engine's health port",
    central_host: "Central's host",
    central_port: "Central's HTTP port",
    health_interval: 'seconds between probes (and heartbeats)',
    log_level: 'DEBUG, INFO, WARNING or ERROR',
    failure_threshold: 'consecutive failed probes that make a fault',
    connect_timeout: 'seconds to connect to the engine',
    read_timeout: "seconds to wait for the engine's answer",
    secret: 'per-CP secret sent to Central, when Central has one for this CP',
  },
  // A host that does not resolve yet (its service is not up) is retried; bad syntax never works.
  check: (config, variableOf) => [
    ...checkLogLevel(config.log_level, variableOf('log_level')),
    ...checkHost(config.cp_e_host, variableOf('cp_e_host')),
    ...checkHost(config.central_host, variableOf('central_host')),
  ],
};
