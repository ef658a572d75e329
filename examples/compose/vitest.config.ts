import { defineProject } from 'vitest/config';
import { sourceConditions } from '../../vitest.shared.js';

export default defineProject({
  ...sourceConditions,
  test: {
    name: 'example-compose',
    include: ['src/**/*.test.ts'],
    // One broker for the process tests (started here unless KAFKA_BOOTSTRAP is set); the files
    // that run whole topologies go one at a time: two cores cannot host two at once.
    globalSetup: ['./src/e2e/kafka-global-setup.ts'],
    fileParallelism: false,
    // After every other project: the end-to-end run measures detection times and must not share
    // two cores with the rest of the suite, nor a broker another project's test restarts.
    sequence: { groupOrder: 1 },
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
