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
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
