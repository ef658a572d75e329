#!/usr/bin/env node
// ev-central: Central as one process (HTTP 8000, TCP 9999, Kafka). See `ev-central --help`.
import 'reflect-metadata';
import {
  CentralConfigSchema,
  type CentralStore,
  centralController,
  openCentralStore,
} from '@evcharging/central';
import { createLogger, createNode, type Plugin } from '@evcharging/core';
import { ocppGateway } from '@evcharging/ocpp';
import { centralRole } from './roles/central-role.js';
import { kafkaTransportFor } from './roles/kafka-settings.js';
import { processRandom } from './roles/process-random.js';
import { exitWithProblems, readRoleConfigOrExit } from './roles/role-cli.js';
import { runRole } from './roles/run-role.js';

const { config, sources } = await readRoleConfigOrExit(centralRole);
const program = centralRole.program;

let store: CentralStore;
try {
  store = openCentralStore(config.db_url);
} catch (error) {
  exitWithProblems(program, [
    {
      variable: 'CENTRAL_DB_URL',
      expected: `${CentralConfigSchema.properties.db_url.description} that can be opened (${(error as Error).message})`,
      received: config.db_url ?? '',
    },
  ]);
}

let central: ReturnType<typeof centralController>;
try {
  central = centralController({
    ...(config.cps_file !== undefined ? { cpsFile: config.cps_file } : {}),
    store,
    heartbeatTimeoutMs: config.heartbeat_timeout * 1000,
    http: {
      port: config.http_port,
      host: config.bind_host,
      dashboard: { maxClients: config.stream_max_clients },
    },
    tcp: {
      port: config.listen_port,
      host: config.bind_host,
      maxConnectionsPerAddress: config.tcp_max_connections_per_address,
      frameDeadlineMs: config.tcp_frame_deadline * 1000,
    },
    ...(config.api_token !== undefined ? { apiToken: config.api_token } : {}),
  });
} catch (error) {
  store.close();
  exitWithProblems(program, [
    {
      variable: 'CENTRAL_CPS_FILE',
      expected: `a readable file of CP definitions (${(error as Error).message})`,
      received: config.cps_file ?? '',
    },
  ]);
}

const logger = createLogger({ name: program, level: config.log_level });
logger.info(
  {
    http_port: config.http_port,
    listen_port: config.listen_port,
    kafka_bootstrap: config.kafka_bootstrap,
    topic_prefix: config.kafka_topic_prefix ?? '',
    store: store.kind,
    cps_file: config.cps_file ?? null,
    ocpp_port: config.ocpp_port ?? null,
    sources,
  },
  `${program} configuration`,
);

// OCPP 1.6J chargers join as CPs through the gateway when CENTRAL_OCPP_PORT is set.
const plugins: Plugin[] = [central];
if (config.ocpp_port !== undefined) {
  plugins.push(
    ocppGateway({
      central: () => central.api,
      port: config.ocpp_port,
      host: config.bind_host,
      priceEurKwh: (cpId) => central.registry.get(cpId)?.price_eur_kwh,
    }),
  );
}

const node = createNode({
  id: 'central',
  random: processRandom('central'),
  transport: kafkaTransportFor(config, 'central', logger),
  plugins,
  logger,
});

runRole({ program, node, logger, afterStop: () => store.close() });
