import type { IHeaders, KafkaMessage, Message } from 'kafkajs';

/** Headers a dead-lettered record carries besides its original headers. */
export const DLQ_HEADERS = {
  /** Why the record was given up on: `invalid JSON: ...`, `schema: ...`, `handler failed ...`. */
  reason: 'x-dlq-reason',
  /** The Kafka topic (with prefix), partition and offset the record was read from. */
  topic: 'x-dlq-topic',
  partition: 'x-dlq-partition',
  offset: 'x-dlq-offset',
  /** The Kafka consumer group that gave up on it (each group dead-letters on its own). */
  group: 'x-dlq-group',
  /** Handler attempts made (0 when the record never reached a handler). */
  attempts: 'x-dlq-attempts',
  /** When it was dead-lettered, ms since the epoch. */
  deadLetteredAt: 'x-dlq-ts',
  /** Set when the broker refused the full record (too large): the value was left out, and why. */
  valueDropped: 'x-dlq-value-dropped',
} as const;

/** The dead-letter topic of a Kafka topic. */
export function deadLetterTopic(kafkaTopic: string): string {
  return `${kafkaTopic}.dlq`;
}

export interface DeadLetterSource {
  topic: string;
  partition: number;
  group: string;
  message: KafkaMessage;
}

/** The DLQ record: the original key and raw bytes untouched, the reason and origin in headers. */
export function deadLetterRecord(
  source: DeadLetterSource,
  reason: string,
  attempts: number,
  at: number,
): Message {
  const headers: IHeaders = {};
  for (const [name, value] of Object.entries(source.message.headers ?? {})) {
    if (value !== undefined) headers[name] = value;
  }
  headers[DLQ_HEADERS.reason] = reason.slice(0, 4_096);
  headers[DLQ_HEADERS.topic] = source.topic;
  headers[DLQ_HEADERS.partition] = String(source.partition);
  headers[DLQ_HEADERS.offset] = source.message.offset;
  headers[DLQ_HEADERS.group] = source.group;
  headers[DLQ_HEADERS.attempts] = String(attempts);
  headers[DLQ_HEADERS.deadLetteredAt] = String(at);
  return { key: source.message.key, value: source.message.value, headers, timestamp: String(at) };
}
