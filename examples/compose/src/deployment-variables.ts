// The variables of the deployment, in one place: the roles' own (from their schemas) and those the
// compose files, local-run and verify.sh read. .env.example is rendered from here (env-example.ts).
import { resolve } from 'node:path';
import { envName } from '@evcharging/core';
import type { TObject, TSchema } from '@sinclair/typebox';
import { REPO_ROOT } from './local-run/local-topology.js';
import { ROLES } from './roles/index.js';
import type { RoleDefinition } from './roles/role-cli.js';

/** A variable that is not a role's own: read by the compose files, local-run or verify.sh. */
export interface DeploymentVariable {
  name: string;
  /** Empty string: no default. */
  value: string;
  meaning: string;
  /** Written commented out (documented, not set) in .env.example. */
  commented?: boolean;
}

export const COMPOSE_VARIABLES: DeploymentVariable[] = [
  {
    name: 'COMPOSE_PROJECT_NAME',
    value: 'ev-charging-simulation',
    meaning:
      'Compose project: the prefix of container, network and volume names (docker/compose.sh defaults to it; without it each Compose names the project after the folder).',
  },
  {
    name: 'KAFKA_BOOTSTRAP',
    value: '',
    meaning:
      'Kafka for every role whose own <ROLE>_KAFKA_BOOTSTRAP is unset. Compose default kafka:29092 (inside its network); required by docker-compose.remote-kafka.yml; local-run starts a broker on KAFKA_PORT when unset.',
  },
  {
    name: 'KAFKA_PORT',
    value: '9092',
    meaning: 'Port Kafka is published on (compose) or started on (local-run).',
  },
  {
    name: 'PUBLISH_HOST',
    value: '127.0.0.1',
    commented: true,
    meaning:
      "Host address the containers' ports are published on: 127.0.0.1, this machine only (default); 0.0.0.0 for lab machines that other machines connect to (./deploy.sh lab-central asks).",
  },
  {
    name: 'KAFKA_ADVERTISED_HOST',
    value: '127.0.0.1',
    commented: true,
    meaning:
      "Address clients outside Docker are told to reach the compose Kafka at on KAFKA_PORT (default 127.0.0.1; this machine's address for lab deployments). scripts/kafka.sh reads it too.",
  },
  {
    name: 'KAFKA_IMAGE',
    value: 'apache/kafka',
    meaning:
      'Kafka image: the official apache/kafka, or evcharging-offline/kafka that docker/offline/build-base-images.sh builds without Docker Hub.',
  },
  {
    name: 'KAFKA_IMAGE_TAG',
    value: '4.1.1',
    meaning: 'Tag of the Kafka image (Apache Kafka 4.x, KRaft).',
  },
  {
    name: 'NODE_IMAGE',
    value: 'node:20-slim',
    meaning:
      'Node.js base of the role images: node:20-slim from Docker Hub, or evcharging-offline/node:20-slim that docker/offline/build-base-images.sh builds.',
  },
  {
    name: 'KAFKA_CLUSTER_ID',
    value: 'aUcyk4NbTmagWrZ3zWQgBw',
    meaning: 'KRaft cluster id of the compose Kafka (22 base64url characters).',
  },
  {
    name: 'KAFKA_TOPIC_PREFIX',
    value: '',
    meaning: 'Prefix of every topic and consumer group (several deployments on one broker); default none.',
  },
  {
    name: 'KAFKA_SESSION_TIMEOUT',
    value: '10',
    meaning:
      'Seconds before Kafka drops a consumer of a killed process, so its restart rejoins quickly (6 to 300).',
  },
  {
    name: 'CENTRAL_HOST',
    value: 'ev-central',
    commented: true,
    meaning:
      'Where monitors reach Central: the service ev-central on one machine (default), its address across machines; verify.sh --remote checks the Central there when it does not run here.',
  },
  {
    name: 'CP_MONITOR_CP_E_HOST',
    value: '',
    commented: true,
    meaning:
      'Where both monitors reach their engines when those run on another machine (default: the engine services ev-cp-e-1 and ev-cp-e-2).',
  },
  {
    name: 'CP_MONITOR_CENTRAL_PORT',
    value: '8000',
    meaning: "Central's HTTP port as the monitors see it (the published CENTRAL_HTTP_PORT across machines).",
  },
  {
    name: 'CENTRAL_HTTP_PORT',
    value: '8000',
    meaning: "Port Central's HTTP API and dashboard are published on (inside its container it is 8000).",
  },
  {
    name: 'CENTRAL_LISTEN_PORT',
    value: '9999',
    meaning: "Port Central's TCP control plane is published on (inside its container it is 9999).",
  },
  {
    name: 'CENTRAL_OCPP_PORT',
    value: '9000',
    meaning:
      "Port Central's OCPP 1.6J gateway is published on (inside its container it is 9000): chargers connect at ws://<host>:<port>/ocpp/<cp_id>.",
  },
  {
    name: 'CP_E_1_PORT',
    value: '8001',
    meaning:
      "Port CP-001's engine health server is published on (inside its container it is 8001; monitors on another machine need 8001).",
  },
  {
    name: 'CP_E_2_PORT',
    value: '8002',
    meaning:
      "Port CP-002's engine health server is published on (inside its container it is 8002; monitors on another machine need 8002).",
  },
  {
    name: 'DRIVER_REQUESTS_HOST_FILE',
    value: './examples/compose/requests.txt',
    meaning:
      'The requests file mounted into ev-driver (relative to the repository root, where both compose files are).',
  },
  { name: 'IMAGE_PREFIX', value: 'evcharging', meaning: 'Registry/namespace of the built images.' },
  { name: 'IMAGE_TAG', value: 'latest', meaning: 'Tag of the built images.' },
];

export const LOCAL_RUN_VARIABLES: DeploymentVariable[] = [
  {
    name: 'LOCAL_RUN_DIR',
    value: '.local-run',
    commented: true,
    meaning: 'Folder of pid files, logs, SQLite and outboxes.',
  },
  {
    name: 'LOCAL_RUN_ENGINE_PORTS',
    value: '8001,8002',
    commented: true,
    meaning: 'Health ports of CP-001 and CP-002.',
  },
  {
    name: 'LOCAL_RUN_BIND_HOST',
    value: '127.0.0.1',
    commented: true,
    meaning:
      "Interface Central and the engines' health servers listen on: 127.0.0.1, or 0.0.0.0 so that other machines reach them.",
  },
  {
    name: 'KAFKA_LISTEN_HOST',
    value: '127.0.0.1',
    commented: true,
    meaning:
      "scripts/kafka.sh (local-run's broker): interface of its client listener; with 0.0.0.0 set KAFKA_ADVERTISED_HOST to this machine's address.",
  },
  {
    name: 'LOCAL_RUN_MODE',
    value: 'source',
    commented: true,
    meaning: 'source (TypeScript through tsx) or dist (after pnpm build).',
  },
  {
    name: 'LOCAL_RUN_START_TIMEOUT',
    value: '90',
    commented: true,
    meaning: 'Seconds each process may take to come up.',
  },
  {
    name: 'LOCAL_RUN_KEEP_KAFKA',
    value: '0',
    commented: true,
    meaning: '1: local-run stop leaves the broker it started running.',
  },
  {
    name: 'EXPECTED_CPS',
    value: 'CP-001 CP-002',
    commented: true,
    meaning: 'verify.sh: the CPs Central must list.',
  },
  {
    name: 'VERIFY_HOST',
    value: '127.0.0.1',
    commented: true,
    meaning: 'verify.sh (compose): where the published ports are reached.',
  },
  {
    name: 'VERIFY_SESSION_TIMEOUT',
    value: '90',
    commented: true,
    meaning: 'verify.sh --session: seconds the test session may take.',
  },
];

/** Variables the compose files set per service (a CP id, a port): documented, never set in .env. */
const PER_SERVICE = new Set([
  'CENTRAL_HTTP_PORT',
  'CENTRAL_LISTEN_PORT',
  'CENTRAL_OCPP_PORT',
  'CENTRAL_DB_URL',
  'CENTRAL_CPS_FILE',
  'CENTRAL_KAFKA_BOOTSTRAP',
  'CP_ENGINE_CP_ID',
  'CP_ENGINE_HEALTH_PORT',
  'CP_ENGINE_KW_RATE',
  'CP_ENGINE_EURO_RATE',
  'CP_ENGINE_OUTBOX_FILE',
  'CP_ENGINE_KAFKA_BOOTSTRAP',
  'CP_MONITOR_CP_ID',
  'CP_MONITOR_CP_E_PORT',
  'CP_MONITOR_CP_E_HOST',
  'CP_MONITOR_CENTRAL_HOST',
  'CP_MONITOR_CENTRAL_PORT',
  'DRIVER_KAFKA_BOOTSTRAP',
  'DRIVER_REQUESTS_FILE',
  'DRIVER_STATE_FILE',
]);

/** The defaults a role's schema gives, by variable name ('' when none). */
export function roleDefaults(role: RoleDefinition<TObject>): Map<string, string> {
  const defaults = new Map<string, string>();
  for (const [field, schema] of Object.entries(role.schema.properties) as [string, TSchema][]) {
    defaults.set(envName(role.prefix, field), schema.default === undefined ? '' : String(schema.default));
  }
  return defaults;
}

function block(title: string, lines: string[]): string {
  return [`# ${'-'.repeat(4)} ${title} ${'-'.repeat(Math.max(4, 94 - title.length))}`, ...lines, ''].join(
    '\n',
  );
}

function variableLines(v: DeploymentVariable): string[] {
  return [`# ${v.meaning}`, `${v.commented ? '# ' : ''}${v.name}=${v.value}`];
}

/** The text of .env.example. */
export function renderEnvExample(): string {
  const header = [
    '# Every variable of the deployment, with its default and meaning. Copy to .env: compose reads it',
    '# for the variables docker-compose.yml and docker-compose.remote-kafka.yml interpolate (both sit',
    '# next to it), and so do docker/compose.sh, deploy.sh and verify.sh; a variable set in the',
    '# environment wins over its line here. Generated from the role schemas by',
    '# examples/compose/src/env-example.ts --write; `pnpm compose:check` fails when it is out of date.',
    '# Lines set here are compose-level knobs; commented lines document defaults and what each role reads.',
    '',
  ].join('\n');
  const parts = [header, block('compose level', COMPOSE_VARIABLES.flatMap(variableLines))];
  const composeNames = new Set(COMPOSE_VARIABLES.map((v) => v.name));
  for (const role of Object.values(ROLES) as RoleDefinition<TObject>[]) {
    const required = new Set(role.schema.required ?? []);
    const lines: string[] = [];
    for (const [field, schema] of Object.entries(role.schema.properties) as [string, TSchema][]) {
      const name = envName(role.prefix, field);
      if (composeNames.has(name)) continue;
      const fallbacks = (role.fallbacks as Record<string, string[]> | undefined)?.[field] ?? [];
      const meaning = (role.meanings as Record<string, string>)[field];
      const notes = [
        schema.default === undefined && required.has(field) ? 'required' : '',
        fallbacks.length > 0 ? `falls back to ${fallbacks.join(', ')}` : '',
        PER_SERVICE.has(name) ? 'set per service in the compose files' : '',
      ].filter(Boolean);
      lines.push(`# ${meaning}${notes.length ? ` (${notes.join('; ')})` : ''}`);
      lines.push(`# ${name}=${schema.default === undefined ? '' : String(schema.default)}`);
    }
    parts.push(block(`${role.program} (${role.prefix}_*, \`${role.program} --help\`)`, lines));
  }
  parts.push(block('local-run and verify.sh', LOCAL_RUN_VARIABLES.flatMap(variableLines)));
  return `${parts.join('\n').trimEnd()}\n`;
}

export const ENV_EXAMPLE = resolve(REPO_ROOT, '.env.example');
