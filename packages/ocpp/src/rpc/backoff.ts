import type { Random } from '@evcharging/core';

/** Exponential back-off between reconnects or retries. */
export interface BackoffOptions {
  /** First delay, ms (default 1,000). */
  initialMs?: number;
  /** Longest delay, ms (default 60,000). */
  maxMs?: number;
  /** Growth per attempt (default 2). */
  factor?: number;
  /** Each delay is drawn in [d × (1 - jitter), d] (default 0.25), so a fleet does not reconnect in step. */
  jitter?: number;
}

/**
 * The delay before attempt `attempt` (1 for the first retry): `initialMs × factor^(attempt-1)`,
 * capped at `maxMs`, minus a jitter drawn from the injected random stream.
 *
 * @example
 * backoffDelay(3, { initialMs: 1000 }, random); // between 3,000 and 4,000 ms
 */
export function backoffDelay(attempt: number, options: BackoffOptions, random: Random): number {
  const initial = options.initialMs ?? 1000;
  const max = options.maxMs ?? 60_000;
  const factor = options.factor ?? 2;
  const jitter = options.jitter ?? 0.25;
  const base = Math.min(max, initial * factor ** Math.max(0, attempt - 1));
  return Math.round(base * (1 - jitter * random.next()));
}
