import type { Clock, TimerHandle } from '@evcharging/core';

/** Callbacks that tick together: same clock, same period, same phase. */
class Ticker {
  readonly callbacks = new Set<() => void>();
  readonly handle: TimerHandle;

  constructor(clock: Clock, periodMs: number, onError: (error: unknown) => void) {
    this.handle = clock.setInterval(() => {
      for (const callback of this.callbacks) {
        try {
          callback();
        } catch (error) {
          onError(error);
        }
      }
    }, periodMs);
  }
}

const tickers = new WeakMap<Clock, Map<string, Ticker>>();

/**
 * Runs `callback` every `periodMs` on `clock`, exactly as `clock.setInterval` would (first call one
 * period from now), but shares one timer among every callback of the same clock, period and phase.
 * A fleet of 10,000 monitors started together then costs one timer per tick instead of 10,000.
 * Keyed by clock instance (a WeakMap), so separate clocks (tests, simulations) never interact.
 */
export function everyShared(
  clock: Clock,
  periodMs: number,
  callback: () => void,
  onError: (error: unknown) => void,
): TimerHandle {
  let byKey = tickers.get(clock);
  if (!byKey) {
    byKey = new Map();
    tickers.set(clock, byKey);
  }
  const map = byKey;
  const key = `${periodMs}/${clock.now() % periodMs}`;
  let ticker = map.get(key);
  if (!ticker) {
    ticker = new Ticker(clock, periodMs, onError);
    map.set(key, ticker);
  }
  ticker.callbacks.add(callback);
  return new SharedTick(ticker, map, key, callback);
}

/** One callback's place in a shared ticker; a class, so a fleet of monitors shares `cancel`. */
class SharedTick implements TimerHandle {
  constructor(
    private readonly ticker: Ticker,
    private readonly tickers: Map<string, Ticker>,
    private readonly key: string,
    private readonly callback: () => void,
  ) {}

  cancel(): void {
    const { ticker, tickers, key } = this;
    if (!ticker.callbacks.delete(this.callback)) return;
    if (ticker.callbacks.size === 0) {
      ticker.handle.cancel();
      if (tickers.get(key) === ticker) tickers.delete(key);
    }
  }
}
