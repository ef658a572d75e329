import { type Static, Type } from '@sinclair/typebox';

/**
 * Central's process configuration: read by the compose entry point with
 * `loadConfig('CENTRAL', CentralConfigSchema, process.env, { fallbacks: { kafka_bootstrap: ['KAFKA_BOOTSTRAP'] } })`.
 * Field names are the original's variable suffixes (`CENTRAL_HTTP_PORT`, `CENTRAL_LISTEN_PORT`, ...).
 */
export const CentralConfigSchema = Type.Object({
  http_port: Type.Integer({
    minimum: 0,
    maximum: 65535,
    default: 8000,
    description: 'HTTP port (API, dashboard, metrics)',
  }),
  listen_port: Type.Integer({
    minimum: 0,
    maximum: 65535,
    default: 9999,
    description: 'TCP control-plane port',
  }),
  kafka_bootstrap: Type.String({
    minLength: 1,
    default: 'localhost:9092',
    description: 'Kafka bootstrap servers, host:port[,host:port]',
  }),
  db_url: Type.Optional(
    Type.String({
      description: 'Store: sqlite:///<path>, file:<path>, a path, or memory: (default in memory)',
    }),
  ),
  log_level: Type.String({ default: 'INFO', description: 'Log level (DEBUG, INFO, WARNING, ERROR)' }),
  api_token: Type.Optional(Type.String({ minLength: 1, description: 'Bearer token for operator commands' })),
  cps_file: Type.Optional(Type.String({ minLength: 1, description: 'CP definitions, JSON or CSV' })),
  heartbeat_timeout: Type.Number({
    exclusiveMinimum: 0,
    default: 5,
    description: 'Seconds without a monitor heartbeat before a CP is DISCONNECTED',
  }),
  tcp_max_connections_per_address: Type.Integer({
    minimum: 1,
    maximum: 65535,
    default: 16,
    description: 'Control-plane connections one address may hold at once (the server holds 64 in all)',
  }),
  tcp_frame_deadline: Type.Number({
    exclusiveMinimum: 0,
    maximum: 3600,
    default: 10,
    description:
      'Seconds a control-plane frame may take from its STX before it is NACKed and its connection closed',
  }),
  stream_max_clients: Type.Integer({
    minimum: 1,
    maximum: 10000,
    default: 64,
    description: 'Dashboard event streams (/api/v1/stream) open at once; further viewers get 503',
  }),
});
export type CentralConfig = Static<typeof CentralConfigSchema>;
