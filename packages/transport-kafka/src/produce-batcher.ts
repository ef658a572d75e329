import type { Clock, TimerHandle } from '@evcharging/core';
import type { Message, TopicMessages } from 'kafkajs';

export interface ProduceBatcherSettings {
  maxBatchMessages: number;
  maxBatchBytes: number;
  lingerMs: number;
  /** How long a batch is retried after transient failures before its publishes fail, ms. */
  deliveryTimeoutMs: number;
}

/** What the owner of a batcher learns about its requests. */
export interface ProduceBatcherHooks {
  /** Whether a failed request may succeed later (broker restarting, leader moving). */
  isTransient?: (error: unknown) => boolean;
  /** A request was acknowledged: how many records it carried, by the label given at enqueue. */
  onSent?: (counts: ReadonlyMap<string, number>) => void;
  /** The error the records of a failed request reject with (default: the producer's error). */
  wrapError?: (error: unknown, topics: readonly string[]) => unknown;
}

const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 5_000;

/** Records that leave in one produce request and share its outcome (one promise for all). */
class Batch {
  readonly byTopic = new Map<string, Message[]>();
  readonly labels = new Map<string, number>();
  count = 0;
  bytes = 0;
  readonly done: Promise<void>;
  resolve!: () => void;
  reject!: (error: unknown) => void;

  constructor() {
    this.done = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // Every record's publish() awaits `done`; this only keeps an unawaited failure quiet.
    this.done.catch(() => undefined);
  }

  add(topic: string, message: Message, bytes: number, label: string): void {
    this.labels.set(label, (this.labels.get(label) ?? 0) + 1);
    let messages = this.byTopic.get(topic);
    if (!messages) {
      messages = [];
      this.byTopic.set(topic, messages);
    }
    messages.push(message);
    this.count++;
    this.bytes += bytes;
  }

  request(): TopicMessages[] {
    return [...this.byTopic].map(([topic, messages]) => ({ topic, messages }));
  }
}

/**
 * Coalesces single `publish()` calls into produce requests (kafkajs has no linger of its own, so
 * one request per message would cap throughput at one round trip per message). One request is in
 * flight at a time: records queue up behind it and leave together in the next one, and a retried
 * request can never overtake a later one, so order per key holds without an idempotent producer.
 */
export class ProduceBatcher {
  private readonly queue: Batch[] = [];
  /** The batch new records join; undefined once it was handed to the producer. */
  private open: Batch | undefined;
  private sending = false;
  private scheduled = false;
  private linger: TimerHandle | undefined;
  private stoppedWith: { error: unknown } | undefined;
  private wakeRetry: (() => void) | undefined;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly send: (batch: TopicMessages[]) => Promise<void>,
    private readonly settings: ProduceBatcherSettings,
    private readonly clock: Clock,
    private readonly hooks: ProduceBatcherHooks = {},
  ) {}

  /**
   * Queues one record; resolves once the broker acknowledged the request that carried it. Every
   * record of a request gets the same promise, so a burst of publishes costs one, not one each.
   */
  enqueue(topic: string, message: Message, bytes: number, label = topic): Promise<void> {
    let batch = this.open;
    const full =
      batch !== undefined &&
      (batch.count >= this.settings.maxBatchMessages ||
        (batch.count > 0 && batch.bytes + bytes > this.settings.maxBatchBytes));
    if (batch === undefined || full) {
      batch = new Batch();
      this.queue.push(batch);
      this.open = batch;
    }
    batch.add(topic, message, bytes, label);
    this.schedule(full);
    return batch.done;
  }

  /** Records queued and not yet handed to the producer. */
  get pending(): number {
    return this.queue.reduce((n, b) => n + b.count, 0);
  }

  /** Resolves when every queued record has been sent (or failed). */
  idle(): Promise<void> {
    if (!this.sending && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Fails every record not yet acknowledged with `error` and accepts no more retries (the
   * transport is closing under a dead broker). A request already on the wire may still land.
   */
  stop(error: unknown): void {
    this.stoppedWith = { error };
    const dropped = this.queue.splice(0);
    this.open = undefined;
    for (const batch of dropped) batch.reject(error);
    this.wakeRetry?.();
  }

  private schedule(full: boolean): void {
    if (this.sending) return;
    if (this.scheduled) {
      // A full batch does not wait out the linger.
      if (!full || !this.linger) return;
      this.linger.cancel();
      this.linger = undefined;
    }
    this.scheduled = true;
    if (this.settings.lingerMs > 0 && !full) {
      this.linger = this.clock.setTimeout(() => void this.flush(), this.settings.lingerMs);
    }
    // A microtask runs after the caller's current burst of publish() calls, so they share a batch.
    else queueMicrotask(() => void this.flush());
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    this.linger?.cancel();
    this.linger = undefined;
    if (this.sending) return;
    this.sending = true;
    try {
      for (let batch = this.queue.shift(); batch; batch = this.queue.shift()) {
        if (batch === this.open) this.open = undefined;
        await this.deliver(batch);
      }
    } finally {
      this.sending = false;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  /**
   * Sends one batch, retrying transient failures until the delivery timeout: kafkajs gives up on
   * a send as soon as a metadata refresh meets a refused connection, which is exactly what a
   * broker restart looks like. Later batches wait behind it, so order per key still holds.
   */
  private async deliver(batch: Batch): Promise<void> {
    const deadline = this.clock.now() + this.settings.deliveryTimeoutMs;
    for (let delay = RETRY_MIN_MS; ; delay = Math.min(delay * 2, RETRY_MAX_MS)) {
      if (this.stoppedWith) return batch.reject(this.stoppedWith.error);
      try {
        await this.send(batch.request());
        this.hooks.onSent?.(batch.labels);
        return batch.resolve();
      } catch (error) {
        const transient = this.hooks.isTransient?.(error) ?? false;
        if (!transient || this.clock.now() + delay > deadline) {
          const wrap = this.hooks.wrapError;
          return batch.reject(wrap ? wrap(error, [...batch.byTopic.keys()]) : error);
        }
      }
      await new Promise<void>((resolve) => {
        const timer = this.clock.setTimeout(() => {
          this.wakeRetry = undefined;
          resolve();
        }, delay);
        this.wakeRetry = () => {
          timer.cancel();
          this.wakeRetry = undefined;
          resolve();
        };
      });
    }
  }
}
