import { createHash, type Hash } from 'node:crypto';
import type { TopicName } from '../contracts/topics.js';

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

/**
 * Every message published in a simulation, in publish order, with a running SHA-256 over all of
 * them: two runs are the same run when their hashes are equal. Full entries are kept only for the
 * most recent `keep` messages, so a city-scale run costs a hash update per message, not its memory.
 *
 * @example
 * sim.eventLog.hash(); // '9f2c…' — equal for equal seeds
 * sim.eventLog.entries().filter((e) => e.topic === 'driver.updates');
 */
export class EventLog {
  private readonly sha: Hash = createHash('sha256');
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

  /** Hex SHA-256 of every entry so far (time, node, topic, key, JSON value). */
  hash(): string {
    return this.sha.copy().digest('hex');
  }

  /** @internal Records one message; `json` is its JSON text. */
  record(time: number, node: string, topic: TopicName, key: string, json: string): void {
    const seq = this.total++;
    this.topics[topic] = (this.topics[topic] ?? 0) + 1;
    this.sha.update(`${time}|${node}|${topic}|${key}|${json}\n`);
    if (this.keep > 0) {
      this.ring[this.head] = { seq, time, node, topic, key, json };
      this.head = (this.head + 1) % this.keep;
    }
    if (this.options.onEvent) {
      this.options.onEvent({ seq, time, node, topic, key, value: JSON.parse(json) });
    }
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
}
