#!/usr/bin/env node
// kafka-topics: lists a broker's topics (for verify.sh on machines without Kafka's own tools).
//   kafka-topics --bootstrap host:port [--prefix site-a.]   prints one topic a line, prefix removed;
//   exit 1 when the broker does not answer within 10 s.
import { parseArgs } from 'node:util';
import kafkajs from 'kafkajs';
import { parseBrokers } from './roles/kafka-settings.js';

const { values } = parseArgs({
  options: { bootstrap: { type: 'string' }, prefix: { type: 'string', default: '' } },
  strict: true,
});
const bootstrap = values.bootstrap ?? process.env.KAFKA_BOOTSTRAP ?? 'localhost:9092';
const prefix = values.prefix ?? '';
const kafka = new kafkajs.Kafka({
  brokers: parseBrokers(bootstrap),
  clientId: 'kafka-topics',
  logLevel: kafkajs.logLevel.NOTHING,
  connectionTimeout: 3_000,
  retry: { retries: 2 },
});
const admin = kafka.admin();
const deadline = setTimeout(() => {
  process.stderr.write(`kafka-topics: no answer from ${bootstrap} within 10 s\n`);
  process.exit(1);
}, 10_000);
try {
  await admin.connect();
  const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix)).sort();
  process.stdout.write(topics.map((t) => `${t.slice(prefix.length)}\n`).join(''));
  await admin.disconnect();
  clearTimeout(deadline);
} catch (error) {
  process.stderr.write(`kafka-topics: ${bootstrap}: ${(error as Error).message}\n`);
  process.exit(1);
}
