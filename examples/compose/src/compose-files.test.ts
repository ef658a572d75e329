// Static validation of the compose deployment: the compose files are parsed and every service's
// build target, command and environment are checked against the Dockerfile, the role entry points
// and the variables the roles declare. (docker/e2e/run.sh runs the deployment in a Docker engine.)
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseRequests } from '@evcharging/driver';
import type { TObject } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { COMPOSE_VARIABLES, ENV_EXAMPLE, renderEnvExample } from './deployment-variables.js';
import { localTopology, PACKAGE_DIR, REPO_ROOT, settingsFromEnv } from './local-run/local-topology.js';
import { ROLES, type RoleName } from './roles/index.js';
import { type RoleDefinition, readRoleConfig, roleVariables } from './roles/role-cli.js';

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string; target: string; args?: Record<string, string> };
  command?: string[];
  environment?: Record<string, string | number | null>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  restart?: string;
  read_only?: boolean;
  tmpfs?: string[];
  deploy?: { resources?: { limits?: { cpus?: string; memory?: string } } };
}
interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const ROOT_COMPOSE = resolve(REPO_ROOT, 'docker-compose.yml');
const REMOTE_COMPOSE = resolve(REPO_ROOT, 'docker-compose.remote-kafka.yml');
const DOCKERFILE = resolve(REPO_ROOT, 'docker/Dockerfile');

const readCompose = (path: string): ComposeFile => parse(readFileSync(path, 'utf8'), { merge: true });
const topLevelKeys = (path: string): string[] => Object.keys(parse(readFileSync(path, 'utf8')) as object);
const root = readCompose(ROOT_COMPOSE);
const remote = readCompose(REMOTE_COMPOSE);
const envExample = readFileSync(ENV_EXAMPLE, 'utf8');
const dockerfile = readFileSync(DOCKERFILE, 'utf8');

/** Every `${NAME...}` a compose file interpolates. */
function referencedVariables(text: string): string[] {
  return [...new Set([...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!))];
}

/** Compose's interpolation (`${V}`, `${V:-d}`, `${V-d}`, `${V:?err}`, `${V?err}`), for one value. */
function interpolate(value: string, env: Record<string, string | undefined>): string {
  return value.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])([^}]*))?\}/g,
    (_, name: string, colon: string, op: string | undefined, arg: string) => {
      const set = env[name];
      const missing = colon ? set === undefined || set === '' : set === undefined;
      if (!op) return set ?? '';
      if (op === '-') return missing ? arg : set!;
      if (missing) throw new Error(`${name}: ${arg}`);
      return set!;
    },
  );
}

/** Stage names of the Dockerfile (`FROM ... AS <name>`) and the CMD of each. */
function dockerStages(): Map<string, { cmd?: string; healthcheck?: string }> {
  const stages = new Map<string, { cmd?: string; healthcheck?: string }>();
  let current: { cmd?: string; healthcheck?: string } | undefined;
  const lines = dockerfile.replace(/\\\n\s*/g, ' ').split('\n');
  for (const line of lines) {
    const from = /^FROM\s+\S+\s+AS\s+(\S+)/i.exec(line);
    if (from) {
      current = {};
      stages.set(from[1]!, current);
    } else if (current && /^CMD\s/.test(line)) current.cmd = line.slice(4).trim();
    else if (current && /^HEALTHCHECK\s/.test(line)) current.healthcheck = line.slice(12).trim();
  }
  return stages;
}

const roleOf = (service: Service): RoleName => {
  const script = service.command?.[1] ?? '';
  const match = /^\/app\/dist\/([a-z-]+)\.js$/.exec(script);
  if (!match || !(match[1]! in ROLES))
    throw new Error(`command ${JSON.stringify(service.command)} runs no role`);
  return match[1] as RoleName;
};

const roleServices = (file: ComposeFile) =>
  Object.entries(file.services).filter(([name]) => name.startsWith('ev-'));

/** The environment one service's process gets, with compose's defaults (no .env). */
function serviceEnv(service: Service, shell: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, raw] of Object.entries(service.environment ?? {})) {
    env[name] = interpolate(raw === null ? '' : String(raw), shell);
  }
  return env;
}

const ROLE_SERVICES = ['ev-central', 'ev-cp-e-1', 'ev-cp-e-2', 'ev-cp-m-1', 'ev-cp-m-2', 'ev-driver'];

describe.each([
  ['docker-compose.yml', root, {}],
  ['docker-compose.remote-kafka.yml', remote, { KAFKA_BOOTSTRAP: 'kafka.example.com:9092' }],
] as [string, ComposeFile, Record<string, string>][])('%s', (file, compose, shell) => {
  it("has the seed's role services", () => {
    expect(roleServices(compose).map(([name]) => name)).toEqual(ROLE_SERVICES);
  });

  it('is read by Compose v1 as well as v2: no top-level name (v1 rejects it), only services, volumes and x- blocks', () => {
    for (const key of topLevelKeys(resolve(REPO_ROOT, file))) {
      expect(key, `top-level key ${key}`).toMatch(/^(services|volumes|networks|x-.+)$/);
    }
  });

  it('publishes every port on PUBLISH_HOST, 127.0.0.1 unless set', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      for (const port of service.ports ?? []) {
        expect(port, name).toMatch(/^\$\{PUBLISH_HOST:-127\.0\.0\.1\}:\$\{[A-Z0-9_]+:-\d+\}:\d+$/);
        expect(interpolate(port, shell), name).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
        expect(interpolate(port, { ...shell, PUBLISH_HOST: '0.0.0.0' }), name).toMatch(/^0\.0\.0\.0:/);
      }
    }
  });

  it('builds every role on NODE_IMAGE (node:20-slim unless set)', () => {
    for (const [name, service] of roleServices(compose)) {
      expect(service.build?.args?.NODE_IMAGE, name).toBe('$' + '{NODE_IMAGE:-node:20-slim}');
    }
  });

  it.each(ROLE_SERVICES)('%s: its build target exists and its command runs a real entry point', (name) => {
    const service = compose.services[name]!;
    const role = roleOf(service);
    expect(existsSync(resolve(PACKAGE_DIR, `src/${role}.ts`))).toBe(true);
    const fileDir = resolve(REPO_ROOT, file, '..');
    const context = resolve(fileDir, service.build!.context);
    expect(context).toBe(REPO_ROOT);
    expect(resolve(context, service.build!.dockerfile)).toBe(DOCKERFILE);
    const stage = dockerStages().get(service.build!.target);
    expect(stage, `Dockerfile stage ${service.build!.target}`).toBeDefined();
    expect(service.build!.target).toBe(role);
    // The compose command and the image's own CMD start the same entry point.
    expect(stage!.cmd).toBe(JSON.stringify(service.command).replace(/,/g, ', '));
  });

  it.each(ROLE_SERVICES)(
    '%s: every variable it sets is one its role reads, and together they are valid',
    (name) => {
      const service = compose.services[name]!;
      const role = ROLES[roleOf(service)] as RoleDefinition<TObject>;
      const declared = new Set(roleVariables(role));
      for (const variable of Object.keys(service.environment ?? {})) {
        expect(declared.has(variable), `${name} sets ${variable}, which ${role.program} does not read`).toBe(
          true,
        );
      }
      const result = readRoleConfig(role, [], serviceEnv(service, shell));
      expect(result.kind === 'exit' ? result.text : 'valid').toBe('valid');
    },
  );

  it('interpolates only variables .env.example declares', () => {
    const text = readFileSync(resolve(REPO_ROOT, file), 'utf8');
    for (const variable of referencedVariables(text)) {
      expect(envExample, `${variable} is used by ${file}`).toMatch(new RegExp(`^(# )?${variable}=`, 'm'));
    }
  });

  it('every dependency exists and is healthy-checked when waited for; no cycles', () => {
    const stages = dockerStages();
    const hasHealthcheck = (dep: string) => {
      const service = compose.services[dep]!;
      if (service.healthcheck) return true;
      const hc = service.build && stages.get(service.build.target)?.healthcheck;
      return hc !== undefined && hc !== 'NONE';
    };
    const visiting = new Set<string>();
    const visit = (name: string): void => {
      if (visiting.has(name)) throw new Error(`depends_on cycle through ${name}`);
      visiting.add(name);
      for (const [dep, { condition }] of Object.entries(compose.services[name]!.depends_on ?? {})) {
        expect(compose.services[dep], `${name} depends on ${dep}`).toBeDefined();
        if (condition === 'service_healthy')
          expect(hasHealthcheck(dep), `${dep} has a healthcheck`).toBe(true);
        visit(dep);
      }
      visiting.delete(name);
    };
    for (const name of Object.keys(compose.services)) visit(name);
  });

  it('runs every role read-only, unprivileged, with a restart policy and resource limits', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      expect(service.restart, name).toMatch(/^(unless-stopped|always|on-failure|no)$/);
      expect(service.deploy?.resources?.limits?.memory, name).toMatch(/^\d+[mg]$/);
      expect(service.deploy?.resources?.limits?.cpus, name).toMatch(/^\d+(\.\d+)?$/);
      if (!name.startsWith('ev-')) continue;
      expect(service.read_only, name).toBe(true);
      expect(service.tmpfs, name).toContain('/tmp');
    }
  });

  it("keeps Central's SQLite, the engines' outboxes and the driver's state on volumes", () => {
    const onVolume = (service: Service, path: string) =>
      (service.volumes ?? []).some((v) => {
        const [source, target] = v.split(':');
        return (
          !source!.startsWith('.') &&
          path.startsWith(`${target}/`) &&
          compose.volumes?.[source!] !== undefined
        );
      });
    const env = (name: string) => serviceEnv(compose.services[name]!, shell);
    expect(
      onVolume(compose.services['ev-central']!, env('ev-central').CENTRAL_DB_URL!.replace('sqlite:///', '')),
    ).toBe(true);
    for (const engine of ['ev-cp-e-1', 'ev-cp-e-2']) {
      expect(onVolume(compose.services[engine]!, env(engine).CP_ENGINE_OUTBOX_FILE!)).toBe(true);
    }
    expect(onVolume(compose.services['ev-driver']!, env('ev-driver').DRIVER_STATE_FILE!)).toBe(true);
  });

  it("reproduces the seed's charging points, ports and monitors", () => {
    const env = (name: string) => serviceEnv(compose.services[name]!, shell);
    expect(env('ev-cp-e-1')).toMatchObject({
      CP_ENGINE_CP_ID: 'CP-001',
      CP_ENGINE_KW_RATE: '22.0',
      CP_ENGINE_EURO_RATE: '0.30',
      CP_ENGINE_HEALTH_PORT: '8001',
    });
    expect(env('ev-cp-e-2')).toMatchObject({
      CP_ENGINE_CP_ID: 'CP-002',
      CP_ENGINE_KW_RATE: '50.0',
      CP_ENGINE_EURO_RATE: '0.35',
      CP_ENGINE_HEALTH_PORT: '8002',
    });
    const published = (name: string) => compose.services[name]!.ports!.map((p) => interpolate(p, shell));
    expect(published('ev-central')).toEqual([
      '127.0.0.1:8000:8000',
      '127.0.0.1:9999:9999',
      '127.0.0.1:9000:9000', // the OCPP 1.6J gateway
    ]);
    expect(published('ev-cp-e-1')).toEqual(['127.0.0.1:8001:8001']);
    expect(published('ev-cp-e-2')).toEqual(['127.0.0.1:8002:8002']);
    for (const [monitor, engine] of [
      ['ev-cp-m-1', 'ev-cp-e-1'],
      ['ev-cp-m-2', 'ev-cp-e-2'],
    ] as const) {
      const m = env(monitor);
      const e = env(engine);
      expect(m.CP_MONITOR_CP_ID).toBe(e.CP_ENGINE_CP_ID);
      expect(m.CP_MONITOR_CP_E_HOST).toBe(engine);
      expect(m.CP_MONITOR_CP_E_PORT).toBe(e.CP_ENGINE_HEALTH_PORT);
      expect(m.CP_MONITOR_CENTRAL_HOST).toBe('ev-central');
      expect(m.CP_MONITOR_CENTRAL_PORT).toBe(env('ev-central').CENTRAL_HTTP_PORT);
      expect(compose.services[monitor]!.depends_on?.[engine]?.condition).toBe('service_healthy');
    }
    expect(m2Central(compose)).toBe(file === 'docker-compose.yml');
  });

  it('mounts a requests file of at least 10 CP ids, all of them CPs of this deployment', () => {
    const driver = compose.services['ev-driver']!;
    const mount = driver
      .volumes!.map((v) => interpolate(v, shell))
      .find((v) => v.endsWith(':/config/requests.txt:ro'));
    expect(mount).toBeDefined();
    const host = resolve(REPO_ROOT, file, '..', mount!.split(':')[0]!);
    // .env.example's value resolves to the same file (both compose files read one .env).
    const fromEnvFile = driver.volumes!.map((v) =>
      interpolate(v, { ...shell, DRIVER_REQUESTS_HOST_FILE: envExampleValue('DRIVER_REQUESTS_HOST_FILE') }),
    );
    expect(fromEnvFile.some((v) => v.startsWith(`${mount!.split(':')[0]}:`))).toBe(true);
    expect(serviceEnv(driver, shell).DRIVER_REQUESTS_FILE).toBe('/config/requests.txt');
    const requests = parseRequests(readFileSync(host, 'utf8'), host);
    expect(requests.length).toBeGreaterThanOrEqual(10);
    for (const r of requests) expect(['CP-001', 'CP-002']).toContain(r.cp_id);
  });
});

/** The value .env.example sets for a variable (undefined when it is commented out or missing). */
function envExampleValue(name: string): string | undefined {
  return new RegExp(`^${name}=(.*)$`, 'm').exec(envExample)?.[1];
}

describe('both compose files and .env', () => {
  it('sit in one folder, so the one .env next to them serves both and relative paths agree', () => {
    expect(resolve(ROOT_COMPOSE, '..')).toBe(REPO_ROOT);
    expect(resolve(REMOTE_COMPOSE, '..')).toBe(REPO_ROOT);
    expect(existsSync(resolve(REPO_ROOT, 'docker/docker-compose.remote-kafka.yml'))).toBe(false);
  });

  it('.env.example leaves the lab-only addresses unset, so a copied .env sends no check elsewhere', () => {
    // verify.sh and deploy.sh read .env; a CENTRAL_HOST of ev-central (a name that resolves only
    // inside the compose network) or an advertised/publish address there would be taken as given.
    for (const name of ['CENTRAL_HOST', 'KAFKA_ADVERTISED_HOST', 'PUBLISH_HOST', 'CP_MONITOR_CP_E_HOST']) {
      expect(envExampleValue(name), name).toBeUndefined();
      expect(envExample, name).toMatch(new RegExp(`^# ${name}=`, 'm'));
    }
    expect(envExampleValue('COMPOSE_PROJECT_NAME')).toBe('ev-charging-simulation');
  });
});

/** In the full file monitors wait for a healthy Central; the remote file may split them across hosts. */
function m2Central(compose: ComposeFile): boolean {
  return compose.services['ev-cp-m-2']!.depends_on?.['ev-central']?.condition === 'service_healthy';
}

describe('docker-compose.yml: Kafka', () => {
  const kafka = root.services.kafka!;
  it('is the official apache/kafka 4.x image (or KAFKA_IMAGE) in KRaft mode, healthy-checked, on a volume', () => {
    expect(kafka.image).toMatch(/^\$\{KAFKA_IMAGE:-apache\/kafka\}:\$\{KAFKA_IMAGE_TAG:-4\.\d+\.\d+\}$/);
    const env = serviceEnv(kafka);
    expect(env.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    expect(env.KAFKA_CONTROLLER_QUORUM_VOTERS).toBe('1@kafka:9093');
    expect(env.CLUSTER_ID).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(env.KAFKA_ADVERTISED_LISTENERS).toContain('INTERNAL://kafka:29092');
    expect(env.KAFKA_AUTO_CREATE_TOPICS_ENABLE).toBe('false');
    expect(kafka.ports).toEqual([`$\{PUBLISH_HOST:-127.0.0.1}:$\{KAFKA_PORT:-9092}:9092`]);
    expect(kafka.volumes).toEqual(['kafka-data:/var/lib/kafka/data']);
    expect(env.KAFKA_LOG_DIRS).toBe('/var/lib/kafka/data');
  });

  it('is healthy only when its group coordinator answers on the internal listener, whatever KAFKA_PORT is', () => {
    const [kind, command] = kafka.healthcheck!.test;
    expect(kind).toBe('CMD-SHELL');
    // localhost:9092 is the EXTERNAL listener, which advertises <host>:KAFKA_PORT: with another
    // KAFKA_PORT that address does not exist inside the container.
    expect(command).not.toMatch(/localhost|127\.0\.0\.1|:9092/);
    expect(command).toContain('--bootstrap-server kafka:29092');
    expect(serviceEnv(kafka).KAFKA_ADVERTISED_LISTENERS).toContain('INTERNAL://kafka:29092');
    // Kafka's tools exit 0 after printing an error: the answer is what counts.
    expect(command).toMatch(
      /kafka-consumer-groups\.sh .*--describe --group \S+ 2>&1 \| grep -q GroupIdNotFound$/,
    );
  });

  it('is what the roles use by default (its internal listener)', () => {
    expect(serviceEnv(root.services['ev-central']!).CENTRAL_KAFKA_BOOTSTRAP).toBe('kafka:29092');
    for (const name of ['ev-central', 'ev-cp-e-1', 'ev-cp-e-2']) {
      expect(root.services[name]!.depends_on?.kafka?.condition).toBe('service_healthy');
    }
  });
});

describe('docker-compose.remote-kafka.yml', () => {
  it('has no kafka service and refuses to start without KAFKA_BOOTSTRAP', () => {
    expect(remote.services.kafka).toBeUndefined();
    expect(readFileSync(REMOTE_COMPOSE, 'utf8')).not.toMatch(/kafka:29092|condition:.*\n.*kafka:/);
    expect(() => serviceEnv(remote.services['ev-cp-e-1']!, {})).toThrow(
      /KAFKA_BOOTSTRAP: set KAFKA_BOOTSTRAP/,
    );
    expect(
      serviceEnv(remote.services['ev-cp-m-1']!, { CENTRAL_HOST: '192.168.1.10' }).CP_MONITOR_CENTRAL_HOST,
    ).toBe('192.168.1.10');
  });

  it('lets each machine start its own services: only monitors wait, and only for their engine', () => {
    for (const [name, service] of Object.entries(remote.services)) {
      const deps = Object.keys(service.depends_on ?? {});
      if (name === 'ev-cp-m-1') expect(deps).toEqual(['ev-cp-e-1']);
      else if (name === 'ev-cp-m-2') expect(deps).toEqual(['ev-cp-e-2']);
      else expect(deps, name).toEqual([]);
    }
  });
});

describe('docker/Dockerfile', () => {
  const stages = dockerStages();
  it('is multi-stage: a build stage, then a slim runtime as the unprivileged node user', () => {
    expect([...stages.keys()]).toEqual(['build', 'runtime', 'central', 'cp-engine', 'cp-monitor', 'driver']);
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:20-slim$/m);
    expect(dockerfile).toMatch(/^FROM \$\{NODE_IMAGE\} AS build$/m);
    expect(dockerfile).toMatch(/^FROM \$\{NODE_IMAGE\} AS runtime$/m);
    // The classic builder ignores `# syntax=` lines; nothing may depend on one.
    expect(dockerfile).not.toMatch(/^# syntax=/m);
    expect(dockerfile).toContain('deploy --prod /out');
    expect(dockerfile).toContain('node docker/prune-optional-peers.mjs /out');
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^COPY --from=build \/out \/app$/m);
  });

  it('declares no VOLUME: containers without a /data mount would each leave an anonymous volume', () => {
    expect(dockerfile).not.toMatch(/^VOLUME\b/im);
  });

  it("builds the native SQLite binding against the Node image's own headers (no download)", () => {
    const build = dockerfile.slice(dockerfile.indexOf(' AS build'), dockerfile.indexOf(' AS runtime'));
    // Official node images and docker/offline/node/Dockerfile both ship them in /usr/local/include/node.
    expect(build).toMatch(/^ENV npm_config_nodedir=\/usr\/local$/m);
    expect(readFileSync(resolve(REPO_ROOT, 'docker/offline/node/Dockerfile'), 'utf8')).toContain(
      'COPY node/ /usr/local/',
    );
  });

  it('has a HEALTHCHECK per long-running role, using an entry point that exists', () => {
    for (const role of ['central', 'cp-engine', 'cp-monitor']) {
      expect(stages.get(role)!.healthcheck).toContain(`"node", "/app/dist/healthcheck.js", "${role}"`);
    }
    expect(stages.get('driver')!.healthcheck).toBe('NONE');
    expect(existsSync(resolve(PACKAGE_DIR, 'src/healthcheck.ts'))).toBe(true);
  });

  it('ships the files the roles read (cps.json, requests.txt) in the deployed package', () => {
    const pkg = JSON.parse(readFileSync(resolve(PACKAGE_DIR, 'package.json'), 'utf8')) as { files: string[] };
    expect(pkg.files).toEqual(expect.arrayContaining(['dist', 'cps.json', 'requests.txt']));
    expect(dockerfile).toContain('CENTRAL_CPS_FILE=/app/cps.json');
    expect(dockerfile).toContain('DRIVER_REQUESTS_FILE=/app/requests.txt');
  });
});

describe('.dockerignore (the build context of docker/Dockerfile)', () => {
  const ignoreFile = resolve(REPO_ROOT, '.dockerignore');
  const rules = existsSync(ignoreFile)
    ? readFileSync(ignoreFile, 'utf8')
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('#'))
    : [];
  /** Docker's rule: the last matching pattern wins; `!` re-includes. `**` spans folders, `*` does not. */
  const ignored = (path: string): boolean => {
    let result = false;
    for (const rule of rules) {
      const negate = rule.startsWith('!');
      const pattern = (negate ? rule.slice(1) : rule).replace(/^\//, '');
      const source = pattern
        .split(/(\*\*\/|\*\*|\*|\?)/)
        .map((part) => {
          if (part === '**/') return '(.*/)?';
          if (part === '**') return '.*';
          if (part === '*') return '[^/]*';
          if (part === '?') return '[^/]';
          return part.replace(/[.+^${}()|[\]\\]/g, '\\$&');
        })
        .join('');
      const regex = new RegExp(`^${source}(/.*)?$`);
      if (regex.test(path)) result = !negate;
    }
    return result;
  };

  it('is at the context root, the only ignore file the classic builder reads, and the only one', () => {
    expect(existsSync(ignoreFile)).toBe(true);
    const context = resolve(REPO_ROOT, root.services['ev-central']!.build!.context);
    expect(resolve(ignoreFile, '..')).toBe(context);
    expect(existsSync(resolve(REPO_ROOT, 'docker/Dockerfile.dockerignore'))).toBe(false);
  });

  it('keeps the repository, dependencies, broker data, local runs and secrets out', () => {
    for (const path of [
      '.git/HEAD',
      'node_modules/kafkajs/package.json',
      'packages/core/node_modules/tsyringe/package.json',
      'packages/core/dist/index.js',
      '.kafka/libs-4.4.0/kafka_2.13-4.4.0.jar',
      '.local-run/central.db',
      '.env',
    ]) {
      expect(ignored(path), path).toBe(true);
    }
  });

  it('keeps what the build stage needs', () => {
    for (const path of [
      'package.json',
      'pnpm-lock.yaml',
      'pnpm-workspace.yaml',
      'tsconfig.base.json',
      'packages/core/package.json',
      'packages/core/src/index.ts',
      'packages/central/src/index.ts',
      'examples/compose/package.json',
      'examples/compose/src/central.ts',
      'examples/compose/src/local-run/probes.ts',
      'examples/compose/cps.json',
      'examples/compose/requests.txt',
      'docker/prune-optional-peers.mjs',
    ]) {
      expect(ignored(path), path).toBe(false);
    }
  });
});

describe('.env.example', () => {
  it('is up to date with the role schemas (examples/compose/src/env-example.ts --write)', () => {
    expect(envExample).toBe(renderEnvExample());
  });

  it('lists every variable of every role and of the compose files, each with a meaning', () => {
    const all = [
      ...Object.values(ROLES).flatMap((role) => roleVariables(role as RoleDefinition<TObject>)),
      ...COMPOSE_VARIABLES.map((v) => v.name),
    ];
    for (const variable of all) {
      const line = new RegExp(`^# [^\\n]+\\n(# )?${variable}=`, 'm');
      expect(envExample, variable).toMatch(line);
    }
  });

  it('gives the defaults the schemas give', () => {
    for (const role of Object.values(ROLES) as RoleDefinition<TObject>[]) {
      for (const [field, schema] of Object.entries(role.schema.properties)) {
        const name = `${role.prefix}_${field.toUpperCase()}`;
        if (COMPOSE_VARIABLES.some((v) => v.name === name)) continue; // a compose-level line documents it
        const documented = new RegExp(`^# ${name}=(.*)$`, 'm').exec(envExample)?.[1];
        if (documented === undefined) continue;
        expect(documented, name).toBe(schema.default === undefined ? '' : String(schema.default));
      }
    }
  });
});

describe('local-run and compose describe the same topology', () => {
  it('same CPs, kW, prices and health ports', () => {
    const processes = localTopology(settingsFromEnv({}));
    for (const n of [1, 2]) {
      const local = processes.find((p) => p.name === `ev-cp-e-${n}`)!.env;
      const composed = serviceEnv(root.services[`ev-cp-e-${n}`]!);
      expect(local.CP_ENGINE_CP_ID).toBe(composed.CP_ENGINE_CP_ID);
      expect(Number(local.CP_ENGINE_KW_RATE)).toBe(Number(composed.CP_ENGINE_KW_RATE));
      expect(Number(local.CP_ENGINE_EURO_RATE)).toBe(Number(composed.CP_ENGINE_EURO_RATE));
      expect(local.CP_ENGINE_HEALTH_PORT).toBe(composed.CP_ENGINE_HEALTH_PORT);
    }
    expect(processes.map((p) => p.name)).toEqual(ROLE_SERVICES);
    const cps = JSON.parse(readFileSync(resolve(PACKAGE_DIR, 'cps.json'), 'utf8')) as {
      cp_id: string;
      kw: number;
    }[];
    expect(cps.map((c) => [c.cp_id, c.kw])).toEqual([
      ['CP-001', 22],
      ['CP-002', 50],
    ]);
  });
});
