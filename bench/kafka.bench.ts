/**
 * Kafka transport throughput and latency against raw kafkajs doing the same, on the same broker in
 * the same run. Throughput: N telemetry-sized JSON messages published in chunks and consumed by one
 * group; the clock runs from the first publish to the last handler call. Latency: messages paced
 * at a fixed rate, publish call to handler call. Raw kafkajs does the minimum a careful user would:
 * a keyed producer with the default partitioner, a consumer with eachBatch and JSON.parse.
 * The transport adds contract validation on both sides, envelopes, key filtering, retries,
 * per-message offset tracking and its own batching.
 *
 * Run: pnpm bench:kafka [-- --messages 100000 --rounds 5 --partitions 3 --chunk 1000]
 * Uses KAFKA_BOOTSTRAP when set, else a broker from scripts/kafka.sh on KAFKA_PORT (default 19092).
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { type CpTelemetry, isoTime } from '@evcharging/core';
import { KafkaTransport } from '../packages/transport-kafka/src/index.js';
import kafkajs, { type Kafka } from '../packages/transport-kafka/src/test-support/raw-kafkajs.js';
import { parseBenchArgs } from './lib/cli.js';
import { benchBroker } from './lib/kafka-broker.js';
import { type BenchRow, report } from './lib/results.js';

const { values } = parseBenchArgs(import.meta.url, {
  // `pnpm bench:kafka -- --messages 10` passes the `--` through.
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    messages: { type: 'string', default: '100000' },
    rounds: { type: 'string', default: '5' },
    partitions: { type: 'string', default: '3' },
    chunk: { type: 'string', default: '1000' },
    'latency-messages': { type: 'string', default: '2000' },
    'latency-rate': { type: 'string', default: '1000' },
  },
});
const N = Number(values.messages);
const ROUNDS = Number(values.rounds);
const PARTITIONS = Number(values.partitions);
const CHUNK = Number(values.chunk);
const LATENCY_N = Number(values['latency-messages']);
const LATENCY_RATE = Number(values['latency-rate']);
const valid =
  N > 0 &&
  N <= 2_000_000 &&
  ROUNDS > 0 &&
  ROUNDS <= 20 &&
  PARTITIONS >= 1 &&
  PARTITIONS <= 64 &&
  CHUNK >= 1 &&
  CHUNK <= 10_000 &&
  LATENCY_N >= 1 &&
  LATENCY_N <= 100_000 &&
  LATENCY_RATE >= 1 &&
  LATENCY_RATE <= 100_000;
if (!valid) {
  process.stderr.write(
    'usage: kafka.bench.ts [--messages 1..2000000] [--rounds 1..20] [--partitions 1..64] [--chunk 1..10000] [--latency-messages 1..100000] [--latency-rate 1..100000]\n',
  );
  process.exit(2);
}
/** No round may run longer than this; a stuck consumer fails the bench instead of hanging it. */
const ROUND_LIMIT_MS = 180_000;

const { Kafka: KafkaClient, Partitioners, logLevel } = kafkajs;

const TOPIC = 'cp.telemetry';

/** Telemetry as an engine sends it: 100 CPs, realistic ids and figures (about 190 bytes of JSON). */
function telemetry(seq: number): CpTelemetry {
  return {
    cp_id: `CP-${String(seq % 100).padStart(4, '0')}`,
    kw: 22,
    kwh: seq / 100,
    euros: seq,
    driver_id: `driver-${String(seq % 37).padStart(4, '0')}`,
    session_id: `session-${((seq * 2654435761) >>> 0).toString(16).padStart(8, '0')}`,
    ts: isoTime(Date.UTC(2026, 0, 1) + seq),
  };
}

/** Resolves when `done()` holds, polled every 5 ms; rejects after the round limit. */
function until(done: () => boolean, what: () => string): Promise<void> {
  const deadline = performance.now() + ROUND_LIMIT_MS;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (done()) resolve();
      else if (performance.now() > deadline) reject(new Error(`timed out waiting for ${what()}`));
      else setTimeout(tick, 5);
    };
    tick();
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** One side of the comparison: publish one message, or a chunk; count what the handler saw. */
interface Side {
  readonly received: number;
  /** Sends the messages of one latency tick (raw: one request; transport: one publish each). */
  publishTick(first: number, count: number): Promise<void>;
  publishChunk(first: number, count: number): Promise<void>;
  close(): Promise<void>;
}

async function rawSide(kafka: Kafka, prefix: string, onMessage: (value: CpTelemetry) => void): Promise<Side> {
  const topic = `${prefix}${TOPIC}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }],
    waitForLeaders: false,
  });
  for (;;) {
    try {
      await admin.fetchTopicOffsets(topic);
      break;
    } catch {
      await pause(50);
    }
  }
  await admin.disconnect();
  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  const consumer = kafka.consumer({ groupId: `${prefix}raw`, maxWaitTimeInMs: 500 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let received = 0;
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const message of batch.messages) {
        onMessage(JSON.parse(message.value!.toString('utf8')) as CpTelemetry);
        received++;
      }
    },
  });
  await joined;
  const record = (seq: number) => {
    const value = telemetry(seq);
    return { key: value.cp_id, value: JSON.stringify(value) };
  };
  return {
    get received() {
      return received;
    },
    publishTick: async (first, count) => {
      await producer.send({ topic, messages: Array.from({ length: count }, (_, i) => record(first + i)) });
    },
    publishChunk: async (first, count) => {
      const messages = Array.from({ length: count }, (_, i) => record(first + i));
      await producer.send({ topic, messages });
    },
    close: async () => {
      await consumer.disconnect();
      await producer.disconnect();
    },
  };
}

async function transportSide(
  bootstrap: string,
  prefix: string,
  onMessage: (value: CpTelemetry) => void,
): Promise<Side> {
  const transport = new KafkaTransport({
    brokers: [bootstrap],
    clientId: 'bench',
    topicPrefix: prefix,
    groupIdPrefix: prefix,
    topics: { partitions: PARTITIONS, replicationFactor: 1 },
  });
  await transport.connect();
  let received = 0;
  await transport.subscribe(TOPIC, { group: 'transport' }, (value) => {
    onMessage(value);
    received++;
  });
  return {
    get received() {
      return received;
    },
    publishTick: async (first, count) => {
      // One publish() call per message, as a plugin makes them; the transport batches on its own.
      const sends: Promise<void>[] = [];
      for (let i = 0; i < count; i++) sends.push(transport.publish(TOPIC, telemetry(first + i)));
      await Promise.all(sends);
    },
    publishChunk: async (first, count) => {
      const sends: Promise<void>[] = [];
      for (let i = 0; i < count; i++) sends.push(transport.publish(TOPIC, telemetry(first + i)));
      await Promise.all(sends);
    },
    close: () => transport.close(),
  };
}

type SideFactory = (prefix: string, onMessage: (value: CpTelemetry) => void) => Promise<Side>;

/** Deletes a round's topics, so repeated runs do not slow a long-lived broker down. */
async function dropTopics(kafka: Kafka, prefix: string): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 30_000 });
  } catch (error) {
    process.stderr.write(`kafka bench: could not delete the topics of ${prefix}: ${String(error)}\n`);
  } finally {
    await admin.disconnect();
  }
}

interface Throughput {
  /** Messages per second from the first publish to the last handler call. */
  perSecond: number;
  /** CPU time of this process (user + system) per message, µs: less sensitive to busy neighbours. */
  cpuMicros: number;
}

async function throughputRound(kafka: Kafka, make: SideFactory, label: string): Promise<Throughput> {
  const prefix = `bench-${randomUUID().slice(0, 8)}-${label}.`;
  const side = await make(prefix, () => undefined);
  try {
    const cpu = process.cpuUsage();
    const start = performance.now();
    for (let first = 0; first < N; first += CHUNK) await side.publishChunk(first, Math.min(CHUNK, N - first));
    await until(
      () => side.received >= N,
      () => `${label}: ${side.received} of ${N} delivered`,
    );
    const seconds = (performance.now() - start) / 1000;
    const used = process.cpuUsage(cpu);
    return { perSecond: N / seconds, cpuMicros: (used.user + used.system) / N };
  } finally {
    await side.close();
    await dropTopics(kafka, prefix);
  }
}

/** Publish-to-handler latencies (ms) of messages paced at LATENCY_RATE per second. */
async function latencyRound(kafka: Kafka, make: SideFactory, label: string): Promise<number[]> {
  const sentAt = new Float64Array(LATENCY_N);
  const latencies: number[] = [];
  const prefix = `bench-${randomUUID().slice(0, 8)}-${label}-lat.`;
  const side = await make(prefix, (value) => {
    latencies.push(performance.now() - sentAt[value.euros]!);
  });
  try {
    const perTick = Math.max(1, Math.round(LATENCY_RATE / 100));
    const tickMs = (perTick / LATENCY_RATE) * 1000;
    const sends: Promise<void>[] = [];
    const start = performance.now();
    for (let seq = 0; seq < LATENCY_N; ) {
      const count = Math.min(perTick, LATENCY_N - seq);
      const now = performance.now();
      for (let i = 0; i < count; i++) sentAt[seq + i] = now;
      sends.push(side.publishTick(seq, count));
      seq += count;
      const wait = start + (seq / perTick) * tickMs - performance.now();
      if (wait > 0) await pause(wait);
    }
    await Promise.all(sends);
    await until(
      () => side.received >= LATENCY_N,
      () => `${label} latency: ${side.received} of ${LATENCY_N} delivered`,
    );
    return latencies.sort((a, b) => a - b);
  } finally {
    await side.close();
    await dropTopics(kafka, prefix);
  }
}

async function main(): Promise<void> {
  const loadAtStart = os.loadavg().map((l) => Math.round(l * 100) / 100);
  const port = Number(process.env.KAFKA_PORT ?? 19092);
  const broker = benchBroker(port);
  process.stdout.write(
    `kafka bench: broker ${broker.bootstrap} (${broker.source}${broker.startSeconds ? `, started in ${broker.startSeconds.toFixed(1)} s` : ''}); ` +
      `${N.toLocaleString('en-US')} messages x ${ROUNDS} rounds, ${PARTITIONS} partitions, chunks of ${CHUNK}\n`,
  );
  const kafka = new KafkaClient({
    brokers: [broker.bootstrap],
    clientId: 'bench-raw',
    logLevel: logLevel.NOTHING,
  });
  const raw: SideFactory = (prefix, onMessage) => rawSide(kafka, prefix, onMessage);
  const ours: SideFactory = (prefix, onMessage) => transportSide(broker.bootstrap, prefix, onMessage);
  try {
    interface Round {
      raw: Throughput;
      transport: Throughput;
      ratio: number;
      cpuRatio: number;
    }
    const rounds: Round[] = [];
    const msgs = (x: number) => Math.round(x).toLocaleString('en-US');
    for (let round = 1; round <= ROUNDS; round++) {
      // Alternate which side goes first, so a warming broker or a busy neighbour favours neither;
      // each round compares two runs made back to back.
      const rawFirst = round % 2 === 1;
      const a = await throughputRound(kafka, rawFirst ? raw : ours, rawFirst ? 'raw' : 'transport');
      const b = await throughputRound(kafka, rawFirst ? ours : raw, rawFirst ? 'transport' : 'raw');
      const [r, t] = rawFirst ? [a, b] : [b, a];
      const result = {
        raw: r,
        transport: t,
        ratio: t.perSecond / r.perSecond,
        cpuRatio: r.cpuMicros / t.cpuMicros,
      };
      rounds.push(result);
      process.stdout.write(
        `  round ${round}: raw ${msgs(r.perSecond)} msg/s (${r.cpuMicros.toFixed(1)} µs CPU/msg), ` +
          `transport ${msgs(t.perSecond)} msg/s (${t.cpuMicros.toFixed(1)} µs CPU/msg), ratio ${result.ratio.toFixed(3)}\n`,
      );
    }
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
    // Two latency rounds per side, in alternating order, pooled.
    const rawLatency: number[] = [];
    const transportLatency: number[] = [];
    for (const rawFirst of [true, false]) {
      for (const side of rawFirst ? ['raw', 'transport'] : ['transport', 'raw']) {
        if (side === 'raw') rawLatency.push(...(await latencyRound(kafka, raw, 'raw')));
        else transportLatency.push(...(await latencyRound(kafka, ours, 'transport')));
      }
    }
    rawLatency.sort((a, b) => a - b);
    transportLatency.sort((a, b) => a - b);
    const ratio = median(rounds.map((r) => r.ratio));
    const cpuRatio = median(rounds.map((r) => r.cpuRatio));
    const rows: BenchRow[] = [
      {
        name: 'raw kafkajs throughput (median)',
        value: Math.round(median(rounds.map((r) => r.raw.perSecond))),
        unit: 'msg/s',
      },
      {
        name: 'transport-kafka throughput (median)',
        value: Math.round(median(rounds.map((r) => r.transport.perSecond))),
        unit: 'msg/s',
      },
      {
        name: 'ratio transport / raw (median of rounds)',
        value: ratio,
        unit: '',
        target: '>= 0.8',
        met: ratio >= 0.8,
      },
      {
        name: 'raw kafkajs CPU per message (median)',
        value: median(rounds.map((r) => r.raw.cpuMicros)),
        unit: 'µs',
      },
      {
        name: 'transport-kafka CPU per message (median)',
        value: median(rounds.map((r) => r.transport.cpuMicros)),
        unit: 'µs',
      },
      { name: 'CPU efficiency raw / transport (median)', value: cpuRatio, unit: '' },
      { name: 'raw kafkajs latency p50', value: percentile(rawLatency, 50), unit: 'ms' },
      { name: 'raw kafkajs latency p99', value: percentile(rawLatency, 99), unit: 'ms' },
      { name: 'transport-kafka latency p50', value: percentile(transportLatency, 50), unit: 'ms' },
      { name: 'transport-kafka latency p99', value: percentile(transportLatency, 99), unit: 'ms' },
    ];
    report('kafka', rows, {
      broker: { bootstrap: broker.bootstrap, source: broker.source, startSeconds: broker.startSeconds },
      loadAverageAtStart: loadAtStart,
      config: {
        messages: N,
        rounds: ROUNDS,
        partitions: PARTITIONS,
        chunk: CHUNK,
        latencyMessages: LATENCY_N,
        latencyRatePerSecond: LATENCY_RATE,
      },
      throughputRounds: rounds,
    });
  } finally {
    broker.release();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `kafka bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
