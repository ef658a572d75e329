import { createHash, type Hash } from 'node:crypto';
import type { TopicName } from '../contracts/topics.js';
import { EntryEncoder } from './entry-encoder.js';

/** One published message, as the event log saw it. */
export interface EventLogEntry {
  /** Position in the log, from 0. */
  seq: number;
  /** Clock time of the publish, ms since the epoch. */
  time: number;
  /** Node that published it. */
  node: string;
  topic: TopicName;
  key: string;
  value: unknown;
}

export interface EventLogOptions {
  /**
   * Whether the simulation records its nodes' publishes (wraps each node's transport). Default:
   * on under a `VirtualClock`, where the log proves determinism (same seed, same hash); off on any
   * other clock (a `RealClock`), where runs are not repeatable anyway and recording costs about a
   * sixth of the real-time capacity. When off, the log stays empty (count 0, the empty hash).
   * Read by `createSimulation`; the `EventLog` itself ignores it.
   */
  record?: boolean;
  /** Most recent entries kept for `entries()` (default 10,000; 0 keeps none). The hash covers all. */
  keep?: number;
  /** Called for every entry, for streaming the log somewhere. */
  onEvent?: (entry: EventLogEntry) => void;
}

interface StoredEntry {
  seq: number;
  time: number;
  node: string;
  topic: TopicName;
  key: string;
  json: string;
}

/** A message serialized for the log before it is sent, recorded once sending succeeded. */
export interface CapturedEntry {
  readonly time: number;
  readonly node: string;
  readonly topic: TopicName;
  readonly key: string;
  /** The entry's hashed bytes: `length` bytes of `arena` from `offset`. */
  readonly arena: Uint8Array;
  readonly offset: number;
  readonly length: number;
  /** The value's JSON text, only when entries are kept or streamed. */
  readonly json: string | undefined;
}

/** Hashed bytes are handed to SHA-256 in batches of this size (one native call per batch). */
const HASH_BATCH = 64 * 1024;

/**
 * Every message published in a simulation, in publish order, with a running SHA-256 over all of
 * them: two runs are the same run when their hashes are equal. The hash covers each entry's time,
 * node, topic, key and value in a compact binary encoding ({@link EntryEncoder}: equal exactly when
 * the values' JSON texts are), so hashing a message costs no JSON text. Full entries are kept only
 * for the most recent `keep` messages, so a city-scale run costs a few hundred hashed bytes per
 * message, not its memory.
 *
 * @example
 * sim.eventLog.hash(); // '9f2c…' — equal for equal seeds
 * sim.eventLog.entries().filter((e) => e.topic === 'driver.updates');
 */
export class EventLog {
  private readonly sha: Hash = createHash('sha256');
  private readonly encoder = new EntryEncoder();
  private readonly batch = new Uint8Array(HASH_BATCH);
  private batched = 0;
  /** Captured entries' bytes wait here; reused from the start whenever none is waiting. */
  private arena = new Uint8Array(64 * 1024);
  private arenaUsed = 0;
  /** Captured entries neither committed nor discarded yet. */
  private outstanding = 0;
  private readonly keep: number;
  private readonly ring: (StoredEntry | undefined)[];
  private head = 0;
  private total = 0;
  private readonly topics: Record<string, number> = {};

  constructor(private readonly options: EventLogOptions = {}) {
    this.keep = Math.max(0, Math.floor(options.keep ?? 10_000));
    this.ring = new Array<StoredEntry | undefined>(this.keep);
  }

  /** Messages recorded so far. */
  get count(): number {
    return this.total;
  }

  /** Entries no longer kept (recorded but beyond `keep`). */
  get dropped(): number {
    return Math.max(0, this.total - this.keep);
  }

  /** Messages recorded per topic. */
  byTopic(): Record<string, number> {
    return { ...this.topics };
  }

  /** Hex SHA-256 of every entry so far (time, node, topic, key, value). */
  hash(): string {
    this.flush();
    return this.sha.copy().digest('hex');
  }

  /**
   * @internal Serializes one message now (a publisher mutating it afterwards cannot change the log),
   * to be recorded with {@link commit} once it was sent. Throws a TypeError for a value JSON could
   * not carry either (a cycle, a BigInt).
   */
  capture(time: number, node: string, topic: TopicName, key: string, value: unknown): CapturedEntry {
    const e = this.encoder;
    e.reset();
    e.number(time);
    e.string(node);
    e.string(topic);
    e.string(key);
    e.value(value);
    const json = this.keep > 0 || this.options.onEvent ? JSON.stringify(value) : undefined;
    const length = e.length;
    if (this.outstanding === 0) this.arenaUsed = 0;
    if (this.arenaUsed + length > this.arena.length) {
      // Entries still waiting keep the full arena; later ones go to a new one.
      this.arena = new Uint8Array(Math.max(this.arena.length, 2 * length));
      this.arenaUsed = 0;
    }
    const offset = this.arenaUsed;
    this.arena.set(e.bytes(), offset);
    this.arenaUsed += length;
    this.outstanding++;
    return { time, node, topic, key, arena: this.arena, offset, length, json };
  }

  /** @internal Forgets a captured message that was not sent. */
  discard(_entry: CapturedEntry): void {
    this.outstanding--;
  }

  /** @internal Records a captured message. */
  commit(entry: CapturedEntry): void {
    this.outstanding--;
    const seq = this.total++;
    this.topics[entry.topic] = (this.topics[entry.topic] ?? 0) + 1;
    this.hashBytes(entry.arena.subarray(entry.offset, entry.offset + entry.length));
    const json = entry.json;
    if (json === undefined) return;
    const { time, node, topic, key } = entry;
    if (this.keep > 0) {
      this.ring[this.head] = { seq, time, node, topic, key, json };
      this.head = (this.head + 1) % this.keep;
    }
    if (this.options.onEvent) {
      this.options.onEvent({ seq, time, node, topic, key, value: JSON.parse(json) });
    }
  }

  /**
   * Records one message sent just now (for a transport that records its own publishes: see
   * `SimulationBroker.recordingTransport`). Throws a TypeError for a value JSON could not carry.
   */
  record(time: number, node: string, topic: TopicName, key: string, value: unknown): void {
    this.commit(this.capture(time, node, topic, key, value));
  }

  /** The kept entries, oldest first. */
  entries(): EventLogEntry[] {
    const out: EventLogEntry[] = [];
    const n = Math.min(this.total, this.keep);
    const start = (this.head - n + this.keep) % Math.max(1, this.keep);
    for (let i = 0; i < n; i++) {
      const e = this.ring[(start + i) % this.keep]!;
      out.push({
        seq: e.seq,
        time: e.time,
        node: e.node,
        topic: e.topic,
        key: e.key,
        value: JSON.parse(e.json),
      });
    }
    return out;
  }

  private hashBytes(bytes: Uint8Array): void {
    if (this.batched + bytes.length > HASH_BATCH) {
      this.flush();
      if (bytes.length > HASH_BATCH) {
        this.sha.update(bytes);
        return;
      }
    }
    this.batch.set(bytes, this.batched);
    this.batched += bytes.length;
  }

  private flush(): void {
    if (this.batched === 0) return;
    this.sha.update(this.batch.subarray(0, this.batched));
    this.batched = 0;
  }
}
