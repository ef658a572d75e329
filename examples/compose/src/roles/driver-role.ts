import { Type } from '@sinclair/typebox';
import {
  checkBrokers,
  KAFKA_FALLBACKS,
  KAFKA_SETTINGS_MEANINGS,
  KafkaRoleSettingsSchema,
} from './kafka-settings.js';
import { checkLogLevel } from './log-level.js';
import type { RoleDefinition } from './role-cli.js';
import { checkWritableFile } from './start-checks.js';

/**
 * The driver's variables (prefix `DRIVER`, docs/wire-contract.md §9). Fields after `log_level` are
 * additions with defaults.
 */
export const DriverRoleSchema = Type.Object({
  driver_id: Type.String({ minLength: 1, maxLength: 256 }),
  kafka_bootstrap: Type.String({ minLength: 1, default: 'localhost:9092' }),
  requests_file: Type.String({ minLength: 1, description: 'the path of a requests file' }),
  request_interval: Type.Number({ minimum: 0, default: 4.0 }),
  log_level: Type.String({ minLength: 1, default: 'INFO' }),
  request_timeout: Type.Number({ exclusiveMinimum: 0, default: 30 }),
  state_file: Type.Optional(Type.String({ minLength: 1 })),
  loop: Type.Boolean({ default: false }),
  start_delay: Type.Number({ minimum: 0, default: 0 }),
  ...KafkaRoleSettingsSchema.properties,
});

export const driverRole: RoleDefinition<typeof DriverRoleSchema> = {
  program: 'ev-driver',
  summary: 'a driver: sends the charging requests of its file one by one and reports the tickets',
  prefix: 'DRIVER',
  schema: DriverRoleSchema,
  meanings: {
    driver_id: 'driver id, e.g. driver-alice',
    kafka_bootstrap: 'Kafka bootstrap servers, host:port[,host:port]',
    requests_file: 'file of CP ids, one per line (# comments; optional kwh=<n> duration=<s> after the id)',
    request_interval: 'seconds to wait between the end of one request and the next',
    log_level: 'DEBUG, INFO, WARNING or ERROR',
    request_timeout: 'seconds without any update before a request counts as timed out',
    state_file:
      'file keeping pending requests and results, so a restarted driver reports what happened while it was down',
    loop: 'true: go through the file again and again until stopped; false: exit when done',
    start_delay: 'seconds to wait before the first request',
    ...KAFKA_SETTINGS_MEANINGS,
  },
  fallbacks: KAFKA_FALLBACKS,
  check: (config, variableOf) => [
    ...checkBrokers(config.kafka_bootstrap, variableOf('kafka_bootstrap')),
    ...checkLogLevel(config.log_level, variableOf('log_level')),
  ],
  // On the machine that runs it (a compose file names a path inside the container).
  checkAtStart: async (config, variableOf) =>
    config.state_file !== undefined ? checkWritableFile(config.state_file, variableOf('state_file')) : [],
};
