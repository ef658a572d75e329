import type { Clock, Logger, MessageHandler, TimerHandle, TopicName, TransportStats } from '@evcharging/core';
import type { Admin, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { ConsumerLag } from './consumer-lag.js';
import { DeadLetterWriter, type SendDeadLetters } from './dead-letter-writer.js';
import type { ResolvedKafkaOptions } from './kafka-options.js';
import { type Checkpoint, MemberWaits } from './member-waits.js';
import { RecordDelivery } from './record-delivery.js';
import { retryRetriable } from './topic-admin.js';

export interface KafkaSubscriptionDeps {
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly topic: TopicName;
  readonly kafkaTopic: string;
  readonly groupId: string;
  readonly key: string | undefined;
  readonly fromBeginning: boolean;
  readonly handler: MessageHandler<TopicName>;
  readonly options: ResolvedKafkaOptions;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly counters: TransportStats;
  /**
   * Sends records to a dead-letter topic (raw bytes, no validation) in one produce request;
   * resolves once the broker acknowledged all of them.
   */
  readonly sendDeadLetters: SendDeadLetters;
}

/** Partitions of a brand-new group and the log-end offsets they start from. */
interface NewGroupStart {
  readonly partitions: number[];
  readonly ends: ReadonlyMap<number, string>;
}

const RELAUNCH_MIN_MS = 1_000;
const RELAUNCH_MAX_MS = 30_000;

/**
 * One `subscribe()` call on Kafka: a kafkajs consumer in its own group, restarted whenever kafkajs
 * gives up on it. Each fetched batch goes record by record through {@link RecordDelivery}
 * (validation, key filter, the handler with bounded retries); a record is marked done only then,
 * and the offsets of done records are committed after each batch (at-least-once). Invalid records
 * and records whose handler kept failing go to `<topic>.dlq` through {@link DeadLetterWriter};
 * {@link ConsumerLag} keeps the member's lag for `stats().backlog`.
 *
 * @example
 * const subscription = new KafkaSubscription({ kafka, admin, topic: 'cp.telemetry', kafkaTopic: 'p.cp.telemetry',
 *   groupId: 'p.central.cp.telemetry', key: undefined, fromBeginning: false, handler, options, clock, logger,
 *   counters, sendDeadLetters });
 * await subscription.start(); // joined: messages published from now on arrive
 * subscription.lag();
 * await subscription.stop();
 */
export class KafkaSubscription {
  private consumer: Consumer | undefined;
  private joinedOnce = false;
  private stopped = false;
  private relaunchTimer: TimerHandle | undefined;
  private relaunchDelayMs = RELAUNCH_MIN_MS;
  private readonly log: Logger;
  private readonly checkpointMs: number;
  private readonly consumerLag: ConsumerLag;
  private readonly waits: MemberWaits;
  private readonly deadLetters: DeadLetterWriter;
  private readonly delivery: RecordDelivery;

  constructor(private readonly deps: KafkaSubscriptionDeps) {
    const { admin, topic, kafkaTopic, groupId, clock, counters, options } = deps;
    const log = deps.logger.child({ topic: kafkaTopic, group: groupId });
    this.log = log;
    this.checkpointMs = Math.min(250, Math.max(10, Math.floor(options.consumer.heartbeatIntervalMs / 3)));
    this.consumerLag = new ConsumerLag({ admin, kafkaTopic, groupId, clock, log });
    this.waits = new MemberWaits({
      clock,
      heartbeatIntervalMs: options.consumer.heartbeatIntervalMs,
      isStopped: () => this.stopped,
    });
    this.deadLetters = new DeadLetterWriter({
      topic,
      kafkaTopic,
      groupId,
      send: deps.sendDeadLetters,
      maxBatchMessages: options.producer.maxBatchMessages,
      maxBatchBytes: options.producer.maxBatchBytes,
      waits: this.waits,
      clock,
      log,
      counters,
    });
    this.delivery = new RecordDelivery({
      topic,
      key: deps.key,
      handler: deps.handler,
      retry: options.handlerRetry,
      deadLetters: this.deadLetters,
      waits: this.waits,
      log,
      counters,
    });
  }

  /** Consumer lag of this member, in records (see {@link ConsumerLag}). */
  lag(): number {
    return this.consumerLag.total();
  }

  /** Joins the group; resolves once the group has assigned partitions, so messages will arrive. */
  async start(): Promise<void> {
    const newGroup = await this.newGroupStart();
    const consumer = await this.launch();
    if (newGroup) await this.pinNewGroup(consumer, newGroup);
    const every = this.deps.options.consumer.lagRefreshMs;
    if (every > 0 && !this.stopped) this.consumerLag.refreshEvery(every);
  }

  /** Leaves the group cleanly (no ghost member delays the next join) and stops delivery. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.relaunchTimer?.cancel();
    this.consumerLag.stop();
    this.waits.wakeAll();
    const consumer = this.consumer;
    this.consumer = undefined;
    if (consumer) {
      await consumer.disconnect().catch((error: unknown) => {
        this.log.warn({ err: error }, 'consumer disconnect failed');
      });
    }
  }

  /**
   * kafkajs starts a group without committed offsets at the log end it reads on its first fetch,
   * which comes after the join: a message published right after `subscribe()` resolved could fall
   * before that point and be skipped. So the log end is read before joining and pinned as the
   * group's committed offset (a group with `fromBeginning` starts at the log start, which is stable).
   */
  private async newGroupStart(): Promise<NewGroupStart | undefined> {
    if (this.deps.fromBeginning) return undefined;
    const { admin, groupId, kafkaTopic, clock } = this.deps;
    const committed = await retryRetriable(
      () => admin.fetchOffsets({ groupId, topics: [kafkaTopic] }),
      clock,
    );
    const partitions = (committed[0]?.partitions ?? [])
      .filter((p) => Number(p.offset) < 0)
      .map((p) => p.partition);
    if (partitions.length === 0) return undefined;
    const offsets = await retryRetriable(() => admin.fetchTopicOffsets(kafkaTopic), clock);
    const ends = new Map(offsets.map((p) => [p.partition, p.high]));
    return { partitions, ends };
  }

  private async pinNewGroup(consumer: Consumer, start: NewGroupStart): Promise<void> {
    const { kafkaTopic } = this.deps;
    const offsets = start.partitions
      .filter((p) => start.ends.has(p))
      .map((partition) => ({ topic: kafkaTopic, partition, offset: start.ends.get(partition)! }));
    try {
      await consumer.commitOffsets(offsets);
    } catch (error) {
      // Another member rebalanced the group meanwhile; it pinned its own partitions.
      this.log.warn({ err: error }, 'could not pin the start offsets of a new group');
    }
    // Partitions this member already fetches from: move their position too (the first fetch may
    // have resolved the log end a moment later than the snapshot).
    for (const { partition, offset } of offsets) {
      if (this.consumerLag.assignment.includes(partition))
        consumer.seek({ topic: kafkaTopic, partition, offset });
    }
  }

  private async launch(): Promise<Consumer> {
    const { kafka, groupId, kafkaTopic, fromBeginning, options } = this.deps;
    const consumer = kafka.consumer({
      groupId,
      sessionTimeout: options.consumer.sessionTimeoutMs,
      heartbeatInterval: options.consumer.heartbeatIntervalMs,
      rebalanceTimeout: options.consumer.rebalanceTimeoutMs,
      maxWaitTimeInMs: options.consumer.maxWaitTimeMs,
      allowAutoTopicCreation: false,
      retry: options.retry,
    });
    this.consumer = consumer;
    let timer: TimerHandle | undefined;
    const joined = new Promise<void>((resolve, reject) => {
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
        const assignment = payload.memberAssignment[kafkaTopic] ?? [];
        this.consumerLag.assign(assignment);
        this.relaunchDelayMs = RELAUNCH_MIN_MS;
        if (assignment.length === 0) {
          this.log.warn(
            { memberId: payload.memberId },
            'joined the group without partitions (more members than partitions)',
          );
        } else this.log.debug({ partitions: assignment }, 'joined the group');
        this.joinedOnce = true;
        resolve();
      });
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        if (this.consumer !== consumer || this.stopped) return;
        if (payload.restart) {
          this.log.warn({ err: payload.error }, 'consumer crashed; kafkajs restarts it');
          return;
        }
        // kafkajs gives up on errors it deems non-retriable: start a fresh consumer ourselves.
        this.log.error({ err: payload.error }, 'consumer stopped on a non-retriable error');
        if (!this.joinedOnce) reject(payload.error);
        else this.scheduleRelaunch();
      });
      timer = this.deps.clock.setTimeout(
        () =>
          reject(
            new Error(
              `Kafka group "${groupId}" on topic "${kafkaTopic}" did not join within ${options.consumer.joinTimeoutMs} ms`,
            ),
          ),
        options.consumer.joinTimeoutMs,
      );
    });
    joined.catch(() => undefined);
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [kafkaTopic], fromBeginning });
      await consumer.run({
        autoCommit: true,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: options.consumer.partitionsConsumedConcurrently,
        eachBatch: (payload) => this.onBatch(payload),
      });
      await joined;
    } catch (error) {
      if (this.consumer === consumer) this.consumer = undefined;
      await consumer.disconnect().catch(() => undefined);
      throw error;
    } finally {
      timer?.cancel();
    }
    return consumer;
  }

  private scheduleRelaunch(): void {
    if (this.stopped) return;
    const delay = this.relaunchDelayMs;
    this.relaunchDelayMs = Math.min(delay * 2, RELAUNCH_MAX_MS);
    this.log.warn({ delayMs: delay }, 'restarting the consumer');
    this.relaunchTimer = this.deps.clock.setTimeout(() => {
      if (this.stopped) return;
      const previous = this.consumer;
      void (previous ? previous.disconnect().catch(() => undefined) : Promise.resolve())
        .then(() => this.launch())
        .catch((error: unknown) => {
          this.log.error({ err: error }, 'consumer restart failed');
          this.scheduleRelaunch();
        });
    }, delay);
  }

  /**
   * Handles a fetched batch of one partition. Offsets are resolved as a watermark, `done`: the
   * last offset up to which every record is finished (handled, filtered out, or its dead letter
   * acknowledged by the broker); kafkajs commits only resolved offsets (at-least-once). Dead
   * letters are collected and written together, one produce request for many records; records
   * after a dead letter are handled meanwhile, but the watermark waits for its acknowledgement.
   */
  private async onBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload) {
    const { partition } = batch;
    const { clock } = this.deps;
    const lag = this.consumerLag;
    lag.sawLogEnd(partition, Number(batch.highWatermark));
    const first = batch.messages[0];
    if (first) lag.moveTo(partition, Number(first.offset));
    // kafkajs' resolveOffset does Long arithmetic and heartbeat() allocates promises: per message
    // they cost as much as the handling itself. So finished offsets are resolved, and the group
    // heartbeated, every few hundred ms, before any wait, and when the batch ends.
    let done: string | undefined;
    /** The last record handled, filtered out or waiting in `letters`. */
    let processed: string | undefined;
    const checkpoint: Checkpoint = async () => {
      if (done !== undefined) resolveOffset(done);
      done = undefined;
      await heartbeat();
    };
    const letters = this.deadLetters.batch(partition, checkpoint);
    /** Writes the waiting dead letters; then everything processed so far is done. */
    const flush = async (): Promise<boolean> => {
      if (!(await letters.write())) return false;
      if (processed !== undefined) done = processed;
      return true;
    };
    let nextCheckpoint = clock.now() + this.checkpointMs;
    try {
      if (isStale()) return;
      for (const message of batch.messages) {
        if (this.stopped || !isRunning()) return;
        let outcome = this.delivery.deliver(partition, message, checkpoint);
        if (typeof outcome === 'object' && 'then' in outcome) {
          outcome = await this.waits.whileHandling(outcome, checkpoint);
        }
        // Not done means we are stopping mid-retry: leave it unresolved, it is redelivered later.
        if (outcome === false) return;
        if (outcome !== true) {
          // A dead letter that would make the request too large goes in the next one.
          if (!letters.hasRoomFor(outcome) && !(await flush())) return;
          letters.add(outcome);
        }
        processed = message.offset;
        if (letters.isEmpty) done = processed;
        if (clock.now() >= nextCheckpoint) {
          if (!(await flush())) return;
          lag.moveTo(partition, Number(processed) + 1);
          await checkpoint();
          nextCheckpoint = clock.now() + this.checkpointMs;
          // A seek (see pinNewGroup) made the rest of this batch stale: it is fetched again.
          if (isStale()) return;
        }
      }
      await flush();
    } finally {
      // Never past a dead letter the broker has not acknowledged: that record is redelivered.
      if (done !== undefined) resolveOffset(done);
      if (processed !== undefined) lag.moveTo(partition, Number(processed) + 1);
    }
  }
}
