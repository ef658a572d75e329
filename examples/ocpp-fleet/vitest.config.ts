import { defineProject } from 'vitest/config';
import { sourceConditions } from '../../vitest.shared.js';

// ocpp-rpc `require`s ws: without `import` among Node's conditions it gets ws's CommonJS entry
// (see packages/ocpp/vitest.config.ts).
const conditions = sourceConditions.ssr.resolve.conditions.filter((c) => c !== 'import');

export default defineProject({
  ...sourceConditions,
  ssr: { resolve: { conditions, externalConditions: ['@evcharging/source'] } },
  test: { name: 'example-ocpp-fleet', include: ['src/**/*.test.ts'], testTimeout: 150_000 },
});
