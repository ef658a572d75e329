/**
 * A promise already resolved, that an implementation of an async contract returns when its work
 * completed synchronously: the memory transport's `publish`, the memory outbox's saves. A caller on a
 * hot path recognises it by identity ({@link isDone}) and goes on at once, where `await` or `then`
 * would cost a microtask turn and a promise (a city-scale simulation makes millions of such calls).
 * Any other promise means "not known to be done": wait for it as usual.
 *
 * @example
 * const sent = transport.publish('cp.telemetry', message);
 * if (isDone(sent)) counters.sent++; // no microtask turn
 * else await sent.then(() => counters.sent++);
 */
export const DONE: Promise<void> = Promise.resolve();

/** Whether `result` is {@link DONE}: work that completed synchronously and succeeded. */
export function isDone(result: unknown): boolean {
  return result === DONE;
}

/**
 * Whether a call's result is a promise still to wait for: a thenable that is not {@link DONE}.
 * `undefined` (a synchronous handler or task) and `DONE` are work already done. Where a result may
 * be either, this is the one test to make before `await` or `then`.
 *
 * @example
 * const result = handler(value);
 * if (isPending(result)) await result;
 */
export function isPending(result: unknown): result is PromiseLike<void> {
  return (
    result !== undefined &&
    result !== null &&
    result !== DONE &&
    typeof (result as { then?: unknown }).then === 'function'
  );
}
