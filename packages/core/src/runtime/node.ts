import 'reflect-metadata';
import { type DependencyContainer, container as globalContainer } from 'tsyringe';
import { LocalBus } from '../bus/local-bus.js';
import type { Clock } from '../clock/clock.js';
import { RealClock } from '../clock/real-clock.js';
import { LazyChildLogger } from '../logging/lazy-child-logger.js';
import { createLogger, type Logger } from '../logging/logger.js';
import { type Random, SeededRandom } from '../random/random.js';
import type { Transport } from '../transport/transport.js';
import type { NodeContainer } from './node-container.js';
import type { Plugin, PluginContext } from './plugin.js';
import { orderPlugins } from './plugin-order.js';
import { TOKENS, type Token } from './tokens.js';

/** The config of a node given none (shared: it is read-only). */
const NO_CONFIG: Readonly<Record<string, unknown>> = Object.freeze({});

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
  private pluginLogger: Logger | undefined;

  constructor(
    readonly nodeId: string,
    readonly pluginName: string,
    private readonly root: () => DependencyContainer,
    readonly transport: Transport,
    readonly clock: Clock,
    private readonly nodeRandom: Random,
    private readonly parentLogger: Logger,
    readonly bus: LocalBus,
    readonly config: Readonly<Record<string, unknown>>,
  ) {}

  /**
   * The plugin's logger (bindings `node` and `plugin`), made at first use. A child of the node's
   * parent logger, not of the node's own: a pino child takes its parent as prototype, and a
   * grandchild of a per-node logger gets hidden classes of its own (about 1 KB per node).
   */
  get logger(): Logger {
    this.pluginLogger ??= new LazyChildLogger(this.parentLogger, {
      node: this.nodeId,
      plugin: this.pluginName,
    });
    return this.pluginLogger;
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
 * One node: its plugins, their contexts and its lifecycle. A class rather than an object literal of
 * closures: every node shares the prototype's methods and one hidden class, where a literal with
 * getters cost each node its own closures, context and shape (about 1.5 KB per node; a city of
 * engines and monitors has two nodes per CP).
 */
class RuntimeNode implements EvNode {
  readonly id: string;
  readonly bus: LocalBus;
  readonly transport: Transport;
  readonly clock: Clock;
  readonly logger: Logger;
  private readonly ordered: readonly Plugin[];
  private readonly random: Random;
  private readonly config: Readonly<Record<string, unknown>>;
  private readonly manageTransport: boolean;
  /** The logger the node's own is a child of; plugins' loggers are its children too. */
  private readonly parentLogger: Logger;
  private current: NodeState = 'created';
  /** Made on first use, like the plugins' containers (see {@link root}). */
  private rootContainer: DependencyContainer | undefined;
  /** Every plugin's context in start order; the first `startedCount` have been started. */
  private readonly contexts: { plugin: Plugin; ctx: NodePluginContext }[] = [];
  private startedCount = 0;
  private stopping: Promise<void> | undefined;

  constructor(options: NodeOptions) {
    this.id = options.id;
    this.ordered = orderPlugins(options.id, options.plugins);
    this.clock = options.clock ?? new RealClock();
    this.random = options.random ?? new SeededRandom(options.id);
    this.parentLogger = options.logger ?? createLogger();
    this.logger = new LazyChildLogger(this.parentLogger, { node: options.id });
    this.bus = new LocalBus(this.logger);
    this.transport = options.transport;
    this.config = options.config ?? NO_CONFIG;
    this.manageTransport = options.manageTransport ?? true;
  }

  get state(): NodeState {
    return this.current;
  }

  get container(): NodeContainer {
    return this.root() as NodeContainer;
  }

  get plugins(): readonly string[] {
    return this.ordered.map((p) => p.name);
  }

  async start(): Promise<void> {
    if (this.current !== 'created') throw new Error(`node "${this.id}" cannot start: it is ${this.current}`);
    this.current = 'starting';
    let failing: { plugin: Plugin; phase: 'register' | 'start' } | undefined;
    try {
      if (this.manageTransport) await this.transport.connect();
      for (const plugin of this.ordered) {
        failing = { plugin, phase: 'register' };
        const ctx = this.contextFor(plugin);
        this.contexts.push({ plugin, ctx });
        await plugin.register?.(ctx);
      }
      for (const entry of this.contexts) {
        failing = { plugin: entry.plugin, phase: 'start' };
        this.startedCount++;
        await entry.plugin.start?.(entry.ctx);
      }
      this.current = 'started';
      this.logger.debug({ plugins: this.plugins }, 'node started');
    } catch (error) {
      this.current = 'failed';
      await this.stopStarted();
      if (failing) throw new PluginStartError(this.id, failing.plugin.name, failing.phase, error);
      throw error;
    }
  }

  stop(): Promise<void> {
    if (this.current === 'created') {
      this.current = 'stopped';
      return Promise.resolve();
    }
    // Checked before caching: a refusal while starting must not stick to every later stop().
    if (this.current === 'starting')
      return Promise.reject(new Error(`node "${this.id}" is still starting; await start() first`));
    this.stopping ??= (async () => {
      if (this.current !== 'failed') this.current = 'stopping';
      await this.stopStarted();
      this.current = 'stopped';
      this.logger.debug('node stopped');
    })();
    return this.stopping;
  }

  report(): Record<string, Record<string, unknown>> {
    const figures: Record<string, Record<string, unknown>> = {};
    for (let i = 0; i < this.startedCount; i++) {
      const { plugin, ctx } = this.contexts[i]!;
      if (plugin.report) figures[plugin.name] = plugin.report(ctx);
    }
    return figures;
  }

  // A node whose plugins never resolve or expose anything (a CP's engine or monitor) does not hold
  // a container and seven registrations.
  private root(): DependencyContainer {
    if (!this.rootContainer) {
      const root = globalContainer.createChildContainer();
      root.register(TOKENS.NodeId, { useValue: this.id });
      root.register(TOKENS.Transport, { useValue: this.transport });
      root.register(TOKENS.Clock, { useValue: this.clock });
      root.register(TOKENS.Random, { useValue: this.random });
      root.register(TOKENS.Logger, { useValue: this.logger });
      root.register(TOKENS.Config, { useValue: this.config });
      root.register(TOKENS.LocalBus, { useValue: this.bus });
      this.rootContainer = root;
    }
    return this.rootContainer;
  }

  private contextFor(plugin: Plugin): NodePluginContext {
    return new NodePluginContext(
      this.id,
      plugin.name,
      () => this.root(),
      this.transport,
      this.clock,
      this.random,
      this.parentLogger,
      this.bus,
      this.config,
    );
  }

  /** Stops the started plugins, last started first, then the transport; clears the containers. */
  private async stopStarted(): Promise<void> {
    while (this.startedCount > 0) {
      const { plugin, ctx } = this.contexts[--this.startedCount]!;
      try {
        await plugin.stop?.(ctx);
      } catch (error) {
        this.logger.error({ err: error, plugin: plugin.name }, 'plugin failed to stop');
      }
    }
    if (this.manageTransport) {
      try {
        await this.transport.close();
      } catch (error) {
        this.logger.error({ err: error }, 'transport failed to close');
      }
    }
    for (const { ctx } of this.contexts) ctx.clearInstances();
    this.bus.clear();
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
  return new RuntimeNode(options);
}
