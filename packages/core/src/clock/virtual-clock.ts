import { runTimerCallback } from './callback-tail.js';
import type { Clock, TimerHandle } from './clock.js';
import { microtask } from './microtask.js';
import { type ScheduledTimer, TimerQueue } from './timer-queue.js';

/** Default start of virtual time: 2026-01-01T00:00:00Z. */
export const VIRTUAL_EPOCH = Date.UTC(2026, 0, 1);

export interface VirtualClockOptions {
  /** Start time in ms since the Unix epoch (default {@link VIRTUAL_EPOCH}). */
  start?: number;
}

// NaN (e.g. a misparsed setting) would make now() NaN, and a NaN interval would fire forever at one
// instant; treat it as the minimum, as Node's timers do.
const delayOf = (ms: number, min: number): number => (Number.isNaN(ms) ? min : Math.max(min, ms));

/** Timers fired between two macrotask turns of a long run. */
const MACROTASK_EVERY = 256;

/**
 * A discrete-event scheduler: time moves only when you advance it, timers fire in (time, insertion)
 * order, and before every timer the clock lets pending promise continuations run (all of them, and
 * the ones they queue), so an async handler never sees time jump under it. That settling costs no
 * event-loop turn; every 256 timers, and before the first, the clock also yields a macrotask so I/O
 * and `setImmediate` callbacks are not starved by a long advance (a simulation should not depend on
 * when those run: they are outside virtual time). What a callback defers with `afterCallback` runs
 * as soon as it returns, before that settling.
 *
 * @example
 * const clock = new VirtualClock();
 * clock.setTimeout(() => console.log('one hour later'), 3_600_000);
 * await clock.advance(3_600_000); // returns at once, the callback has run
 */
export class VirtualClock implements Clock {
  private current: number;
  private seq = 0;
  private readonly queue = new TimerQueue();
  private running = false;
  private firedCount = 0;

  constructor(options: VirtualClockOptions = {}) {
    this.current = options.start ?? VIRTUAL_EPOCH;
  }

  now(): number {
    return this.current;
  }

  /** Number of live scheduled timers. */
  get pending(): number {
    return this.queue.size;
  }

  /** Number of timer callbacks fired so far (a cheap measure of simulated work). */
  get fired(): number {
    return this.firedCount;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    return this.schedule(callback, delayOf(ms, 0), 0);
  }

  setInterval(callback: () => void, ms: number): TimerHandle {
    const period = delayOf(ms, 1);
    return this.schedule(callback, period, period);
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(resolve, ms));
  }

  /** Time of the next timer, or undefined when nothing is scheduled. */
  nextTime(): number | undefined {
    return this.queue.peek()?.time;
  }

  /** Runs every timer due within the next `ms` and leaves the clock at now + ms. */
  async advance(ms: number): Promise<void> {
    await this.runUntil(this.current + Math.max(0, ms));
  }

  /**
   * Runs every timer due at or before `time` and leaves the clock at `time`. With `shouldStop`, stops
   * as soon as it returns true (checked before every timer) and resolves to true.
   */
  async runUntil(time: number, shouldStop?: () => boolean): Promise<boolean> {
    return this.run(time, shouldStop);
  }

  /**
   * Runs timers until none is left (intervals keep a clock busy forever, hence the bound).
   * @param limitMs stop after this much virtual time (default 24 h) to bound runaway intervals.
   */
  async runUntilIdle(limitMs = 86_400_000): Promise<void> {
    await this.run(this.current + limitMs, undefined, true);
  }

  private run(until: number, shouldStop?: () => boolean, stopWhenIdle = false): Promise<boolean> {
    if (this.running)
      return Promise.reject(
        new Error('VirtualClock is already running; do not advance it from inside a timer'),
      );
    this.running = true;
    return new Promise<boolean>((resolve, reject) => {
      let sinceMacrotask = 0;
      const finish = (stopped: boolean): void => {
        if (!stopped && (!stopWhenIdle || this.queue.size > 0)) this.current = Math.max(this.current, until);
        this.running = false;
        resolve(stopped);
      };
      // One step fires one timer. The next step runs in a process.nextTick queued from a microtask
      // queued after the timer's callback: a tick queued while microtasks run is called only once
      // the microtask queue is empty, so every continuation of the callback (and the ones they
      // queue) runs before the next timer, without a promise or an event-loop turn per timer.
      const step = (): void => {
        try {
          if (shouldStop?.()) {
            finish(true);
            return;
          }
          const next = this.queue.peek();
          if (!next || next.time > until) {
            finish(shouldStop?.() === true);
            return;
          }
          this.current = next.time;
          if (next.period > 0) {
            next.time += next.period;
            next.seq = this.seq++;
            this.queue.reschedulePeeked();
          } else {
            this.queue.removePeeked();
            next.cancelled = true; // fired: a later cancel() must not count it again
          }
          this.firedCount++;
          runTimerCallback(next.callback);
          // A macrotask now and then lets the rest of the process (I/O, signals, real timers) run
          // during a long advance without costing one per timer.
          if (++sinceMacrotask >= MACROTASK_EVERY) {
            sinceMacrotask = 0;
            setImmediate(step);
          } else microtask(afterMicrotasks);
        } catch (error) {
          this.running = false;
          reject(error);
        }
      };
      const afterMicrotasks = (): void => {
        process.nextTick(step);
      };
      setImmediate(step);
    });
  }

  private schedule(callback: () => void, delay: number, period: number): TimerHandle {
    const timer = new VirtualTimer(this.queue, this.current + delay, this.seq++, callback, period);
    this.queue.push(timer);
    return timer;
  }
}

/**
 * A scheduled timer that is its own handle: one object per timer instead of a timer, a handle and
 * a `cancel` closure (a network of 10,000 CPs keeps a few timers per CP scheduled at all times).
 */
class VirtualTimer implements ScheduledTimer, TimerHandle {
  cancelled = false;

  constructor(
    private readonly queue: TimerQueue,
    public time: number,
    public seq: number,
    readonly callback: () => void,
    readonly period: number,
  ) {}

  cancel(): void {
    this.queue.markCancelled(this);
  }
}
