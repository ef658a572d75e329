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
  /** Sees each record of a dead-letter request before it is acknowledged; throwing fails the request. */
  dlq: (record: Message) => void | Promise<void> = () => undefined,
) {
  const clock = new VirtualClock();
  const consumers: FakeConsumer[] = [];
  /** How many of the next consumers cannot reach the broker. */
  const outage = { launches: 0 };
  const deadLetters: { topic: string; record: Message }[] = [];
  /** Records per acknowledged dead-letter request. */
  const requests: number[] = [];
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
    sendDeadLetters: async (topic, records) => {
      for (const record of records) await dlq(record);
      requests.push(records.length);
      for (const record of records) deadLetters.push({ topic, record });
    },
  });
  return { clock, consumers, deadLetters, requests, counters, subscription, outage };
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

  it('keeps retrying dead letters while the failure is transient; later records are handled, but no offset passes a dead letter before it is acknowledged', async () => {
    let failures = 3;
    const seen: [number, number][] = [];
    const h = harness(
      (v) => void seen.push([(v as { euros: number }).euros, h.clock.now() - start]),
      {},
      { committed: ['5'] },
      () => {
        if (failures-- > 0) throw connectionRefused();
      },
    );
    const start = h.clock.now();
    await h.subscription.start();
    const run = drive(h, [record(5, 'not json'), record(6, telemetry(2))]);
    await h.clock.runUntil(start + 60_000, () => run.finished);
    expect(run.error).toBeUndefined();
    // The valid record did not wait for the dead letter before it...
    expect(seen).toEqual([[2, 0]]);
    // ...but its offset did: 500 + 1000 + 2000 ms of pauses before the fourth try succeeded.
    expect(h.deadLetters).toHaveLength(1);
    expect(run.resolved.filter((r) => r.at - start < 3_500)).toEqual([]);
    expect(run.resolved.at(-1)).toEqual({ offset: '6', at: start + 3_500 });
  });

  it("writes a batch's dead letters in one request and resolves no offset from the first of them on until the broker acknowledged it", async () => {
    const inFlight = gate();
    const seen: number[] = [];
    const h = harness(
      (v) => void seen.push((v as { euros: number }).euros),
      {},
      { committed: ['5'] },
      () => inFlight.wait,
    );
    await h.subscription.start();
    const run = drive(h, [
      record(5, telemetry(1)),
      record(6, 'not json'),
      record(7, telemetry(2)),
      record(8, null),
      record(9, telemetry(3)),
    ]);
    await h.clock.advance(1_000);
    // Every record was processed and the request is on its way, not yet acknowledged.
    expect(seen).toEqual([1, 2, 3]);
    expect(run.finished).toBe(false);
    expect(inFlight.waiting()).toBeGreaterThan(0);
    expect(Math.max(...run.resolved.map((r) => Number(r.offset)))).toBeLessThan(6);
    inFlight.open();
    await h.clock.runUntil(h.clock.now() + 10_000, () => run.finished);
    expect(run.error).toBeUndefined();
    expect(h.requests).toEqual([2]);
    expect(h.deadLetters.map((d) => String(d.record.headers?.[DLQ_HEADERS.offset]))).toEqual(['6', '8']);
    expect(run.resolved.at(-1)!.offset).toBe('9');
  });

  it('keeps heartbeating while a dead-letter request is in flight, without resolving past it', async () => {
    const inFlight = gate();
    const h = harness(
      () => undefined,
      {},
      { committed: ['5'] },
      () => inFlight.wait,
    );
    await h.subscription.start();
    let heartbeats = 0;
    const run = drive(h, [record(5, telemetry(1)), record(6, 'not json'), record(7, telemetry(2))], {
      heartbeat: async () => {
        heartbeats++;
      },
    });
    // The default heartbeat interval is 3 s: a checkpoint every 1.5 s while the request waits.
    await h.clock.advance(10_000);
    expect(run.finished).toBe(false);
    expect(heartbeats).toBeGreaterThanOrEqual(6);
    expect(run.resolved.map((r) => r.offset)).toEqual(['5']);
    inFlight.open();
    await h.clock.runUntil(h.clock.now() + 10_000, () => run.finished);
    expect(run.resolved.at(-1)!.offset).toBe('7');
  });

  it('a heartbeat error while a dead-letter request waits goes up to kafkajs; it is not taken for the broker refusing the record', async () => {
    const inFlight = gate();
    const h = harness(
      () => undefined,
      {},
      { committed: ['5'] },
      () => inFlight.wait,
    );
    await h.subscription.start();
    const expelled = Object.assign(new Error('The coordinator is not aware of this member'), {
      name: 'KafkaJSProtocolError',
      type: 'UNKNOWN_MEMBER_ID',
      retriable: false,
    });
    const run = drive(h, [record(5, telemetry(1)), record(6, 'not json'), record(7, telemetry(2))], {
      heartbeat: async () => {
        throw expelled;
      },
    });
    await h.clock.advance(10_000);
    // Measured in a flood run before this was right: the error was caught as the send's, the
    // record written again without its value, then "given up" and its offset committed.
    expect(run.finished).toBe(true);
    expect(run.error).toBe(expelled);
    expect(run.resolved.map((r) => r.offset)).toEqual(['5']);
    inFlight.open();
    await h.clock.advance(1_000);
    expect(h.requests).toEqual([1]);
    expect(h.deadLetters.map((d) => d.record.value === null)).toEqual([false]);
  });

  it('a rebalance while dead letters are unacknowledged resolves nothing from the first of them on; the redelivered batch writes them', async () => {
    let failures = 1;
    const h = harness(
      () => undefined,
      {},
      { committed: ['5'] },
      () => {
        if (failures-- > 0) throw connectionRefused();
      },
    );
    await h.subscription.start();
    const rebalancing = Object.assign(new Error('The group is rebalancing, so a rejoin is needed'), {
      name: 'KafkaJSProtocolError',
      type: 'REBALANCE_IN_PROGRESS',
    });
    const first = drive(h, [record(5, telemetry(1)), record(6, 'not json'), record(7, telemetry(2))], {
      heartbeat: async () => {
        throw rebalancing;
      },
    });
    await h.clock.runUntil(h.clock.now() + 10_000, () => first.finished);
    // The failed write paused, the pause heartbeated, the heartbeat said "rebalance": kafkajs
    // commits what was resolved and rejoins. Only offset 5 may be committed.
    expect(first.error).toBe(rebalancing);
    expect(first.resolved.map((r) => r.offset)).toEqual(['5']);
    expect(h.deadLetters).toEqual([]);

    const again = drive(h, [record(6, 'not json'), record(7, telemetry(2))]);
    await h.clock.runUntil(h.clock.now() + 10_000, () => again.finished);
    expect(again.error).toBeUndefined();
    expect(h.deadLetters.map((d) => String(d.record.headers?.[DLQ_HEADERS.offset]))).toEqual(['6']);
    expect(again.resolved.at(-1)!.offset).toBe('7');
  });

  it('a dead letter that would make the request too large goes in the next one', async () => {
    const h = harness(() => undefined, { producer: { maxBatchMessages: 2 } });
    await h.subscription.start();
    const { resolved } = await deliver(
      h,
      [5, 6, 7, 8, 9].map((offset) => record(offset, 'not json')),
    );
    expect(h.requests).toEqual([2, 2, 1]);
    expect(resolved.at(-1)).toBe('9');

    const big = harness(() => undefined, { producer: { maxBatchBytes: 25_000 } });
    await big.subscription.start();
    // Three records of ~10 KB: two fit in 25,000 bytes, the third goes alone.
    await deliver(
      big,
      [5, 6, 7].map((offset) => record(offset, `{"x":"${'y'.repeat(10_000)}`)),
    );
    expect(big.requests).toEqual([2, 1]);
  });

  it('a request refused for good is written one record at a time: only the refused record loses its value', async () => {
    const tooLarge = Object.assign(
      new Error('The request included a message larger than the max message size'),
      {
        name: 'KafkaJSProtocolError',
        type: 'MESSAGE_TOO_LARGE',
        retriable: false,
      },
    );
    const h = harness(
      () => undefined,
      {},
      { committed: ['5'] },
      (r) => {
        if (r.value !== null && Buffer.byteLength(r.value as Buffer) > 1_000) throw tooLarge;
      },
    );
    await h.subscription.start();
    const { resolved } = await deliver(h, [
      record(5, 'not json'),
      record(6, `{"x":${'9'.repeat(2_000)}`),
      record(7, 'not json either'),
    ]);
    expect(h.requests).toEqual([1, 1, 1]);
    expect(
      h.deadLetters.map((d) => [String(d.record.headers?.[DLQ_HEADERS.offset]), d.record.value === null]),
    ).toEqual([
      ['5', false],
      ['6', true],
      ['7', false],
    ]);
    expect(resolved.at(-1)).toBe('7');
    expect(h.counters.rejected['cp.telemetry']).toBe(3);
  });
});

function connectionRefused(): Error {
  return Object.assign(new Error('connect ECONNREFUSED'), {
    name: 'KafkaJSConnectionError',
    retriable: true,
  });
}

/** A door that holds every caller of `wait` until `open()`. */
function gate() {
  let waiting = 0;
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return {
    get wait() {
      waiting++;
      return opened;
    },
    waiting: () => waiting,
    open,
  };
}

/** Starts one batch through the consumer's eachBatch and records when each offset was resolved. */
function drive(
  h: ReturnType<typeof harness>,
  messages: KafkaMessage[],
  options: { heartbeat?: () => Promise<void> } = {},
) {
  const state = {
    resolved: [] as { offset: string; at: number }[],
    finished: false,
    error: undefined as unknown,
  };
  void h.consumers.at(-1)!.eachBatch!({
    batch: { topic: TOPIC, partition: 0, messages },
    resolveOffset: (offset: string) => state.resolved.push({ offset, at: h.clock.now() }),
    heartbeat: options.heartbeat ?? (async () => undefined),
    isRunning: () => true,
    isStale: () => false,
  } as unknown as EachBatchPayload).then(
    () => {
      state.finished = true;
    },
    (error: unknown) => {
      state.finished = true;
      state.error = error;
    },
  );
  return state;
}
