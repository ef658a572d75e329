/** A scheduled callback; `cancel()` is idempotent. */
export interface TimerHandle {
  cancel(): void;
}

/**
 * The only source of time for plugins. `RealClock` in deployments, `VirtualClock` in simulations,
 * so the same code runs in real time over Kafka and in deterministic virtual time in memory.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  setInterval(callback: () => void, ms: number): TimerHandle;
  /** Resolves after `ms` of this clock's time. */
  sleep(ms: number): Promise<void>;
}
