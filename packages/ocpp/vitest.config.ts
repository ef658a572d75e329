import { defineProject } from 'vitest/config';
import { sourceConditions } from '../../vitest.shared.js';

// ocpp-rpc is CommonJS and `require`s ws. Vitest hands the SSR resolve conditions to Node as
// `--conditions`; with `import` among them, Node's `require('ws')` gets ws's ES module wrapper
// (whose namespace lacks the WebSocket constants) instead of its CommonJS entry. So this project
// resolves with the source conditions minus `import`.
const conditions = sourceConditions.ssr.resolve.conditions.filter((c) => c !== 'import');

export default defineProject({
  ...sourceConditions,
  ssr: { resolve: { conditions, externalConditions: ['@evcharging/source'] } },
  test: { name: 'ocpp', include: ['src/**/*.test.ts'], testTimeout: 60_000 },
});
