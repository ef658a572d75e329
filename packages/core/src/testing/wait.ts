import type { Clock } from '../clock/clock.js';
import { VirtualClock } from '../clock/virtual-clock.js';

/**
 * Lets time pass until `predicate` holds or `timeoutMs` of the clock's time elapsed. With a
 * VirtualClock it runs timers one at a time (no real waiting); with any other clock it polls.
 * Resolves to whether the predicate held.
 *
 * @example
 * await advanceUntil(clock, () => received.length === 3, { timeoutMs: 5_000 });
 */
export async function advanceUntil(
  clock: Clock,
  predicate: () => boolean,
  options: { timeoutMs?: number; pollMs?: number } = {},
): Promise<boolean> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (clock instanceof VirtualClock) {
    const end = clock.now() + timeoutMs;
    return clock.runUntil(end, predicate);
  }
  const pollMs = options.pollMs ?? 10;
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() >= end) return false;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  return true;
}

/** Lets `ms` of the clock's time pass (runs virtual timers, or really waits). */
export async function letTimePass(clock: Clock, ms: number): Promise<void> {
  if (clock instanceof VirtualClock) await clock.advance(ms);
  else await new Promise((resolve) => setTimeout(resolve, ms));
}
