import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { childEnv, freePorts, REPO_ROOT, run } from './process-support.js';

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
      'images',
      'offline-images',
      'cp-ko',
      'cp-recover',
      'lab-deploy',
      'local-run',
      'clean',
      'clean-all',
    ]) {
      expect(help.stdout).toMatch(new RegExp(`^  ${target} `, 'm'));
    }
  });

  it.each(['up', 'down', 'restart', 'logs', 'remote-kafka', 'images', 'cp-ko'])(
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
    expect(result.stdout).toMatch(/port \d+ (free|is in use)/);
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

// A host with a Docker engine and only Compose v1 (Debian's docker-compose 1.29, what our machines
// can install): `docker compose` and `docker buildx` do not exist. The fake docker-compose records
// what it was asked and with which project name and builder.
describe('on a host with only Compose v1', () => {
  const v1 = mkdtempSync(resolve(tmpdir(), 'ev-composev1-'));
  const calls = resolve(v1, 'calls.log');
  writeFileSync(
    resolve(v1, 'docker'),
    [
      '#!/bin/sh',
      'case "$1" in',
      '  info) exit 0 ;;',
      '  compose|buildx) echo "docker: unknown command: docker $1" >&2; exit 1 ;;',
      '  *) exit 1 ;;',
      'esac',
      '',
    ].join('\n'),
  );
  writeFileSync(
    resolve(v1, 'docker-compose'),
    `#!/bin/sh\necho "project=$COMPOSE_PROJECT_NAME buildkit=$DOCKER_BUILDKIT args=$*" >>'${calls}'\nexit 0\n`,
  );
  chmodSync(resolve(v1, 'docker'), 0o755);
  chmodSync(resolve(v1, 'docker-compose'), 0o755);
  const v1Env = childEnv({ PATH: `${v1}:${process.env.PATH}`, LOCAL_RUN_DIR: resolve(v1, 'no-local-run') });
  delete v1Env.COMPOSE_PROJECT_NAME;
  delete v1Env.DOCKER_BUILDKIT;
  afterAll(() => rmSync(v1, { recursive: true, force: true }));
  // The project name a .env in the checkout would set (none in CI), else the default.
  const dotEnv = resolve(REPO_ROOT, '.env');
  const project =
    (existsSync(dotEnv) && /^COMPOSE_PROJECT_NAME=(.+)$/m.exec(readFileSync(dotEnv, 'utf8'))?.[1]) ||
    'ev-charging-simulation';

  const lastCall = async (command: string, args: string[]) => {
    rmSync(calls, { force: true });
    const result = await run(command, args, { env: v1Env, timeoutMs: 60_000, cwd: REPO_ROOT });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    return readFileSync(calls, 'utf8').trim().split('\n').at(-1);
  };

  it('make up runs docker-compose with the project name (the files carry none) and the classic builder', async () => {
    expect(await lastCall('make', ['up'])).toBe(`project=${project} buildkit=0 args=up -d --build`);
  });

  it('make remote-kafka, cp-ko and down run the same Compose on the right file and service', async () => {
    expect(await lastCall('make', ['remote-kafka'])).toBe(
      `project=${project} buildkit=0 args=-f docker-compose.remote-kafka.yml up -d --build`,
    );
    expect(await lastCall('make', ['cp-ko', 'CP=2'])).toBe(
      `project=${project} buildkit=0 args=kill -s SIGUSR1 ev-cp-e-2`,
    );
    expect(await lastCall('make', ['down'])).toBe(`project=${project} buildkit=0 args=down`);
  });
});

describe('verify.sh against compose, with a copied .env', () => {
  // verify.sh in a folder of its own, with the .env a user gets from `cp .env.example .env` in the
  // old form (CENTRAL_HOST=ev-central set), and a Compose that lists no containers.
  const dir = mkdtempSync(resolve(tmpdir(), 'ev-verify-'));
  mkdirSync(resolve(dir, 'docker'));
  mkdirSync(resolve(dir, 'scripts'));
  copyFileSync(resolve(REPO_ROOT, 'verify.sh'), resolve(dir, 'verify.sh'));
  copyFileSync(resolve(REPO_ROOT, 'scripts/dotenv.sh'), resolve(dir, 'scripts/dotenv.sh'));
  copyFileSync(resolve(REPO_ROOT, 'docker/compose.sh'), resolve(dir, 'docker/compose.sh'));
  chmodSync(resolve(dir, 'verify.sh'), 0o755);
  chmodSync(resolve(dir, 'docker/compose.sh'), 0o755);
  const bin = resolve(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(resolve(bin, 'docker'), '#!/bin/sh\ncase "$1" in info) exit 0 ;; *) exit 1 ;; esac\n');
  writeFileSync(
    resolve(bin, 'docker-compose'),
    '#!/bin/sh\ncase "$*" in *"ps -a -q"*) exit 0 ;; esac\nexit 1\n',
  );
  chmodSync(resolve(bin, 'docker'), 0o755);
  chmodSync(resolve(bin, 'docker-compose'), 0o755);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const verify = (args: string[], extra: Record<string, string>) =>
    run(resolve(dir, 'verify.sh'), args, {
      env: childEnv({ PATH: `${bin}:${process.env.PATH}`, LOCAL_RUN_DIR: resolve(dir, 'none'), ...extra }),
      timeoutMs: 60_000,
      cwd: dir,
    });

  it('probes the published ports on 127.0.0.1 (not CENTRAL_HOST), the environment winning over .env', async () => {
    const [envPort, filePort] = await freePorts(2);
    writeFileSync(
      resolve(dir, '.env'),
      `CENTRAL_HOST=ev-central\nCENTRAL_HTTP_PORT=${filePort}\nCENTRAL_LISTEN_PORT=${filePort}\n`,
    );
    const result = await verify(['--compose'], { CENTRAL_HTTP_PORT: String(envPort) });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('published ports on 127.0.0.1');
    expect(result.stdout).toContain('✗ kafka is not deployed');
    expect(result.stdout).toContain(`Kafka 9092 closed on 127.0.0.1`);
    expect(result.stdout).not.toMatch(/ev-central\b.*closed|closed on ev-central/);
    // Central does not run here (no container): its ports are not probed, /health is, on 127.0.0.1.
    expect(result.stdout).not.toContain(`:${filePort}`);
  });

  it('--remote needs KAFKA_BOOTSTRAP, and names it', async () => {
    writeFileSync(resolve(dir, '.env'), 'KAFKA_BOOTSTRAP=\n');
    const result = await verify(['--remote'], {});
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--remote needs KAFKA_BOOTSTRAP');
  });
});

describe('scripts/kafka.sh on a lab machine (no Docker)', () => {
  const home = mkdtempSync(resolve(tmpdir(), 'ev-kafkash-'));
  afterAll(() => rmSync(home, { recursive: true, force: true }));
  const config = (extra: Record<string, string>) =>
    run('bash', [resolve(REPO_ROOT, 'scripts/kafka.sh'), 'config'], {
      env: childEnv({ KAFKA_HOME_DIR: home, KAFKA_PORT: '39500', ...extra }),
      timeoutMs: 30_000,
    });

  it('listens on 127.0.0.1 unless KAFKA_LISTEN_HOST says otherwise, and advertises what it is told', async () => {
    expect((await config({})).stdout).toContain(
      'listeners=PLAINTEXT://127.0.0.1:39500,CONTROLLER://127.0.0.1:39501',
    );
    const lab = await config({ KAFKA_LISTEN_HOST: '0.0.0.0', KAFKA_ADVERTISED_HOST: '192.168.1.10' });
    expect(lab.code).toBe(0);
    expect(lab.stdout).toContain('listeners=PLAINTEXT://0.0.0.0:39500,CONTROLLER://127.0.0.1:39501');
    expect(lab.stdout).toContain('advertised.listeners=PLAINTEXT://192.168.1.10:39500');
  });

  it('refuses to listen everywhere without an address to advertise', async () => {
    const result = await config({ KAFKA_LISTEN_HOST: '0.0.0.0' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('needs KAFKA_ADVERTISED_HOST');
  });
});
