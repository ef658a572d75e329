import { configDefaults, defineProject } from 'vitest/config';
import { sourceConditions } from '../../vitest.shared.js';

export default defineProject({
  ...sourceConditions,
  test: {
    name: 'transport-kafka',
    include: ['src/**/*.test.ts'],
    // The hostile flood runs at its full count in a project of its own (vitest.flood.config.ts).
    exclude: [...configDefaults.exclude, 'src/kafka-flood.hostile.test.ts'],
    // One broker for every file (started here unless KAFKA_BOOTSTRAP is set); files run one at a
    // time because the restart test stops that broker.
    globalSetup: ['./src/test-support/kafka-global-setup.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
