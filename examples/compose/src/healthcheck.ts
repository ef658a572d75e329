#!/usr/bin/env node
// healthcheck <role>: the container HEALTHCHECK of each role, with only Node (the slim image has
// no curl). Exit 0 healthy, 1 not. Reads the role's own variables with the same defaults.
//   central     GET /health on CENTRAL_HTTP_PORT answers {"status":"healthy"}
//   cp-engine   the health port answers a probe line (OK:<STATE>, or KO: when switched off; the
//               monitor, not Docker, reports a KO engine)
//   cp-monitor  Central lists CP_MONITOR_CP_ID with its monitor alive (heartbeats get through)
import { getJson, pingEngine } from './local-run/probes.js';

const env = process.env;
const role = process.argv[2];

async function healthy(): Promise<boolean> {
  switch (role) {
    case 'central': {
      const health = (await getJson(`http://127.0.0.1:${env.CENTRAL_HTTP_PORT || 8000}/health`, 3_000)) as
        | { status?: string }
        | undefined;
      return health?.status === 'healthy';
    }
    case 'cp-engine': {
      const answer = await pingEngine('127.0.0.1', Number(env.CP_ENGINE_HEALTH_PORT || 8001), 3_000);
      return answer !== undefined && /^(OK|KO):/.test(answer);
    }
    case 'cp-monitor': {
      const host = env.CP_MONITOR_CENTRAL_HOST || 'localhost';
      const port = env.CP_MONITOR_CENTRAL_PORT || 8000;
      const cp = (await getJson(
        `http://${host}:${port}/cp/${encodeURIComponent(env.CP_MONITOR_CP_ID ?? '')}`,
        3_000,
      )) as { monitor_alive?: boolean } | undefined;
      return cp?.monitor_alive === true;
    }
    default:
      process.stderr.write('usage: healthcheck central|cp-engine|cp-monitor\n');
      process.exit(2);
  }
}

process.exit((await healthy()) ? 0 : 1);
