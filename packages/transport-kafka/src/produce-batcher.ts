import type { Clock } from '@evcharging/core';
import type { Message, TopicMessages } from 'kafkajs';

interface PendingRecord {
  readonly topic: string;
  readonly message: Message;
  readonly bytes: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

export interface ProduceBatcherSettings {
  maxBatchMessages: number;
  maxBatchBytes: number;
  lingerMs: number;
}

/**
 * Coalesces single `publish()` calls into produce requests (kafkajs has no linger of its own, so
 * one request per message would cap throughput at one round trip per message). One request is in
 * flight at a time: records queue up behind it and leave together in the next one, and a retried
 * request can never overtake a later one, so order per key holds without an idempotent producer.
 */
export class ProduceBatcher {
  private queue: PendingRecord[] = [];
  private head = 0;
  private sending = false;
  private scheduled = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly send: (batch: TopicMessages[]) => Promise<void>,
    private readonly settings: ProduceBatcherSettings,
    private readonly clock: Clock,
  ) {}

  /** Queues one record; resolves once the broker acknowledged the request that carried it. */
  enqueue(topic: string, message: Message, bytes: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ topic, message, bytes, resolve, reject });
      this.schedule();
    });
  }

  /** Records queued or in flight. */
  get pending(): number {
    return this.queue.length - this.head;
  }

  /** Resolves when every queued record has been sent (or failed). */
  idle(): Promise<void> {
    if (!this.sending && this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Fails every record not yet sent (used when the transport closes under a dead broker). */
  failPending(error: unknown): void {
    // Records of the request in flight were taken already; that request settles them itself.
    const dropped = this.queue.slice(this.head);
    this.queue = [];
    this.head = 0;
    for (const record of dropped) record.reject(error);
  }

  private schedule(): void {
    if (this.sending || this.scheduled) return;
    this.scheduled = true;
    const full = this.pending >= this.settings.maxBatchMessages;
    if (this.settings.lingerMs > 0 && !full)
      this.clock.setTimeout(() => void this.flush(), this.settings.lingerMs);
    // A microtask runs after the caller's current burst of publish() calls, so they share a batch.
    else queueMicrotask(() => void this.flush());
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    if (this.sending) return;
    this.sending = true;
    try {
      while (this.pending > 0) {
        const batch = this.take();
        try {
          await this.send(groupByTopic(batch));
          for (const record of batch) record.resolve();
        } catch (error) {
          for (const record of batch) record.reject(error);
        }
      }
    } finally {
      this.sending = false;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  private take(): PendingRecord[] {
    const batch: PendingRecord[] = [];
    let bytes = 0;
    while (this.head < this.queue.length && batch.length < this.settings.maxBatchMessages) {
      const record = this.queue[this.head]!;
      if (batch.length > 0 && bytes + record.bytes > this.settings.maxBatchBytes) break;
      batch.push(record);
      bytes += record.bytes;
      this.head++;
    }
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 4_096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return batch;
  }
}

function groupByTopic(batch: readonly PendingRecord[]): TopicMessages[] {
  const byTopic = new Map<string, Message[]>();
  for (const record of batch) {
    let messages = byTopic.get(record.topic);
    if (!messages) {
      messages = [];
      byTopic.set(record.topic, messages);
    }
    messages.push(record.message);
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}
