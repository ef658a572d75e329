import type { Clock } from '../clock/clock.js';
import { keyOf, type TopicMessage, type TopicName } from '../contracts/topics.js';
import type {
  MessageHandler,
  PublishOptions,
  SubscribeOptions,
  Subscription,
  Transport,
  TransportStats,
} from '../transport/transport.js';
import type { CapturedEntry, EventLog } from './event-log.js';

/**
 * A node's transport that records every message it publishes successfully in the simulation's
 * event log; everything else is the wrapped transport's.
 */
export class RecordingTransport implements Transport {
  readonly name: string;

  constructor(
    readonly inner: Transport,
    private readonly nodeId: string,
    private readonly clock: Clock,
    private readonly log: EventLog,
  ) {
    this.name = inner.name;
  }

  connect(): Promise<void> {
    return this.inner.connect();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  publish<T extends TopicName>(topic: T, message: TopicMessage<T>, options?: PublishOptions): Promise<void> {
    // Serialized before sending, so a publisher mutating the object afterwards cannot change the log.
    let entry: CapturedEntry;
    try {
      entry = this.log.capture(this.clock.now(), this.nodeId, topic, keyOf(topic, message), message);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.inner.publish(topic, message, options).then(
      () => this.log.commit(entry),
      (error: unknown) => {
        this.log.discard(entry);
        throw error;
      },
    );
  }

  subscribe<T extends TopicName>(
    topic: T,
    options: SubscribeOptions,
    handler: MessageHandler<T>,
  ): Promise<Subscription> {
    return this.inner.subscribe(topic, options, handler);
  }

  stats(): TransportStats {
    return this.inner.stats();
  }
}
