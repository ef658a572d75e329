import { FifoQueue, microtask } from '@evcharging/core';
import type { LaneDispatcher } from './lane.js';

/** What the dispatcher runs: a lane with messages due. */
interface Dispatchable {
  dispatch(): void;
}

/**
 * The simulation lane's delivery loop. A lane with messages due joins the queue here instead of
 * scheduling a microtask of its own; one microtask then runs every queued lane in the order they
 * joined (the order their own microtasks would have run in), and a lane woken by a handler during the
 * loop joins its end. So every delivery at one virtual instant runs in one loop, with no promise or
 * microtask per message, never inside `publish`.
 */
export class InstantDispatcher implements LaneDispatcher {
  private readonly ready = new FifoQueue<Dispatchable>();
  private queued = false;
  private readonly loop = (): void => this.run();

  add(lane: Dispatchable): void {
    this.ready.push(lane);
    if (this.queued) return;
    this.queued = true;
    microtask(this.loop);
  }

  private run(): void {
    try {
      for (let lane = this.ready.shift(); lane !== undefined; lane = this.ready.shift()) lane.dispatch();
    } finally {
      this.queued = false;
      // Only after a throw (a bug, not a handler's error: lanes catch those) are lanes left over.
      if (this.ready.length > 0) {
        this.queued = true;
        microtask(this.loop);
      }
    }
  }
}
