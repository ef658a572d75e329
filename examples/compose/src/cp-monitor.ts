#!/usr/bin/env node
// ev-cp-monitor: one charging point's monitor as a process. See `ev-cp-monitor --help`.
import 'reflect-metadata';
import { createLogger, createNode } from '@evcharging/core';
import { chargingPointMonitor, monitorOptionsFromConfig } from '@evcharging/cp';
import { MemoryBroker } from '@evcharging/transport-memory';
import { cpMonitorRole } from './roles/cp-monitor-role.js';
import { processRandom } from './roles/process-random.js';
import { readRoleConfigOrExit } from './roles/role-cli.js';
import { runRole } from './roles/run-role.js';

const { config, sources } = await readRoleConfigOrExit(cpMonitorRole);
const program = cpMonitorRole.program;
const logger = createLogger({ name: program, level: config.log_level });
logger.info(
  {
    cp_id: config.cp_id,
    engine: `${config.cp_e_host}:${config.cp_e_port}`,
    central: `${config.central_host}:${config.central_port}`,
    health_interval: config.health_interval,
    sources,
  },
  `${program} configuration`,
);

// The monitor talks to its engine over TCP and to Central over HTTP, never to the broker
// (docs/wire-contract.md §9): its node gets an in-process transport that nothing else shares.
const node = createNode({
  id: `cp-monitor-${config.cp_id}`,
  random: processRandom(`cp-monitor-${config.cp_id}`),
  transport: new MemoryBroker().transport(`cp-monitor-${config.cp_id}`),
  plugins: [chargingPointMonitor(monitorOptionsFromConfig(config))],
  logger,
});

runRole({ program, node, logger });
