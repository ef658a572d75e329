import {
  type Clock,
  type ConsumerBacklog,
  count,
  DONE,
  type EventLog,
  type MessageHandler,
  type PublishOptions,
  RealClock,
  type SubscribeOptions,
  type Subscription,
  TopicCounts,
  type TopicMessage,
  type TopicName,
  type Transport,
  TransportClosedError,
  type TransportStats,
  VirtualClock,
} from '@evcharging/core';
import type { ConsumerGroup, GroupMember } from './consumer-group.js';
import type { AppendRecorder, MemoryBroker } from './memory-broker.js';
import { NO_HEADERS } from './stored-message.js';

export interface MemoryTransportOptions {
  broker: MemoryBroker;
  nodeId: string;
  /** The node's clock: deliveries to this transport's handlers are scheduled on it. */
  clock?: Clock;
  /**
   * Records every message this transport publishes, when the broker accepted it (a simulation's
   * event log: `eventLog.record(clock.now(), nodeId, topic, key, message)`).
   */
  eventLog?: EventLog;
}

let memberIds = 0;

/**
 * One node's connection to a {@link MemoryBroker}. Publishing validates the message, serializes it
 * (or, in the simulation lane, freezes it) and returns at once; handlers run later on the node's
 * clock, never inside `publish`.
 *
 * @example
 * const transport = broker.transport('central', { clock });
 * await transport.subscribe('cp.status', { group: 'central' }, (s) => registry.apply(s));
 */
export class MemoryTransport implements Transport {
  readonly name: string;
  readonly clock: Clock;
  readonly nodeId: string;
  private readonly broker: MemoryBroker;
  private readonly eventLog: EventLog | undefined;
  /** The simulation lane records at append, in the walk that freezes the message. */
  private readonly recorder: AppendRecorder | undefined;
  private readonly members = new Set<MemorySubscription>();
  /**
   * Made at the first count: an idle CP's transports in a large fleet never publish. Published and
   * delivered messages are counted on every message (`TopicCounts`), rejections and dead letters
   * by topic name at once.
   */
  private publishedCounts: TopicCounts | undefined;
  private deliveredCounts: TopicCounts | undefined;
  private failureCounts: Pick<TransportStats, 'rejected' | 'deadLettered'> | undefined;
  private closed = false;
  /** Shared by every subscription of this transport (not two closures per subscription). */
  private readonly onDelivered = (t: TopicName): void => {
    this.deliveredCounts ??= new TopicCounts();
    this.deliveredCounts.add(t);
    this.broker.delivered();
  };
  private readonly onDeadLetter = (t: TopicName): void => count(this.failures.deadLettered, t);

  private get failures(): Pick<TransportStats, 'rejected' | 'deadLettered'> {
    this.failureCounts ??= { rejected: {}, deadLettered: {} };
    return this.failureCounts;
  }

  constructor(options: MemoryTransportOptions) {
    this.broker = options.broker;
    this.nodeId = options.nodeId;
    this.name = `memory:${options.nodeId}`;
    this.clock = options.clock ?? new RealClock();
    this.eventLog = options.eventLog;
    this.recorder =
      options.eventLog && this.broker.simulationLane
        ? { eventLog: options.eventLog, node: options.nodeId }
        : undefined;
    if (this.broker.simulationLane && !(this.clock instanceof VirtualClock)) {
      throw new Error(
        `MemoryBroker: the simulation lane runs on a VirtualClock; node "${options.nodeId}" has ${options.clock ? 'another clock' : 'none (a RealClock by default)'}`,
      );
    }
    this.broker.registerClock(this.clock);
  }

  async connect(): Promise<void> {
    // Nothing to reach; a closed transport stays closed (create a new one, as with Kafka clients).
    if (this.closed) throw new TransportClosedError(this.name, 'connect');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const entry of [...this.members]) entry.leave();
    this.members.clear();
  }

  publish<T extends TopicName>(topic: T, message: TopicMessage<T>, options?: PublishOptions): Promise<void> {
    // Not async: the append is synchronous, so core's DONE is all a caller waits for (one allocation
    // less per message), and a caller on a hot path that recognises it waits for nothing.
    if (this.closed) return Promise.reject(new TransportClosedError(this.name, `publish to "${topic}"`));
    const now = this.clock.now();
    let key: string;
    try {
      key = this.broker.append(topic, message, now, options?.headers ?? NO_HEADERS, this.recorder);
    } catch (error) {
      count(this.failures.rejected, topic);
      return Promise.reject(error);
    }
    this.publishedCounts ??= new TopicCounts();
    this.publishedCounts.add(topic);
    if (this.eventLog && !this.recorder) {
      try {
        this.eventLog.record(now, this.nodeId, topic, key, message);
      } catch (error) {
        // Only a message JSON could not carry (a cycle, a BigInt), which just the shared mode lets by.
        return Promise.reject(error);
      }
    }
    return DONE;
  }

  async subscribe<T extends TopicName>(
    topic: T,
    options: SubscribeOptions,
    handler: MessageHandler<T>,
  ): Promise<Subscription> {
    if (this.closed) throw new TransportClosedError(this.name, `subscribe to "${topic}"`);
    if (!options.group) throw new Error(`${this.name}: subscribe to "${topic}" needs a group id`);
    const group = this.broker.group(topic, options.group, options.key, options.fromBeginning ?? false);
    const member: GroupMember = {
      id: ++memberIds,
      handler: handler as MessageHandler<TopicName>,
      clock: this.clock,
      active: true,
      onDelivered: this.onDelivered,
      onDeadLetter: this.onDeadLetter,
    };
    const subscription = new MemorySubscription(member, group, this.members);
    this.members.add(subscription);
    group.join(member);
    return subscription;
  }

  stats(): TransportStats {
    return {
      published: this.publishedCounts?.snapshot() ?? {},
      delivered: this.deliveredCounts?.snapshot() ?? {},
      rejected: { ...this.failureCounts?.rejected },
      deadLettered: { ...this.failureCounts?.deadLettered },
      backlog: this.backlog(),
    };
  }

  /** Backlog of the groups this transport's subscriptions are in (see {@link MemoryBroker.backlog}). */
  private backlog(): ConsumerBacklog[] {
    const groups = new Set<ConsumerGroup>();
    for (const { group } of this.members) groups.add(group);
    return [...groups].map((g) => g.backlog());
  }
}

/**
 * One subscription: its group membership and how to leave it. A class rather than closures: a
 * node of 10,000 CPs holds one per engine, and under tsx (esbuild keepNames) each named closure
 * also gets an own `name` property (a dictionary of some 250 bytes).
 */
class MemorySubscription implements Subscription {
  constructor(
    readonly member: GroupMember,
    readonly group: ConsumerGroup,
    private readonly members: Set<MemorySubscription>,
  ) {}

  leave(): void {
    if (!this.member.active) return;
    this.group.leave(this.member);
    this.members.delete(this);
  }

  async unsubscribe(): Promise<void> {
    this.leave();
  }
}
