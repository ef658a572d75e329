import { CpEngineConfigSchema } from '@evcharging/cp';
import { Type } from '@sinclair/typebox';
import {
  checkBrokers,
  KAFKA_FALLBACKS,
  KAFKA_SETTINGS_MEANINGS,
  KafkaRoleSettingsSchema,
} from './kafka-settings.js';
import { KO_SIGNAL, RECOVER_SIGNAL } from './ko-signals.js';
import { checkLogLevel } from './log-level.js';
import type { RoleDefinition } from './role-cli.js';
import { checkBindable, checkHost, checkWritableFile } from './start-checks.js';

/** The engine's variables: the cp package's schema plus the Kafka settings. */
export const CpEngineRoleSchema = Type.Object({
  ...CpEngineConfigSchema.properties,
  ...KafkaRoleSettingsSchema.properties,
});

export const cpEngineRole: RoleDefinition<typeof CpEngineRoleSchema> = {
  program: 'ev-cp-engine',
  summary: "a charging point's engine: supplies energy on Central's commands, answers health probes",
  prefix: 'CP_ENGINE',
  schema: CpEngineRoleSchema,
  meanings: {
    cp_id: 'charging point id, e.g. CP-001',
    kafka_bootstrap: 'Kafka bootstrap servers, host:port[,host:port]',
    health_port: 'TCP port of the health server its monitor probes (PING -> OK:<STATE>)',
    telemetry_interval: 'seconds between telemetry messages while supplying',
    kw_rate: 'rated power, kW',
    euro_rate: 'price, EUR per kWh',
    log_level: 'DEBUG, INFO, WARNING or ERROR',
    health_host: 'interface the health server listens on',
    session_duration: 'seconds a supply lasts when the request sets no limit; 0 = until stopped',
    outbox_file: 'file keeping tickets and the supply in progress across a crash (unset: in memory)',
    ...KAFKA_SETTINGS_MEANINGS,
  },
  fallbacks: KAFKA_FALLBACKS,
  notes: [
    'KO switch: in a terminal, k makes the health probe answer KO (its monitor reports a fault) and r',
    `recovers; without one (a container), ${KO_SIGNAL} does what k does and ${RECOVER_SIGNAL} what r does:`,
    `  docker compose kill -s ${KO_SIGNAL} ev-cp-e-1     kill -${KO_SIGNAL.slice(3)} <pid>`,
  ],
  check: (config, variableOf) => [
    ...checkBrokers(config.kafka_bootstrap, variableOf('kafka_bootstrap')),
    ...checkLogLevel(config.log_level, variableOf('log_level')),
    ...checkHost(config.health_host, variableOf('health_host')),
  ],
  // On the machine that runs it: the address must be this machine's, the outbox's folder must exist.
  checkAtStart: async (config, variableOf) => [
    ...(await checkBindable(config.health_host, variableOf('health_host'))),
    ...(config.outbox_file !== undefined
      ? checkWritableFile(config.outbox_file, variableOf('outbox_file'))
      : []),
  ],
};
