import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RoleName } from '../roles/index.js';

/** The repository root (this file is examples/compose/{src,dist}/local-run/). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
export const PACKAGE_DIR = resolve(REPO_ROOT, 'examples/compose');

/** One charging point of the seed's topology. */
export interface CpSpec {
  cpId: string;
  location: string;
  kw: number;
  priceEurKwh: number;
  /** The engine's health port. */
  port: number;
}

/** Where and how local-run runs, fixed at `start` and saved so stop/status/restart agree. */
export interface LocalRunSettings {
  dir: string;
  /** Broker the roles use. */
  bootstrap: string;
  /** Port of the broker local-run started with scripts/kafka.sh (stopped with it), or null. */
  kafkaPort: number | null;
  topicPrefix: string;
  /** Interface Central and the engines' health servers listen on (`LOCAL_RUN_BIND_HOST`). */
  bindHost: string;
  /** Where local-run, the monitors and verify.sh reach them: the bind address, loopback for a wildcard. */
  localHost: string;
  httpPort: number;
  tcpPort: number;
  /** `source` runs src/*.ts through tsx; `dist` runs the compiled dist/*.js (after pnpm build). */
  mode: 'source' | 'dist';
  cps: CpSpec[];
  driverId: string;
  requestsFile: string;
}

/** One process of the topology: the compose service name it stands for, its role and variables. */
export interface ProcessSpec {
  name: string;
  role: RoleName;
  env: Record<string, string>;
  /** What "up" means for it. */
  ready: { kind: 'http'; url: string } | { kind: 'health-port'; port: number } | { kind: 'none' };
}

/** The seed's two charging points (docker-compose.yml has the same). */
export function seedCps(ports: readonly number[]): CpSpec[] {
  const [p1 = 8001, p2 = 8002] = ports;
  return [
    { cpId: 'CP-001', location: 'Station 1, bay A', kw: 22, priceEurKwh: 0.3, port: p1 },
    { cpId: 'CP-002', location: 'Station 1, bay B', kw: 50, priceEurKwh: 0.35, port: p2 },
  ];
}

const WILDCARDS = new Set(['0.0.0.0', '::']);

/** The address local processes reach a server at that listens on `bindHost`. */
export function localHostOf(bindHost: string): string {
  return WILDCARDS.has(bindHost) ? '127.0.0.1' : bindHost;
}

function integer(env: Record<string, string | undefined>, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    throw new RangeError(`${name}: expected a TCP port (1 to 65535), got ${JSON.stringify(raw)}`);
  }
  return n;
}

/**
 * Reads local-run's own variables: `LOCAL_RUN_DIR`, `LOCAL_RUN_ENGINE_PORTS` (8001,8002),
 * `LOCAL_RUN_MODE` (source|dist), `LOCAL_RUN_BIND_HOST` (127.0.0.1; 0.0.0.0 serves other machines),
 * `KAFKA_BOOTSTRAP` (else a broker on `KAFKA_PORT`, default 9092, through scripts/kafka.sh, which
 * also reads `KAFKA_LISTEN_HOST` and `KAFKA_ADVERTISED_HOST`), and the role variables it needs to
 * know (`CENTRAL_HTTP_PORT`, `CENTRAL_LISTEN_PORT`, `KAFKA_TOPIC_PREFIX`, `DRIVER_DRIVER_ID`,
 * `DRIVER_REQUESTS_FILE`).
 */
export function settingsFromEnv(env: Record<string, string | undefined>): LocalRunSettings {
  const dir = resolve(REPO_ROOT, env.LOCAL_RUN_DIR?.trim() || '.local-run');
  const ports = (env.LOCAL_RUN_ENGINE_PORTS?.trim() || '8001,8002').split(',').map((p, i) => {
    const n = Number(p.trim());
    if (!Number.isInteger(n) || n < 1 || n > 65535) {
      throw new RangeError(`LOCAL_RUN_ENGINE_PORTS: port ${i + 1} is not a TCP port: ${JSON.stringify(p)}`);
    }
    return n;
  });
  if (ports.length !== 2) {
    throw new RangeError(`LOCAL_RUN_ENGINE_PORTS: expected two ports (CP-001,CP-002), got ${ports.length}`);
  }
  const mode = env.LOCAL_RUN_MODE?.trim() || 'source';
  if (mode !== 'source' && mode !== 'dist') {
    throw new RangeError(`LOCAL_RUN_MODE: expected source or dist, got ${JSON.stringify(mode)}`);
  }
  const bootstrap = env.KAFKA_BOOTSTRAP?.trim();
  const kafkaPort = bootstrap ? null : integer(env, 'KAFKA_PORT', 9092);
  // The broker scripts/kafka.sh starts is reached at the address it advertises.
  const kafkaHost =
    env.KAFKA_ADVERTISED_HOST?.trim() || localHostOf(env.KAFKA_LISTEN_HOST?.trim() || '127.0.0.1');
  const bindHost = env.LOCAL_RUN_BIND_HOST?.trim() || '127.0.0.1';
  return {
    dir,
    bootstrap: bootstrap || `${kafkaHost}:${kafkaPort}`,
    kafkaPort,
    topicPrefix: env.KAFKA_TOPIC_PREFIX?.trim() ?? '',
    bindHost,
    localHost: localHostOf(bindHost),
    httpPort: integer(env, 'CENTRAL_HTTP_PORT', 8000),
    tcpPort: integer(env, 'CENTRAL_LISTEN_PORT', 9999),
    mode,
    cps: seedCps(ports),
    driverId: env.DRIVER_DRIVER_ID?.trim() || 'driver-alice',
    requestsFile: resolve(REPO_ROOT, env.DRIVER_REQUESTS_FILE?.trim() || 'examples/compose/requests.txt'),
  };
}

/** Variables of the user's environment handed to the roles (so `CP_ENGINE_SESSION_DURATION=3` works). */
export function passThrough(env: Record<string, string | undefined>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (/^(CENTRAL|CP_ENGINE|CP_MONITOR|DRIVER|KAFKA)_/.test(name) || name === 'LOG_LEVEL')
      kept[name] = value;
  }
  return kept;
}

export const cpsFileOf = (s: LocalRunSettings) => resolve(s.dir, 'cps.json');
export const driverStateFileOf = (s: LocalRunSettings, driverId = s.driverId) =>
  resolve(s.dir, `${driverId}.state.json`);
export const outboxFileOf = (s: LocalRunSettings, cpId: string) => resolve(s.dir, `${cpId}.outbox.json`);

/** Central, the two engines, their monitors and a driver, as the compose services name them. */
export function localTopology(settings: LocalRunSettings): ProcessSpec[] {
  const kafka = {
    KAFKA_BOOTSTRAP: settings.bootstrap,
    ...(settings.topicPrefix ? { KAFKA_TOPIC_PREFIX: settings.topicPrefix } : {}),
  };
  const specs: ProcessSpec[] = [
    {
      name: 'ev-central',
      role: 'central',
      env: {
        ...kafka,
        CENTRAL_HTTP_PORT: String(settings.httpPort),
        CENTRAL_LISTEN_PORT: String(settings.tcpPort),
        CENTRAL_BIND_HOST: settings.bindHost,
        CENTRAL_DB_URL: `sqlite:///${resolve(settings.dir, 'central.db')}`,
        CENTRAL_CPS_FILE: cpsFileOf(settings),
      },
      ready: { kind: 'http', url: `http://${settings.localHost}:${settings.httpPort}/health` },
    },
  ];
  settings.cps.forEach((cp, i) => {
    specs.push({
      name: `ev-cp-e-${i + 1}`,
      role: 'cp-engine',
      env: {
        ...kafka,
        CP_ENGINE_CP_ID: cp.cpId,
        CP_ENGINE_HEALTH_PORT: String(cp.port),
        CP_ENGINE_HEALTH_HOST: settings.bindHost,
        CP_ENGINE_KW_RATE: String(cp.kw),
        CP_ENGINE_EURO_RATE: String(cp.priceEurKwh),
        CP_ENGINE_OUTBOX_FILE: outboxFileOf(settings, cp.cpId),
      },
      ready: { kind: 'health-port', port: cp.port },
    });
  });
  settings.cps.forEach((cp, i) => {
    specs.push({
      name: `ev-cp-m-${i + 1}`,
      role: 'cp-monitor',
      env: {
        CP_MONITOR_CP_ID: cp.cpId,
        CP_MONITOR_CP_E_HOST: settings.localHost,
        CP_MONITOR_CP_E_PORT: String(cp.port),
        CP_MONITOR_CENTRAL_HOST: settings.localHost,
        CP_MONITOR_CENTRAL_PORT: String(settings.httpPort),
      },
      ready: { kind: 'none' },
    });
  });
  specs.push({
    name: 'ev-driver',
    role: 'driver',
    env: {
      ...kafka,
      DRIVER_DRIVER_ID: settings.driverId,
      DRIVER_REQUESTS_FILE: settings.requestsFile,
      DRIVER_STATE_FILE: driverStateFileOf(settings),
    },
    ready: { kind: 'none' },
  });
  return specs;
}

/**
 * Node flags of every role process, as the images set them in `NODE_OPTIONS`: semi-spaces of up to
 * 64 MiB, so a role holding thousands of CPs promotes fewer short-lived messages (see the Dockerfile).
 */
export const ROLE_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=64'];

/** Command line of a role process: node itself (so its pid is the role's, for kill -9). */
export function commandOf(role: RoleName, mode: LocalRunSettings['mode']): string[] {
  if (mode === 'dist') return [...ROLE_NODE_FLAGS, resolve(PACKAGE_DIR, `dist/${role}.js`)];
  return [
    ...ROLE_NODE_FLAGS,
    '--conditions=@evcharging/source',
    '--import',
    'tsx',
    resolve(PACKAGE_DIR, `src/${role}.ts`),
  ];
}
