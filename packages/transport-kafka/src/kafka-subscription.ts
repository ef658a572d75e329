import {
  type Clock,
  count,
  type Envelope,
  keyOf,
  type Logger,
  type MessageHandler,
  type TimerHandle,
  type TopicName,
  type TransportStats,
  validate,
} from '@evcharging/core';
import type { Admin, Consumer, EachBatchPayload, IHeaders, Kafka, KafkaMessage, Message } from 'kafkajs';
import { DLQ_HEADERS, deadLetterRecord, deadLetterTopic } from './dead-letter.js';
import { isTransientKafkaError } from './kafka-errors.js';
import type { ResolvedKafkaOptions } from './kafka-options.js';
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
  readonly sendDeadLetters: (topic: string, records: Message[]) => Promise<void>;
}

/** Partitions of a brand-new group and the log-end offsets they start from. */
interface NewGroupStart {
  readonly partitions: number[];
  readonly ends: ReadonlyMap<number, string>;
}

/** Resolves the offsets of finished messages and heartbeats the group. */
type Checkpoint = () => Promise<void>;

/** A record to dead-letter, waiting to leave with the other dead letters of its batch. */
interface DeadLetter {
  readonly message: KafkaMessage;
  readonly record: Message;
  readonly reason: string;
  /** Handler attempts made; 0 when the record never reached the handler (invalid). */
  readonly attempts: number;
  /** Size estimate of the record on the wire, bytes. */
  readonly bytes: number;
}

/** What became of one record: finished (true), not finished as we are stopping (false), or to dead-letter. */
type Outcome = boolean | DeadLetter;

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

const RELAUNCH_MIN_MS = 1_000;
const RELAUNCH_MAX_MS = 30_000;

/**
 * One `subscribe()` call on Kafka: a kafkajs consumer in its own group, restarted whenever kafkajs
 * gives up on it. Messages are validated, filtered by key, handed to the handler with bounded
 * retries, and only then marked done; the offsets of done messages are committed after each batch
 * (at-least-once). Invalid records and records whose handler kept failing go to `<topic>.dlq`.
 */
export class KafkaSubscription {
  private consumer: Consumer | undefined;
  private assignment: readonly number[] = [];
  private joinedOnce = false;
  private stopped = false;
  private relaunchTimer: TimerHandle | undefined;
  private relaunchDelayMs = RELAUNCH_MIN_MS;
  private readonly sleepers = new Set<() => void>();
  /** Next offset to handle per partition (the first of the batch in hand, then past each record). */
  private readonly positions = new Map<number, number>();
  /** Log end per partition: the latest of the fetches' high watermarks and the periodic read. */
  private readonly ends = new Map<number, number>();
  private lagTimer: TimerHandle | undefined;
  private refreshing = false;
  private readonly log: Logger;
  private readonly checkpointMs: number;

  constructor(private readonly deps: KafkaSubscriptionDeps) {
    this.log = deps.logger.child({ topic: deps.kafkaTopic, group: deps.groupId });
    this.checkpointMs = Math.min(
      250,
      Math.max(10, Math.floor(deps.options.consumer.heartbeatIntervalMs / 3)),
    );
  }

  /**
   * Consumer lag of this member: records between its position and the log end, summed over the
   * partitions it is assigned. The position moves at every checkpoint and batch end (nothing per
   * record); the log end with each fetch and every `consumer.lagRefreshMs` (a slow consumer busy
   * with an old batch fetches nothing new); a partition it has had no batch of yet counts from the
   * group's committed offset, read with the log end.
   */
  lag(): number {
    let lag = 0;
    for (const partition of this.assignment) {
      const position = this.positions.get(partition);
      const end = this.ends.get(partition);
      if (position !== undefined && end !== undefined && end > position) lag += end - position;
    }
    return lag;
  }

  /** Reads the log end of the topic's partitions (one request), so the lag sees a flood. */
  private async refreshEnds(): Promise<void> {
    if (this.refreshing || this.stopped) return;
    this.refreshing = true;
    try {
      const { admin, kafkaTopic, groupId } = this.deps;
      const offsets = await admin.fetchTopicOffsets(kafkaTopic);
      for (const { partition, high } of offsets) this.advanceEnd(partition, Number(high));
      // A partition this member has not had a batch of yet (waiting behind a slow one): its
      // position is the group's committed offset.
      if (this.assignment.some((p) => !this.positions.has(p))) {
        const [committed] = await admin.fetchOffsets({ groupId, topics: [kafkaTopic] });
        for (const { partition, offset } of committed?.partitions ?? []) {
          if (Number(offset) >= 0 && !this.positions.has(partition))
            this.positions.set(partition, Number(offset));
        }
      }
    } catch (error) {
      this.log.debug({ err: error }, 'could not read the log end for the consumer lag');
    } finally {
      this.refreshing = false;
    }
  }

  private advanceEnd(partition: number, end: number): void {
    if (end > (this.ends.get(partition) ?? -1)) this.ends.set(partition, end);
  }

  /** Joins the group; resolves once the group has assigned partitions, so messages will arrive. */
  async start(): Promise<void> {
    const newGroup = await this.newGroupStart();
    const consumer = await this.launch();
    if (newGroup) await this.pinNewGroup(consumer, newGroup);
    const every = this.deps.options.consumer.lagRefreshMs;
    if (every > 0 && !this.stopped) {
      this.lagTimer = this.deps.clock.setInterval(() => void this.refreshEnds(), every);
    }
  }

  /** Leaves the group cleanly (no ghost member delays the next join) and stops delivery. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.relaunchTimer?.cancel();
    this.lagTimer?.cancel();
    for (const wake of [...this.sleepers]) wake();
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
      if (this.assignment.includes(partition)) consumer.seek({ topic: kafkaTopic, partition, offset });
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
        this.assignment = payload.memberAssignment[kafkaTopic] ?? [];
        this.relaunchDelayMs = RELAUNCH_MIN_MS;
        if (this.assignment.length === 0) {
          this.log.warn(
            { memberId: payload.memberId },
            'joined the group without partitions (more members than partitions)',
          );
        } else this.log.debug({ partitions: this.assignment }, 'joined the group');
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
    this.advanceEnd(partition, Number(batch.highWatermark));
    const first = batch.messages[0];
    if (first) this.positions.set(partition, Number(first.offset));
    const { maxBatchMessages, maxBatchBytes } = this.deps.options.producer;
    // kafkajs' resolveOffset does Long arithmetic and heartbeat() allocates promises: per message
    // they cost as much as the handling itself. So finished offsets are resolved, and the group
    // heartbeated, every few hundred ms, before any wait, and when the batch ends.
    let done: string | undefined;
    /** The last record handled, filtered out or waiting in `letters`. */
    let processed: string | undefined;
    let letters: DeadLetter[] = [];
    let letterBytes = 0;
    const checkpoint: Checkpoint = async () => {
      if (done !== undefined) resolveOffset(done);
      done = undefined;
      await heartbeat();
    };
    /** Writes the waiting dead letters; then everything processed so far is done. */
    const flush = async (): Promise<boolean> => {
      if (letters.length > 0) {
        if (!(await this.writeDeadLetters(partition, letters, checkpoint))) return false;
        letters = [];
        letterBytes = 0;
      }
      if (processed !== undefined) done = processed;
      return true;
    };
    let nextCheckpoint = clock.now() + this.checkpointMs;
    try {
      if (isStale()) return;
      for (const message of batch.messages) {
        if (this.stopped || !isRunning()) return;
        let outcome = this.process(partition, message, checkpoint);
        if (typeof outcome === 'object' && 'then' in outcome) outcome = await outcome;
        // Not done means we are stopping mid-retry: leave it unresolved, it is redelivered later.
        if (outcome === false) return;
        if (outcome !== true) {
          // A dead letter that would make the request too large goes in the next one.
          const full =
            letters.length >= maxBatchMessages ||
            (letters.length > 0 && letterBytes + outcome.bytes > maxBatchBytes);
          if (full && !(await flush())) return;
          letters.push(outcome);
          letterBytes += outcome.bytes;
        }
        processed = message.offset;
        if (letters.length === 0) done = processed;
        if (clock.now() >= nextCheckpoint) {
          if (!(await flush())) return;
          this.positions.set(partition, Number(processed) + 1);
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
      if (processed !== undefined) this.positions.set(partition, Number(processed) + 1);
    }
  }

  /**
   * Handles one record; true once it needs no further delivery (handled or filtered out), the
   * dead letter to write when it is invalid or its handler kept failing, false when the
   * subscription stopped first. Synchronous while the handler is, so the common case allocates
   * no promise.
   */
  private process(
    partition: number,
    message: KafkaMessage,
    checkpoint: Checkpoint,
  ): Outcome | Promise<Outcome> {
    const { topic, key: wantedKey } = this.deps;
    const recordKey = message.key ? message.key.toString('utf8') : undefined;
    if (wantedKey !== undefined && recordKey !== undefined && recordKey !== wantedKey) return true;
    const raw = message.value;
    if (!raw || raw.length === 0) return this.reject(partition, message, 'empty value');
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.toString('utf8'));
    } catch (error) {
      return this.reject(partition, message, `invalid JSON: ${errorText(error)}`);
    }
    const checked = validate(topic, parsed);
    if (!checked.ok) return this.reject(partition, message, `schema: ${checked.reasons.join('; ')}`);
    const key = recordKey ?? keyOf(topic, checked.value);
    if (wantedKey !== undefined && key !== wantedKey) return true;
    const envelope: Envelope<TopicName> = {
      topic,
      key,
      value: checked.value,
      ts: Number(message.timestamp),
      headers: decodeHeaders(message.headers),
      partition,
      offset: Number(message.offset),
      attempt: 1,
    };
    let result: void | Promise<void>;
    try {
      result = this.deps.handler(checked.value, envelope);
    } catch (error) {
      return this.retry(envelope, message, raw, error, checkpoint);
    }
    if (result && typeof result.then === 'function') {
      return result.then(
        () => this.delivered(),
        (error: unknown) => this.retry(envelope, message, raw, error, checkpoint),
      );
    }
    return this.delivered();
  }

  private delivered(): true {
    count(this.deps.counters.delivered, this.deps.topic);
    return true;
  }

  /** The slow path after a failed attempt: back off, try again, dead-letter after the last attempt. */
  private async retry(
    first: Envelope<TopicName>,
    message: KafkaMessage,
    raw: Buffer,
    firstError: unknown,
    checkpoint: Checkpoint,
  ): Promise<Outcome> {
    const { maxAttempts } = this.deps.options.handlerRetry;
    const partition = first.partition!;
    let error = firstError;
    for (let attempt = 1; ; attempt++) {
      if (attempt >= maxAttempts) {
        const reason = `handler failed after ${attempt} attempts: ${errorText(error)}`;
        this.log.error({ err: error, partition, offset: message.offset }, 'dead-lettering a message');
        return this.deadLetter(partition, message, reason, attempt);
      }
      this.log.warn({ err: error, attempt, partition, offset: message.offset }, 'handler failed; retrying');
      if (!(await this.pause(this.backoff(attempt), checkpoint))) return false;
      // A retry gets a fresh copy, in case the failed attempt mutated the value.
      const value = JSON.parse(raw.toString('utf8')) as Envelope<TopicName>['value'];
      try {
        await this.deps.handler(value, { ...first, value, attempt: attempt + 1 });
        return this.delivered();
      } catch (next) {
        error = next;
      }
    }
  }

  private reject(partition: number, message: KafkaMessage, reason: string): DeadLetter {
    count(this.deps.counters.rejected, this.deps.topic);
    this.log.warn({ partition, offset: message.offset, reason }, 'invalid message; dead-lettering it');
    return this.deadLetter(partition, message, reason, 0);
  }

  private deadLetter(partition: number, message: KafkaMessage, reason: string, attempts: number): DeadLetter {
    const { kafkaTopic, groupId, clock } = this.deps;
    const record = deadLetterRecord(
      { topic: kafkaTopic, partition, group: groupId, message },
      reason,
      attempts,
      clock.now(),
    );
    return { message, record, reason, attempts, bytes: recordBytes(record) };
  }

  /** A dead letter is finished: count the ones whose handler failed (invalid ones were counted as rejected). */
  private finishedDeadLetter(letter: DeadLetter): void {
    if (letter.attempts > 0) count(this.deps.counters.deadLettered, this.deps.topic);
  }

  /**
   * Writes a batch's dead letters in one produce request, until the broker acknowledges them or
   * the subscription stops (kafkajs retries each try too). A permanent refusal (one record plus
   * our headers over the broker's size limit, say) sends each record on its own instead, so only
   * the refused one is handled as {@link writeDeadLetter} says.
   */
  private async writeDeadLetters(
    partition: number,
    letters: readonly DeadLetter[],
    checkpoint: Checkpoint,
  ): Promise<boolean> {
    const dlq = deadLetterTopic(this.deps.kafkaTopic);
    for (let delay = 500; !this.stopped; ) {
      // Outside any try: an error of the checkpoint (the group rebalancing) goes up to kafkajs.
      const failed = await this.heartbeatWhile(
        this.deps.sendDeadLetters(
          dlq,
          letters.map((l) => l.record),
        ),
        checkpoint,
      );
      if (!failed) {
        for (const letter of letters) this.finishedDeadLetter(letter);
        return true;
      }
      const { error } = failed;
      const where = {
        err: error,
        partition,
        offsets: `${letters[0]!.message.offset}..${letters.at(-1)!.message.offset}`,
        records: letters.length,
        dlq,
      };
      if (!isTransientKafkaError(error)) {
        this.log.warn(where, 'the dead-letter topic refused a request; writing its records one at a time');
        for (const letter of letters) {
          if (!(await this.writeDeadLetter(partition, letter, checkpoint))) return false;
        }
        return true;
      }
      this.log.error(where, 'could not write to the dead-letter topic; retrying');
      if (!(await this.pause(delay, checkpoint))) return false;
      delay = Math.min(delay * 2, 10_000);
    }
    return false;
  }

  /**
   * Writes one dead letter until it succeeds or the subscription stops; kafkajs retries each try
   * too. A permanent refusal (the record plus our headers is over the broker's size limit, say)
   * must not hold the partition forever: the record is written once more without its value, and
   * if even that is refused it is logged and let go.
   */
  private async writeDeadLetter(
    partition: number,
    letter: DeadLetter,
    checkpoint: Checkpoint,
  ): Promise<boolean> {
    const { message, reason } = letter;
    const dlq = deadLetterTopic(this.deps.kafkaTopic);
    let record = letter.record;
    for (let delay = 500; !this.stopped; ) {
      // Outside any try: an error of the checkpoint (the group rebalancing) goes up to kafkajs.
      const failed = await this.heartbeatWhile(this.deps.sendDeadLetters(dlq, [record]), checkpoint);
      if (!failed) {
        this.finishedDeadLetter(letter);
        return true;
      }
      const { error } = failed;
      const where = { err: error, partition, offset: message.offset, dlq };
      if (!isTransientKafkaError(error)) {
        if (record.value !== null && record.value !== undefined) {
          this.log.error(where, 'the dead-letter topic refused the record; writing it without its value');
          record = withoutValue(record, error);
          continue;
        }
        this.log.error(
          { ...where, reason },
          'the dead-letter topic refused even the bare record; giving up on it',
        );
        this.finishedDeadLetter(letter);
        return true;
      }
      this.log.error(where, 'could not write to the dead-letter topic; retrying');
      if (!(await this.pause(delay, checkpoint))) return false;
      delay = Math.min(delay * 2, 10_000);
    }
    return false;
  }

  /**
   * Waits for a dead-letter request, checkpointing meanwhile: a large request queued behind others
   * on the producer's connection can outlast the session timeout under load, and kafkajs sends a
   * heartbeat only when asked. (The checkpoint resolves nothing past an unwritten dead letter.)
   * Resolves with the request's error if it failed; a checkpoint's error (the group rebalancing)
   * is thrown, never mistaken for the broker refusing the dead letter.
   */
  private async heartbeatWhile(
    request: Promise<void>,
    checkpoint: Checkpoint,
  ): Promise<{ error: unknown } | undefined> {
    let settled = false;
    let failed: { error: unknown } | undefined;
    const over = request.then(
      () => {
        settled = true;
      },
      (error: unknown) => {
        settled = true;
        failed = { error };
      },
    );
    const slice = Math.max(50, Math.floor(this.deps.options.consumer.heartbeatIntervalMs / 2));
    while (!settled) {
      let timer: TimerHandle | undefined;
      await Promise.race([
        over,
        new Promise<void>((resolve) => {
          timer = this.deps.clock.setTimeout(resolve, slice);
        }),
      ]);
      timer?.cancel();
      if (!settled && !this.stopped) await checkpoint();
    }
    return failed;
  }

  private backoff(attempt: number): number {
    const { initialBackoffMs, maxBackoffMs } = this.deps.options.handlerRetry;
    return Math.min(initialBackoffMs * 2 ** (attempt - 1), maxBackoffMs);
  }

  /**
   * Waits `ms`, checkpointing so that a long backoff costs neither the group membership nor the
   * offsets of the messages finished before it. Resolves false as soon as the subscription stops.
   * A rebalance surfaces as an error from the heartbeat and goes up to kafkajs, which rejoins; the
   * unfinished message is then redelivered.
   */
  private async pause(ms: number, checkpoint: Checkpoint): Promise<boolean> {
    await checkpoint();
    const slice = Math.max(50, Math.floor(this.deps.options.consumer.heartbeatIntervalMs / 2));
    for (let left = ms; left > 0 && !this.stopped; left -= slice) {
      await this.sleep(Math.min(slice, left));
      if (!this.stopped) await checkpoint();
    }
    return !this.stopped;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        timer.cancel();
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = this.deps.clock.setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }
}

/** A record's size on the wire, roughly: key, value, headers and the per-record overhead. */
function recordBytes(record: Message): number {
  let bytes = 70 + byteLength(record.key) + byteLength(record.value);
  for (const name in record.headers) {
    const value = record.headers[name];
    bytes +=
      name.length + (Array.isArray(value) ? value.reduce((n, v) => n + byteLength(v), 0) : byteLength(value));
  }
  return bytes;
}

function byteLength(value: Buffer | string | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'string' ? Buffer.byteLength(value) : value.length;
}

/** The DLQ record minus its value, saying why and how big the value was. */
function withoutValue(record: Message, error: unknown): Message {
  const size = record.value === null || record.value === undefined ? 0 : Buffer.byteLength(record.value);
  return {
    ...record,
    value: null,
    headers: { ...record.headers, [DLQ_HEADERS.valueDropped]: `${size} bytes dropped: ${errorText(error)}` },
  };
}

function decodeHeaders(headers: IHeaders | undefined): Readonly<Record<string, string>> {
  if (!headers) return NO_HEADERS;
  let out: Record<string, string> | undefined;
  // for..in, not Object.entries: most records have no headers, and this runs for every record.
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    out ??= {};
    out[name] = Array.isArray(value) ? value.map((v) => v.toString()).join(',') : value.toString();
  }
  return out ?? NO_HEADERS;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
