import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const script = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'scripts', 'kafka.sh');

export interface BenchBroker {
  bootstrap: string;
  /** How the broker was found: `KAFKA_BOOTSTRAP`, already running on the port, or started now. */
  source: 'KAFKA_BOOTSTRAP' | 'running' | 'started';
  startSeconds?: number;
  /** Stops the broker if this run started it. */
  release(): void;
}

function run(command: string, port: number): { ok: boolean; output: string } {
  try {
    const output = execFileSync('bash', [script, command], {
      env: { ...process.env, KAFKA_PORT: String(port) },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 300_000,
    });
    return { ok: true, output };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? e.message}` };
  }
}

/** `KAFKA_BOOTSTRAP` if set, else a broker from scripts/kafka.sh on `port` (started if needed). */
export function benchBroker(port: number): BenchBroker {
  const fromEnv = process.env.KAFKA_BOOTSTRAP?.trim();
  if (fromEnv) return { bootstrap: fromEnv, source: 'KAFKA_BOOTSTRAP', release: () => undefined };
  const bootstrap = `127.0.0.1:${port}`;
  if (run('status', port).ok) return { bootstrap, source: 'running', release: () => undefined };
  const started = performance.now();
  const start = run('start', port);
  if (!start.ok) throw new Error(`scripts/kafka.sh start failed on port ${port}:\n${start.output}`);
  return {
    bootstrap,
    source: 'started',
    startSeconds: (performance.now() - started) / 1000,
    release: () => {
      run('stop', port);
    },
  };
}
