import {
  type Clock,
  type ConsumerBacklog,
  type Envelope,
  type MessageHandler,
  type TopicName,
  VirtualClock,
} from '@evcharging/core';
import { MessageQueue } from './message-queue.js';
import type { StoredMessage } from './stored-message.js';

/**
 * Runs `callback` soon, at the current time, but never inside the caller. In virtual time a
 * microtask: the clock settles promise continuations after every timer, so a whole chain of
 * deliveries at one instant costs no extra timers. In real time `setImmediate`, which lets I/O and
 * timers in between (a publish/handle ping-pong cannot starve the process).
 */
function deferOn(clock: Clock, callback: () => void): void {
  if (clock instanceof VirtualClock) queueMicrotask(callback);
  else setImmediate(callback);
}

/** One subscriber of a group. */
export interface GroupMember {
  readonly id: number;
  readonly handler: MessageHandler<TopicName>;
  readonly clock: Clock;
  /** Called once a message was handled successfully (for the transport's stats). */
  readonly onDelivered: (topic: TopicName) => void;
  /** Called when a message this member kept failing on was dead-lettered. */
  readonly onDeadLetter: (topic: TopicName) => void;
  active: boolean;
}

/** What a group needs from its broker. */
export interface GroupHost {
  decode(message: StoredMessage): unknown;
  deadLetter(group: string, message: StoredMessage, value: unknown, error: unknown, attempts: number): void;
  readonly maxAttempts: number;
  readonly redeliveryDelayMs: number;
  activityChanged(): void;
}

/**
 * One pending lane: the messages of one partition (or of one key, for key-filtered groups) waiting
 * for a group. Its pump delivers them one at a time, in order, and retries a failed one with backoff.
 */
export class Lane {
  readonly queue = new MessageQueue<StoredMessage>();
  /** The message taken off the queue: in a handler, or waiting for its redelivery. Never trimmed. */
  private current: StoredMessage | undefined;
  private scheduled = false;
  private busy = false;
  private attempt = 0;

  constructor(
    private readonly group: ConsumerGroup,
    readonly partition: number,
  ) {}

  get idle(): boolean {
    return !this.busy && !this.scheduled && (this.waiting === 0 || !this.group.ownerOf(this.partition));
  }

  /** Messages not yet handled, including the one in hand. */
  get waiting(): number {
    return this.queue.length + (this.current ? 1 : 0);
  }

  /** Schedules a delivery run on the owner's clock if one is needed and none is pending. */
  wake(delayMs = 0): void {
    if (this.scheduled || this.busy || this.waiting === 0) return;
    const owner = this.group.ownerOf(this.partition);
    if (!owner) return;
    this.scheduled = true;
    this.start ??= this.starter();
    if (delayMs > 0) owner.clock.setTimeout(this.start, delayMs);
    else deferOn(owner.clock, this.start);
  }

  /**
   * Starts a scheduled delivery run: one closure per lane, not one per wake-up, made at the first
   * wake-up (a node of 10,000 CPs has a lane per engine, most of them never woken while idle).
   */
  private start: (() => void) | undefined;

  private starter(): () => void {
    return () => {
      this.scheduled = false;
      void this.run();
    };
  }

  private async run(): Promise<void> {
    const host = this.group.host;
    this.busy = true;
    try {
      for (;;) {
        const message = this.current ?? this.queue.peek();
        const owner = this.group.ownerOf(this.partition);
        if (!message || !owner) return;
        const wait = message.deliverAt - owner.clock.now();
        if (wait > 0) {
          this.busy = false;
          this.wake(wait);
          return;
        }
        // Taken off the queue, so retention trimming the queue can never drop the message in hand.
        if (!this.current) this.current = this.queue.shift();
        this.attempt++;
        const value = host.decode(message);
        const envelope: Envelope<TopicName> = {
          topic: message.topic,
          key: message.key,
          value: value as Envelope<TopicName>['value'],
          ts: message.ts,
          headers: message.headers,
          partition: message.partition,
          offset: message.offset,
          attempt: this.attempt,
        };
        try {
          const result = owner.handler(envelope.value, envelope);
          if (result && typeof (result as Promise<void>).then === 'function') await result;
        } catch (error) {
          if (this.attempt >= host.maxAttempts) {
            host.deadLetter(this.group.id, message, value, error, this.attempt);
            owner.onDeadLetter(message.topic);
            this.current = undefined;
            this.attempt = 0;
            continue;
          }
          this.busy = false;
          this.wake(host.redeliveryDelayMs * 2 ** (this.attempt - 1));
          return;
        }
        this.current = undefined;
        this.attempt = 0;
        owner.onDelivered(message.topic);
      }
    } finally {
      this.busy = false;
      host.activityChanged();
    }
  }
}

/**
 * A consumer group on one topic: per-partition lanes (or a single lane for a key-filtered group),
 * members sharing the partitions round-robin, and pending messages kept while no member is there.
 */
export class ConsumerGroup {
  readonly lanes: Lane[] = [];
  /** Messages retention dropped while the group had no member: lost to it, never delivered. */
  dropped = 0;
  private readonly members: GroupMember[] = [];

  constructor(
    readonly id: string,
    readonly topic: TopicName,
    readonly key: string | undefined,
    partitions: number,
    readonly host: GroupHost,
  ) {
    const laneCount = key === undefined ? partitions : 1;
    for (let p = 0; p < laneCount; p++) this.lanes.push(new Lane(this, p));
  }

  get memberCount(): number {
    return this.members.length;
  }

  laneFor(partition: number): Lane {
    return this.key === undefined ? this.lanes[partition]! : this.lanes[0]!;
  }

  ownerOf(lane: number): GroupMember | undefined {
    if (this.members.length === 0) return undefined;
    return this.members[lane % this.members.length];
  }

  join(member: GroupMember): void {
    this.members.push(member);
    for (const lane of this.lanes) lane.wake();
  }

  leave(member: GroupMember): void {
    const i = this.members.indexOf(member);
    if (i >= 0) this.members.splice(i, 1);
    member.active = false;
    for (const lane of this.lanes) lane.wake();
  }

  enqueue(message: StoredMessage, retention: number): number {
    const lane = this.laneFor(message.partition);
    lane.queue.push(message);
    // Retention bounds what waits for an absent group; a live member is never overtaken.
    const dropped = this.members.length === 0 ? lane.queue.trim(retention) : 0;
    this.dropped += dropped;
    lane.wake();
    return dropped;
  }

  get idle(): boolean {
    return this.lanes.every((lane) => lane.idle);
  }

  /** Messages waiting for the group and messages retention dropped before it had a member. */
  backlog(): ConsumerBacklog {
    return { topic: this.topic, group: this.id, lag: this.pending(), dropped: this.dropped };
  }

  pending(): number {
    let n = 0;
    for (const lane of this.lanes) n += lane.waiting;
    return n;
  }
}
