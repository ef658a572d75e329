import type { LocalBus } from '../bus/local-bus.js';
import type { Clock } from '../clock/clock.js';
import type { Logger } from '../logging/logger.js';
import type { Random } from '../random/random.js';
import type { Transport } from '../transport/transport.js';

/** A typed DI token; the type parameter is what resolving it gives. */
export type Token<T> = symbol & { readonly __service?: T };

/**
 * Makes a global, typed token (`Symbol.for`), so two copies of a package agree on it.
 *
 * @example
 * export const CENTRAL_STORE = token<CentralStore>('@evcharging/central/CentralStore');
 */
export function token<T>(name: string): Token<T> {
  return Symbol.for(name) as Token<T>;
}

/** Shared services every node's root container holds. Use with `@inject(TOKENS.Clock)`. */
export const TOKENS = {
  NodeId: token<string>('@evcharging/core/NodeId'),
  Transport: token<Transport>('@evcharging/core/Transport'),
  Clock: token<Clock>('@evcharging/core/Clock'),
  Random: token<Random>('@evcharging/core/Random'),
  Logger: token<Logger>('@evcharging/core/Logger'),
  Config: token<Readonly<Record<string, unknown>>>('@evcharging/core/Config'),
  LocalBus: token<LocalBus>('@evcharging/core/LocalBus'),
} as const;
