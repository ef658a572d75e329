import {
  count,
  type Envelope,
  isPending,
  keyOf,
  type Logger,
  type MessageHandler,
  type TopicName,
  type TransportStats,
  validate,
} from '@evcharging/core';
import type { IHeaders, KafkaMessage } from 'kafkajs';
import type { DeadLetter, DeadLetterWriter } from './dead-letter-writer.js';
import { errorText } from './kafka-errors.js';
import type { KafkaHandlerRetry } from './kafka-options.js';
import type { Checkpoint, MemberWaits } from './member-waits.js';

/** What became of one record: finished (true), not finished as we are stopping (false), or to dead-letter. */
export type Outcome = boolean | DeadLetter;

export interface RecordDeliveryDeps {
  readonly topic: TopicName;
  /** The one key the subscriber wants, or undefined for every key. */
  readonly key: string | undefined;
  readonly handler: MessageHandler<TopicName>;
  readonly retry: Required<KafkaHandlerRetry>;
  /** Makes the dead letter of a record given up on (stamped when it is given up on). */
  readonly deadLetters: Pick<DeadLetterWriter, 'letter'>;
  readonly waits: Pick<MemberWaits, 'pause'>;
  readonly log: Logger;
  readonly counters: TransportStats;
}

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * One record's way from Kafka to the subscriber's handler: parsed, validated against the topic's
 * contract, filtered by key, then handed over with bounded retries and backoff. An invalid record
 * (counted in `stats().rejected`) and a record whose handler kept failing become dead letters; a
 * delivered one is counted in `stats().delivered`.
 *
 * @example
 * let outcome = delivery.deliver(partition, message, checkpoint);
 * if (typeof outcome === 'object' && 'then' in outcome) outcome = await outcome;
 * if (outcome === false) return; // stopping: leave the record for redelivery
 * if (outcome !== true) letters.add(outcome); // a dead letter
 */
export class RecordDelivery {
  constructor(private readonly deps: RecordDeliveryDeps) {}

  /**
   * Handles one record; true once it needs no further delivery (handled or filtered out), the
   * dead letter to write when it is invalid or its handler kept failing, false when the
   * subscription stopped first. Synchronous while the handler is, so the common case allocates
   * no promise.
   */
  deliver(partition: number, message: KafkaMessage, checkpoint: Checkpoint): Outcome | Promise<Outcome> {
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
    if (isPending(result)) {
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
    const { maxAttempts } = this.deps.retry;
    const { log } = this.deps;
    const partition = first.partition!;
    let error = firstError;
    for (let attempt = 1; ; attempt++) {
      if (attempt >= maxAttempts) {
        const reason = `handler failed after ${attempt} attempts: ${errorText(error)}`;
        log.error({ err: error, partition, offset: message.offset }, 'dead-lettering a message');
        return this.deps.deadLetters.letter(partition, message, reason, attempt);
      }
      log.warn({ err: error, attempt, partition, offset: message.offset }, 'handler failed; retrying');
      if (!(await this.deps.waits.pause(this.backoff(attempt), checkpoint))) return false;
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
    this.deps.log.warn({ partition, offset: message.offset, reason }, 'invalid message; dead-lettering it');
    return this.deps.deadLetters.letter(partition, message, reason, 0);
  }

  private backoff(attempt: number): number {
    const { initialBackoffMs, maxBackoffMs } = this.deps.retry;
    return Math.min(initialBackoffMs * 2 ** (attempt - 1), maxBackoffMs);
  }
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
