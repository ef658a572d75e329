import { CentralConfigSchema } from '@evcharging/central';
import { Type } from '@sinclair/typebox';
import {
  checkBrokers,
  KAFKA_FALLBACKS,
  KAFKA_SETTINGS_MEANINGS,
  KafkaRoleSettingsSchema,
} from './kafka-settings.js';
import { checkLogLevel } from './log-level.js';
import type { RoleDefinition } from './role-cli.js';
import { checkBindable, checkHost } from './start-checks.js';

/** Central's variables: the central package's schema, where to bind, and the Kafka settings. */
export const CentralRoleSchema = Type.Object({
  ...CentralConfigSchema.properties,
  bind_host: Type.String({ minLength: 1, default: '0.0.0.0' }),
  ocpp_port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
  ...KafkaRoleSettingsSchema.properties,
});

export const centralRole: RoleDefinition<typeof CentralRoleSchema> = {
  program: 'ev-central',
  summary: 'Central: CP registry, sessions, faults, HTTP API and dashboard, TCP control plane',
  prefix: 'CENTRAL',
  schema: CentralRoleSchema,
  meanings: {
    http_port: 'HTTP port: /health, /cp, the REST API under /api/v1, the dashboard, /metrics',
    listen_port: 'TCP control-plane port (STX/ETX/LRC frames)',
    kafka_bootstrap: 'Kafka bootstrap servers, host:port[,host:port]',
    db_url: 'store: sqlite:///<path> (or a path, file:<path>); unset or memory: keeps state in memory only',
    log_level: 'DEBUG, INFO, WARNING or ERROR',
    api_token: 'bearer token operator commands must carry (unset: no token needed)',
    cps_file:
      'CP definitions (JSON or CSV: cp_id, location, price_eur_kwh, kw) shown before their monitors connect',
    heartbeat_timeout: 'seconds without a monitor heartbeat before a CP shows DISCONNECTED',
    tcp_max_connections_per_address:
      'TCP control-plane connections one address may hold at once (the next is NACKed and closed; 64 in all)',
    tcp_frame_deadline:
      'seconds a TCP control-plane frame may take from its STX to its end before it is NACKed and its connection closed',
    stream_max_clients: 'dashboard event streams (/api/v1/stream) open at once; further viewers get 503',
    bind_host: 'interface the HTTP and TCP servers listen on (127.0.0.1 for this machine only)',
    ocpp_port:
      'port of the OCPP 1.6J gateway: chargers connect at ws://<host>:<port>/ocpp/<cp_id> (unset: no gateway; the compose file sets 9000)',
    ...KAFKA_SETTINGS_MEANINGS,
  },
  fallbacks: KAFKA_FALLBACKS,
  check: (config, variableOf) => [
    ...checkBrokers(config.kafka_bootstrap, variableOf('kafka_bootstrap')),
    ...checkLogLevel(config.log_level, variableOf('log_level')),
    ...checkHost(config.bind_host, variableOf('bind_host')),
  ],
  checkAtStart: (config, variableOf) => checkBindable(config.bind_host, variableOf('bind_host')),
};
