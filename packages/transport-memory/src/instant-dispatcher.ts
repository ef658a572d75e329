import { afterCallback, FifoQueue } from '@evcharging/core';
import type { LaneDispatcher } from './lane.js';

/** What the dispatcher runs: a lane with messages due. */
interface Dispatchable {
  dispatch(): void;
}

/**
 * The simulation lane's delivery loop. A lane with messages due joins the queue here instead of
 * scheduling a wake-up of its own; one loop then runs every queued lane in the order they joined,
 * and a lane woken by a handler during the loop joins its end. The loop runs as soon as the virtual
 * timer callback that published returns (`afterCallback`), or in a microtask for a message published
 * elsewhere (a promise continuation, start-up code). So every delivery at one virtual instant runs
 * in one loop, with no promise or microtask per message or per timer, never inside `publish`.
 */
export class InstantDispatcher implements LaneDispatcher {
  private readonly ready = new FifoQueue<Dispatchable>();
  private queued = false;
  private readonly loop = (): void => this.run();

  add(lane: Dispatchable): void {
    this.ready.push(lane);
    if (this.queued) return;
    this.queued = true;
    afterCallback(this.loop);
  }

  private run(): void {
    try {
      for (let lane = this.ready.shift(); lane !== undefined; lane = this.ready.shift()) lane.dispatch();
    } finally {
      this.queued = false;
      // Only after a throw (a bug, not a handler's error: lanes catch those) are lanes left over.
      if (this.ready.length > 0) {
        this.queued = true;
        afterCallback(this.loop);
      }
    }
  }
}
