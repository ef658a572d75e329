import 'reflect-metadata';
import { Writable } from 'node:stream';
import { container as globalContainer, inject, injectable } from 'tsyringe';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { LocalBus } from '../bus/local-bus.js';
import type { Clock } from '../clock/clock.js';
import { RealClock } from '../clock/real-clock.js';
import { VirtualClock } from '../clock/virtual-clock.js';
import { createLogger, type Logger } from '../logging/logger.js';
import { type Random, SeededRandom } from '../random/random.js';
import { emptyStats, type Transport } from '../transport/transport.js';
import { createNode, PluginStartError } from './node.js';
import { definePlugin, type Plugin, type PluginContext } from './plugin.js';
import { PluginGraphError } from './plugin-order.js';
import { TOKENS, token } from './tokens.js';

/** A transport that only records its lifecycle into a shared log. */
function recordingTransport(log: string[], failOn?: 'connect' | 'close'): Transport {
  return {
    name: 'recording',
    async connect() {
      log.push('transport.connect');
      if (failOn === 'connect') throw new Error('broker unreachable');
    },
    async close() {
      log.push('transport.close');
      if (failOn === 'close') throw new Error('close failed');
    },
    async publish() {},
    async subscribe() {
      return { unsubscribe: async () => {} };
    },
    stats: emptyStats,
  };
}

/** A plugin that records each lifecycle hook. */
function tracing(log: string[], name: string, extra: Partial<Plugin> = {}): Plugin {
  return definePlugin({
    name,
    register: () => {
      log.push(`${name}.register`);
    },
    start: () => {
      log.push(`${name}.start`);
    },
    stop: () => {
      log.push(`${name}.stop`);
    },
    ...extra,
  });
}

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      callback();
    },
  });
  return { logger: createLogger({ level: 'debug', destination }), lines };
}

async function startError(start: Promise<void>): Promise<PluginStartError> {
  const error = await start.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PluginStartError);
  return error as PluginStartError;
}

describe('createNode', () => {
  it('connects, registers every plugin, then starts them in dependency order; stops in reverse', async () => {
    const log: string[] = [];
    const node = createNode({
      id: 'central-1',
      transport: recordingTransport(log),
      clock: new VirtualClock(),
      plugins: [
        tracing(log, 'api', { dependencies: ['registry'] }),
        tracing(log, 'registry'),
        tracing(log, 'metrics'),
      ],
    });
    expect(node.plugins).toEqual(['registry', 'api', 'metrics']);
    expect(node.state).toBe('created');
    await node.start();
    expect(node.state).toBe('started');
    expect(log).toEqual([
      'transport.connect',
      'registry.register',
      'api.register',
      'metrics.register',
      'registry.start',
      'api.start',
      'metrics.start',
    ]);
    log.length = 0;
    await node.stop();
    expect(node.state).toBe('stopped');
    expect(log).toEqual(['metrics.stop', 'api.stop', 'registry.stop', 'transport.close']);
  });

  it('fails at creation on a missing dependency, naming both plugins', () => {
    expect(() =>
      createNode({
        id: 'cp-1',
        transport: recordingTransport([]),
        plugins: [definePlugin({ name: 'cp-monitor', dependencies: ['cp-engine'] })],
      }),
    ).toThrow(PluginGraphError);
    expect(() =>
      createNode({
        id: 'cp-1',
        transport: recordingTransport([]),
        plugins: [definePlugin({ name: 'cp-monitor', dependencies: ['cp-engine'] })],
      }),
    ).toThrow(/node "cp-1": plugin "cp-monitor" depends on "cp-engine"/);
  });

  it('fails at creation on a dependency cycle', () => {
    expect(() =>
      createNode({
        id: 'n',
        transport: recordingTransport([]),
        plugins: [
          definePlugin({ name: 'a', dependencies: ['b'] }),
          definePlugin({ name: 'b', dependencies: ['a'] }),
        ],
      }),
    ).toThrow(/cycle/);
  });

  it('a start failure half-way stops what started, in reverse, closes the transport and names node, plugin, phase', async () => {
    const log: string[] = [];
    const cause = new Error('port 8001 in use');
    const node = createNode({
      id: 'cp-9',
      transport: recordingTransport(log),
      plugins: [
        tracing(log, 'first'),
        tracing(log, 'second'),
        tracing(log, 'health', {
          start: () => {
            log.push('health.start');
            throw cause;
          },
        }),
        tracing(log, 'last'),
      ],
    });
    const error = await startError(node.start());
    expect(error.name).toBe('PluginStartError');
    expect(error.nodeId).toBe('cp-9');
    expect(error.pluginName).toBe('health');
    expect(error.phase).toBe('start');
    expect(error.cause).toBe(cause);
    expect(error.message).toBe('node "cp-9": plugin "health" failed to start: port 8001 in use');
    expect(node.state).toBe('failed');
    // The failing plugin is stopped too, so it can undo what it did before throwing; `last` never ran.
    expect(log.slice(log.indexOf('health.start'))).toEqual([
      'health.start',
      'health.stop',
      'second.stop',
      'first.stop',
      'transport.close',
    ]);
    expect(log).not.toContain('last.start');
    expect(log).not.toContain('last.stop');

    log.length = 0;
    await node.stop();
    expect(node.state).toBe('stopped');
    expect(log.filter((l) => l.endsWith('.stop'))).toEqual([]);
  });

  it('a register failure starts and stops nothing, closes the transport, and names the register phase', async () => {
    const log: string[] = [];
    const node = createNode({
      id: 'n',
      transport: recordingTransport(log),
      plugins: [
        tracing(log, 'a'),
        tracing(log, 'b', {
          register: () => {
            throw 'not an Error';
          },
        }),
      ],
    });
    const error = await startError(node.start());
    expect(error.phase).toBe('register');
    expect(error.pluginName).toBe('b');
    expect(error.message).toBe('node "n": plugin "b" failed to register: not an Error');
    expect(log).toEqual(['transport.connect', 'a.register', 'transport.close']);
  });

  it('a transport that cannot connect fails start with its own error', async () => {
    const log: string[] = [];
    const node = createNode({
      id: 'n',
      transport: recordingTransport(log, 'connect'),
      plugins: [tracing(log, 'a')],
    });
    await expect(node.start()).rejects.toThrow('broker unreachable');
    expect(node.state).toBe('failed');
    expect(log).toEqual(['transport.connect', 'transport.close']);
  });

  it('logs failures while stopping and keeps stopping the rest', async () => {
    const log: string[] = [];
    const { logger, lines } = capture();
    const node = createNode({
      id: 'n',
      logger,
      transport: recordingTransport(log, 'close'),
      plugins: [
        tracing(log, 'a'),
        tracing(log, 'b', {
          stop: () => {
            throw new Error('b will not stop');
          },
        }),
      ],
    });
    await node.start();
    await node.stop();
    expect(log.slice(-2)).toEqual(['a.stop', 'transport.close']);
    expect(node.state).toBe('stopped');
    const errors = lines.filter((l) => l.level === 50);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatchObject({ msg: 'plugin failed to stop', plugin: 'b', node: 'n' });
    expect(JSON.stringify(errors[0])).toContain('b will not stop');
    expect(errors[1]).toMatchObject({ msg: 'transport failed to close' });
  });

  it('stop is idempotent, also when called concurrently', async () => {
    const log: string[] = [];
    const node = createNode({ id: 'n', transport: recordingTransport(log), plugins: [tracing(log, 'a')] });
    await node.start();
    const [first, second] = [node.stop(), node.stop()];
    expect(second).toBe(first);
    await Promise.all([first, second]);
    await node.stop();
    expect(log.filter((l) => l === 'a.stop')).toHaveLength(1);
    expect(log.filter((l) => l === 'transport.close')).toHaveLength(1);
  });

  it('stop before start does nothing, and the node cannot start afterwards', async () => {
    const log: string[] = [];
    const node = createNode({ id: 'n', transport: recordingTransport(log), plugins: [tracing(log, 'a')] });
    await node.stop();
    expect(node.state).toBe('stopped');
    expect(log).toEqual([]);
    await expect(node.start()).rejects.toThrow('node "n" cannot start: it is stopped');
  });

  it('start twice fails clearly', async () => {
    const node = createNode({ id: 'n', transport: recordingTransport([]), plugins: [] });
    await node.start();
    await expect(node.start()).rejects.toThrow('node "n" cannot start: it is started');
    await node.stop();
  });

  it('stop during start fails, and stop after start has finished still works', async () => {
    const log: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const node = createNode({
      id: 'n',
      transport: recordingTransport(log),
      plugins: [tracing(log, 'slow', { start: () => gate })],
    });
    const starting = node.start();
    await Promise.resolve();
    expect(node.state).toBe('starting');
    await expect(node.stop()).rejects.toThrow('node "n" is still starting; await start() first');
    release();
    await starting;
    expect(node.state).toBe('started');
    await node.stop();
    expect(node.state).toBe('stopped');
    expect(log).toContain('slow.stop');
  });

  it('manageTransport: false leaves connecting and closing to the caller', async () => {
    const log: string[] = [];
    const node = createNode({
      id: 'n',
      transport: recordingTransport(log),
      manageTransport: false,
      plugins: [tracing(log, 'a')],
    });
    await node.start();
    await node.stop();
    expect(log).toEqual(['a.register', 'a.start', 'a.stop']);
  });

  it('clears the local bus on stop', async () => {
    const node = createNode({ id: 'n', transport: recordingTransport([]), plugins: [] });
    await node.start();
    const got: unknown[] = [];
    node.bus.on('probe', (p) => got.push(p));
    node.bus.emit('probe', 1);
    await node.stop();
    node.bus.emit('probe', 2);
    expect(got).toEqual([1]);
  });

  it('report() gathers the figures of started plugins that have a report hook', async () => {
    const node = createNode({
      id: 'n',
      transport: recordingTransport([]),
      plugins: [
        definePlugin({ name: 'engine', report: (ctx) => ({ node: ctx.nodeId, sessions: 3 }) }),
        definePlugin({ name: 'quiet' }),
      ],
    });
    expect(node.report()).toEqual({});
    await node.start();
    expect(node.report()).toEqual({ engine: { node: 'n', sessions: 3 } });
    await node.stop();
  });

  describe('services and containers', () => {
    it('gives each plugin the shared services, its own logger and its own random fork', async () => {
      const clock = new VirtualClock();
      const random = new SeededRandom(42);
      const { logger, lines } = capture();
      const transport = recordingTransport([]);
      const seen: PluginContext[] = [];
      const node = createNode({
        id: 'cp-3',
        transport,
        clock,
        random,
        logger,
        config: { kw: 22 },
        plugins: [
          definePlugin({
            name: 'engine',
            start: (ctx) => {
              seen.push(ctx);
              ctx.logger.info('engine up');
            },
          }),
          definePlugin({ name: 'monitor', start: (ctx) => void seen.push(ctx) }),
        ],
      });
      await node.start();
      const [engine, monitor] = seen as [PluginContext, PluginContext];
      expect(engine.nodeId).toBe('cp-3');
      expect(engine.pluginName).toBe('engine');
      expect(engine.transport).toBe(transport);
      expect(engine.clock).toBe(clock);
      expect(engine.bus).toBe(node.bus);
      expect(engine.config).toEqual({ kw: 22 });
      expect(engine.resolve(TOKENS.Transport)).toBe(transport);
      expect(engine.resolve(TOKENS.Clock)).toBe(clock);
      expect(engine.resolve(TOKENS.NodeId)).toBe('cp-3');
      expect(engine.resolve(TOKENS.Config)).toEqual({ kw: 22 });
      expect(engine.resolve(TOKENS.LocalBus)).toBe(node.bus);
      expect(engine.resolve(TOKENS.Logger)).toBe(engine.logger);
      expect(engine.resolve(TOKENS.Random)).toBe(engine.random);
      expect(node.container.resolve(TOKENS.Random)).toBe(random);
      // Typed from the token: no type argument needed (checked by tsc).
      expectTypeOf(node.container.resolve(TOKENS.Clock)).toEqualTypeOf<Clock>();
      expectTypeOf(engine.container.resolve(TOKENS.Random)).toEqualTypeOf<Random>();
      expectTypeOf(engine.container.createChildContainer().resolve(TOKENS.Logger)).toEqualTypeOf<Logger>();
      expect(engine.container.resolve(TOKENS.Clock)).toBe(clock);
      // Each plugin draws from its own stream: the fork named after it.
      expect(engine.random.next()).toBe(new SeededRandom(42).fork('engine').next());
      expect(monitor.random.next()).toBe(new SeededRandom(42).fork('monitor').next());
      expect(lines.find((l) => l.msg === 'engine up')).toMatchObject({ node: 'cp-3', plugin: 'engine' });
      await node.stop();
    });

    it('defaults to a RealClock and a random seeded by the node id', async () => {
      let ctx: PluginContext | undefined;
      const node = createNode({
        id: 'seeded',
        transport: recordingTransport([]),
        plugins: [
          definePlugin({
            name: 'p',
            start: (c) => {
              ctx = c;
            },
          }),
        ],
      });
      await node.start();
      expect(node.clock).toBeInstanceOf(RealClock);
      expect(ctx!.random.next()).toBe(new SeededRandom('seeded').fork('p').next());
      expect(ctx!.config).toEqual({});
      await node.stop();
    });

    it('keeps what a plugin registers in its own container invisible to the others; expose shares it', async () => {
      const SECRET = token<string>('@evcharging/test/Secret');
      const SHARED = token<{ count: number }>('@evcharging/test/Shared');
      const outcomes: string[] = [];
      const node = createNode({
        id: 'n',
        transport: recordingTransport([]),
        plugins: [
          definePlugin({
            name: 'owner',
            register: (ctx) => {
              ctx.container.register(SECRET, { useValue: 'mine' });
              ctx.expose(SHARED, { count: 1 });
            },
            start: (ctx) => void outcomes.push(`owner sees ${ctx.resolve(SECRET)}`),
          }),
          definePlugin({
            name: 'other',
            dependencies: ['owner'],
            start: (ctx) => {
              outcomes.push(`other registered: ${ctx.container.isRegistered(SECRET, true)}`);
              outcomes.push(`other shared: ${ctx.resolve(SHARED).count}`);
              expect(() => ctx.resolve(SECRET)).toThrow();
            },
          }),
        ],
      });
      await node.start();
      expect(outcomes).toEqual(['owner sees mine', 'other registered: false', 'other shared: 1']);
      expect(node.container.resolve(SHARED)).toEqual({ count: 1 });
      await node.stop();
    });

    it('resolves an @injectable() service with @inject(TOKEN) parameters from a plugin container', async () => {
      const GREETING = token<string>('@evcharging/test/Greeting');

      @injectable()
      class Heartbeat {
        constructor(
          @inject(TOKENS.Clock) readonly clock: Clock,
          @inject(TOKENS.Logger) readonly logger: Logger,
          @inject(TOKENS.Random) readonly random: Random,
          @inject(TOKENS.LocalBus) readonly bus: LocalBus,
          @inject(TOKENS.NodeId) readonly nodeId: string,
          @inject(GREETING) readonly greeting: string,
        ) {}
      }

      const clock = new VirtualClock();
      let ctx: PluginContext | undefined;
      let service: Heartbeat | undefined;
      const node = createNode({
        id: 'cp-5',
        transport: recordingTransport([]),
        clock,
        plugins: [
          definePlugin({
            name: 'monitor',
            register: (c) => {
              c.container.register(GREETING, { useValue: 'hello' });
            },
            start: (c) => {
              ctx = c;
              service = c.container.resolve(Heartbeat);
            },
          }),
        ],
      });
      await node.start();
      expect(service).toBeInstanceOf(Heartbeat);
      expect(service!.clock).toBe(clock);
      expect(service!.logger).toBe(ctx!.logger);
      expect(service!.random).toBe(ctx!.random);
      expect(service!.bus).toBe(node.bus);
      expect(service!.nodeId).toBe('cp-5');
      expect(service!.greeting).toBe('hello');
      await node.stop();
    });

    it("never registers anything in tsyringe's global container", async () => {
      const node = createNode({ id: 'n', transport: recordingTransport([]), plugins: [] });
      await node.start();
      expect(node.container).not.toBe(globalContainer);
      expect(globalContainer.isRegistered(TOKENS.Clock)).toBe(false);
      expect(globalContainer.isRegistered(TOKENS.Transport)).toBe(false);
      await node.stop();
    });

    it('two nodes keep separate services', async () => {
      const a = createNode({
        id: 'a',
        transport: recordingTransport([]),
        clock: new VirtualClock(),
        plugins: [],
      });
      const b = createNode({
        id: 'b',
        transport: recordingTransport([]),
        clock: new VirtualClock(),
        plugins: [],
      });
      expect(a.container.resolve(TOKENS.NodeId)).toBe('a');
      expect(b.container.resolve(TOKENS.NodeId)).toBe('b');
      expect(a.container.resolve(TOKENS.Clock)).not.toBe(b.container.resolve(TOKENS.Clock));
      expect(a.bus).not.toBe(b.bus);
    });
  });
});
