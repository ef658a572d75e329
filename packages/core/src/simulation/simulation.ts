import type { Clock } from '../clock/clock.js';
import { VirtualClock } from '../clock/virtual-clock.js';
import { FifoQueue } from '../collections/fifo-queue.js';
import { isoTime } from '../contracts/ids.js';
import { createLogger, type Logger } from '../logging/logger.js';
import { type Random, SeededRandom } from '../random/random.js';
import { createNode, type EvNode } from '../runtime/node.js';
import type { Plugin } from '../runtime/plugin.js';
import type { Transport } from '../transport/transport.js';
import { EventLog, type EventLogOptions } from './event-log.js';
import { RecordingTransport } from './recording-transport.js';

/** Anything that hands each node a transport on a shared clock (transport-memory's `MemoryBroker`). */
export interface SimulationBroker {
  transport(nodeId: string, options: { clock: Clock }): Transport;
  /**
   * Optional: a transport that records every message it publishes in `eventLog` itself, with
   * `eventLog.record(clock.now(), nodeId, topic, key, message)` once the message passed its checks and
   * before `publish` returns, so a recording simulation needs no wrapper (and no promise) per message.
   * Without it, the simulation wraps `transport()` in a {@link RecordingTransport}.
   */
  recordingTransport?(nodeId: string, options: { clock: Clock; eventLog: EventLog }): Transport;
}

export interface SimulationOptions {
  /** Gives every node its transport; one broker is shared by all nodes. */
  broker: SimulationBroker;
  /** Seed of every node's random stream (default 1). */
  seed?: number | string;
  /** Shared clock (default a new `VirtualClock`; a `RealClock` runs in real time). */
  clock?: Clock;
  /** Parent logger of every node (default: level `LOG_LEVEL`, else `warn`; silent under vitest). */
  logger?: Logger;
  /** The event log's options; `record` defaults to on under a `VirtualClock`, off on other clocks. */
  eventLog?: EventLogOptions;
}

export interface AddNodeOptions {
  /** Default: the simulation's seed forked by `node/<id>`. */
  random?: Random;
  logger?: Logger;
  config?: Readonly<Record<string, unknown>>;
}

/** What a simulation reports; the same seed gives the same report. */
export interface SimulationReport {
  seed: number | string;
  started_at: string;
  now: string;
  simulated_ms: number;
  nodes: number;
  messages: { total: number; by_topic: Record<string, number> };
  /** `recording` false: publishes were not recorded (the default on a RealClock). */
  event_log: { count: number; hash: string; recording: boolean };
  /** Figures of every plugin with a `report` hook, by node id, then plugin name. */
  plugins: Record<string, Record<string, Record<string, unknown>>>;
}

/** What {@link Simulation.runUntil} waits for: a predicate that becomes true, or a promise that settles. */
export type RunUntilCondition = (() => boolean) | PromiseLike<unknown>;

/** A predicate that turns true once `until` holds (a promise: once it settled, fulfilled or not). */
function untilPredicate(until: RunUntilCondition): () => boolean {
  if (typeof until === 'function') return until;
  let settled = false;
  const settle = (): void => {
    settled = true;
  };
  // The rejection is handled here (no unhandled rejection); the caller awaits the promise for it.
  until.then(settle, settle);
  return () => settled;
}

/** Many nodes in one process, on one broker and one clock. */
export interface Simulation {
  readonly clock: Clock;
  readonly seed: number | string;
  /** The simulation's own stream (nodes get forks of the seed, not draws from this). */
  readonly random: Random;
  readonly eventLog: EventLog;
  /** Whether publishes go into {@link Simulation.eventLog} (default: only under a VirtualClock). */
  readonly recording: boolean;
  readonly logger: Logger;
  /** Nodes by id, in the order they were added. */
  readonly nodes: ReadonlyMap<string, EvNode>;
  /** Adds a node; it starts with `start()` or the next `run`/`runUntil`. */
  addNode(id: string, plugins: readonly Plugin[], options?: AddNodeOptions): EvNode;
  /** The node with this id; throws naming it when there is none. */
  node(id: string): EvNode;
  /** Stops a node and removes it (a killed process); its last figures stay in the report. */
  removeNode(id: string): Promise<void>;
  /** Starts every node not started yet, in the order added. */
  start(): Promise<void>;
  /** Lets `for` ms of clock time pass (instantly with a VirtualClock). */
  run(options: { for: number }): Promise<void>;
  /**
   * Lets time pass until something happens, or `timeoutMs` of clock time (default 60 s) passed:
   * `until` is a predicate (checked before every timer) or a promise (settled, either way). Resolves
   * to true when it happened, false on the timeout. Await the promise itself for its value or error.
   *
   * @example
   * await sim.runUntil(() => engine.state === 'SUPPLYING', { timeoutMs: 60_000 });
   * if (await sim.runUntil(driver.done, { timeoutMs: 3_600_000 })) console.log(await driver.done);
   */
  runUntil(until: RunUntilCondition, options?: { timeoutMs?: number }): Promise<boolean>;
  /** Stops every node, last added first. Idempotent. */
  stop(): Promise<void>;
  report(): SimulationReport;
}

function defaultLogger(): Logger {
  const level = process.env.LOG_LEVEL ?? (process.env.VITEST ? 'silent' : 'warn');
  return createLogger({ level });
}

/**
 * Builds many nodes in one process that share one broker and one clock, runs them for a span of
 * (virtual) time and reports what happened. Under a VirtualClock (the default) every published
 * message goes into the event log; the same seed gives the same log hash and report, another seed
 * a different one. On a RealClock nothing is recorded unless `eventLog.record` is true.
 *
 * @example
 * const sim = createSimulation({ broker: new MemoryBroker(), seed: 42 });
 * sim.addNode('central', [centralController()]);
 * sim.addNode('cp-001', [chargingPointEngine({ cpId: 'CP-001' })]);
 * await sim.run({ for: 3_600_000 }); // one simulated hour, in milliseconds of real time
 * console.log(sim.report().event_log.hash);
 * await sim.stop();
 */
export function createSimulation(options: SimulationOptions): Simulation {
  const seed = options.seed ?? 1;
  const clock = options.clock ?? new VirtualClock();
  const random = new SeededRandom(seed, 'simulation');
  const logger = options.logger ?? defaultLogger();
  const eventLog = new EventLog(options.eventLog);
  // Determinism is what the log proves, and only a VirtualClock has it: on a RealClock the
  // wrapper's per-message encoding and extra promise hop buy nothing unless asked for.
  const recording = options.eventLog?.record ?? clock instanceof VirtualClock;
  const startedAt = clock.now();
  const nodes = new Map<string, EvNode>();
  const unstarted = new FifoQueue<EvNode>();
  /** Figures of nodes as they were when they stopped. */
  const finalFigures = new Map<string, Record<string, Record<string, unknown>>>();
  let stopping: Promise<void> | undefined;

  const snapshot = (node: EvNode): void => {
    if (node.state === 'started') finalFigures.set(node.id, node.report());
  };

  const stopNode = async (node: EvNode): Promise<void> => {
    snapshot(node);
    await node.stop();
  };

  const sim: Simulation = {
    clock,
    seed,
    random,
    eventLog,
    recording,
    logger,
    nodes,
    addNode(id, plugins, nodeOptions = {}) {
      if (stopping) throw new Error(`simulation: cannot add node "${id}" after stop()`);
      if (nodes.has(id)) throw new Error(`simulation: a node "${id}" already exists`);
      const { broker } = options;
      const transport = !recording
        ? broker.transport(id, { clock })
        : broker.recordingTransport
          ? broker.recordingTransport(id, { clock, eventLog })
          : new RecordingTransport(broker.transport(id, { clock }), id, clock, eventLog);
      const node = createNode({
        id,
        transport,
        clock,
        plugins,
        random: nodeOptions.random ?? new SeededRandom(seed, `node/${id}`),
        logger: nodeOptions.logger ?? logger,
        ...(nodeOptions.config ? { config: nodeOptions.config } : {}),
      });
      nodes.set(id, node);
      unstarted.push(node);
      finalFigures.delete(id);
      return node;
    },
    node(id) {
      const node = nodes.get(id);
      if (!node) throw new Error(`simulation: no node "${id}"`);
      return node;
    },
    async removeNode(id) {
      const node = sim.node(id);
      nodes.delete(id);
      await stopNode(node);
    },
    async start() {
      // Only nodes added since the last start: run() calls this on every step of a long run. A
      // FIFO, not an array's shift(), which moves the rest of a long array at every node (1.7 s
      // for 50,000 nodes); a node that fails to start leaves the later ones for the next start.
      while (unstarted.length > 0) {
        const node = unstarted.shift()!;
        if (node.state === 'created' && nodes.get(node.id) === node) await node.start();
      }
    },
    async run({ for: ms }) {
      if (!(ms >= 0) || !Number.isFinite(ms))
        throw new RangeError(`simulation.run: "for" must be ms >= 0, got ${ms}`);
      await sim.start();
      if (clock instanceof VirtualClock) await clock.advance(ms);
      else await clock.sleep(ms);
    },
    async runUntil(until, { timeoutMs = 60_000 } = {}) {
      const predicate = untilPredicate(until);
      await sim.start();
      if (clock instanceof VirtualClock) return clock.runUntil(clock.now() + timeoutMs, predicate);
      const end = clock.now() + timeoutMs;
      while (!predicate()) {
        if (clock.now() >= end) return false;
        await clock.sleep(Math.min(10, end - clock.now()));
      }
      return true;
    },
    stop() {
      stopping ??= (async () => {
        for (const node of [...nodes.values()].reverse()) await stopNode(node);
      })();
      return stopping;
    },
    report() {
      const plugins: SimulationReport['plugins'] = {};
      for (const [id, figures] of finalFigures) if (Object.keys(figures).length > 0) plugins[id] = figures;
      for (const node of nodes.values()) {
        if (node.state !== 'started') continue;
        const figures = node.report();
        if (Object.keys(figures).length > 0) plugins[node.id] = figures;
      }
      return {
        seed,
        started_at: isoTime(startedAt),
        now: isoTime(clock.now()),
        simulated_ms: clock.now() - startedAt,
        nodes: nodes.size,
        messages: { total: eventLog.count, by_topic: eventLog.byTopic() },
        event_log: { count: eventLog.count, hash: eventLog.hash(), recording },
        plugins,
      };
    },
  };
  return sim;
}
