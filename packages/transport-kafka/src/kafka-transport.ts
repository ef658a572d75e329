import {
  type Clock,
  type ConsumerBacklog,
  ContractViolationError,
  count,
  emptyStats,
  keyOf,
  type Logger,
  type MessageHandler,
  type PublishOptions,
  RealClock,
  type SubscribeOptions,
  type Subscription,
  silentLogger,
  TOPIC_NAMES,
  type TopicMessage,
  type TopicName,
  type Transport,
  TransportClosedError,
  type TransportStats,
  validate,
} from '@evcharging/core';
import kafkajs, { type Admin, type Kafka, type Message, type Producer } from 'kafkajs';
import { deadLetterTopic } from './dead-letter.js';
import { connectError, isTransientKafkaError } from './kafka-errors.js';
import { kafkaLogCreator } from './kafka-log.js';
import {
  type KafkaCompression,
  type KafkaTransportOptions,
  type ResolvedKafkaOptions,
  resolveKafkaOptions,
} from './kafka-options.js';
import { KafkaSubscription } from './kafka-subscription.js';
import { ProduceBatcher } from './produce-batcher.js';
import { ensureTopics } from './topic-admin.js';

const { CompressionCodecs, CompressionTypes, Kafka: KafkaClient, logLevel, Partitioners } = kafkajs;

const CODECS: Record<KafkaCompression, number> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
};

/** How long `close()` lets queued publishes reach the broker before failing them. */
const CLOSE_FLUSH_MS = 10_000;

/**
 * The Kafka transport (kafkajs): contract topics on a real broker, validated on both sides,
 * keyed by the contract key with Kafka's default (murmur2) partitioner, consumer groups with
 * at-least-once delivery, dead-letter topics for what cannot be handled.
 *
 * @example
 * const transport = new KafkaTransport({ brokers: kafkaBrokersFromEnv(), clientId: 'central' });
 * await transport.connect();
 * await transport.subscribe('cp.status', { group: 'central' }, (status) => registry.apply(status));
 * await transport.publish('central.commands', { cmd: 'stop_cp', cp_id: 'CP-001' });
 */
export class KafkaTransport implements Transport {
  readonly name: string;
  private readonly options: ResolvedKafkaOptions;
  private readonly kafka: Kafka;
  private readonly clock: Clock;
  private readonly realTime: boolean;
  private readonly logger: Logger;
  private readonly compression: number;
  private readonly brokers: readonly string[];
  /** Whether SASL credentials were given (a refused connection without them gets a hint). */
  private readonly sasl: boolean;
  private readonly counters: TransportStats = emptyStats();
  /** Live subscriptions, with the contract topic and group they were made for (for the backlog). */
  private readonly subscriptions = new Map<KafkaSubscription, { topic: TopicName; group: string }>();
  /** Key filter and number of live subscriptions of each Kafka group this transport is in. */
  private readonly groupKeys = new Map<string, { key: string | undefined; members: number }>();
  private admin: Admin | undefined;
  private producer: Producer | undefined;
  private batcher: ProduceBatcher | undefined;
  private connecting: Promise<void> | undefined;
  private connected = false;
  private closed = false;

  constructor(options: KafkaTransportOptions) {
    this.options = resolveKafkaOptions(options);
    this.name = `kafka:${this.options.clientId}`;
    this.clock = options.clock ?? new RealClock();
    this.realTime = this.clock instanceof RealClock;
    this.logger = (options.logger ?? silentLogger()).child({ transport: this.name });
    this.compression = CODECS[this.options.compression];
    this.brokers = [...options.brokers];
    this.sasl = options.sasl !== undefined;
    if (this.compression === undefined) {
      throw new TypeError(`KafkaTransport: unknown compression "${String(this.options.compression)}"`);
    }
    if (this.compression !== CompressionTypes.None) {
      try {
        CompressionCodecs[this.compression as keyof typeof CompressionCodecs]();
      } catch {
        throw new TypeError(
          `KafkaTransport: compression "${this.options.compression}" needs a kafkajs codec; register one first, e.g. CompressionCodecs[CompressionTypes.ZSTD] = ...`,
        );
      }
    }
    this.kafka = new KafkaClient({
      clientId: this.options.clientId,
      brokers: options.brokers,
      ...(options.ssl !== undefined ? { ssl: options.ssl } : {}),
      ...(options.sasl !== undefined ? { sasl: options.sasl } : {}),
      connectionTimeout: options.connectionTimeoutMs ?? 3_000,
      requestTimeout: options.requestTimeoutMs ?? 30_000,
      retry: this.options.retry,
      logLevel: logLevel.INFO,
      logCreator: kafkaLogCreator(this.logger.child({ component: 'kafkajs' })),
    });
  }

  /** The Kafka topic a contract topic lives on (with the prefix). */
  kafkaTopic(topic: TopicName): string {
    return `${this.options.topicPrefix}${topic}`;
  }

  /** The Kafka consumer group id of `group` on `topic`. */
  kafkaGroupId(group: string, topic: TopicName): string {
    return `${this.options.groupIdPrefix}${group}.${topic}`;
  }

  /** Creates missing topics (and their dead-letter topics) and connects the producer. Idempotent. */
  async connect(): Promise<void> {
    if (this.closed) throw new TransportClosedError(this.name, 'connect');
    if (this.connected) return;
    this.connecting ??= this.open().catch((error: unknown) => {
      this.connecting = undefined;
      throw error;
    });
    return this.connecting;
  }

  private async open(): Promise<void> {
    const admin = this.kafka.admin({ retry: this.options.retry });
    let producer: Producer | undefined;
    try {
      await admin.connect();
      if (this.options.topics.create) {
        const topics = TOPIC_NAMES.map((t) => this.kafkaTopic(t));
        await ensureTopics(
          admin,
          [...topics, ...topics.map(deadLetterTopic)],
          this.options.topics,
          this.clock,
          this.logger,
        );
      }
      producer = this.kafka.producer({
        createPartitioner: Partitioners.DefaultPartitioner,
        allowAutoTopicCreation: false,
        idempotent: this.options.producer.idempotent,
        retry: this.options.retry,
        ...(this.options.producer.idempotent ? { maxInFlightRequests: 1 } : {}),
      });
      await producer.connect();
    } catch (error) {
      await producer?.disconnect().catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
      throw connectError(error, { name: this.name, brokers: this.brokers, sasl: this.sasl });
    }
    const { acks, timeoutMs } = this.options.producer;
    const sender = producer;
    this.admin = admin;
    this.producer = producer;
    this.batcher = new ProduceBatcher(
      async (topicMessages) => {
        await sender.sendBatch({ topicMessages, acks, timeout: timeoutMs, compression: this.compression });
      },
      this.options.producer,
      this.clock,
      {
        isTransient: isTransientKafkaError,
        onSent: (counts) => {
          for (const [topic, n] of counts) count(this.counters.published, topic, n);
        },
        wrapError: (error, topics) =>
          error instanceof TransportClosedError
            ? error
            : new Error(
                `${this.name}: publish to ${topics.map((t) => `"${t}"`).join(', ')} failed: ${describe(error)}`,
                {
                  cause: error,
                },
              ),
      },
    );
    this.connected = true;
    this.logger.info({ prefix: this.options.topicPrefix }, 'connected to Kafka');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.connecting?.catch(() => undefined);
    await Promise.all([...this.subscriptions.keys()].map((s) => s.stop()));
    this.subscriptions.clear();
    if (this.batcher) {
      let timer: { cancel(): void } | undefined;
      await Promise.race([
        this.batcher.idle(),
        new Promise<void>((resolve) => {
          timer = this.clock.setTimeout(resolve, CLOSE_FLUSH_MS);
        }),
      ]);
      timer?.cancel();
      this.batcher.stop(new TransportClosedError(this.name, 'deliver a queued publish'));
    }
    await this.producer?.disconnect().catch((error: unknown) => {
      this.logger.warn({ err: error }, 'producer disconnect failed');
    });
    await this.admin?.disconnect().catch(() => undefined);
    this.connected = false;
    this.logger.info('closed');
  }

  publish<T extends TopicName>(
    topic: T,
    message: TopicMessage<T>,
    options: PublishOptions = {},
  ): Promise<void> {
    // Not async on purpose: the common path hands back the promise of the batch the record joins,
    // shared by every record of that batch, instead of making one more promise per message.
    if (this.closed) return Promise.reject(new TransportClosedError(this.name, `publish to "${topic}"`));
    const checked = validate(topic, message);
    if (!checked.ok) {
      count(this.counters.rejected, topic);
      return Promise.reject(new ContractViolationError(topic, checked.reasons));
    }
    if (!this.connected || !this.batcher)
      return this.connect().then(() => this.publish(topic, message, options));
    const key = keyOf(topic, message);
    const value = JSON.stringify(message);
    const bytes = Buffer.byteLength(value) + Buffer.byteLength(key);
    if (bytes > this.options.producer.maxMessageBytes) {
      count(this.counters.rejected, topic);
      return Promise.reject(
        new RangeError(
          `${this.name}: message for "${topic}" (key ${JSON.stringify(key)}) is ${bytes} bytes, over producer.maxMessageBytes (${this.options.producer.maxMessageBytes})`,
        ),
      );
    }
    const record: Message = { key, value };
    // kafkajs stamps records with Date.now(), which is what a RealClock says; any other clock
    // stamps its own time (parsing that string costs kafkajs a little per record).
    if (!this.realTime) record.timestamp = String(this.clock.now());
    if (options.headers) record.headers = { ...options.headers };
    return this.batcher.enqueue(this.kafkaTopic(topic), record, bytes + 64, topic);
  }

  async subscribe<T extends TopicName>(
    topic: T,
    options: SubscribeOptions,
    handler: MessageHandler<T>,
  ): Promise<Subscription> {
    if (this.closed) throw new TransportClosedError(this.name, `subscribe to "${topic}"`);
    if (!options.group) throw new Error(`${this.name}: subscribe to "${topic}" needs a group id`);
    const groupId = this.kafkaGroupId(options.group, topic);
    // Members of one group share partitions and filter keys on their side: two different key
    // filters in one group would each drop what the other one wanted.
    const existing = this.groupKeys.get(groupId);
    if (existing && existing.key !== options.key) {
      throw new Error(
        `${this.name}: group "${options.group}" on "${topic}" already subscribes with key ${JSON.stringify(existing.key)}; a group cannot mix key filters (got ${JSON.stringify(options.key)})`,
      );
    }
    if (!this.connected) await this.connect();
    if (this.closed || !this.admin) throw new TransportClosedError(this.name, `subscribe to "${topic}"`);
    const producer = this.producer!;
    const { acks, timeoutMs } = this.options.producer;
    const subscription = new KafkaSubscription({
      kafka: this.kafka,
      admin: this.admin,
      topic,
      kafkaTopic: this.kafkaTopic(topic),
      groupId,
      key: options.key,
      fromBeginning: options.fromBeginning ?? false,
      handler: handler as MessageHandler<TopicName>,
      options: this.options,
      clock: this.clock,
      logger: this.logger,
      counters: this.counters,
      // Straight to the producer, not through the publish batcher: a dead letter the broker
      // refuses for good must fail alone, not with the publishes sharing its request.
      sendDeadLetters: async (dlq, records) => {
        await producer.send({ topic: dlq, messages: records, acks, timeout: timeoutMs });
      },
    });
    this.subscriptions.set(subscription, { topic, group: options.group });
    const membership = this.groupKeys.get(groupId) ?? { key: options.key, members: 0 };
    membership.members++;
    this.groupKeys.set(groupId, membership);
    const leave = async () => {
      if (!this.subscriptions.delete(subscription)) return;
      if (--membership.members === 0) this.groupKeys.delete(groupId);
      await subscription.stop();
    };
    try {
      await subscription.start();
    } catch (error) {
      await leave();
      if (this.closed) throw new TransportClosedError(this.name, `subscribe to "${topic}"`);
      throw new Error(
        `${this.name}: subscribe to "${topic}" as group "${groupId}" failed: ${describe(error)}`,
        {
          cause: error,
        },
      );
    }
    if (this.closed) {
      await leave();
      throw new TransportClosedError(this.name, `subscribe to "${topic}"`);
    }
    return { unsubscribe: leave };
  }

  stats(): TransportStats {
    return {
      published: { ...this.counters.published },
      delivered: { ...this.counters.delivered },
      rejected: { ...this.counters.rejected },
      deadLettered: { ...this.counters.deadLettered },
      backlog: this.backlog(),
    };
  }

  /**
   * Consumer lag of this transport's subscriptions, per topic and group (the members of one group
   * here own disjoint partitions, so their lags add up). Kafka keeps what a slow group has not
   * read; the process holds at most the batches kafkajs fetched (see the consumer fetch options).
   */
  private backlog(): ConsumerBacklog[] {
    const byGroup = new Map<string, { topic: string; group: string; lag: number; dropped: number }>();
    for (const [subscription, { topic, group }] of this.subscriptions) {
      const id = `${topic}\u0000${group}`;
      const entry = byGroup.get(id) ?? { topic, group, lag: 0, dropped: 0 };
      entry.lag += subscription.lag();
      byGroup.set(id, entry);
    }
    return [...byGroup.values()];
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
