import { execFile, spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What the global setup tells the Kafka test files (through vitest's `provide`/`inject`). */
export interface KafkaTestBroker {
  /** `host:port` of the broker to use, or null when the Kafka tests must be skipped. */
  bootstrap: string | null;
  /** Port of a broker that `scripts/kafka.sh` manages (so a test may stop and start it), or null. */
  scriptPort: number | null;
  /** Why there is no broker (null when there is one). */
  skipReason: string | null;
}

declare module 'vitest' {
  export interface ProvidedContext {
    kafka: KafkaTestBroker;
  }
}

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
export const KAFKA_SCRIPT = resolve(REPO_ROOT, 'scripts/kafka.sh');

/** The script's environment: our port, and more patience than its 90 s default on a busy machine. */
function scriptEnv(port: number, env: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    KAFKA_PORT: String(port),
    KAFKA_START_TIMEOUT: process.env.KAFKA_START_TIMEOUT ?? '170',
    ...env,
  };
}

export interface ScriptResult {
  ok: boolean;
  status: number | null;
  output: string;
  ms: number;
}

/** Runs `scripts/kafka.sh <command>` for the broker on `port` (`env`: more of the script's variables). */
export function kafkaScript(
  command: 'start' | 'stop' | 'status' | 'path',
  port: number,
  timeoutMs = 180_000,
  env: NodeJS.ProcessEnv = {},
): ScriptResult {
  const started = performance.now();
  const result = spawnSync('bash', [KAFKA_SCRIPT, command], {
    env: scriptEnv(port, env),
    encoding: 'utf8',
    timeout: timeoutMs,
  });
  return {
    ok: result.status === 0,
    status: result.status,
    output: `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error) : ''}`.trim(),
    ms: performance.now() - started,
  };
}

export function commandExists(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).status === 0;
}

/** The port of `bootstrap` when it is a single loopback broker that scripts/kafka.sh runs. */
export function scriptManagedPort(bootstrap: string): number | null {
  const match = /^(?:127\.0\.0\.1|localhost):(\d+)$/.exec(bootstrap.trim());
  if (!match || !commandExists('java')) return null;
  const port = Number(match[1]);
  return kafkaScript('status', port, 20_000).ok ? port : null;
}

/** Like {@link kafkaScript} but without blocking the event loop (kafkajs keeps running meanwhile). */
export function kafkaScriptAsync(
  command: 'start' | 'stop',
  port: number,
  timeoutMs = 180_000,
): Promise<ScriptResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    execFile(
      'bash',
      [KAFKA_SCRIPT, command],
      { env: scriptEnv(port), encoding: 'utf8', timeout: timeoutMs },
      (error, stdout, stderr) => {
        resolve({
          ok: !error,
          status: error ? (typeof error.code === 'number' ? error.code : 1) : 0,
          output: `${stdout}${stderr}`.trim(),
          ms: performance.now() - started,
        });
      },
    );
  });
}
