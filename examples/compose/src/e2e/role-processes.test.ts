import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { pingEngine, waitFor } from '../local-run/probes.js';
import { ROLES, type RoleName } from '../roles/index.js';
import { roleVariables } from '../roles/role-cli.js';
import { childEnv, freePorts, REPO_ROOT, roleArgs, run } from './process-support.js';

const broker = inject('e2eKafka');
const dir = mkdtempSync(resolve(tmpdir(), 'ev-roles-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs a role process to its end (they exit at once on a config problem). */
const runRole = (role: RoleName, env: Record<string, string>, args: string[] = []) =>
  run(process.execPath, roleArgs(role, args), { env: childEnv(env), timeoutMs: 60_000 });

describe('role entry points as processes: configuration', () => {
  it.each([
    ['central', {}, 'CENTRAL_DB_URL', { CENTRAL_DB_URL: 'postgres://db/evcharging' }],
    ['cp-engine', {}, 'CP_ENGINE_CP_ID: expected a string non-empty (not set)', {}],
    ['cp-monitor', {}, 'CP_MONITOR_CP_ID: expected a string non-empty (not set)', {}],
    ['driver', {}, 'DRIVER_DRIVER_ID: expected a string non-empty (not set)', {}],
  ] as [RoleName, object, string, Record<string, string>][])(
    '%s exits 2 with a message naming the variable, no stack trace',
    async (role, _, message, env) => {
      const result = await runRole(role, env);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toContain(message);
      expect(result.stderr).toContain(`Run ${ROLES[role].program} --help`);
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(result.stdout).toBe('');
    },
  );

  it('names the file variables whose files cannot be used', async () => {
    const missing = resolve(dir, 'missing.txt');
    const [driver, central] = await Promise.all([
      runRole('driver', { DRIVER_DRIVER_ID: 'd', DRIVER_REQUESTS_FILE: missing }),
      runRole('central', { CENTRAL_CPS_FILE: missing }),
    ]);
    expect(driver.code).toBe(2);
    expect(driver.stderr).toContain(`DRIVER_REQUESTS_FILE: expected a readable requests file`);
    expect(central.code).toBe(2);
    expect(central.stderr).toContain('CENTRAL_CPS_FILE: expected a readable file of CP definitions');
  }, 120_000);

  it('--help prints every variable and exits 0', async () => {
    const roles = Object.keys(ROLES) as RoleName[];
    const results = await Promise.all(roles.map((role) => runRole(role, {}, ['--help'])));
    roles.forEach((role, i) => {
      expect(results[i]!.code, results[i]!.stderr).toBe(0);
      for (const variable of roleVariables(ROLES[role] as never))
        expect(results[i]!.stdout).toContain(variable);
    });
  }, 180_000);
});

describe.skipIf(!broker.bootstrap)('the engine in a terminal (a pseudo-terminal through script)', () => {
  it('k makes the health probe answer KO, r recovers, Ctrl-C stops it cleanly', async () => {
    const [port] = await freePorts(1);
    const log = resolve(dir, 'engine.log');
    writeFileSync(log, '');
    const command = [process.execPath, ...roleArgs('cp-engine')].map((a) => `'${a}'`).join(' ');
    // `script` gives the engine a pty: its stdin is a TTY in raw mode, as for a person at a terminal.
    const child = spawn('script', ['-qfec', command, '/dev/null'], {
      cwd: REPO_ROOT,
      env: childEnv({
        CP_ENGINE_CP_ID: 'CP-KEYS',
        CP_ENGINE_HEALTH_PORT: String(port),
        CP_ENGINE_HEALTH_HOST: '127.0.0.1',
        KAFKA_BOOTSTRAP: broker.bootstrap!,
        KAFKA_TOPIC_PREFIX: `keys-${process.pid}.`,
        KAFKA_SESSION_TIMEOUT: '6',
      }),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    try {
      const probe = () => pingEngine('127.0.0.1', port!, 1_000);
      await waitFor('engine up', async () => ((await probe())?.startsWith('OK:') ? true : undefined), {
        timeoutMs: 60_000,
      });
      await waitFor(
        'the key hint',
        async () => (output.includes('press k to report KO') ? true : undefined),
        {
          timeoutMs: 5_000,
        },
      );
      expect(await probe()).toBe('OK:ACTIVATED');
      child.stdin.write('k');
      const ko = await waitFor(
        'KO',
        async () => ((await probe())?.startsWith('KO:') ? await probe() : undefined),
        {
          timeoutMs: 5_000,
        },
      );
      expect(ko).toBe('KO:KO pressed on the engine');
      child.stdin.write('r');
      await waitFor('recovered', async () => ((await probe()) === 'OK:ACTIVATED' ? true : undefined), {
        timeoutMs: 5_000,
      });
      const t0 = performance.now();
      child.stdin.write('\u0003');
      const code = await Promise.race([
        exited,
        new Promise<'late'>((done) => setTimeout(done, 8_000, 'late')),
      ]);
      expect(code).toBe(0);
      expect(performance.now() - t0).toBeLessThan(5_000);
      expect(output).toContain('"msg":"KO switch on"');
      expect(output).toContain('"msg":"KO switch off"');
      expect(output).toContain('"reason":"Ctrl-C"');
      expect(output).toContain('"msg":"ev-cp-engine stopped"');
    } finally {
      child.kill('SIGKILL');
    }
  }, 120_000);
});

describe.skipIf(!broker.bootstrap)('the engine without a terminal (as in a container)', () => {
  it('SIGUSR1 makes the health probe answer KO, SIGUSR2 recovers, and neither stops it', async () => {
    const [port] = await freePorts(1);
    // stdin is a pipe, not a TTY: the keys cannot work, the signals must.
    const child = spawn(process.execPath, roleArgs('cp-engine'), {
      cwd: REPO_ROOT,
      env: childEnv({
        CP_ENGINE_CP_ID: 'CP-SIGNALS',
        CP_ENGINE_HEALTH_PORT: String(port),
        CP_ENGINE_HEALTH_HOST: '127.0.0.1',
        KAFKA_BOOTSTRAP: broker.bootstrap!,
        KAFKA_TOPIC_PREFIX: `signals-${process.pid}.`,
        KAFKA_SESSION_TIMEOUT: '6',
      }),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    try {
      const probe = () => pingEngine('127.0.0.1', port!, 1_000);
      await waitFor('engine up', async () => ((await probe())?.startsWith('OK:') ? true : undefined), {
        timeoutMs: 60_000,
      });
      await waitFor(
        'the signal hint',
        async () => (output.includes('no terminal: SIGUSR1 reports KO, SIGUSR2 recovers') ? true : undefined),
        { timeoutMs: 10_000 },
      );
      child.kill('SIGUSR1');
      const ko = await waitFor('KO', async () => ((await probe())?.startsWith('KO:') ? probe() : undefined), {
        timeoutMs: 5_000,
      });
      expect(ko).toBe('KO:KO signalled (SIGUSR1)');
      child.kill('SIGUSR2');
      await waitFor('recovered', async () => ((await probe()) === 'OK:ACTIVATED' ? true : undefined), {
        timeoutMs: 5_000,
      });
      expect(child.exitCode).toBeNull();
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(output).toContain('"msg":"KO switch on"');
      expect(output).toContain('"msg":"KO switch off"');
    } finally {
      child.kill('SIGKILL');
    }
  }, 120_000);
});
