import type { Clock, ConsumerBacklog, MessageHandler, TopicName } from '@evcharging/core';
import { Lane, type LaneDispatcher } from './lane.js';
import type { StoredMessage } from './stored-message.js';

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
  /** The simulation lane's delivery loop; undefined in the standard mode. @internal */
  readonly dispatcher: LaneDispatcher | undefined;
  activityChanged(): void;
}

/**
 * A consumer group on one topic: per-partition lanes (or a single lane for a key-filtered group),
 * members sharing the partitions round-robin, and pending messages kept while no member is there.
 */
export class ConsumerGroup {
  readonly lanes: Lane[] = [];
  /** Messages retention dropped while the group had no member: lost to it, never delivered. */
  dropped = 0;
  private members: GroupMember[] = [];

  constructor(
    readonly id: string,
    readonly topic: TopicName,
    readonly key: string | undefined,
    partitions: number,
    readonly host: GroupHost,
  ) {
    // A key-filtered group (an engine's commands: one per CP) gets an exact one-lane list.
    if (key !== undefined) this.lanes = [new Lane(this, 0)];
    else for (let p = 0; p < partitions; p++) this.lanes.push(new Lane(this, p));
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
    // Copied rather than pushed: joins are rare, and a list grown by push keeps room for 17.
    this.members = [...this.members, member];
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
