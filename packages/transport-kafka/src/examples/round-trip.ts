/**
 * A CP status travels through Kafka and back: run a broker (`pnpm kafka:start`), then
 *   KAFKA_BOOTSTRAP=127.0.0.1:9092 pnpm exec tsx --conditions=@evcharging/source \
 *     packages/transport-kafka/src/examples/round-trip.ts
 */
import { createLogger, isoTime, RealClock } from '@evcharging/core';
import { KafkaTransport, kafkaBrokersFromEnv } from '../index.js';

const clock = new RealClock();
const logger = createLogger({ name: 'round-trip', level: process.env.LOG_LEVEL ?? 'warn' });
// The prefix keeps this demo's topics (demo.cp.status, ...) apart from a deployment on the same cluster.
const transport = new KafkaTransport({
  brokers: kafkaBrokersFromEnv(),
  clientId: 'round-trip',
  topicPrefix: 'demo.',
  clock,
  logger,
});

await transport.connect();
let resolveSeen!: () => void;
const seen = new Promise<void>((resolve) => {
  resolveSeen = resolve;
});
await transport.subscribe('cp.status', { group: 'central' }, (status, envelope) => {
  process.stdout.write(
    `${status.cp_id} is ${status.state} (partition ${envelope.partition}, offset ${envelope.offset})\n`,
  );
  resolveSeen();
});
await transport.publish('cp.status', { cp_id: 'CP-001', state: 'ACTIVATED', ts: isoTime(clock.now()) });
await seen;
process.stdout.write(`stats: ${JSON.stringify(transport.stats())}\n`);
await transport.close();
