import { configDefaults, defineProject } from 'vitest/config';
import { sourceConditions } from '../../vitest.shared.js';

// The hostile flood at its full count (10,000 records per topic, 216 MB; ~3.5 min on a quiet
// 2-core machine), as a project of its own that runs after every other one, alone: it keeps a core
// busy, and nothing timing-sensitive should share the machine with it. HOSTILE_KAFKA_COUNT
// overrides the count.
export default defineProject({
  ...sourceConditions,
  test: {
    name: 'transport-kafka-flood',
    include: ['src/kafka-flood.hostile.test.ts'],
    exclude: [...configDefaults.exclude],
    globalSetup: ['./src/test-support/kafka-global-setup.ts'],
    env: { HOSTILE_KAFKA_COUNT: process.env.HOSTILE_KAFKA_COUNT ?? '10000' },
    sequence: { groupOrder: 2 },
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
