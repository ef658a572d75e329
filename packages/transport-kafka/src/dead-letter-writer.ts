import { type Clock, count, type Logger, type TopicName, type TransportStats } from '@evcharging/core';
import type { KafkaMessage, Message } from 'kafkajs';
import { DLQ_HEADERS, deadLetterRecord, deadLetterTopic } from './dead-letter.js';
import { errorText, isTransientKafkaError } from './kafka-errors.js';
import type { Checkpoint, MemberWaits } from './member-waits.js';

/** A record to dead-letter, waiting to leave with the other dead letters of its batch. */
export interface DeadLetter {
  readonly message: KafkaMessage;
  readonly record: Message;
  readonly reason: string;
  /** Handler attempts made; 0 when the record never reached the handler (invalid). */
  readonly attempts: number;
  /** Size estimate of the record on the wire, bytes. */
  readonly bytes: number;
}

/**
 * Sends records to a dead-letter topic (raw bytes, no validation) in one produce request;
 * resolves once the broker acknowledged all of them.
 */
export type SendDeadLetters = (topic: string, records: Message[]) => Promise<void>;

export interface DeadLetterWriterDeps {
  readonly topic: TopicName;
  /** The Kafka topic (with prefix) the records were read from; its dead letters go to `<it>.dlq`. */
  readonly kafkaTopic: string;
  readonly groupId: string;
  readonly send: SendDeadLetters;
  /** Most records, and most bytes (estimated), in one dead-letter request. */
  readonly maxBatchMessages: number;
  readonly maxBatchBytes: number;
  readonly waits: Pick<MemberWaits, 'pause' | 'whileSending' | 'stopped'>;
  readonly clock: Clock;
  readonly log: Logger;
  readonly counters: TransportStats;
}

/**
 * Writes a subscription's dead letters to `<topic>.dlq`: the dead letters of a batch leave
 * together, as few produce requests as the size limits allow, and each request is retried until
 * the broker acknowledges it or the subscription stops. A request the broker refuses for good is
 * written one record at a time, and a record refused even alone is written without its value, so
 * one oversized record never holds its partition. A dead letter whose handler failed is counted
 * in `stats().deadLettered` once written (an invalid one was counted as rejected already).
 *
 * @example
 * const letters = writer.batch(partition, checkpoint);
 * const letter = writer.letter(partition, message, 'empty value', 0);
 * if (!letters.hasRoomFor(letter) && !(await letters.write())) return; // stopped
 * letters.add(letter);
 * await letters.write(); // true once the broker acknowledged them all
 */
export class DeadLetterWriter {
  private readonly dlq: string;

  constructor(private readonly deps: DeadLetterWriterDeps) {
    this.dlq = deadLetterTopic(deps.kafkaTopic);
  }

  /** The dead letter of a record read from `partition`, stamped now. */
  letter(partition: number, message: KafkaMessage, reason: string, attempts: number): DeadLetter {
    const { kafkaTopic, groupId, clock } = this.deps;
    const record = deadLetterRecord(
      { topic: kafkaTopic, partition, group: groupId, message },
      reason,
      attempts,
      clock.now(),
    );
    return { message, record, reason, attempts, bytes: recordBytes(record) };
  }

  /** An empty set of dead letters for one fetched batch of `partition`. */
  batch(partition: number, checkpoint: Checkpoint): DeadLetterBatch {
    return new DeadLetterBatch(this, partition, checkpoint, this.deps);
  }

  /**
   * Writes dead letters in one produce request, until the broker acknowledges them or the
   * subscription stops (kafkajs retries each try too). A permanent refusal (one record plus our
   * headers over the broker's size limit, say) sends each record on its own instead, so only the
   * refused one is handled as {@link writeOne} says. True once all are finished, false when the
   * subscription stopped first.
   */
  async write(partition: number, letters: readonly DeadLetter[], checkpoint: Checkpoint): Promise<boolean> {
    const { dlq } = this;
    const { waits, send, log } = this.deps;
    for (let delay = 500; !waits.stopped; ) {
      // Outside any try: an error of the checkpoint (the group rebalancing) goes up to kafkajs.
      const failed = await waits.whileSending(
        send(
          dlq,
          letters.map((l) => l.record),
        ),
        checkpoint,
      );
      if (!failed) {
        for (const letter of letters) this.finished(letter);
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
        log.warn(where, 'the dead-letter topic refused a request; writing its records one at a time');
        for (const letter of letters) {
          if (!(await this.writeOne(partition, letter, checkpoint))) return false;
        }
        return true;
      }
      log.error(where, 'could not write to the dead-letter topic; retrying');
      if (!(await waits.pause(delay, checkpoint))) return false;
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
  private async writeOne(partition: number, letter: DeadLetter, checkpoint: Checkpoint): Promise<boolean> {
    const { message, reason } = letter;
    const { dlq } = this;
    const { waits, send, log } = this.deps;
    let record = letter.record;
    for (let delay = 500; !waits.stopped; ) {
      // Outside any try: an error of the checkpoint (the group rebalancing) goes up to kafkajs.
      const failed = await waits.whileSending(send(dlq, [record]), checkpoint);
      if (!failed) {
        this.finished(letter);
        return true;
      }
      const { error } = failed;
      const where = { err: error, partition, offset: message.offset, dlq };
      if (!isTransientKafkaError(error)) {
        if (record.value !== null && record.value !== undefined) {
          log.error(where, 'the dead-letter topic refused the record; writing it without its value');
          record = withoutValue(record, error);
          continue;
        }
        log.error(
          { ...where, reason },
          'the dead-letter topic refused even the bare record; giving up on it',
        );
        this.finished(letter);
        return true;
      }
      log.error(where, 'could not write to the dead-letter topic; retrying');
      if (!(await waits.pause(delay, checkpoint))) return false;
      delay = Math.min(delay * 2, 10_000);
    }
    return false;
  }

  /** A dead letter is finished: count the ones whose handler failed (invalid ones were counted as rejected). */
  private finished(letter: DeadLetter): void {
    if (letter.attempts > 0) count(this.deps.counters.deadLettered, this.deps.topic);
  }
}

/**
 * The dead letters of one fetched batch, waiting to leave together in one request. A dead letter
 * that would take the request over `maxBatchMessages` or `maxBatchBytes` goes in the next one.
 */
export class DeadLetterBatch {
  private letters: DeadLetter[] = [];
  private bytes = 0;

  constructor(
    private readonly writer: DeadLetterWriter,
    private readonly partition: number,
    private readonly checkpoint: Checkpoint,
    private readonly limits: { readonly maxBatchMessages: number; readonly maxBatchBytes: number },
  ) {}

  /** Whether no dead letter waits. */
  get isEmpty(): boolean {
    return this.letters.length === 0;
  }

  /** Whether `letter` fits in the request with the ones waiting (the first one always does). */
  hasRoomFor(letter: DeadLetter): boolean {
    const waiting = this.letters.length;
    if (waiting >= this.limits.maxBatchMessages) return false;
    return waiting === 0 || this.bytes + letter.bytes <= this.limits.maxBatchBytes;
  }

  add(letter: DeadLetter): void {
    this.letters.push(letter);
    this.bytes += letter.bytes;
  }

  /** Writes the waiting dead letters (see {@link DeadLetterWriter.write}); false when the subscription stopped first. */
  async write(): Promise<boolean> {
    if (this.letters.length === 0) return true;
    if (!(await this.writer.write(this.partition, this.letters, this.checkpoint))) return false;
    this.letters = [];
    this.bytes = 0;
    return true;
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
