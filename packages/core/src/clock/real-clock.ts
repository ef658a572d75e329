import type { Clock, TimerHandle } from './clock.js';

/**
 * Wall-clock time and Node timers.
 *
 * @example
 * const clock = new RealClock();
 * clock.setTimeout(() => console.log('tick', clock.now()), 1000);
 */
export class RealClock implements Clock {
  now(): number {
    return Date.now();
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const timer = globalThis.setTimeout(callback, Math.max(0, ms));
    return { cancel: () => globalThis.clearTimeout(timer) };
  }

  setInterval(callback: () => void, ms: number): TimerHandle {
    const timer = globalThis.setInterval(callback, Math.max(1, ms));
    return { cancel: () => globalThis.clearInterval(timer) };
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => globalThis.setTimeout(resolve, Math.max(0, ms)));
  }
}
