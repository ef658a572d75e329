import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

/** What the setup tells the process tests (through vitest's `provide`/`inject`). */
export interface E2eBroker {
  /** `host:port` of the broker, or null when the tests that need one must be skipped. */
  bootstrap: string | null;
  skipReason: string | null;
}

declare module 'vitest' {
  export interface ProvidedContext {
    e2eKafka: E2eBroker;
  }
}

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const KAFKA_SCRIPT = resolve(REPO_ROOT, 'scripts/kafka.sh');

function kafkaScript(command: 'start' | 'stop' | 'status', port: number, timeoutMs: number) {
  const started = performance.now();
  const result = spawnSync('bash', [KAFKA_SCRIPT, command], {
    env: { ...process.env, KAFKA_PORT: String(port) },
    encoding: 'utf8',
    timeout: timeoutMs,
  });
  return {
    ok: result.status === 0,
    output: `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error) : ''}`.trim(),
    ms: performance.now() - started,
  };
}

const hasCommand = (name: string) => spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;

/**
 * The approach of transport-kafka's global setup, on a port of its own so the two projects never
 * stop each other's broker: `KAFKA_BOOTSTRAP` if set; else scripts/kafka.sh on `KAFKA_E2E_PORT`
 * (default 19192), stopped at teardown if started here; else skip with one loud line, or fail
 * with `REQUIRE_KAFKA=1`.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const provide = (broker: E2eBroker) => project.provide('e2eKafka', broker);
  const unavailable = (reason: string) => {
    if (process.env.REQUIRE_KAFKA === '1') {
      throw new Error(`REQUIRE_KAFKA=1 but no Kafka broker is available: ${reason}`);
    }
    process.stderr.write(
      `\n!!! example-compose: SKIPPING the process and end-to-end tests: ${reason} !!!\n\n`,
    );
    provide({ bootstrap: null, skipReason: reason });
    return undefined;
  };
  if (process.env.EXAMPLE_COMPOSE_STATIC_ONLY === '1') {
    // `pnpm compose:check` runs only the static compose checks: no broker to start.
    provide({ bootstrap: null, skipReason: 'static checks only' });
    return undefined;
  }
  const bootstrap = process.env.KAFKA_BOOTSTRAP?.trim();
  if (bootstrap) {
    provide({ bootstrap, skipReason: null });
    return undefined;
  }
  if (!hasCommand('java')) {
    return unavailable('KAFKA_BOOTSTRAP is unset and java is not on PATH (install Java 17+ and Maven)');
  }
  const port = Number(process.env.KAFKA_E2E_PORT ?? 19192);
  const before = kafkaScript('status', port, 20_000);
  if (!before.ok) {
    const started = kafkaScript('start', port, 180_000);
    if (!started.ok) {
      return unavailable(
        `scripts/kafka.sh start failed on port ${port}: ${started.output.split('\n').slice(-5).join(' | ')}`,
      );
    }
    process.stderr.write(
      `example-compose: started Kafka on 127.0.0.1:${port} in ${(started.ms / 1000).toFixed(1)} s\n`,
    );
  }
  provide({ bootstrap: `127.0.0.1:${port}`, skipReason: null });
  if (before.ok) return undefined;
  return async () => {
    const stopped = kafkaScript('stop', port, 60_000);
    if (!stopped.ok)
      process.stderr.write(`example-compose: stopping the test broker failed: ${stopped.output}\n`);
  };
}
