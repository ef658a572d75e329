import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type CommandResult, childEnv, roleArgs, run } from '../e2e/process-support.js';
import { ROLES, type RoleName } from './index.js';

const dir = mkdtempSync(resolve(tmpdir(), 'ev-start-checks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const missing = resolve(dir, 'no-such-folder', 'file.json');

// The broker is never reached: each of these must stop before the role connects to anything.
const cases: [RoleName, string, Record<string, string>][] = [
  [
    'central',
    'CENTRAL_BIND_HOST: expected an address of this machine',
    { CENTRAL_BIND_HOST: 'nohost.invalid' },
  ],
  [
    'cp-engine',
    'CP_ENGINE_HEALTH_HOST: expected an address of this machine',
    { CP_ENGINE_CP_ID: 'CP-001', CP_ENGINE_HEALTH_HOST: 'nohost.invalid' },
  ],
  [
    'cp-monitor',
    'CP_MONITOR_CP_E_HOST: expected a host name',
    { CP_MONITOR_CP_ID: 'CP-001', CP_MONITOR_CP_E_HOST: 'no such host!' },
  ],
  [
    'cp-monitor',
    'CP_MONITOR_CENTRAL_HOST: expected a host name',
    { CP_MONITOR_CP_ID: 'CP-001', CP_MONITOR_CENTRAL_HOST: 'no such host!' },
  ],
  [
    'cp-engine',
    'CP_ENGINE_OUTBOX_FILE: expected a file path in an existing, writable folder',
    { CP_ENGINE_CP_ID: 'CP-001', CP_ENGINE_OUTBOX_FILE: missing },
  ],
  [
    'driver',
    'DRIVER_STATE_FILE: expected a file path in an existing, writable folder',
    {
      DRIVER_DRIVER_ID: 'd',
      DRIVER_REQUESTS_FILE: resolve(import.meta.dirname, '../../requests.txt'),
      DRIVER_STATE_FILE: missing,
    },
  ],
];

describe('role entry points as processes: hosts, bind addresses and files checked at start', () => {
  it('each of the six exits 2 at once with one line naming the variable, no stack trace', async () => {
    // Two at a time: two cores, and each process starts tsx.
    const results: CommandResult[] = [];
    for (let i = 0; i < cases.length; i += 2) {
      const pair = cases.slice(i, i + 2).map(([role, , env]) =>
        run(process.execPath, roleArgs(role), {
          // An unreachable broker: a role that got as far as Kafka would retry it until killed.
          env: childEnv({ KAFKA_BOOTSTRAP: '127.0.0.1:1', ...env }),
          timeoutMs: 90_000,
        }),
      );
      results.push(...(await Promise.all(pair)));
    }
    cases.forEach(([role, message], i) => {
      const result = results[i]!;
      expect(result.code, `${role}: ${result.stderr}${result.stdout}`).toBe(2);
      expect(result.stderr).toContain(message);
      expect(result.stderr).toContain(`Run ${ROLES[role].program} --help`);
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(result.stdout).toBe('');
    });
  }, 300_000);
});
