import { describe, expect, it } from 'vitest';
import type { Clock } from '../clock/clock.js';
import { RealClock } from '../clock/real-clock.js';
import { VirtualClock } from '../clock/virtual-clock.js';
import { isoTime } from '../contracts/ids.js';
import { keyOf, type TopicName } from '../contracts/topics.js';
import { assertValid } from '../contracts/validate.js';
import { silentLogger } from '../logging/logger.js';
import { definePlugin } from '../runtime/plugin.js';
import {
  count,
  emptyStats,
  type MessageHandler,
  type Transport,
  TransportClosedError,
} from '../transport/transport.js';
import type { EventLog } from './event-log.js';
import { RecordingTransport } from './recording-transport.js';
import { createSimulation, type Simulation, type SimulationBroker } from './simulation.js';

/** A minimal broker for these tests: each group gets every message, later, on the clock. */
class TinyBroker implements SimulationBroker {
  private readonly groups = new Map<
    string,
    Map<string, { handler: MessageHandler<TopicName>; clock: Clock }>
  >();

  transport(nodeId: string, { clock }: { clock: Clock }): Transport {
    const stats = emptyStats();
    let closed = false;
    const groups = this.groups;
    return {
      name: `tiny:${nodeId}`,
      async connect() {},
      async close() {
        closed = true;
      },
      async publish(topic, message) {
        if (closed) throw new TransportClosedError(`tiny:${nodeId}`, 'publish');
        const value = assertValid(topic, JSON.parse(JSON.stringify(message)));
        count(stats.published, topic);
        for (const { handler, clock: c } of groups.get(topic)?.values() ?? []) {
          const envelope = { topic, key: keyOf(topic, value), value, ts: clock.now(), headers: {} };
          c.setTimeout(() => void handler(value, envelope), 0);
        }
      },
      async subscribe(topic, options, handler) {
        const byGroup = groups.get(topic) ?? new Map();
        groups.set(topic, byGroup);
        byGroup.set(options.group, { handler: handler as MessageHandler<TopicName>, clock });
        return { unsubscribe: async () => void byGroup.delete(options.group) };
      },
      stats: () => stats,
    };
  }
}

/** A TinyBroker whose transports record their own publishes, as `SimulationBroker.recordingTransport` allows. */
class SelfRecordingBroker extends TinyBroker {
  recorded = 0;

  recordingTransport(nodeId: string, { clock, eventLog }: { clock: Clock; eventLog: EventLog }): Transport {
    const inner = this.transport(nodeId, { clock });
    return {
      ...inner,
      publish: async (topic, message) => {
        await inner.publish(topic, message);
        eventLog.record(clock.now(), nodeId, topic, keyOf(topic, message), message);
        this.recorded++;
      },
    };
  }
}

/** Publishes a CP status every `everyMs` with a random reason; reports how many it sent. */
const flappingCp = (cpId: string, everyMs = 1_000) => {
  let sent = 0;
  let timer: { cancel(): void } | undefined;
  return definePlugin({
    name: 'flapping-cp',
    start(ctx) {
      timer = ctx.clock.setInterval(() => {
        sent++;
        void ctx.transport.publish('cp.status', {
          cp_id: cpId,
          state: ctx.random.chance(0.5) ? 'ACTIVATED' : 'FAULT',
          reason: `r${ctx.random.int(0, 1_000_000)}`,
          ts: isoTime(ctx.clock.now()),
        });
      }, everyMs);
    },
    stop() {
      timer?.cancel();
    },
    report: () => ({ sent }),
  });
};

/** Counts the states it sees and answers each FAULT with a stop_cp command. */
const watcher = () => {
  const seen: Record<string, number> = {};
  return definePlugin({
    name: 'watcher',
    async start(ctx) {
      await ctx.transport.subscribe('cp.status', { group: 'watcher' }, async (status) => {
        seen[status.state] = (seen[status.state] ?? 0) + 1;
        if (status.state === 'FAULT') {
          await ctx.transport.publish('central.commands', { cmd: 'stop_cp', cp_id: status.cp_id });
        }
      });
    },
    report: () => ({ seen: { ...seen } }),
  });
};

async function scenario(seed: number | string, options: { keep?: number; broker?: TinyBroker } = {}) {
  const sim = createSimulation({
    broker: options.broker ?? new TinyBroker(),
    seed,
    logger: silentLogger(),
    eventLog: { keep: options.keep ?? 10_000 },
  });
  sim.addNode('cp-1', [flappingCp('CP-001')]);
  sim.addNode('cp-2', [flappingCp('CP-002', 1_500)]);
  sim.addNode('central', [watcher()]);
  await sim.run({ for: 60_000 });
  return sim;
}

describe('createSimulation', () => {
  it('runs many nodes on one clock and reports their figures, the messages and the time', async () => {
    const sim = await scenario(42);
    const report = sim.report();
    expect(report.simulated_ms).toBe(60_000);
    expect(report.started_at).toBe('2026-01-01T00:00:00.000Z');
    expect(report.now).toBe('2026-01-01T00:01:00.000Z');
    expect(report.nodes).toBe(3);
    expect(report.plugins['cp-1']).toEqual({ 'flapping-cp': { sent: 60 } });
    expect(report.plugins['cp-2']).toEqual({ 'flapping-cp': { sent: 40 } });
    const seen = report.plugins.central!.watcher!.seen as Record<string, number>;
    expect(seen.ACTIVATED! + seen.FAULT!).toBe(100);
    expect(report.messages.by_topic).toEqual({ 'cp.status': 100, 'central.commands': seen.FAULT });
    expect(report.messages.total).toBe(100 + seen.FAULT!);
    expect(report.event_log).toEqual({
      count: report.messages.total,
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      recording: true,
    });
    await sim.stop();
  });

  it('gives the same event log and report for the same seed, and different ones for another', async () => {
    const a = await scenario(7);
    const b = await scenario(7);
    const c = await scenario(8);
    expect(b.eventLog.hash()).toBe(a.eventLog.hash());
    expect(b.report()).toEqual(a.report());
    expect(b.eventLog.entries()).toEqual(a.eventLog.entries());
    expect(c.eventLog.hash()).not.toBe(a.eventLog.hash());
    expect(c.report()).not.toEqual(a.report());
    await Promise.all([a.stop(), b.stop(), c.stop()]);
  });

  it("records through the broker's own recording transport when it has one, giving the same log", async () => {
    const broker = new SelfRecordingBroker();
    const own = await scenario(7, { broker });
    const wrapped = await scenario(7);
    expect(broker.recorded).toBe(own.eventLog.count);
    expect(own.eventLog.count).toBeGreaterThan(100);
    expect(own.node('cp-1').transport).not.toBeInstanceOf(RecordingTransport);
    expect(wrapped.node('cp-1').transport).toBeInstanceOf(RecordingTransport);
    expect(own.eventLog.hash()).toBe(wrapped.eventLog.hash());
    expect(own.eventLog.entries()).toEqual(wrapped.eventLog.entries());
    await Promise.all([own.stop(), wrapped.stop()]);
  });

  it('logs each message with its time, node, topic and key, keeping only the most recent entries', async () => {
    const full = await scenario(3);
    const bounded = await scenario(3, { keep: 5 });
    expect(bounded.eventLog.hash()).toBe(full.eventLog.hash());
    const all = full.eventLog.entries();
    expect(all).toHaveLength(full.eventLog.count);
    expect(all[0]).toMatchObject({
      seq: 0,
      time: Date.parse('2026-01-01T00:00:01Z'),
      node: 'cp-1',
      topic: 'cp.status',
      key: 'CP-001',
    });
    expect(bounded.eventLog.entries()).toEqual(all.slice(-5));
    expect(bounded.eventLog.dropped).toBe(all.length - 5);
    const none = await scenario(3, { keep: 0 });
    expect(none.eventLog.entries()).toEqual([]);
    expect(none.eventLog.hash()).toBe(full.eventLog.hash());
    await Promise.all([full.stop(), bounded.stop(), none.stop()]);
  });

  it('does not log a message the transport rejected, and streams entries to onEvent', async () => {
    const streamed: string[] = [];
    const sim = createSimulation({
      broker: new TinyBroker(),
      logger: silentLogger(),
      eventLog: { onEvent: (e) => streamed.push(`${e.node}:${e.topic}:${e.key}`) },
    });
    const node = sim.addNode('x', []);
    await sim.start();
    await expect(
      node.transport.publish('cp.status', { cp_id: 'CP-1', state: 'BROKEN' } as never),
    ).rejects.toThrow('invalid message for topic "cp.status"');
    await node.transport.publish('cp.status', { cp_id: 'CP-1', state: 'ACTIVATED' });
    expect(sim.eventLog.count).toBe(1);
    expect(streamed).toEqual(['x:cp.status:CP-1']);
    await sim.stop();
  });

  it('starts many nodes in the order added; one failing to start leaves the later ones for the next start', async () => {
    const sim = createSimulation({ broker: new TinyBroker(), logger: silentLogger() });
    const started: string[] = [];
    const recorder = (id: string) =>
      definePlugin({
        name: 'recorder',
        start() {
          started.push(id);
        },
      });
    // More nodes than an array shifts in place (V8 moves a long array's rest at every shift()).
    for (let i = 0; i < 30_000; i++) sim.addNode(`n-${i}`, [recorder(`n-${i}`)]);
    const broken = definePlugin({
      name: 'broken',
      start() {
        throw new Error('cannot start');
      },
    });
    sim.addNode('broken', [broken]);
    sim.addNode('after-1', [recorder('after-1')]);
    sim.addNode('after-2', [recorder('after-2')]);
    await expect(sim.start()).rejects.toThrow('cannot start');
    expect(started).toHaveLength(30_000);
    expect(started[0]).toBe('n-0');
    expect(started[29_999]).toBe('n-29999');
    sim.addNode('later', [recorder('later')]);
    await sim.start();
    expect(started.slice(30_000)).toEqual(['after-1', 'after-2', 'later']);
    await sim.stop();
  });

  it('runUntil stops as soon as the predicate holds, or reports a timeout', async () => {
    const sim = createSimulation({ broker: new TinyBroker(), logger: silentLogger() });
    sim.addNode('cp-1', [flappingCp('CP-001')]);
    expect(await sim.runUntil(() => sim.eventLog.count >= 5, { timeoutMs: 60_000 })).toBe(true);
    expect(sim.report().simulated_ms).toBe(5_000);
    expect(await sim.runUntil(() => false, { timeoutMs: 2_000 })).toBe(false);
    expect(sim.report().simulated_ms).toBe(7_000);
    await sim.stop();
  });

  it('runUntil waits for a promise: stops when it settles (fulfilled or rejected), else at the timeout', async () => {
    const sim = createSimulation({ broker: new TinyBroker(), logger: silentLogger() });
    sim.addNode('cp-1', [flappingCp('CP-001')]);
    const fifth = new Promise<number>((resolve) => {
      const timer = sim.clock.setInterval(() => {
        if (sim.eventLog.count >= 5) {
          timer.cancel();
          resolve(sim.eventLog.count);
        }
      }, 500);
    });
    expect(await sim.runUntil(fifth, { timeoutMs: 60_000 })).toBe(true);
    expect(await fifth).toBe(5);
    expect(sim.report().simulated_ms).toBe(5_000);

    const failing = sim.clock.sleep(1_500).then(() => {
      throw new Error('driver gave up');
    });
    expect(await sim.runUntil(failing, { timeoutMs: 60_000 })).toBe(true);
    await expect(failing).rejects.toThrow('driver gave up');
    expect(sim.report().simulated_ms).toBe(6_500);

    expect(await sim.runUntil(new Promise(() => {}), { timeoutMs: 2_000 })).toBe(false);
    expect(sim.report().simulated_ms).toBe(8_500);
    await sim.stop();
  });

  it('keeps the last figures of a removed node, and refuses duplicate or unknown node ids', async () => {
    const sim = createSimulation({ broker: new TinyBroker(), logger: silentLogger() });
    sim.addNode('cp-1', [flappingCp('CP-001')]);
    expect(() => sim.addNode('cp-1', [])).toThrow('a node "cp-1" already exists');
    expect(() => sim.node('cp-9')).toThrow('no node "cp-9"');
    await sim.run({ for: 10_000 });
    await sim.removeNode('cp-1');
    await sim.run({ for: 10_000 });
    expect(sim.eventLog.count).toBe(10);
    expect(sim.report().plugins['cp-1']).toEqual({ 'flapping-cp': { sent: 10 } });
    // A restarted node with the same id starts afresh.
    sim.addNode('cp-1', [flappingCp('CP-001')]);
    await sim.run({ for: 3_000 });
    expect(sim.report().plugins['cp-1']).toEqual({ 'flapping-cp': { sent: 3 } });
    await sim.stop();
    expect(sim.report().plugins['cp-1']).toEqual({ 'flapping-cp': { sent: 3 } });
    expect(() => sim.addNode('late', [])).toThrow('after stop()');
  });

  it('runs on a real clock too, without recording unless asked', async () => {
    const sent = (sim: Simulation) =>
      Number((sim.node('cp-1').report()['flapping-cp'] as { sent: number } | undefined)?.sent ?? 0);
    const emptyHash = createSimulation({ broker: new TinyBroker(), logger: silentLogger() }).eventLog.hash();

    const plain = createSimulation({
      broker: new TinyBroker(),
      clock: new RealClock(),
      logger: silentLogger(),
    });
    const inner = plain.addNode('cp-1', [flappingCp('CP-001', 5)]);
    expect(await plain.runUntil(() => sent(plain) >= 2, { timeoutMs: 2_000 })).toBe(true);
    expect(plain.recording).toBe(false);
    expect(inner.transport).not.toBeInstanceOf(RecordingTransport);
    expect(plain.report().event_log).toEqual({ count: 0, hash: emptyHash, recording: false });
    await plain.stop();
    expect(plain.clock).not.toBeInstanceOf(VirtualClock);

    const recorded = createSimulation({
      broker: new TinyBroker(),
      clock: new RealClock(),
      logger: silentLogger(),
      eventLog: { record: true },
    });
    recorded.addNode('cp-1', [flappingCp('CP-001', 5)]);
    expect(await recorded.runUntil(() => recorded.eventLog.count >= 2, { timeoutMs: 2_000 })).toBe(true);
    expect(recorded.report().event_log.recording).toBe(true);
    await recorded.stop();
  });

  it('records by default under a VirtualClock, and not when record is false', async () => {
    const on = createSimulation({ broker: new TinyBroker(), logger: silentLogger() });
    const off = createSimulation({
      broker: new TinyBroker(),
      logger: silentLogger(),
      eventLog: { record: false },
    });
    for (const sim of [on, off]) sim.addNode('cp-1', [flappingCp('CP-001')]);
    await Promise.all([on.run({ for: 5_000 }), off.run({ for: 5_000 })]);
    expect(on.recording).toBe(true);
    expect(on.eventLog.count).toBe(5);
    expect(off.recording).toBe(false);
    expect(off.eventLog.count).toBe(0);
    expect(off.report().plugins['cp-1']).toEqual({ 'flapping-cp': { sent: 5 } });
    await Promise.all([on.stop(), off.stop()]);
  });
});
