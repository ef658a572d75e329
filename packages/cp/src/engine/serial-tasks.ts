import { DONE, FifoQueue, isPending } from '@evcharging/core';

/**
 * A unit of the engine's ordered work: a publish, an outbox write (async or not). One that completed
 * synchronously returns nothing or core's `DONE`; the next task then runs without a microtask turn.
 */
export type SerialTask = () => Promise<void> | void;

/**
 * Runs tasks one at a time, in the order they were queued, each after the previous one settled: the
 * engine's publishes and outbox writes keep their program order on the wire and on disk. A task
 * queued while none runs starts at once (an idle CP's telemetry, nearly every task): no microtask
 * hop before a task, and an async task costs one reaction on its own promise, where a promise chain
 * cost two more promises and two more hops per telemetry message of every CP. A task that throws or
 * rejects is reported to `onError` and the next one runs.
 *
 * @example
 * const tasks = new SerialTasks((error) => logger.warn({ err: error }, 'publish failed'));
 * tasks.run(() => transport.publish('cp.status', status));
 * await tasks.idle(); // the status was published (or its failure reported)
 */
export class SerialTasks {
  /** Tasks queued while one runs (made when one queues, dropped once drained: most engines never queue). */
  private backlog: FifoQueue<SerialTask> | undefined;
  private running = false;
  /** Tasks queued so far, and settled so far: {@link idle} waits for the count of its call. */
  private queued = 0;
  private settled = 0;
  private waiters: { upTo: number; resolve: () => void }[] | undefined;

  constructor(private readonly onError: (error: unknown) => void) {}

  /** Queues `task`; it starts now if no other task is running. */
  run(task: SerialTask): void {
    this.queued++;
    if (!this.running) {
      this.pump(task);
      return;
    }
    this.backlog ??= new FifoQueue();
    this.backlog.push(task);
  }

  /** Resolves once every task queued so far has settled (tasks queued later are not waited for). */
  idle(): Promise<void> {
    if (this.settled === this.queued) return DONE;
    const upTo = this.queued;
    return new Promise<void>((resolve) => {
      this.waiters ??= [];
      this.waiters.push({ upTo, resolve });
    });
  }

  /** Runs `first`, then the waiting tasks, until one is async (its settling goes on) or none is left. */
  private pump(first: SerialTask | undefined): void {
    for (let task = first; task !== undefined; task = this.next()) {
      this.running = true;
      let result: Promise<void> | void;
      try {
        result = task();
      } catch (error) {
        this.report(error);
        result = undefined;
      }
      if (isPending(result)) {
        // Closures per async task rather than bound once per queue: they die young, while fields
        // would cost every idle CP of a large fleet their bytes.
        result.then(
          () => this.resume(),
          (error: unknown) => {
            this.report(error);
            this.resume();
          },
        );
        return;
      }
      this.settle();
    }
  }

  /** The oldest queued task, removed from the backlog; undefined when none waits. */
  private next(): SerialTask | undefined {
    const backlog = this.backlog;
    if (!backlog) return undefined;
    const task = backlog.shift();
    if (backlog.length === 0) this.backlog = undefined;
    return task;
  }

  /** The running async task settled: the next one runs. */
  private resume(): void {
    this.settle();
    this.pump(this.next());
  }

  private settle(): void {
    this.settled++;
    this.running = false;
    if (this.waiters) this.wake();
  }

  /** Resolves the waiters now due: they joined in order of `upTo`, so they are the first ones. */
  private wake(): void {
    const waiters = this.waiters!;
    while (waiters.length > 0 && waiters[0]!.upTo <= this.settled) waiters.shift()!.resolve();
    if (waiters.length === 0) this.waiters = undefined;
  }

  private report(error: unknown): void {
    try {
      this.onError(error);
    } catch {
      // An error handler's own failure must not stop the queue.
    }
  }
}
