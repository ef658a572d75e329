import type { Clock } from '../clock/clock.js';
import { RealClock } from '../clock/real-clock.js';
import { VirtualClock } from '../clock/virtual-clock.js';
import { keyOf, type TopicName } from '../contracts/topics.js';
import { assertValid } from '../contracts/validate.js';
import {
  count,
  emptyStats,
  type MessageHandler,
  type Transport,
  TransportClosedError,
} from '../transport/transport.js';
import { describeTransportContract, type TransportTestbed } from './transport-contract.js';
import { advanceUntil, letTimePass } from './wait.js';

/**
 * The smallest transport that meets the contract: one lane per (group, key), each lane delivered in
 * order on the clock and retried after a failure. It keeps core's contract suite honest (it must
 * pass against a straightforward implementation) without core depending on a transport package.
 */
interface Member {
  handler: MessageHandler<TopicName>;
  clock: Clock;
}
interface Stored {
  topic: TopicName;
  key: string;
  json: string;
  ts: number;
}
interface Group {
  key: string | undefined;
  members: Member[];
  lanes: Map<string, { queue: Stored[]; busy: boolean; attempt: number }>;
}

class ReferenceBroker {
  private readonly log: Stored[] = [];
  private readonly groups = new Map<string, Group>();

  publish(message: Stored): void {
    this.log.push(message);
    for (const [id, group] of this.groups) {
      if (id.startsWith(`${message.topic}/`)) this.enqueue(group, message);
    }
  }

  join(topic: TopicName, groupId: string, key: string | undefined, fromBeginning: boolean, member: Member) {
    let group = this.groups.get(`${topic}/${groupId}`);
    if (!group) {
      group = { key, members: [], lanes: new Map() };
      this.groups.set(`${topic}/${groupId}`, group);
      if (fromBeginning) for (const m of this.log) if (m.topic === topic) this.enqueue(group, m);
    }
    group.members.push(member);
    const joined = group;
    for (const key of joined.lanes.keys()) this.pump(joined, key);
    return () => {
      joined.members = joined.members.filter((m) => m !== member);
    };
  }

  private enqueue(group: Group, message: Stored): void {
    if (group.key !== undefined && group.key !== message.key) return;
    const lane = group.lanes.get(message.key) ?? { queue: [], busy: false, attempt: 0 };
    group.lanes.set(message.key, lane);
    lane.queue.push(message);
    this.pump(group, message.key);
  }

  private pump(group: Group, key: string, delay = 0): void {
    const lane = group.lanes.get(key)!;
    const owner =
      group.members[[...key].reduce((h, c) => h + c.charCodeAt(0), 0) % (group.members.length || 1)];
    if (lane.busy || lane.queue.length === 0 || !owner) return;
    lane.busy = true;
    owner.clock.setTimeout(async () => {
      const message = lane.queue[0]!;
      const value = JSON.parse(message.json);
      try {
        await owner.handler(value, {
          topic: message.topic,
          key: message.key,
          value,
          ts: message.ts,
          headers: {},
          attempt: ++lane.attempt,
        });
      } catch {
        lane.busy = false;
        if (lane.attempt < 5) return this.pump(group, key, 5);
      }
      lane.queue.shift();
      lane.attempt = 0;
      lane.busy = false;
      this.pump(group, key);
    }, delay);
  }
}

function referenceTransport(broker: ReferenceBroker, name: string, clock: Clock): Transport {
  const stats = emptyStats();
  const leaves: (() => void)[] = [];
  let closed = false;
  return {
    name,
    async connect() {},
    async close() {
      closed = true;
      for (const leave of leaves) leave();
    },
    async publish(topic, message) {
      if (closed) throw new TransportClosedError(name, `publish to "${topic}"`);
      const json = JSON.stringify(assertValid(topic, message));
      broker.publish({ topic, key: keyOf(topic, message), json, ts: clock.now() });
      count(stats.published, topic);
    },
    async subscribe(topic, options, handler) {
      if (closed) throw new TransportClosedError(name, `subscribe to "${topic}"`);
      const member = { handler: handler as MessageHandler<TopicName>, clock };
      const leave = broker.join(topic, options.group, options.key, options.fromBeginning ?? false, member);
      leaves.push(leave);
      return { unsubscribe: async () => leave() };
    },
    stats: () => stats,
  };
}

function referenceTestbed(clock: Clock): TransportTestbed {
  const broker = new ReferenceBroker();
  const made: Transport[] = [];
  return {
    async transport(nodeId) {
      const t = referenceTransport(broker, `reference:${nodeId}`, clock);
      await t.connect();
      made.push(t);
      return t;
    },
    waitFor: (predicate, timeoutMs = 5_000) => advanceUntil(clock, predicate, { timeoutMs }),
    settle: (ms) => letTimePass(clock, ms),
    async teardown() {
      await Promise.all(made.map((t) => t.close()));
    },
  };
}

describeTransportContract('reference transport, virtual clock', async () =>
  referenceTestbed(new VirtualClock()),
);
describeTransportContract('reference transport, real clock', async () => referenceTestbed(new RealClock()), {
  quietMs: 20,
  timeoutMs: 5_000,
});
