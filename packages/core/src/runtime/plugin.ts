import type { LocalBus } from '../bus/local-bus.js';
import type { Clock } from '../clock/clock.js';
import type { Logger } from '../logging/logger.js';
import type { Random } from '../random/random.js';
import type { Transport } from '../transport/transport.js';
import type { NodeContainer } from './node-container.js';
import type { Token } from './tokens.js';

/** What a plugin sees: the node's shared services and its own child container. */
export interface PluginContext {
  readonly nodeId: string;
  readonly pluginName: string;
  /**
   * The plugin's own child container (tsyringe) of the node's root container: what it registers
   * here stays private to it; `resolve` falls back to the node's shared services.
   */
  readonly container: NodeContainer;
  readonly transport: Transport;
  readonly clock: Clock;
  /** A stream forked from the node's seed by plugin name. */
  readonly random: Random;
  readonly logger: Logger;
  readonly bus: LocalBus;
  readonly config: Readonly<Record<string, unknown>>;
  /** Resolves a token from the plugin's container (falling back to the node's). */
  resolve<T>(token: Token<T>): T;
  /** Makes a value visible to every plugin of the node (registered in the root container). */
  expose<T>(token: Token<T>, value: T): void;
}

/**
 * A plugin: a plain object with a name, the names of the plugins it needs, and lifecycle hooks.
 * `register` wires services, `start` begins work (subscriptions, timers), `stop` ends it.
 */
export interface Plugin {
  readonly name: string;
  readonly dependencies?: readonly string[];
  register?(ctx: PluginContext): void | Promise<void>;
  start?(ctx: PluginContext): void | Promise<void>;
  stop?(ctx: PluginContext): void | Promise<void>;
  /**
   * Figures the plugin contributes to a simulation report (sessions, energy, faults, ...). Called
   * on a started node; must be cheap and deterministic (no wall-clock time in it).
   */
  report?(ctx: PluginContext): Record<string, unknown>;
}

const NAME = /^[a-z0-9@][a-z0-9@/._-]*$/i;

/**
 * Declares a plugin (the fastify-plugin idea: a function-like object plus metadata).
 * Extra members (an API such as `injectFault`) are kept and typed.
 *
 * @example
 * const hello = definePlugin({
 *   name: 'hello',
 *   start(ctx) { ctx.logger.info('hello from ' + ctx.nodeId); },
 * });
 */
export function definePlugin<P extends Plugin>(plugin: P): P {
  if (typeof plugin.name !== 'string' || !NAME.test(plugin.name)) {
    throw new TypeError(`definePlugin: invalid plugin name ${JSON.stringify(plugin.name)}`);
  }
  for (const dep of plugin.dependencies ?? []) {
    if (typeof dep !== 'string' || dep.length === 0) {
      throw new TypeError(
        `definePlugin: plugin "${plugin.name}" has an invalid dependency ${JSON.stringify(dep)}`,
      );
    }
  }
  return plugin;
}
