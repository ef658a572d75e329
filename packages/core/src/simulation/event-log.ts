import { createHash, type Hash } from 'node:crypto';
import type { TopicName } from '../contracts/topics.js';
import { TopicCounts } from '../transport/topic-counts.js';
import { EntryHasher } from './entry-hasher.js';
import { StringMemos } from './string-memo.js';

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
  /** The value's JSON text, or the value itself when it is frozen through (the simulation lane's). */
  json: string | undefined;
  value: unknown;
}

/** A message digested for the log before it is sent, recorded once sending succeeded. */
export interface CapturedEntry {
  readonly time: number;
  readonly node: string;
  readonly topic: TopicName;
  readonly key: string;
  /** The entry's 64-bit digest (see `EntryHasher` in `entry-hasher.ts`). */
  readonly high: number;
  readonly low: number;
  /** The value's JSON text, only when entries are kept or streamed. */
  readonly json: string | undefined;
}

/** Digests are handed to SHA-256 in batches of this many (one native call per batch). */
const HASH_BATCH = 8192;

/**
 * Every message published in a simulation, in publish order, with a running SHA-256 over all of
 * them: two runs are the same run when their hashes are equal. Each entry (time, node, topic, key
 * and value) is first digested to 64 bits while its value is walked (`EntryHasher`: equal
 * for equal JSON texts, different otherwise but for a chance of about 2^-64), and the SHA-256 runs
 * over those digests, so recording a message builds no text and copies no bytes. Full entries are
 * kept only for the most recent `keep` messages, so a city-scale run costs eight hashed bytes per
 * message, not its memory, plus a memo of each message key's last strings (`StringMemos`: a few
 * hundred bytes per key heard from twice, up to 65,536 keys), from which a repeated string's digest
 * is read.
 *
 * @example
 * sim.eventLog.hash(); // '9f2c…' — equal for equal seeds
 * sim.eventLog.entries().filter((e) => e.topic === 'driver.updates');
 */
export class EventLog {
  private readonly sha: Hash = createHash('sha256');
  private readonly hasher = new EntryHasher();
  private readonly memos = new StringMemos();
  private readonly batch = new Uint8Array(8 * HASH_BATCH);
  /** Writes the digests little-endian on any machine, so hashes agree across machines. */
  private readonly batchView = new DataView(this.batch.buffer);
  private batched = 0;
  private readonly keep: number;
  /** Whether entries are kept or streamed (their values then need a stable copy). */
  private readonly retains: boolean;
  private readonly ring: (StoredEntry | undefined)[];
  private head = 0;
  private total = 0;
  private readonly topics = new TopicCounts();

  constructor(private readonly options: EventLogOptions = {}) {
    this.keep = Math.max(0, Math.floor(options.keep ?? 10_000));
    this.retains = this.keep > 0 || options.onEvent !== undefined;
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
    return this.topics.snapshot();
  }

  /** Hex SHA-256 of every entry so far (time, node, topic, key, value). */
  hash(): string {
    this.flush();
    return this.sha.copy().digest('hex');
  }

  /**
   * @internal Digests one message now (a publisher mutating it afterwards cannot change the log),
   * to be recorded with {@link commit} once it was sent. Throws a TypeError for a value JSON could
   * not carry either (a cycle, a BigInt).
   */
  capture(time: number, node: string, topic: TopicName, key: string, value: unknown): CapturedEntry {
    this.digest(time, node, topic, key, value);
    const json = this.retains ? JSON.stringify(value) : undefined;
    return { time, node, topic, key, high: this.hasher.high(), low: this.hasher.low(), json };
  }

  /** @internal Forgets a captured message that was not sent. */
  discard(_entry: CapturedEntry): void {}

  /** @internal Records a captured message. */
  commit(entry: CapturedEntry): void {
    this.append(entry.high, entry.low, entry.time, entry.node, entry.topic, entry.key, entry.json, undefined);
  }

  /**
   * Records one message sent just now (for a transport that records its own publishes: see
   * `SimulationBroker.recordingTransport`). Throws a TypeError for a value JSON could not carry.
   * With `frozen` (a value frozen all the way down, as the memory transport's simulation lane
   * delivers), kept entries hold the value itself instead of a JSON copy.
   */
  record(time: number, node: string, topic: TopicName, key: string, value: unknown, frozen = false): void {
    this.digest(time, node, topic, key, value);
    const json = this.retains && !frozen ? JSON.stringify(value) : undefined;
    const h = this.hasher;
    this.append(h.high(), h.low(), time, node, topic, key, json, frozen ? value : undefined);
  }

  /**
   * Records a message that is to be shared frozen (the memory transport's simulation lane) and
   * freezes it: a flat message (every telemetry reading) in the same walk as its digest, any other
   * with `freeze`, which must freeze a value all the way down and return why JSON would not carry
   * it as it is (undefined when it would). Kept entries hold the value itself.
   *
   * @returns undefined once recorded; else `freeze`'s reason, and nothing is recorded.
   */
  recordFrozen(
    time: number,
    node: string,
    topic: TopicName,
    key: string,
    value: unknown,
    freeze: (value: unknown) => string | undefined,
  ): string | undefined {
    const h = this.hasher;
    const memo = this.memos.of(key);
    if (!h.frozenEntry(memo, time, node, topic, key, value)) {
      const reason = freeze(value);
      if (reason !== undefined) return reason;
      h.entry(memo, time, node, topic, key, value);
    }
    this.append(h.high(), h.low(), time, node, topic, key, undefined, value);
    return undefined;
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
        value: e.json === undefined ? e.value : JSON.parse(e.json),
      });
    }
    return out;
  }

  private digest(time: number, node: string, topic: TopicName, key: string, value: unknown): void {
    this.hasher.entry(this.memos.of(key), time, node, topic, key, value);
  }

  private append(
    high: number,
    low: number,
    time: number,
    node: string,
    topic: TopicName,
    key: string,
    json: string | undefined,
    value: unknown,
  ): void {
    const seq = this.total++;
    this.topics.add(topic);
    const at = 8 * this.batched;
    this.batchView.setUint32(at, high, true);
    this.batchView.setUint32(at + 4, low, true);
    if (++this.batched === HASH_BATCH) this.flush();
    if (!this.retains) return;
    if (this.keep > 0) {
      this.ring[this.head] = { seq, time, node, topic, key, json, value };
      this.head = (this.head + 1) % this.keep;
    }
    if (this.options.onEvent) {
      this.options.onEvent({
        seq,
        time,
        node,
        topic,
        key,
        value: json === undefined ? value : JSON.parse(json),
      });
    }
  }

  private flush(): void {
    if (this.batched === 0) return;
    this.sha.update(this.batch.subarray(0, 8 * this.batched));
    this.batched = 0;
  }
}
