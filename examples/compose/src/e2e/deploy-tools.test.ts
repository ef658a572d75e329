import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { childEnv, REPO_ROOT, run } from './process-support.js';

// A `docker` whose engine never answers (as on our machines), first on PATH: the tools must say
// so instead of failing obscurely, whatever the machine running the test has installed.
const bin = mkdtempSync(resolve(tmpdir(), 'ev-nodocker-'));
mkdirSync(bin, { recursive: true });
writeFileSync(
  resolve(bin, 'docker'),
  '#!/bin/sh\necho "Cannot connect to the Docker daemon at unix:///var/run/docker.sock." >&2\nexit 1\n',
);
chmodSync(resolve(bin, 'docker'), 0o755);
const emptyRunDir = resolve(bin, 'no-local-run');
const env = childEnv({ PATH: `${bin}:${process.env.PATH}`, LOCAL_RUN_DIR: emptyRunDir });
afterAll(() => rmSync(bin, { recursive: true, force: true }));

const sh = (file: string, args: string[]) => run(file, args, { env, timeoutMs: 60_000, cwd: REPO_ROOT });

describe('Makefile', () => {
  it("lists the seed's targets in make help", async () => {
    const help = await sh('make', ['help']);
    expect(help.code).toBe(0);
    for (const target of [
      'help',
      'install',
      'build',
      'test',
      'up',
      'down',
      'restart',
      'logs',
      'status',
      'verify',
      'remote-kafka',
      'lab-deploy',
      'local-run',
      'clean',
      'clean-all',
    ]) {
      expect(help.stdout).toMatch(new RegExp(`^  ${target} `, 'm'));
    }
  });

  it.each(['up', 'down', 'restart', 'logs', 'remote-kafka'])(
    'make %s says it needs a Docker engine when none runs',
    async (target) => {
      const result = await sh('make', [target]);
      expect(result.code).not.toBe(0);
      expect(result.stdout).toContain(`make ${target}: needs a running Docker engine`);
      expect(result.stdout).toContain('make local-run');
    },
  );
});

describe('deploy.sh', () => {
  it.each(['full', 'remote', 'lab-central', 'lab-cps', 'lab-central-remote', 'lab-driver'])(
    '%s exits 1 naming the missing Docker engine',
    async (action) => {
      const result = await sh('./deploy.sh', [action]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('this needs a running Docker engine');
      expect(result.stderr).toContain('./deploy.sh local');
    },
  );

  it('check reports each prerequisite and fails on the missing engine', async () => {
    const result = await sh('./deploy.sh', ['check']);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/✗ no Docker engine answers/);
    expect(result.stdout).toMatch(/✓ node v\d+/);
    expect(result.stdout).toMatch(/port 8000 (free|is in use)/);
  });

  it('refuses an unknown action (2), and the menu without a terminal (2)', async () => {
    expect((await sh('./deploy.sh', ['bogus'])).code).toBe(2);
    const menu = await sh('./deploy.sh', []);
    expect(menu.code).toBe(2);
    expect(menu.stderr).toContain('give an action');
  });

  it('status and stop say when nothing is deployed', async () => {
    for (const action of ['status', 'stop']) {
      const result = await sh('./deploy.sh', [action]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/no Docker engine and no local run/);
    }
  });
});

describe('verify.sh without a deployment', () => {
  it('fails (1) saying there is nothing to verify', async () => {
    const result = await sh('./verify.sh', []);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('nothing to verify');
  });

  it('--compose fails (1) naming the missing engine; --local names the missing run', async () => {
    const compose = await sh('./verify.sh', ['--compose']);
    expect(compose.code).toBe(1);
    expect(compose.stderr).toContain('--compose needs a running Docker engine');
    const local = await sh('./verify.sh', ['--local']);
    expect(local.code).toBe(1);
    expect(local.stderr).toContain(`no local run in ${emptyRunDir}`);
  });

  it('rejects an unknown option (2)', async () => {
    expect((await sh('./verify.sh', ['--bogus'])).code).toBe(2);
  });
});
