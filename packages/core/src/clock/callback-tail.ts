import { FifoQueue } from '../collections/fifo-queue.js';
import { microtask } from './microtask.js';

/** Tasks deferred by the virtual-timer callback running now, or by the tasks it deferred. */
const tail = new FifoQueue<() => void>();
let inCallback = false;

/**
 * Runs `task` at the current instant but never inside its caller: as soon as the virtual-timer
 * callback running now returns (before the promise continuations that callback queued), or, when
 * no virtual-timer callback is running, in a microtask. Tasks run in the order they were deferred;
 * one deferred by such a task runs in the same tail. The simulation lane delivers what a timer
 * callback published this way: at the instant it was published, with no microtask per timer.
 *
 * @example
 * clock.setTimeout(() => {
 *   afterCallback(() => console.log('second'));
 *   console.log('first');
 * }, 1_000);
 */
export function afterCallback(task: () => void): void {
  if (inCallback) tail.push(task);
  else microtask(task);
}

/**
 * @internal Runs a virtual timer's callback, then the tasks it deferred with {@link afterCallback}.
 * A throw stops the tail: the tasks still waiting then run in microtasks, as they would have outside
 * a callback, and the error goes to the caller.
 */
export function runTimerCallback(callback: () => void): void {
  inCallback = true;
  try {
    callback();
    for (let task = tail.shift(); task !== undefined; task = tail.shift()) task();
  } finally {
    inCallback = false;
    for (let task = tail.shift(); task !== undefined; task = tail.shift()) microtask(task);
  }
}
