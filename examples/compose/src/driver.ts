#!/usr/bin/env node
// ev-driver: one driver as a process; exits when its requests file is done (0: all completed).
// See `ev-driver --help`.
import 'reflect-metadata';
import { rmSync } from 'node:fs';
import { createLogger, createNode } from '@evcharging/core';
import {
  type DriverRequestSpec,
  driverClient,
  JsonFileDriverStateStore,
  loadRequestsFile,
} from '@evcharging/driver';
import { driverRole } from './roles/driver-role.js';
import { kafkaTransportFor } from './roles/kafka-settings.js';
import { processRandom } from './roles/process-random.js';
import { exitWithProblems, readRoleConfigOrExit } from './roles/role-cli.js';
import { runRole } from './roles/run-role.js';

const { config, sources } = await readRoleConfigOrExit(driverRole);
const program = driverRole.program;

let requests: DriverRequestSpec[];
try {
  requests = await loadRequestsFile(config.requests_file);
} catch (error) {
  exitWithProblems(program, [
    {
      variable: 'DRIVER_REQUESTS_FILE',
      expected: `a readable requests file (${(error as Error).message})`,
      received: config.requests_file,
    },
  ]);
}

const logger = createLogger({ name: program, level: config.log_level });

// A restart after a kill resumes the list (and reports what happened meanwhile); a restart after
// the list was done goes through it again, as `docker compose restart ev-driver` promises.
const store = config.state_file !== undefined ? new JsonFileDriverStateStore(config.state_file) : undefined;
if (store && !config.loop) {
  let previous: Awaited<ReturnType<JsonFileDriverStateStore['load']>>;
  try {
    previous = await store.load();
  } catch (error) {
    exitWithProblems(program, [
      {
        variable: 'DRIVER_STATE_FILE',
        expected: `a driver state file or a path to create one (${(error as Error).message})`,
        received: config.state_file!,
      },
    ]);
  }
  if (previous && previous.pending.length === 0 && previous.cursor >= requests.length) {
    logger.info(
      { state_file: config.state_file, results: previous.results.length },
      'the previous run finished its list: starting it again',
    );
    rmSync(config.state_file!, { force: true });
  }
}
logger.info(
  {
    driver_id: config.driver_id,
    requests_file: config.requests_file,
    requests: requests.length,
    kafka_bootstrap: config.kafka_bootstrap,
    topic_prefix: config.kafka_topic_prefix ?? '',
    state_file: config.state_file ?? null,
    sources,
  },
  `${program} configuration`,
);

const driver = driverClient({
  driverId: config.driver_id,
  requests,
  intervalMs: config.request_interval * 1000,
  timeoutMs: config.request_timeout * 1000,
  startDelayMs: config.start_delay * 1000,
  loop: config.loop,
  ...(store ? { store } : {}),
});
const node = createNode({
  id: `driver-${config.driver_id}`,
  random: processRandom(`driver-${config.driver_id}`),
  transport: kafkaTransportFor(config, `driver-${config.driver_id}`, logger),
  plugins: [driver],
  logger,
});

runRole({
  program,
  node,
  logger,
  // Resolves when the list is done; also on a stop, but then the stop's own exit code wins.
  finished: driver.done.then(() => {
    const summary = driver.summary();
    logger.info({ summary }, `${program} finished`);
    return summary.completed === summary.requests ? 0 : 1;
  }),
});
