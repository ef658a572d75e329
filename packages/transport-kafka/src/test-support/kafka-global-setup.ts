import type { TestProject } from 'vitest/node';
import { commandExists, type KafkaTestBroker, kafkaScript, scriptManagedPort } from './kafka-broker.js';

/**
 * Finds a broker for the Kafka tests, once for every test file of the project:
 * - `KAFKA_BOOTSTRAP` set: use it;
 * - else, with Java (and Maven on a cold jar cache): start one with scripts/kafka.sh on
 *   `KAFKA_TEST_PORT` (default 19092, so a developer's own broker on 9092 is left alone), and stop
 *   it at teardown if this setup started it;
 * - else skip the Kafka tests with one loud line, or fail the run when `REQUIRE_KAFKA=1`.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const required = process.env.REQUIRE_KAFKA === '1';
  const provide = (broker: KafkaTestBroker) => project.provide('kafka', broker);
  const unavailable = (reason: string) => {
    if (required) throw new Error(`REQUIRE_KAFKA=1 but no Kafka broker is available: ${reason}`);
    process.stderr.write(`\n!!! transport-kafka: SKIPPING every Kafka test: ${reason} !!!\n\n`);
    provide({ bootstrap: null, scriptPort: null, skipReason: reason });
    return undefined;
  };

  const bootstrap = process.env.KAFKA_BOOTSTRAP?.trim();
  if (bootstrap) {
    const scriptPort = scriptManagedPort(bootstrap);
    if (scriptPort === null) {
      process.stderr.write(
        `\n!!! transport-kafka: SKIPPING the broker restart test: KAFKA_BOOTSTRAP=${bootstrap} is not a broker scripts/kafka.sh runs, so the test cannot stop and start it !!!\n\n`,
      );
    }
    provide({ bootstrap, scriptPort, skipReason: null });
    return undefined;
  }
  if (!commandExists('java')) {
    return unavailable(
      'KAFKA_BOOTSTRAP is unset and java is not on PATH (install Java 17+ and Maven, or point KAFKA_BOOTSTRAP at a broker)',
    );
  }
  const port = Number(process.env.KAFKA_TEST_PORT ?? 19092);
  const before = kafkaScript('status', port, 20_000);
  if (!before.ok) {
    if (!commandExists('mvn'))
      process.stderr.write('transport-kafka: mvn not on PATH; works only with a warm jar cache\n');
    const started = kafkaScript('start', port);
    if (!started.ok)
      return unavailable(
        `scripts/kafka.sh start failed on port ${port}: ${started.output.split('\n').slice(-5).join(' | ')}`,
      );
    process.stderr.write(
      `transport-kafka: started Kafka on 127.0.0.1:${port} in ${(started.ms / 1000).toFixed(1)} s\n`,
    );
  }
  provide({ bootstrap: `127.0.0.1:${port}`, scriptPort: port, skipReason: null });
  if (before.ok) return undefined;
  return async () => {
    const stopped = kafkaScript('stop', port, 60_000);
    if (!stopped.ok)
      process.stderr.write(`transport-kafka: stopping the test broker failed: ${stopped.output}\n`);
  };
}
