import type { Clock, Logger, TimerHandle } from '@evcharging/core';
import type { Admin } from 'kafkajs';

/** What the lag reads from the broker: the topic's log ends and the group's committed offsets. */
export type LagAdmin = Pick<Admin, 'fetchTopicOffsets' | 'fetchOffsets'>;

export interface ConsumerLagDeps {
  readonly admin: LagAdmin;
  /** The Kafka topic (with prefix) the member reads. */
  readonly kafkaTopic: string;
  readonly groupId: string;
  readonly clock: Clock;
  /** The subscription's logger (it names the topic and the group). */
  readonly log: Logger;
}

/**
 * Consumer lag of one group member: records between its position and the log end, summed over
 * the partitions it is assigned. The subscription moves the position at every checkpoint and
 * batch end (nothing per record) and reports each fetch's high watermark; the log end is also
 * read every `consumer.lagRefreshMs` (one ListOffsets request), because a slow consumer busy with
 * an old batch fetches nothing new. A partition the member has had no batch of yet counts from
 * the group's committed offset, read with the log end.
 *
 * @example
 * const lag = new ConsumerLag({ admin, kafkaTopic: 'p.cp.telemetry', groupId: 'p.central.cp.telemetry', clock, log });
 * lag.assign([0]);
 * lag.sawLogEnd(0, 120);
 * lag.moveTo(0, 100);
 * lag.total(); // 20
 * lag.refreshEvery(5_000); // until lag.stop()
 */
export class ConsumerLag {
  private assigned: readonly number[] = [];
  /** Next offset to handle per partition (the first of the batch in hand, then past each record). */
  private readonly positions = new Map<number, number>();
  /** Log end per partition: the latest of the fetches' high watermarks and the periodic read. */
  private readonly ends = new Map<number, number>();
  private timer: TimerHandle | undefined;
  private refreshing = false;
  private stopped = false;

  constructor(private readonly deps: ConsumerLagDeps) {}

  /** The partitions of the topic the group gave this member at its last join. */
  get assignment(): readonly number[] {
    return this.assigned;
  }

  /** Records the partitions of a group join; only these count in {@link total}. */
  assign(partitions: readonly number[]): void {
    this.assigned = partitions;
  }

  /** The member's next offset to handle on `partition`. */
  moveTo(partition: number, position: number): void {
    this.positions.set(partition, position);
  }

  /** A log end seen for `partition` (a fetch's high watermark); the log end never moves back. */
  sawLogEnd(partition: number, end: number): void {
    if (end > (this.ends.get(partition) ?? -1)) this.ends.set(partition, end);
  }

  /** The lag now: records behind the log end over the assigned partitions (0 for a partition not known yet). */
  total(): number {
    let lag = 0;
    for (const partition of this.assigned) {
      const position = this.positions.get(partition);
      const end = this.ends.get(partition);
      if (position !== undefined && end !== undefined && end > position) lag += end - position;
    }
    return lag;
  }

  /** Reads the log end every `ms` (on the clock) until {@link stop}, so the lag sees a flood. */
  refreshEvery(ms: number): void {
    if (this.stopped) return;
    this.timer = this.deps.clock.setInterval(() => void this.refresh(), ms);
  }

  /** Stops the periodic read; a read in flight still lands. */
  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
  }

  /** Reads the log end of the topic's partitions (one request); a failure leaves the last figures. */
  private async refresh(): Promise<void> {
    if (this.refreshing || this.stopped) return;
    this.refreshing = true;
    try {
      const { admin, kafkaTopic, groupId } = this.deps;
      const offsets = await admin.fetchTopicOffsets(kafkaTopic);
      for (const { partition, high } of offsets) this.sawLogEnd(partition, Number(high));
      // A partition this member has not had a batch of yet (waiting behind a slow one): its
      // position is the group's committed offset.
      if (this.assigned.some((p) => !this.positions.has(p))) {
        const [committed] = await admin.fetchOffsets({ groupId, topics: [kafkaTopic] });
        for (const { partition, offset } of committed?.partitions ?? []) {
          if (Number(offset) >= 0 && !this.positions.has(partition))
            this.positions.set(partition, Number(offset));
        }
      }
    } catch (error) {
      this.deps.log.debug({ err: error }, 'could not read the log end for the consumer lag');
    } finally {
      this.refreshing = false;
    }
  }
}
