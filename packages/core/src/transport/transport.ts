import type { TopicMessage, TopicName } from '../contracts/topics.js';

/** A message as delivered to a handler, with its routing metadata. */
export interface Envelope<T extends TopicName = TopicName> {
  readonly topic: T;
  readonly key: string;
  readonly value: TopicMessage<T>;
  /** Publish time, ms since the epoch, from the publisher's clock. */
  readonly ts: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly partition?: number;
  readonly offset?: number;
  /** 1 on first delivery, higher on redelivery after a handler failed. */
  readonly attempt?: number;
}

export interface SubscribeOptions {
  /** Consumer group: each group receives every message once; members of one group share them. */
  group: string;
  /** Also receive messages published before the group first subscribed (within retention). */
  fromBeginning?: boolean;
  /**
   * Only this key's messages (an engine wants only the commands for its `cp_id`). The memory
   * transport routes these in O(1); the Kafka transport filters on the client side.
   */
  key?: string;
}

/**
 * Handles one delivered message. A promise makes the transport wait for it (a rejection is a failed
 * delivery, retried); core's `DONE` counts as handled at once, as `undefined` does.
 */
export type MessageHandler<T extends TopicName> = (
  value: TopicMessage<T>,
  envelope: Envelope<T>,
) => void | Promise<void>;

export interface Subscription {
  unsubscribe(): Promise<void>;
}

export interface PublishOptions {
  headers?: Record<string, string>;
}

/** Counters every transport keeps; plugins and reports read them. */
export interface TransportStats {
  published: Record<string, number>;
  delivered: Record<string, number>;
  /** Messages rejected as invalid (at publish or on receipt), by topic. */
  rejected: Record<string, number>;
  /** Messages given up on after their handler kept failing, by topic. */
  deadLettered: Record<string, number>;
  /**
   * What each consumer group of this transport's subscriptions has not handled yet, when the
   * transport can tell (a slow consumer shows here before it shows in memory or latency).
   */
  backlog?: ConsumerBacklog[];
}

/** The backlog of one consumer group on one topic, as a transport sees it. */
export interface ConsumerBacklog {
  readonly topic: string;
  readonly group: string;
  /** Messages published to the topic and not yet handled by the group (Kafka: consumer lag). */
  readonly lag: number;
  /** Messages the transport discarded before the group handled them (memory retention), total. */
  readonly dropped: number;
}

/**
 * The only way plugins talk across nodes. Semantics are Kafka's: at-least-once delivery, order per
 * key, consumer groups, asynchronous delivery (never inside `publish`), and one failing handler
 * never stops the others.
 *
 * @example
 * await transport.connect();
 * await transport.subscribe('cp.status', { group: 'central' }, (status) => console.log(status.state));
 * await transport.publish('cp.status', { cp_id: 'CP-001', state: 'ACTIVATED' });
 */
export interface Transport {
  readonly name: string;
  connect(): Promise<void>;
  /** Stops delivery and releases resources; later `publish` calls fail with TransportClosedError. */
  close(): Promise<void>;
  /**
   * Validates the message against its topic's contract and sends it keyed by the contract's key.
   * A transport that sent it synchronously may return core's `DONE` (the memory transport does),
   * which hot paths recognise with `isDone` and need not wait for.
   */
  publish<T extends TopicName>(topic: T, message: TopicMessage<T>, options?: PublishOptions): Promise<void>;
  /** Resolves once messages will arrive (for Kafka: after the group join). */
  subscribe<T extends TopicName>(
    topic: T,
    options: SubscribeOptions,
    handler: MessageHandler<T>,
  ): Promise<Subscription>;
  stats(): TransportStats;
}

/** Thrown by `publish` or `subscribe` on a closed transport. */
export class TransportClosedError extends Error {
  override readonly name = 'TransportClosedError';
  constructor(transport: string, action: string) {
    super(`transport "${transport}" is closed: cannot ${action}`);
  }
}

/** Creates empty per-topic counters. */
export function emptyStats(): TransportStats {
  return { published: {}, delivered: {}, rejected: {}, deadLettered: {} };
}

/** Adds one to a per-topic counter. */
export function count(counter: Record<string, number>, topic: string, n = 1): void {
  counter[topic] = (counter[topic] ?? 0) + n;
}
