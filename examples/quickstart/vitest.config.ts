import { defineProject } from 'vitest/config';
import { sourceConditions } from '../../vitest.shared.js';

export default defineProject({
  ...sourceConditions,
  test: { name: 'example-quickstart', include: ['src/**/*.test.ts'], testTimeout: 60_000 },
});
