import { randomUUID } from 'node:crypto';
import { createLogger, RealClock, TOPIC_NAMES } from '@evcharging/core';
import { advanceUntil, letTimePass, type TransportTestbed } from '@evcharging/core/testing';
import kafkajs from 'kafkajs';
import { deadLetterTopic } from '../dead-letter.js';
import type { KafkaTransportOptions } from '../kafka-options.js';
import { KafkaTransport } from '../kafka-transport.js';

const clock = new RealClock();
let beds = 0;

/** A unique topic prefix, so tests never share topics or groups even on a long-lived broker. */
export function uniquePrefix(): string {
  return `t${process.pid}-${++beds}-${randomUUID().slice(0, 8)}.`;
}

/** Settings that keep group joins and rebalances quick against a local broker. */
export function testOptions(bootstrap: string, prefix: string, nodeId: string): KafkaTransportOptions {
  return {
    brokers: [bootstrap],
    clientId: nodeId,
    topicPrefix: prefix,
    groupIdPrefix: prefix,
    topics: { partitions: 2, replicationFactor: 1 },
    consumer: {
      sessionTimeoutMs: 6_000,
      heartbeatIntervalMs: 300,
      maxWaitTimeMs: 100,
      joinTimeoutMs: 30_000,
    },
    handlerRetry: { initialBackoffMs: 50, maxBackoffMs: 500 },
    logger: createLogger({ name: `kafka-test:${nodeId}` }),
  };
}

export interface KafkaTestbed extends TransportTestbed {
  readonly prefix: string;
  readonly bootstrap: string;
  /** A transport with extra options on top of the test settings (connected). */
  transportWith(nodeId: string, overrides: Partial<KafkaTransportOptions>): Promise<KafkaTransport>;
  /** A plain kafkajs client on the same broker, for raw reads and writes. */
  readonly raw: InstanceType<typeof kafkajs.Kafka>;
}

/** The contract suite's testbed on a real broker: fresh topics per test, everything closed after. */
export function kafkaTestbed(bootstrap: string): KafkaTestbed {
  const prefix = uniquePrefix();
  const transports: KafkaTransport[] = [];
  const raw = new kafkajs.Kafka({
    brokers: [bootstrap],
    clientId: 'raw-test',
    logLevel: kafkajs.logLevel.NOTHING,
  });
  const make = async (nodeId: string, overrides: Partial<KafkaTransportOptions>) => {
    const t = new KafkaTransport({ ...testOptions(bootstrap, prefix, nodeId), ...overrides });
    transports.push(t);
    await t.connect();
    return t;
  };
  return {
    prefix,
    bootstrap,
    raw,
    transport: (nodeId) => make(nodeId, {}),
    transportWith: make,
    waitFor: (predicate, timeoutMs = 20_000) => advanceUntil(clock, predicate, { timeoutMs, pollMs: 20 }),
    settle: (ms) => letTimePass(clock, ms),
    async teardown() {
      await Promise.all(transports.map((t) => t.close()));
      // Keep a long-lived dev broker small: drop this test's topics (best effort).
      const admin = raw.admin();
      try {
        await admin.connect();
        const topics = TOPIC_NAMES.map((t) => `${prefix}${t}`);
        const existing = new Set(await admin.listTopics());
        const mine = [...topics, ...topics.map(deadLetterTopic)].filter((t) => existing.has(t));
        if (mine.length > 0) await admin.deleteTopics({ topics: mine, timeout: 10_000 });
      } catch {
        // a broker that is down after a restart test is not this test's failure
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    },
  };
}
