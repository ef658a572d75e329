import {
  type Envelope,
  emptyStats,
  type MessageHandler,
  silentLogger,
  type TopicName,
  VirtualClock,
} from '@evcharging/core';
import type { Admin, EachBatchPayload, Kafka, KafkaMessage, Message } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { DLQ_HEADERS } from './dead-letter.js';
import { resolveKafkaOptions } from './kafka-options.js';
import { KafkaSubscription } from './kafka-subscription.js';

const TOPIC = 'p.cp.telemetry';
type Listener = (event: { payload: Record<string, unknown> }) => void;

/** Just enough of a kafkajs consumer to drive KafkaSubscription without a broker. */
class FakeConsumer {
  readonly events = { GROUP_JOIN: 'group_join', CRASH: 'crash' };
  readonly listeners = new Map<string, Listener[]>();
  eachBatch: ((payload: EachBatchPayload) => Promise<void>) | undefined;
  disconnected = false;
  constructor(private readonly unreachable = false) {}
  on(event: string, listener: Listener) {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
  }
  emit(event: string, payload: Record<string, unknown>) {
    for (const listener of this.listeners.get(event) ?? []) listener({ payload });
  }
  async connect() {
    if (this.unreachable) throw new Error('connect ECONNREFUSED');
  }
  async subscribe() {}
  async run(config: { eachBatch: (payload: EachBatchPayload) => Promise<void> }) {
    this.eachBatch = config.eachBatch;
    this.emit(this.events.GROUP_JOIN, { memberId: 'm-1', memberAssignment: { [TOPIC]: [0] } });
  }
  async disconnect() {
    this.disconnected = true;
  }
  readonly commits: unknown[] = [];
  readonly seeks: unknown[] = [];
  async commitOffsets(offsets: unknown) {
    this.commits.push(offsets);
  }
  seek(offset: unknown) {
    this.seeks.push(offset);
  }
}

function harness(
  handler: MessageHandler<TopicName>,
  overrides: Partial<Parameters<typeof resolveKafkaOptions>[0]> = {},
  group: { committed: string[]; fromBeginning?: boolean } = { committed: ['5'] },
  dlq: (record: Message) => void = () => undefined,
) {
  const clock = new VirtualClock();
  const consumers: FakeConsumer[] = [];
  /** How many of the next consumers cannot reach the broker. */
  const outage = { launches: 0 };
  const deadLetters: { topic: string; record: Message }[] = [];
  const counters = emptyStats();
  const kafka = {
    consumer: () => {
      const consumer = new FakeConsumer(outage.launches-- > 0);
      consumers.push(consumer);
      return consumer;
    },
  } as unknown as Kafka;
  // By default a group that already has committed offsets: no start offsets to pin.
  const admin = {
    fetchOffsets: async () => [
      { topic: TOPIC, partitions: group.committed.map((offset, partition) => ({ partition, offset })) },
    ],
    fetchTopicOffsets: async () => [
      { partition: 0, offset: '7', high: '7', low: '0' },
      { partition: 1, offset: '3', high: '3', low: '0' },
    ],
  } as unknown as Admin;
  const subscription = new KafkaSubscription({
    kafka,
    admin,
    topic: 'cp.telemetry',
    kafkaTopic: TOPIC,
    groupId: 'p.central.cp.telemetry',
    key: undefined,
    fromBeginning: group.fromBeginning ?? false,
    handler,
    options: resolveKafkaOptions({ brokers: ['k:1'], ...overrides }),
    clock,
    logger: silentLogger(),
    counters,
    sendDeadLetter: async (topic, record) => {
      dlq(record);
      deadLetters.push({ topic, record });
    },
  });
  return { clock, consumers, deadLetters, counters, subscription, outage };
}

const record = (offset: number, value: string | null, key = 'CP-001'): KafkaMessage =>
  ({
    key: Buffer.from(key),
    value: value === null ? null : Buffer.from(value),
    timestamp: '1767225600000',
    offset: String(offset),
    headers: {},
    attributes: 0,
    size: 0,
  }) as unknown as KafkaMessage;

const telemetry = (euros: number) => JSON.stringify({ cp_id: 'CP-001', kw: 22, euros });

/** Runs one batch through the consumer's eachBatch, letting virtual time pass for backoffs. */
async function deliver(
  h: ReturnType<typeof harness>,
  messages: KafkaMessage[],
  options: { stopAfterMs?: number } = {},
) {
  const resolved: string[] = [];
  let heartbeats = 0;
  const done = h.consumers.at(-1)!.eachBatch!({
    batch: { topic: TOPIC, partition: 0, messages },
    resolveOffset: (offset: string) => resolved.push(offset),
    heartbeat: async () => {
      heartbeats++;
    },
    isRunning: () => true,
    isStale: () => false,
  } as unknown as EachBatchPayload);
  if (options.stopAfterMs !== undefined) {
    await h.clock.advance(options.stopAfterMs);
    await h.subscription.stop();
  }
  let finished = false;
  void done.then(() => {
    finished = true;
  });
  await h.clock.runUntil(h.clock.now() + 60_000, () => finished);
  await done;
  return { resolved, heartbeats };
}

describe('KafkaSubscription (fake kafkajs consumer, virtual time)', () => {
  it('hands valid records to the handler with their envelope and resolves the last finished offset', async () => {
    const got: Envelope<TopicName>[] = [];
    const h = harness((_v, envelope) => {
      got.push(envelope);
    });
    await h.subscription.start();
    const { resolved } = await deliver(h, [record(5, telemetry(1)), record(6, telemetry(2))]);
    expect(got.map((e) => [e.key, e.offset, e.partition, e.attempt, e.ts])).toEqual([
      ['CP-001', 5, 0, 1, 1767225600000],
      ['CP-001', 6, 0, 1, 1767225600000],
    ]);
    expect(got[1]!.value).toEqual({ cp_id: 'CP-001', kw: 22, euros: 2 });
    expect(resolved.at(-1)).toBe('6');
    expect(h.counters.delivered['cp.telemetry']).toBe(2);
  });

  it('retries a throwing handler with growing backoff, keeping the next record waiting', async () => {
    const calls: [number, number, number][] = [];
    let failures = 0;
    const h = harness((v, envelope) => {
      calls.push([(v as { euros: number }).euros, envelope.attempt ?? 0, h.clock.now()]);
      if ((v as { euros: number }).euros === 1 && failures++ < 2) throw new Error('not yet');
    });
    const start = h.clock.now();
    await h.subscription.start();
    await deliver(h, [record(5, telemetry(1)), record(6, telemetry(2))]);
    expect(calls.map(([euros, attempt, at]) => [euros, attempt, at - start])).toEqual([
      [1, 1, 0],
      [1, 2, 100],
      [1, 3, 300],
      [2, 1, 300],
    ]);
    expect(h.deadLetters).toEqual([]);
  });

  it('dead-letters after maxAttempts and moves on; invalid records go to the DLQ without reaching the handler', async () => {
    const seen: number[] = [];
    const h = harness(
      (v) => {
        const { euros } = v as { euros: number };
        if (euros === 1) throw new Error('always');
        seen.push(euros);
      },
      { handlerRetry: { maxAttempts: 2, initialBackoffMs: 10 } },
    );
    await h.subscription.start();
    const { resolved } = await deliver(h, [
      record(5, '{"cp_id":'),
      record(6, '{"cp_id":"CP-001","kw":-1,"euros":0}'),
      record(7, null),
      record(8, telemetry(1)),
      record(9, telemetry(2)),
    ]);
    expect(seen).toEqual([2]);
    expect(resolved.at(-1)).toBe('9');
    expect(
      h.deadLetters.map((d) => [d.topic, String(d.record.headers?.[DLQ_HEADERS.reason]).split(':')[0]]),
    ).toEqual([
      ['p.cp.telemetry.dlq', 'invalid JSON'],
      ['p.cp.telemetry.dlq', 'schema'],
      ['p.cp.telemetry.dlq', 'empty value'],
      ['p.cp.telemetry.dlq', 'handler failed after 2 attempts'],
    ]);
    expect(h.counters.rejected['cp.telemetry']).toBe(3);
    expect(h.counters.deadLettered['cp.telemetry']).toBe(1);
  });

  it('leaves a message unresolved when the subscription stops during its backoff', async () => {
    const h = harness(() => {
      throw new Error('down');
    });
    await h.subscription.start();
    const { resolved } = await deliver(h, [record(5, telemetry(1))], { stopAfterMs: 50 });
    expect(resolved).toEqual([]);
    expect(h.deadLetters).toEqual([]);
    expect(h.consumers[0]!.disconnected).toBe(true);
  });

  it('replaces a consumer kafkajs gave up on (not one it restarts itself), backing off while the broker is away', async () => {
    const h = harness(() => undefined);
    await h.subscription.start();
    const crash = (restart: boolean) =>
      h.consumers.at(-1)!.emit('crash', { restart, error: new Error('coordinator gone') });
    crash(true);
    await h.clock.advance(60_000);
    expect(h.consumers).toHaveLength(1);

    // The next two replacements cannot reach the broker: pauses of 1 s, 2 s, then 4 s.
    h.outage.launches = 2;
    crash(false);
    const launchTimes: number[] = [];
    const start = h.clock.now();
    while (h.consumers.length < 4 && h.clock.now() - start < 60_000) {
      const before = h.consumers.length;
      await h.clock.advance(100);
      if (h.consumers.length > before) launchTimes.push(h.clock.now() - start);
    }
    expect(launchTimes).toEqual([1_000, 3_000, 7_000]);
    expect(h.consumers.slice(0, 3).every((c) => c.disconnected)).toBe(true);
    expect(h.consumers[3]!.disconnected).toBe(false);

    // A successful join resets the pause.
    crash(false);
    await h.clock.advance(1_000);
    expect(h.consumers).toHaveLength(5);

    crash(false);
    await h.subscription.stop();
    await h.clock.advance(60_000);
    expect(h.consumers).toHaveLength(5);
    expect(h.consumers[4]!.disconnected).toBe(true);
  });

  it('pins a brand-new group to the log end read before it joined', async () => {
    const h = harness(() => undefined, {}, { committed: ['-1', '-1'] });
    await h.subscription.start();
    const consumer = h.consumers[0]!;
    expect(consumer.commits).toEqual([
      [
        { topic: TOPIC, partition: 0, offset: '7' },
        { topic: TOPIC, partition: 1, offset: '3' },
      ],
    ]);
    // Only partition 0 is assigned to this member: its fetch position moves too.
    expect(consumer.seeks).toEqual([{ topic: TOPIC, partition: 0, offset: '7' }]);
  });

  it('leaves a group with committed offsets, or one reading from the beginning, where it is', async () => {
    const resumed = harness(() => undefined, {}, { committed: ['4', '2'] });
    await resumed.subscription.start();
    const fresh = harness(() => undefined, {}, { committed: ['-1', '-1'], fromBeginning: true });
    await fresh.subscription.start();
    for (const h of [resumed, fresh]) {
      expect(h.consumers[0]!.commits).toEqual([]);
      expect(h.consumers[0]!.seeks).toEqual([]);
    }
  });

  it('writes a dead letter the broker refuses as too large once more without its value, then moves on', async () => {
    const tooLarge = Object.assign(
      new Error('The request included a message larger than the max message size'),
      {
        name: 'KafkaJSProtocolError',
        type: 'MESSAGE_TOO_LARGE',
        retriable: false,
      },
    );
    const refuseValues = (record: Message) => {
      if (record.value !== null) throw tooLarge;
    };
    const seen: number[] = [];
    const h = harness(
      (v) => void seen.push((v as { euros: number }).euros),
      {},
      { committed: ['5'] },
      refuseValues,
    );
    await h.subscription.start();
    const { resolved } = await deliver(h, [
      record(5, `{"cp_id":${'9'.repeat(100)}`),
      record(6, telemetry(2)),
    ]);
    expect(h.deadLetters).toHaveLength(1);
    const [dead] = h.deadLetters;
    expect(dead!.record.value).toBeNull();
    expect(String(dead!.record.headers?.[DLQ_HEADERS.valueDropped])).toBe(
      '109 bytes dropped: The request included a message larger than the max message size',
    );
    expect(String(dead!.record.headers?.[DLQ_HEADERS.reason])).toMatch(/^invalid JSON/);
    expect(seen).toEqual([2]);
    expect(resolved.at(-1)).toBe('6');
  });

  it('lets a record go when the dead-letter topic refuses even the bare record', async () => {
    const refused = Object.assign(new Error('Not authorized to access topics'), { retriable: false });
    const seen: number[] = [];
    const h = harness(
      (v) => void seen.push((v as { euros: number }).euros),
      {},
      { committed: ['5'] },
      () => {
        throw refused;
      },
    );
    await h.subscription.start();
    const { resolved } = await deliver(h, [record(5, 'not json'), record(6, telemetry(2))]);
    expect(seen).toEqual([2]);
    expect(resolved.at(-1)).toBe('6');
    expect(h.counters.rejected['cp.telemetry']).toBe(1);
  });

  it('keeps retrying a dead letter while the failure is transient, holding the records behind it', async () => {
    let failures = 3;
    const down = Object.assign(new Error('connect ECONNREFUSED'), {
      name: 'KafkaJSConnectionError',
      retriable: true,
    });
    const seen: [number, number][] = [];
    const h = harness(
      (v) => void seen.push([(v as { euros: number }).euros, h.clock.now() - start]),
      {},
      { committed: ['5'] },
      () => {
        if (failures-- > 0) throw down;
      },
    );
    const start = h.clock.now();
    await h.subscription.start();
    await deliver(h, [record(5, 'not json'), record(6, telemetry(2))]);
    expect(h.deadLetters).toHaveLength(1);
    // 500 + 1000 + 2000 ms of pauses before the fourth try succeeded.
    expect(seen).toEqual([[2, 3_500]]);
  });
});
