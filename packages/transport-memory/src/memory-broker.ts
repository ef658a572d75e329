import {
  type Clock,
  type ConsumerBacklog,
  type ContractCheck,
  ContractViolationError,
  contractCheck,
  type EventLog,
  FifoQueue,
  keyOf,
  type Logger,
  type Random,
  RealClock,
  silentLogger,
  TOPICS,
  type TopicMessage,
  type TopicName,
  VirtualClock,
  validate,
} from '@evcharging/core';
import { ConsumerGroup, type GroupHost } from './consumer-group.js';
import { InstantDispatcher } from './instant-dispatcher.js';
import { MemoryTransport, type MemoryTransportOptions } from './memory-transport.js';
import { freezeMessage } from './message-freeze.js';
import { partitionFor } from './partitioner.js';
import { type DeadLetter, NO_HEADERS, type StoredMessage } from './stored-message.js';

/** Seeded faults for one topic, to test code against an unreliable network. */
export interface TopicFaults {
  /** Extra delivery delay, ms, drawn uniformly from [min, max]. Delays keep per-key order. */
  delayMs?: [min: number, max: number];
  /** Probability that a message is lost. */
  dropRate?: number;
  /** Probability that a message is delivered twice. */
  duplicateRate?: number;
}

export interface MemoryBrokerOptions {
  /** Partitions per topic (default 16). */
  partitions?: number;
  /**
   * Messages kept per partition for `fromBeginning`, and per lane while a group has no member
   * (default 1,000); older ones are dropped and counted in `stats().retentionDropped`, per group
   * in `backlog()` and a transport's `stats().backlog` (and warned about once per group): for that
   * group they are lost. A group with a live member is never overtaken: a slow one keeps its whole
   * backlog in memory (its `lag`), bounded only by how long its producers outpace it.
   */
  retention?: number;
  /** Delivery attempts before a failing message is dead-lettered (default 5). */
  maxAttempts?: number;
  /** First redelivery delay, doubled on every further attempt (default 10 ms). */
  redeliveryDelayMs?: number;
  /**
   * Serialize each message at publish and parse it on every delivery (default true), so a payload
   * that could not cross Kafka fails here too. Turn off for very large simulations: handlers then
   * share one object and must not mutate it (the simulation lane enforces that).
   */
  jsonRoundTrip?: boolean;
  /**
   * The simulation lane (default false), for runs on a VirtualClock (every transport's clock must be
   * one): a published message is checked once (its compiled contract, and that JSON would carry it
   * as it is), frozen, and delivered by reference to every group, with no serialize or parse; every
   * delivery due at one virtual instant runs in one loop, in the standard mode's order, with no
   * promise per message. A handler that assigns to a delivered message throws a TypeError; so does a
   * publisher changing a message it published. Excludes `jsonRoundTrip`.
   */
  simulationLane?: boolean;
  /**
   * Validate messages against the contracts at publish (default true): handlers then receive only
   * messages of their topic's type. Off, they receive whatever was published, unchecked: only for
   * testing a transport itself, never for running plugins.
   */
  validate?: boolean;
  /** Seeded fault injection per topic; needs `random`. */
  faults?: Partial<Record<TopicName, TopicFaults>>;
  random?: Random;
  /** Dead letters kept for inspection (default 10,000, oldest dropped first). */
  deadLetterLimit?: number;
  /** Warns (once per group) when retention drops messages a group has not handled; silent by default. */
  logger?: Logger;
}

export interface MemoryBrokerStats {
  published: number;
  delivered: number;
  deadLettered: number;
  dropped: number;
  duplicated: number;
  retentionDropped: number;
  /** Messages published per topic (topics none was published to are left out). */
  byTopic: Record<string, number>;
}

/** A recording transport's event log and node, for the simulation lane to record what it appends. */
export interface AppendRecorder {
  readonly eventLog: EventLog;
  readonly node: string;
}

interface TopicState {
  readonly name: TopicName;
  readonly check: ContractCheck<TopicName>;
  readonly logs: FifoQueue<StoredMessage>[];
  readonly offsets: number[];
  /** Groups without a key filter, in the order they were made (the order deliveries are queued). */
  readonly groups: ConsumerGroup[];
  /**
   * Key-filtered groups by key, in the order they were made, so a keyed message reaches its
   * subscribers in O(1) (an array: groups are never removed, and a loop over it makes no iterator).
   */
  readonly keyed: Map<string, ConsumerGroup[]>;
  readonly byId: Map<string, ConsumerGroup>;
  /** Messages published to this topic (counted here, not by name: one field store per message). */
  published: number;
}

/**
 * An in-process broker with Kafka semantics, shared by the transports of every node of a
 * simulation. Inject it; there is no global instance, so tests never leak into each other.
 *
 * @example
 * const broker = new MemoryBroker();
 * const central = broker.transport('central', { clock });
 * const engine = broker.transport('cp-001', { clock });
 */
export class MemoryBroker implements GroupHost {
  readonly partitions: number;
  readonly simulationLane: boolean;
  /** The simulation lane's delivery loop; undefined in the standard mode. @internal */
  readonly dispatcher: InstantDispatcher | undefined;
  readonly retention: number;
  readonly maxAttempts: number;
  readonly redeliveryDelayMs: number;
  readonly jsonRoundTrip: boolean;
  readonly validateMessages: boolean;
  readonly deadLetters: DeadLetter[] = [];
  private readonly deadLetterLimit: number;
  private readonly faults: Partial<Record<TopicName, TopicFaults>>;
  private readonly random: Random | undefined;
  private readonly topics = new Map<TopicName, TopicState>();
  private readonly waiters = new Set<() => void>();
  private readonly clocks = new Set<Clock>();
  private readonly logger: Logger;
  private readonly counters: Omit<MemoryBrokerStats, 'byTopic'> = {
    published: 0,
    delivered: 0,
    deadLettered: 0,
    dropped: 0,
    duplicated: 0,
    retentionDropped: 0,
  };

  constructor(options: MemoryBrokerOptions = {}) {
    this.partitions = options.partitions ?? 16;
    this.retention = options.retention ?? 1_000;
    this.maxAttempts = options.maxAttempts ?? 5;
    this.redeliveryDelayMs = options.redeliveryDelayMs ?? 10;
    this.simulationLane = options.simulationLane ?? false;
    if (this.simulationLane && options.jsonRoundTrip === true) {
      throw new Error(
        'MemoryBroker: the simulation lane shares one frozen message; it excludes jsonRoundTrip',
      );
    }
    this.dispatcher = this.simulationLane ? new InstantDispatcher() : undefined;
    this.jsonRoundTrip = !this.simulationLane && (options.jsonRoundTrip ?? true);
    this.validateMessages = options.validate ?? true;
    this.deadLetterLimit = options.deadLetterLimit ?? 10_000;
    this.faults = options.faults ?? {};
    this.random = options.random;
    this.logger = options.logger ?? silentLogger();
    if (Object.keys(this.faults).length > 0 && !this.random) {
      throw new Error('MemoryBroker: fault injection needs a seeded `random` option');
    }
    if (!(this.partitions >= 1))
      throw new RangeError(`MemoryBroker: partitions must be >= 1, got ${this.partitions}`);
  }

  /** A transport for one node. */
  transport(
    nodeId: string,
    options: Omit<MemoryTransportOptions, 'broker' | 'nodeId'> = {},
  ): MemoryTransport {
    return new MemoryTransport({ ...options, broker: this, nodeId });
  }

  /**
   * A transport for one node of a simulation that records every message it publishes in
   * `eventLog`, at publish (see core's `SimulationBroker.recordingTransport`).
   */
  recordingTransport(nodeId: string, options: { clock: Clock; eventLog: EventLog }): MemoryTransport {
    return new MemoryTransport({ ...options, broker: this, nodeId });
  }

  stats(): MemoryBrokerStats {
    const byTopic: Record<string, number> = {};
    for (const state of this.topics.values()) if (state.published > 0) byTopic[state.name] = state.published;
    return { ...this.counters, byTopic };
  }

  /**
   * @internal Appends a message to its partition and hands it to every interested group; returns
   * its key. Throws a ContractViolationError for a message its topic's contract rejects. In the
   * simulation lane, `recorder` records the message in its event log in the walk that freezes it;
   * in the standard mode the transport records it once this returned.
   */
  append<T extends TopicName>(
    topic: T,
    message: TopicMessage<T>,
    ts: number,
    headers: Readonly<Record<string, string>>,
    recorder?: AppendRecorder,
  ): string {
    const state = this.topic(topic);
    // The schemas reject what JSON would change (NaN, Infinity, Dates), so checking the value
    // before serializing it is as strict as checking the round-tripped copy, and cheaper.
    if (this.validateMessages && !state.check(message)) {
      const result = validate(topic, message);
      throw new ContractViolationError(
        topic,
        result.ok ? ['value does not match the schema'] : result.reasons,
      );
    }
    const key = keyOf(topic, message);
    if (this.dispatcher) {
      // Fields the contract does not know are checked here, as serializing them would.
      const reason = recorder
        ? recorder.eventLog.recordFrozen(ts, recorder.node, topic, key, message, freezeMessage)
        : freezeMessage(message);
      if (reason !== undefined)
        throw new ContractViolationError(topic, [reason.startsWith(':') ? `/${reason}` : reason]);
      if (headers !== NO_HEADERS && !Object.isFrozen(headers)) headers = Object.freeze({ ...headers });
    }
    const payload: unknown = this.jsonRoundTrip ? JSON.stringify(message) : message;
    const partition = partitionFor(key, this.partitions);
    const faults = this.random ? this.faults[topic] : undefined;
    let deliverAt = ts;
    let copies = 1;
    if (faults && this.random) {
      if (faults.dropRate && this.random.chance(faults.dropRate)) {
        this.counters.dropped++;
        return key;
      }
      if (faults.delayMs) deliverAt += this.random.float(faults.delayMs[0], faults.delayMs[1]);
      if (faults.duplicateRate && this.random.chance(faults.duplicateRate)) {
        copies = 2;
        this.counters.duplicated++;
      }
    }
    const offset = state.offsets[partition]!++;
    const stored: StoredMessage = { topic, partition, offset, key, payload, ts, headers, deliverAt };
    if (this.retention > 0) {
      const log = state.logs[partition]!;
      log.push(stored);
      log.trim(this.retention);
    }
    this.counters.published++;
    state.published++;
    for (let c = 0; c < copies; c++) {
      const groups = state.groups;
      for (let g = 0; g < groups.length; g++) this.enqueue(groups[g]!, stored);
      const keyed = state.keyed.size > 0 ? state.keyed.get(key) : undefined;
      if (keyed) for (let g = 0; g < keyed.length; g++) this.enqueue(keyed[g]!, stored);
    }
    return key;
  }

  /** @internal The group a subscription joins, created on first use (prefilled if fromBeginning). */
  group(topic: TopicName, groupId: string, key: string | undefined, fromBeginning: boolean): ConsumerGroup {
    const state = this.topic(topic);
    const existing = state.byId.get(groupId);
    if (existing) {
      if (existing.key !== key) {
        throw new Error(
          `group "${groupId}" on topic "${topic}" already subscribes with key ${JSON.stringify(existing.key)}; a group cannot mix key filters (got ${JSON.stringify(key)})`,
        );
      }
      return existing;
    }
    const group = new ConsumerGroup(groupId, topic, key, this.partitions, this);
    state.byId.set(groupId, group);
    if (key === undefined) state.groups.push(group);
    else {
      const groups = state.keyed.get(key);
      if (groups) groups.push(group);
      else state.keyed.set(key, [group]);
    }
    if (fromBeginning) {
      const logs = key === undefined ? state.logs : [state.logs[partitionFor(key, this.partitions)]!];
      for (const log of logs) {
        log.forEach((m) => {
          if (key === undefined || m.key === key) group.laneFor(m.partition).queue.push(m);
        });
      }
    }
    return group;
  }

  /** @internal */
  registerClock(clock: Clock): void {
    this.clocks.add(clock);
  }

  decode(message: StoredMessage): unknown {
    return this.jsonRoundTrip ? JSON.parse(message.payload as string) : message.payload;
  }

  deadLetter(group: string, message: StoredMessage, value: unknown, error: unknown, attempts: number): void {
    this.counters.deadLettered++;
    this.deadLetters.push({
      topic: message.topic,
      group,
      key: message.key,
      offset: message.offset,
      value,
      error: error instanceof Error ? error.message : String(error),
      attempts,
      ts: message.ts,
    });
    if (this.deadLetters.length > this.deadLetterLimit) this.deadLetters.shift();
  }

  /** @internal */
  delivered(): void {
    this.counters.delivered++;
  }

  activityChanged(): void {
    if (this.waiters.size === 0 || !this.idle()) return;
    for (const resolve of [...this.waiters]) resolve();
  }

  /** True when no group with a member has anything pending or in flight. */
  idle(): boolean {
    for (const state of this.topics.values()) {
      for (const group of state.byId.values()) if (!group.idle) return false;
    }
    return true;
  }

  /**
   * Resolves once every message published so far (and every message those caused) has been handled.
   * With a VirtualClock it advances that clock as far as the deliveries need.
   */
  async drain(options: { timeoutMs?: number } = {}): Promise<void> {
    const virtual = [...this.clocks].find((c): c is VirtualClock => c instanceof VirtualClock);
    if (virtual) {
      for (let guard = 0; guard <= 1_000_000; guard++) {
        // Same-instant work first (deliveries are microtasks the clock settles): moving to the next
        // timer while they are pending would fire unrelated timers, such as a liveness timeout, early.
        await virtual.runUntil(virtual.now());
        if (this.idle()) return;
        const next = virtual.nextTime();
        if (next === undefined) break;
        await virtual.runUntil(next);
      }
      throw new Error('MemoryBroker.drain: deliveries are pending but the virtual clock has no timer');
    }
    if (this.idle()) return;
    const timeoutMs = options.timeoutMs ?? 30_000;
    await new Promise<void>((resolve, reject) => {
      const real = new RealClock();
      const timer = real.setTimeout(() => {
        this.waiters.delete(done);
        reject(new Error(`MemoryBroker.drain: not idle after ${timeoutMs} ms`));
      }, timeoutMs);
      const done = () => {
        timer.cancel();
        this.waiters.delete(done);
        resolve();
      };
      this.waiters.add(done);
    });
  }

  private enqueue(group: ConsumerGroup, message: StoredMessage): void {
    const dropped = group.enqueue(message, this.retention);
    if (dropped === 0) return;
    this.counters.retentionDropped += dropped;
    if (group.dropped === dropped) {
      this.logger.warn(
        { topic: group.topic, group: group.id, retention: this.retention },
        'retention dropped messages this group has not handled (no member was subscribed); counted in its backlog',
      );
    }
  }

  /**
   * Every group's backlog: messages waiting for it (a group with a live member is never overtaken,
   * so a slow one keeps all of them in memory) and messages retention dropped while it had no member.
   */
  backlog(): ConsumerBacklog[] {
    const out: ConsumerBacklog[] = [];
    for (const state of this.topics.values()) {
      for (const group of state.byId.values()) out.push(group.backlog());
    }
    return out;
  }

  private topic(name: TopicName): TopicState {
    let state = this.topics.get(name);
    if (!state) {
      if (!Object.hasOwn(TOPICS, name)) throw new Error(`MemoryBroker: unknown topic "${name}"`);
      state = {
        name,
        check: contractCheck(name),
        logs: Array.from({ length: this.partitions }, () => new FifoQueue<StoredMessage>()),
        offsets: new Array<number>(this.partitions).fill(0),
        groups: [],
        keyed: new Map(),
        byId: new Map(),
        published: 0,
      };
      this.topics.set(name, state);
    }
    return state;
  }
}
