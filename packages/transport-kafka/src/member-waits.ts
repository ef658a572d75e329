import type { Clock, TimerHandle } from '@evcharging/core';

/** Resolves the offsets of finished messages and heartbeats the group. */
export type Checkpoint = () => Promise<void>;

/** A request that failed, with its error (wrapped, so a rejection with `undefined` still counts). */
export interface FailedRequest {
  readonly error: unknown;
}

export interface MemberWaitsDeps {
  readonly clock: Clock;
  /** The consumer's heartbeat interval: a wait checkpoints every half of it (at least every 50 ms). */
  readonly heartbeatIntervalMs: number;
  /** Whether the subscription stopped; a pause ends as soon as it has. */
  readonly isStopped: () => boolean;
}

/**
 * The waits of a group member in the middle of a batch: a handler's backoff, a dead-letter
 * request. kafkajs sends a heartbeat only when asked, so each wait checkpoints every half
 * heartbeat interval: a long one costs neither the group membership nor the offsets of the
 * messages finished before it. A rebalance surfaces as an error from the checkpoint and goes up
 * to kafkajs, which rejoins; the unfinished message is then redelivered.
 *
 * @example
 * const waits = new MemberWaits({ clock, heartbeatIntervalMs: 3_000, isStopped: () => stopped });
 * if (!(await waits.pause(800, checkpoint))) return; // stopped meanwhile
 * // on stop: stopped = true; waits.wakeAll();
 */
export class MemberWaits {
  private readonly sleepers = new Set<() => void>();
  private readonly slice: number;
  /** The checkpoints of the batches whose handler is being waited for. */
  private readonly handling = new Set<Checkpoint>();
  /** Checkpoints them every slice while any is pending. */
  private watchdog: TimerHandle | undefined;

  constructor(private readonly deps: MemberWaitsDeps) {
    this.slice = Math.max(50, Math.floor(deps.heartbeatIntervalMs / 2));
  }

  /** Whether the subscription stopped. */
  get stopped(): boolean {
    return this.deps.isStopped();
  }

  /**
   * Waits `ms`, checkpointing before and meanwhile. Resolves false as soon as the subscription
   * stops (see {@link wakeAll}), true after the full wait.
   */
  async pause(ms: number, checkpoint: Checkpoint): Promise<boolean> {
    await checkpoint();
    for (let left = ms; left > 0 && !this.stopped; left -= this.slice) {
      await this.sleep(Math.min(this.slice, left));
      if (!this.stopped) await checkpoint();
    }
    return !this.stopped;
  }

  /**
   * Waits for a broker request, checkpointing meanwhile: a large request queued behind others on
   * the producer's connection can outlast the session timeout under load. Resolves with the
   * request's error if it failed; a checkpoint's error (the group rebalancing) is thrown, never
   * mistaken for the broker refusing the request.
   */
  async whileSending(request: Promise<void>, checkpoint: Checkpoint): Promise<FailedRequest | undefined> {
    let settled = false;
    let failed: FailedRequest | undefined;
    const over = request.then(
      () => {
        settled = true;
      },
      (error: unknown) => {
        settled = true;
        failed = { error };
      },
    );
    while (!settled) {
      let timer: TimerHandle | undefined;
      await Promise.race([
        over,
        new Promise<void>((resolve) => {
          timer = this.deps.clock.setTimeout(resolve, this.slice);
        }),
      ]);
      timer?.cancel();
      if (!settled && !this.stopped) await checkpoint();
    }
    return failed;
  }

  /**
   * Waits for a handler's promise. While any handler is pending, a watchdog checkpoints its batch
   * every slice: a handler slower than the session timeout (one that waits for another message,
   * a slow store) keeps the group membership, where kafkajs alone would let the session expire and
   * redeliver the record after a rebalance. A checkpoint's error (the group rebalancing) is left to
   * the batch's own next checkpoint, which throws it up to kafkajs. Per handler: a set entry; one
   * interval runs while handlers are pending.
   */
  async whileHandling<T>(work: Promise<T>, checkpoint: Checkpoint): Promise<T> {
    this.handling.add(checkpoint);
    this.watchdog ??= this.deps.clock.setInterval(() => this.beat(), this.slice);
    try {
      return await work;
    } finally {
      this.handling.delete(checkpoint);
    }
  }

  /** Ends every sleep of a pause at once; called after the subscription stopped. */
  wakeAll(): void {
    for (const wake of [...this.sleepers]) wake();
    this.watchdog?.cancel();
    this.watchdog = undefined;
  }

  private beat(): void {
    if (this.handling.size === 0 || this.stopped) {
      this.watchdog?.cancel();
      this.watchdog = undefined;
      return;
    }
    for (const checkpoint of this.handling) checkpoint().catch(() => undefined);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        timer.cancel();
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = this.deps.clock.setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }
}
