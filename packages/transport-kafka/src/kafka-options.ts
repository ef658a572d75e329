import type { ConnectionOptions } from 'node:tls';
import type { Clock, Logger } from '@evcharging/core';
import type { RetryOptions, SASLOptions } from 'kafkajs';

/** Codecs a producer may compress batches with; all but gzip need a kafkajs codec package registered. */
export type KafkaCompression = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

/** Consumer-side settings, one kafkajs consumer per subscription. */
export interface KafkaConsumerSettings {
  /** Group session timeout, ms (default 30,000; the broker's minimum is usually 6,000). */
  sessionTimeoutMs?: number;
  /** Heartbeat interval, ms (default 3,000; keep it under a third of the session timeout). */
  heartbeatIntervalMs?: number;
  /** How long the coordinator waits for every member to rejoin during a rebalance, ms (default 60,000). */
  rebalanceTimeoutMs?: number;
  /** Longest a fetch waits for data, ms (default 500). Also bounds how fast a rebalance is noticed. */
  maxWaitTimeMs?: number;
  /** Partitions whose batches are handled concurrently (default 1; order per partition always holds). */
  partitionsConsumedConcurrently?: number;
  /** How long `subscribe()` waits for the group join, ms (default 60,000). */
  joinTimeoutMs?: number;
  /**
   * How often each subscription reads its partitions' log end for `stats().backlog`, ms (default
   * 5,000; 0 never: the lag then counts only up to each fetch's high watermark, which a slow
   * consumer still busy with an old batch does not see move). One ListOffsets request each time.
   */
  lagRefreshMs?: number;
}

/** Producer-side settings: `publish()` calls are coalesced into batches, one request in flight. */
export interface KafkaProducerSettings {
  /** Most messages in one produce request (default 1,000). */
  maxBatchMessages?: number;
  /** Most bytes (keys + values) in one produce request (default 512 KiB, under the broker's 1 MiB). */
  maxBatchBytes?: number;
  /**
   * Largest message `publish()` accepts, bytes of JSON (default 1,000,000, under the broker's
   * default `message.max.bytes` of 1 MiB). A bigger one is refused at once instead of failing the
   * whole request it would travel in.
   */
  maxMessageBytes?: number;
  /** Extra wait before a batch is sent, ms (default 0: send as soon as the current burst of calls ends). */
  lingerMs?: number;
  /** Required acknowledgements: -1 all in-sync replicas (default), 1 leader only, 0 none. */
  acks?: -1 | 0 | 1;
  /** kafkajs idempotent producer (experimental there; needs acks -1). Default false. */
  idempotent?: boolean;
  /** Broker-side timeout of one produce request, ms (default 30,000). */
  timeoutMs?: number;
  /**
   * How long a publish keeps being retried through transient failures (broker restarting, leader
   * moving) before it fails, ms (default 120,000, as Kafka's Java producer).
   */
  deliveryTimeoutMs?: number;
}

/** What happens when a handler throws. */
export interface KafkaHandlerRetry {
  /** Delivery attempts before the message is dead-lettered (default 5). */
  maxAttempts?: number;
  /** Delay before the second attempt, ms; doubled each further attempt (default 100). */
  initialBackoffMs?: number;
  /** Longest delay between attempts, ms (default 5,000). */
  maxBackoffMs?: number;
}

/** Topics the transport creates in `connect()` when they are missing. */
export interface KafkaTopicSettings {
  /** Create missing contract topics and their `.dlq` topics at connect (default true). */
  create?: boolean;
  /** Partitions of created topics (default 3). */
  partitions?: number;
  /** Replication factor of created topics (default -1: the broker's `default.replication.factor`). */
  replicationFactor?: number;
  /** Extra topic configs for created topics, e.g. `[{ name: 'retention.ms', value: '86400000' }]`. */
  configEntries?: { name: string; value: string }[];
}

/**
 * Options of {@link KafkaTransport}. Only `brokers` is required.
 *
 * @example
 * const transport = new KafkaTransport({ brokers: kafkaBrokersFromEnv(), clientId: 'central' });
 */
export interface KafkaTransportOptions {
  /** Bootstrap brokers, `host:port` (see {@link kafkaBrokersFromEnv}). */
  brokers: string[];
  /** kafkajs client id, also the transport's name (default `evcharging`). */
  clientId?: string;
  /** Prepended to every Kafka topic name, e.g. `site-a.` gives `site-a.cp.status` (default none). */
  topicPrefix?: string;
  /**
   * Prepended to every consumer group id (default none). The Kafka group id of a subscription is
   * `<groupIdPrefix><group>.<topic>`: one kafkajs consumer per topic, so members of one group that
   * subscribe to different topics never receive partitions they did not ask for.
   */
  groupIdPrefix?: string;
  topics?: KafkaTopicSettings;
  /** TLS, passed to kafkajs (`true` for the system CAs, or `tls.connect` options). */
  ssl?: boolean | ConnectionOptions;
  /** SASL, passed to kafkajs: `{ mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512', username, password }`. */
  sasl?: SASLOptions;
  compression?: KafkaCompression;
  producer?: KafkaProducerSettings;
  consumer?: KafkaConsumerSettings;
  handlerRetry?: KafkaHandlerRetry;
  /**
   * kafkajs retries of broker requests (default: 12 retries, 300 ms growing to 5 s, about 45 s in
   * all), long enough to ride out a broker restart without losing a publish.
   */
  retry?: RetryOptions;
  /** TCP connect timeout, ms (default 3,000). */
  connectionTimeoutMs?: number;
  /** Request timeout, ms (default 30,000). */
  requestTimeoutMs?: number;
  /** Time source for retry backoff and publish timestamps (default a RealClock). */
  clock?: Clock;
  /** Where the transport's and kafkajs' logs go (default silent). */
  logger?: Logger;
}

/** The options with every default applied. */
export interface ResolvedKafkaOptions {
  clientId: string;
  topicPrefix: string;
  groupIdPrefix: string;
  topics: Required<KafkaTopicSettings>;
  compression: KafkaCompression;
  producer: Required<KafkaProducerSettings>;
  consumer: Required<KafkaConsumerSettings>;
  handlerRetry: Required<KafkaHandlerRetry>;
  retry: RetryOptions;
}

export const DEFAULT_RETRY: RetryOptions = {
  initialRetryTime: 300,
  maxRetryTime: 5_000,
  retries: 12,
};

/** Applies the defaults and checks the numbers; a bad value throws naming the option. */
export function resolveKafkaOptions(options: KafkaTransportOptions): ResolvedKafkaOptions {
  if (!Array.isArray(options.brokers) || options.brokers.length === 0) {
    throw new TypeError('KafkaTransport: `brokers` must list at least one host:port');
  }
  for (const broker of options.brokers) {
    if (!/^[^\s:]+:\d{1,5}$/.test(broker)) {
      throw new TypeError(`KafkaTransport: broker "${broker}" is not host:port`);
    }
  }
  const topicPrefix = options.topicPrefix ?? '';
  if (!/^[A-Za-z0-9._-]*$/.test(topicPrefix)) {
    throw new TypeError(
      `KafkaTransport: topicPrefix "${topicPrefix}" may only hold letters, digits, ".", "_" and "-"`,
    );
  }
  const resolved: ResolvedKafkaOptions = {
    clientId: options.clientId ?? 'evcharging',
    topicPrefix,
    groupIdPrefix: options.groupIdPrefix ?? '',
    topics: {
      create: options.topics?.create ?? true,
      partitions: options.topics?.partitions ?? 3,
      replicationFactor: options.topics?.replicationFactor ?? -1,
      configEntries: options.topics?.configEntries ?? [],
    },
    compression: options.compression ?? 'none',
    producer: {
      maxBatchMessages: options.producer?.maxBatchMessages ?? 1_000,
      maxBatchBytes: options.producer?.maxBatchBytes ?? 512 * 1024,
      maxMessageBytes: options.producer?.maxMessageBytes ?? 1_000_000,
      lingerMs: options.producer?.lingerMs ?? 0,
      acks: options.producer?.acks ?? -1,
      idempotent: options.producer?.idempotent ?? false,
      timeoutMs: options.producer?.timeoutMs ?? 30_000,
      deliveryTimeoutMs: options.producer?.deliveryTimeoutMs ?? 120_000,
    },
    consumer: {
      sessionTimeoutMs: options.consumer?.sessionTimeoutMs ?? 30_000,
      heartbeatIntervalMs: options.consumer?.heartbeatIntervalMs ?? 3_000,
      rebalanceTimeoutMs: options.consumer?.rebalanceTimeoutMs ?? 60_000,
      maxWaitTimeMs: options.consumer?.maxWaitTimeMs ?? 500,
      partitionsConsumedConcurrently: options.consumer?.partitionsConsumedConcurrently ?? 1,
      joinTimeoutMs: options.consumer?.joinTimeoutMs ?? 60_000,
      lagRefreshMs: options.consumer?.lagRefreshMs ?? 5_000,
    },
    handlerRetry: {
      maxAttempts: options.handlerRetry?.maxAttempts ?? 5,
      initialBackoffMs: options.handlerRetry?.initialBackoffMs ?? 100,
      maxBackoffMs: options.handlerRetry?.maxBackoffMs ?? 5_000,
    },
    retry: { ...DEFAULT_RETRY, ...options.retry },
  };
  const positive: [string, number][] = [
    ['topics.partitions', resolved.topics.partitions],
    ['producer.maxBatchMessages', resolved.producer.maxBatchMessages],
    ['producer.maxBatchBytes', resolved.producer.maxBatchBytes],
    ['producer.maxMessageBytes', resolved.producer.maxMessageBytes],
    ['producer.deliveryTimeoutMs', resolved.producer.deliveryTimeoutMs],
    ['consumer.sessionTimeoutMs', resolved.consumer.sessionTimeoutMs],
    ['consumer.heartbeatIntervalMs', resolved.consumer.heartbeatIntervalMs],
    ['consumer.maxWaitTimeMs', resolved.consumer.maxWaitTimeMs],
    ['consumer.partitionsConsumedConcurrently', resolved.consumer.partitionsConsumedConcurrently],
    ['consumer.joinTimeoutMs', resolved.consumer.joinTimeoutMs],
    ['handlerRetry.maxAttempts', resolved.handlerRetry.maxAttempts],
  ];
  for (const [name, value] of positive) {
    if (!Number.isFinite(value) || value < 1) {
      throw new RangeError(`KafkaTransport: ${name} must be a number >= 1, got ${value}`);
    }
  }
  if (!Number.isFinite(resolved.consumer.lagRefreshMs) || resolved.consumer.lagRefreshMs < 0) {
    throw new RangeError(
      `KafkaTransport: consumer.lagRefreshMs must be a number >= 0, got ${resolved.consumer.lagRefreshMs}`,
    );
  }
  if (resolved.consumer.heartbeatIntervalMs >= resolved.consumer.sessionTimeoutMs) {
    throw new RangeError(
      `KafkaTransport: consumer.heartbeatIntervalMs (${resolved.consumer.heartbeatIntervalMs}) must be below consumer.sessionTimeoutMs (${resolved.consumer.sessionTimeoutMs})`,
    );
  }
  return resolved;
}

/**
 * Reads the bootstrap brokers from the environment: a comma-separated `host:port` list in
 * `KAFKA_BOOTSTRAP` (or the variable you name), `localhost:9092` when unset.
 *
 * @example
 * new KafkaTransport({ brokers: kafkaBrokersFromEnv(process.env, 'CENTRAL_KAFKA_BOOTSTRAP') });
 */
export function kafkaBrokersFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
  variable = 'KAFKA_BOOTSTRAP',
): string[] {
  const raw = env[variable]?.trim();
  if (!raw) return ['localhost:9092'];
  const brokers = raw
    .split(',')
    .map((b) => b.trim().replace(/^[a-z]+:\/\//i, ''))
    .filter((b) => b.length > 0);
  for (const broker of brokers) {
    if (!/^[^\s:]+:\d{1,5}$/.test(broker)) {
      throw new TypeError(
        `${variable}: "${broker}" is not host:port (expected e.g. "localhost:9092,other:9092")`,
      );
    }
  }
  return brokers;
}
