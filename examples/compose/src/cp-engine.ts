#!/usr/bin/env node
// ev-cp-engine: one charging point's engine as a process. See `ev-cp-engine --help`.
// In a terminal, k reports KO to the monitor's probes and r recovers (the course's key press);
// without one (a container), SIGUSR1 reports KO and SIGUSR2 recovers.
import 'reflect-metadata';
import { createLogger, createNode } from '@evcharging/core';
import { chargingPointEngine, engineOptionsFromConfig } from '@evcharging/cp';
import { cpEngineRole } from './roles/cp-engine-role.js';
import { kafkaTransportFor } from './roles/kafka-settings.js';
import { listenForKeys } from './roles/key-press.js';
import { KO_SIGNAL, listenForKoSignals, RECOVER_SIGNAL } from './roles/ko-signals.js';
import { processRandom } from './roles/process-random.js';
import { readRoleConfigOrExit } from './roles/role-cli.js';
import { runRole } from './roles/run-role.js';

const { config, sources } = await readRoleConfigOrExit(cpEngineRole);
const program = cpEngineRole.program;
const logger = createLogger({ name: program, level: config.log_level });
logger.info(
  {
    cp_id: config.cp_id,
    kw: config.kw_rate,
    price_eur_kwh: config.euro_rate,
    health_port: config.health_port,
    kafka_bootstrap: config.kafka_bootstrap,
    topic_prefix: config.kafka_topic_prefix ?? '',
    outbox_file: config.outbox_file ?? null,
    sources,
  },
  `${program} configuration`,
);

const engine = chargingPointEngine(engineOptionsFromConfig(config));
listenForKoSignals(process, {
  ko: () => engine.setKo(true, `KO signalled (${KO_SIGNAL})`),
  recover: () => engine.setKo(false),
});
const node = createNode({
  id: `cp-engine-${config.cp_id}`,
  random: processRandom(`cp-engine-${config.cp_id}`),
  transport: kafkaTransportFor(config, `cp-engine-${config.cp_id}`, logger),
  plugins: [engine],
  logger,
});

const control = runRole({
  program,
  node,
  logger,
  onStarted: () => {
    const stop = listenForKeys(
      process.stdin,
      {
        k: () => engine.setKo(true, 'KO pressed on the engine'),
        r: () => engine.setKo(false),
      },
      () => control.requestStop('Ctrl-C'),
    );
    if (stop) logger.info({ cp_id: config.cp_id }, 'press k to report KO, r to recover, Ctrl-C to stop');
    else
      logger.info(
        { cp_id: config.cp_id, pid: process.pid },
        `no terminal: ${KO_SIGNAL} reports KO, ${RECOVER_SIGNAL} recovers`,
      );
    return stop;
  },
});
