import type { Clock, TimerHandle } from '@evcharging/core';

/**
 * A process's view of a shared clock that can be killed: after `kill()` none of its timers fire,
 * as when the process dies. Lets a test drop an engine without stopping it, in virtual time.
 */
export function killableClock(base: Clock): { clock: Clock; kill(): void } {
  let dead = false;
  const guard = (callback: () => void) => () => {
    if (!dead) callback();
  };
  const clock: Clock = {
    now: () => base.now(),
    setTimeout: (callback, ms): TimerHandle => base.setTimeout(guard(callback), ms),
    setInterval: (callback, ms): TimerHandle => base.setInterval(guard(callback), ms),
    sleep: (ms) => new Promise((resolve) => base.setTimeout(guard(resolve), ms)),
  };
  return {
    clock,
    kill: () => {
      dead = true;
    },
  };
}
