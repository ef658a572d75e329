import 'reflect-metadata';
import { type DependencyContainer, container as globalContainer } from 'tsyringe';
import { LocalBus } from '../bus/local-bus.js';
import type { Clock } from '../clock/clock.js';
import { RealClock } from '../clock/real-clock.js';
import { createLogger, type Logger } from '../logging/logger.js';
import { type Random, SeededRandom } from '../random/random.js';
import type { Transport } from '../transport/transport.js';
import type { NodeContainer } from './node-container.js';
import type { Plugin, PluginContext } from './plugin.js';
import { orderPlugins } from './plugin-order.js';
import { TOKENS, type Token } from './tokens.js';

export interface NodeOptions {
  id: string;
  transport: Transport;
  plugins: readonly Plugin[];
  clock?: Clock;
  random?: Random;
  logger?: Logger;
  config?: Readonly<Record<string, unknown>>;
  /** Connect the transport on start and close it on stop (default true). */
  manageTransport?: boolean;
}

export type NodeState = 'created' | 'starting' | 'started' | 'stopping' | 'stopped' | 'failed';

/** One runtime: a root container with the shared services and one child container per plugin. */
export interface EvNode {
  readonly id: string;
  readonly state: NodeState;
  /** The node's root container: the shared services under {@link TOKENS} and what plugins expose. */
  readonly container: NodeContainer;
  readonly bus: LocalBus;
  readonly transport: Transport;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Names of the plugins in start order. */
  readonly plugins: readonly string[];
  start(): Promise<void>;
  /** Stops plugins in reverse order, then the transport. Idempotent. */
  stop(): Promise<void>;
  /** Figures of every started plugin that has a `report` hook, by plugin name. */
  report(): Record<string, Record<string, unknown>>;
}

/** Thrown when a plugin fails to register or start; names the node and the plugin. */
export class PluginStartError extends Error {
  override readonly name = 'PluginStartError';
  constructor(
    readonly nodeId: string,
    readonly pluginName: string,
    readonly phase: 'register' | 'start',
    cause: unknown,
  ) {
    super(
      `node "${nodeId}": plugin "${pluginName}" failed to ${phase}: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
}

/**
 * A plugin's context. Its child container and random stream are made on first use: most plugins
 * (a CP's engine and monitor) never touch the container, and a node of 10,000 CPs would otherwise
 * hold 20,000 containers of three maps each. The stream is a fork of the node's seed by plugin
 * name, so when it is made does not change its numbers. Methods, not per-plugin closures.
 */
class NodePluginContext implements PluginContext {
  private child: DependencyContainer | undefined;
  private pluginRandom: Random | undefined;
  readonly logger: Logger;

  constructor(
    readonly nodeId: string,
    readonly pluginName: string,
    private readonly root: () => DependencyContainer,
    readonly transport: Transport,
    readonly clock: Clock,
    private readonly nodeRandom: Random,
    nodeLogger: Logger,
    readonly bus: LocalBus,
    readonly config: Readonly<Record<string, unknown>>,
  ) {
    this.logger = nodeLogger.child({ plugin: pluginName });
  }

  get random(): Random {
    this.pluginRandom ??= this.nodeRandom.fork(this.pluginName);
    return this.pluginRandom;
  }

  get container(): NodeContainer {
    if (!this.child) {
      this.child = this.root().createChildContainer();
      this.child.register(TOKENS.Logger, { useValue: this.logger });
      this.child.register(TOKENS.Random, { useValue: this.random });
    }
    return this.child as NodeContainer;
  }

  resolve<T>(token: Token<T>): T {
    return this.container.resolve<T>(token);
  }

  expose<T>(token: Token<T>, value: T): void {
    this.root().register(token, { useValue: value });
  }

  /** Clears the child container's instances, if it was ever made. */
  clearInstances(): void {
    this.child?.clearInstances();
  }
}

/**
 * Builds a node. Nothing runs until `start()`: dependencies are checked, the transport connects,
 * plugins register and then start in dependency order. A failure half-way stops what had started.
 *
 * @example
 * const node = createNode({ id: 'cp-1', transport, clock, plugins: [chargingPointEngine({ cpId: 'CP-001' })] });
 * await node.start();
 * // ...
 * await node.stop();
 */
export function createNode(options: NodeOptions): EvNode {
  const ordered = orderPlugins(options.id, options.plugins);
  const clock = options.clock ?? new RealClock();
  const random = options.random ?? new SeededRandom(options.id);
  const logger = (options.logger ?? createLogger()).child({ node: options.id });
  const bus = new LocalBus(logger);
  const config = options.config ?? {};
  const manageTransport = options.manageTransport ?? true;
  // Made on first use, like the plugins' containers: a node whose plugins never resolve or expose
  // anything (a CP's engine or monitor) does not hold a container and seven registrations.
  let rootContainer: DependencyContainer | undefined;
  const root = (): DependencyContainer => {
    if (!rootContainer) {
      rootContainer = globalContainer.createChildContainer();
      rootContainer.register(TOKENS.NodeId, { useValue: options.id });
      rootContainer.register(TOKENS.Transport, { useValue: options.transport });
      rootContainer.register(TOKENS.Clock, { useValue: clock });
      rootContainer.register(TOKENS.Random, { useValue: random });
      rootContainer.register(TOKENS.Logger, { useValue: logger });
      rootContainer.register(TOKENS.Config, { useValue: config });
      rootContainer.register(TOKENS.LocalBus, { useValue: bus });
    }
    return rootContainer;
  };

  let state: NodeState = 'created';
  const started: { plugin: Plugin; ctx: NodePluginContext }[] = [];
  const contexts: { plugin: Plugin; ctx: NodePluginContext }[] = [];
  let stopping: Promise<void> | undefined;

  const contextFor = (plugin: Plugin): NodePluginContext =>
    new NodePluginContext(
      options.id,
      plugin.name,
      root,
      options.transport,
      clock,
      random,
      logger,
      bus,
      config,
    );

  const stopStarted = async (): Promise<void> => {
    while (started.length > 0) {
      const { plugin, ctx } = started.pop()!;
      try {
        await plugin.stop?.(ctx);
      } catch (error) {
        logger.error({ err: error, plugin: plugin.name }, 'plugin failed to stop');
      }
    }
    if (manageTransport) {
      try {
        await options.transport.close();
      } catch (error) {
        logger.error({ err: error }, 'transport failed to close');
      }
    }
    for (const { ctx } of contexts) ctx.clearInstances();
    bus.clear();
  };

  const node: EvNode = {
    id: options.id,
    get state() {
      return state;
    },
    get container() {
      return root() as NodeContainer;
    },
    bus,
    transport: options.transport,
    clock,
    logger,
    plugins: ordered.map((p) => p.name),
    async start() {
      if (state !== 'created') throw new Error(`node "${options.id}" cannot start: it is ${state}`);
      state = 'starting';
      let current: { plugin: Plugin; phase: 'register' | 'start' } | undefined;
      try {
        if (manageTransport) await options.transport.connect();
        for (const plugin of ordered) {
          current = { plugin, phase: 'register' };
          const ctx = contextFor(plugin);
          contexts.push({ plugin, ctx });
          await plugin.register?.(ctx);
        }
        for (const entry of contexts) {
          current = { plugin: entry.plugin, phase: 'start' };
          started.push(entry);
          await entry.plugin.start?.(entry.ctx);
        }
        state = 'started';
        logger.debug({ plugins: node.plugins }, 'node started');
      } catch (error) {
        state = 'failed';
        await stopStarted();
        if (current) throw new PluginStartError(options.id, current.plugin.name, current.phase, error);
        throw error;
      }
    },
    stop() {
      if (state === 'created') {
        state = 'stopped';
        return Promise.resolve();
      }
      // Checked before caching: a refusal while starting must not stick to every later stop().
      if (state === 'starting')
        return Promise.reject(new Error(`node "${options.id}" is still starting; await start() first`));
      stopping ??= (async () => {
        if (state !== 'failed') state = 'stopping';
        await stopStarted();
        state = 'stopped';
        logger.debug('node stopped');
      })();
      return stopping;
    },
    report() {
      const figures: Record<string, Record<string, unknown>> = {};
      for (const { plugin, ctx } of started) {
        if (plugin.report) figures[plugin.name] = plugin.report(ctx);
      }
      return figures;
    },
  };
  return node;
}
