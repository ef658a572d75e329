/**
 * Driver request → `accepted` latency through Central over Kafka, against an echo on the same
 * transport in the same run.
 *
 * Each round uses fresh topics on one real broker. A bench driver (its own KafkaTransport) publishes
 * `driver.requests` at a fixed rate, each for a different CP, and times from the publish call to the
 * arrival of the `accepted` update on `driver.updates`. The answering side is, in turn:
 * - `echo` (baseline): a KafkaTransport consumer that answers every request with `accepted` at once:
 *   the floor two Kafka hops cost through this transport;
 * - `central`: Central (`centralController`, memory store) on its own KafkaTransport, as the
 *   compose role builds it; every CP is ACTIVATED (an engine-side `cp.status` was published for each
 *   before the round), so every request is authorized, stored, commanded (`start_supply`) and
 *   answered;
 * - `central-sqlite`: the same with the SQLite store a deployment uses.
 * Rounds rotate the order of the sides; latencies of a side are pooled over its rounds.
 *
 * Run: pnpm bench:kafka-request [-- --requests 600 --rate 20 --rounds 2]
 * Uses KAFKA_BOOTSTRAP when set, else a broker from scripts/kafka.sh on KAFKA_PORT (default 19492).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger, createNode, type EvNode, isoTime, RealClock } from '@evcharging/core';
import {
  type CentralStore,
  centralController,
  MemoryCentralStore,
  SqliteCentralStore,
} from '../packages/central/src/index.js';
import { KafkaTransport } from '../packages/transport-kafka/src/index.js';
import kafkajs from '../packages/transport-kafka/src/test-support/raw-kafkajs.js';
import { benchBroker } from './lib/kafka-broker.js';
import { type BenchRow, report } from './lib/results.js';
import { cliArgs, latencySummary, median } from './lib/stats.js';

const { values } = parseArgs({
  args: cliArgs(),
  options: {
    requests: { type: 'string', default: '600' },
    rate: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '2' },
    sides: { type: 'string', default: 'echo,central,central-sqlite' },
  },
});
const REQUESTS = Number(values.requests);
const RATE = Number(values.rate);
const ROUNDS = Number(values.rounds);
const SIDES = values.sides.split(',') as SideName[];
type SideName = 'echo' | 'central' | 'central-sqlite';
if (
  !(Number.isInteger(REQUESTS) && REQUESTS >= 10 && REQUESTS <= 20_000) ||
  !(RATE >= 1 && RATE <= 2000 && ROUNDS >= 1 && ROUNDS <= 10) ||
  !SIDES.every((s) => s === 'echo' || s === 'central' || s === 'central-sqlite')
) {
  process.stderr.write(
    'usage: kafka-request.bench.ts [--requests 10..20000] [--rate 1..2000 /s] [--rounds 1..10] [--sides echo,central,central-sqlite]\n',
  );
  process.exit(2);
}
/** A round that has not seen every answer by then fails the bench instead of hanging it. */
const ROUND_LIMIT_MS = 180_000;
const TARGET_P99_MS = 50;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function until(what: () => string, done: () => boolean, limitMs = ROUND_LIMIT_MS): Promise<void> {
  const deadline = performance.now() + limitMs;
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`kafka-request bench: timed out waiting for ${what()}`);
    await sleep(5);
  }
}

const cpId = (i: number) => `CP-${String(i).padStart(5, '0')}`;

function transport(bootstrap: string, prefix: string, clientId: string): KafkaTransport {
  // The consumer settings of the compose roles (examples/compose/src/role/kafka-settings.ts), with a
  // short session so a finished round's groups go away quickly.
  return new KafkaTransport({
    brokers: [bootstrap],
    clientId,
    topicPrefix: prefix,
    groupIdPrefix: prefix,
    topics: { partitions: 3, replicationFactor: 1 },
    consumer: { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1000, maxWaitTimeMs: 200 },
  });
}

/** The answering side of one round, started; `stop()` closes it. */
interface Answerer {
  stop(): Promise<void>;
}

async function startEcho(bootstrap: string, prefix: string): Promise<Answerer> {
  const t = transport(bootstrap, prefix, 'bench-echo');
  await t.connect();
  await t.subscribe('driver.requests', { group: 'central' }, async (request) => {
    await t.publish('driver.updates', {
      request_id: request.request_id,
      driver_id: request.driver_id,
      cp_id: request.cp_id,
      status: 'accepted',
      ts: isoTime(Date.now()),
    });
  });
  return { stop: () => t.close() };
}

async function startCentral(bootstrap: string, prefix: string, sqlite: boolean): Promise<Answerer> {
  const dir = sqlite ? mkdtempSync(path.join(os.tmpdir(), 'kafka-request-')) : undefined;
  const store: CentralStore = dir
    ? new SqliteCentralStore(path.join(dir, 'central.db'))
    : new MemoryCentralStore();
  const central = centralController({
    store,
    cps: Array.from({ length: REQUESTS }, (_, i) => ({
      cp_id: cpId(i),
      location: `Site ${Math.floor(i / 10)}`,
      price_eur_kwh: 0.3,
      kw: 22,
    })),
    // No monitors in this bench: the CP's state is its engine's (as in engine-only networks).
    requireMonitor: false,
    // No engine answers start_supply here: keep the accepted sessions open for the whole round.
    startTimeoutMs: 3_600_000,
  });
  const node: EvNode = createNode({
    id: 'central',
    transport: transport(bootstrap, prefix, 'bench-central'),
    clock: new RealClock(),
    logger: createLogger({ level: 'silent' }),
    plugins: [central],
  });
  await node.start();
  // Every CP's engine says ACTIVATED, as engines do when they start.
  const engines = transport(bootstrap, prefix, 'bench-engines');
  await engines.connect();
  await Promise.all(
    Array.from({ length: REQUESTS }, (_, i) =>
      engines.publish('cp.status', { cp_id: cpId(i), state: 'ACTIVATED', ts: isoTime(Date.now()) }),
    ),
  );
  await engines.close();
  await until(
    () => `${REQUESTS} CPs ACTIVATED at Central (${central.registry.countByState().ACTIVATED})`,
    () => central.registry.countByState().ACTIVATED === REQUESTS,
    60_000,
  );
  return {
    async stop() {
      await node.stop();
      store.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Deletes a round's topics, so repeated runs do not slow a long-lived broker down. */
async function dropTopics(bootstrap: string, prefix: string): Promise<void> {
  const admin = new kafkajs.Kafka({
    brokers: [bootstrap],
    clientId: 'bench-admin',
    logLevel: kafkajs.logLevel.NOTHING,
  }).admin();
  try {
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 30_000 });
  } catch (error) {
    process.stderr.write(`kafka-request bench: could not delete the topics of ${prefix}: ${String(error)}\n`);
  } finally {
    await admin.disconnect();
  }
}

interface RoundResult {
  side: SideName;
  latenciesMs: number[];
  denied: number;
  seconds: number;
}

async function runRound(bootstrap: string, side: SideName, count = REQUESTS): Promise<RoundResult> {
  const prefix = `bench-${randomUUID().slice(0, 8)}-${side}.`;
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let denied = 0;
  const driver = transport(bootstrap, prefix, 'bench-driver');
  let answerer: Answerer | undefined;
  try {
    await driver.connect();
    await driver.subscribe('driver.updates', { group: 'bench-driver' }, (update) => {
      const at = sentAt.get(update.request_id);
      if (at === undefined) return;
      if (update.status === 'accepted') {
        latencies.push(performance.now() - at);
        sentAt.delete(update.request_id);
      } else if (update.status === 'denied') {
        denied++;
        sentAt.delete(update.request_id);
      }
    });
    answerer =
      side === 'echo'
        ? await startEcho(bootstrap, prefix)
        : await startCentral(bootstrap, prefix, side === 'central-sqlite');
    const started = performance.now();
    const sends: Promise<void>[] = [];
    for (let i = 0; i < count; i++) {
      const due = started + (i / RATE) * 1000;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const requestId = `req-${prefix}${i}`;
      sentAt.set(requestId, performance.now());
      sends.push(
        driver.publish('driver.requests', {
          request_id: requestId,
          driver_id: `driver-${i}`,
          cp_id: cpId(i),
          ts: isoTime(Date.now()),
        }),
      );
    }
    await Promise.all(sends);
    await until(
      () => `${side}: ${latencies.length + denied} of ${count} answered`,
      () => latencies.length + denied >= count,
    );
    return { side, latenciesMs: latencies, denied, seconds: (performance.now() - started) / 1000 };
  } finally {
    await answerer?.stop();
    await driver.close();
    await dropTopics(bootstrap, prefix);
  }
}

async function main(): Promise<void> {
  const loadAtStart = os.loadavg();
  const broker = benchBroker(Number(process.env.KAFKA_PORT ?? 19492));
  process.stdout.write(
    `kafka-request bench: broker ${broker.bootstrap} (${broker.source}); ${REQUESTS} requests at ${RATE}/s x ${ROUNDS} rounds per side\n`,
  );
  try {
    // Warm-up, discarded: a short round of each side, so first-use costs (the broker's first topic
    // creations, code compiled on first call) are not in the figures.
    for (const side of SIDES) await runRound(broker.bootstrap, side, 50);
    const results: RoundResult[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      // Rotate the order, so a warming broker or a busy neighbour favours no side.
      const order = SIDES.map((_, i) => SIDES[(i + r) % SIDES.length]!);
      for (const side of order) {
        const result = await runRound(broker.bootstrap, side);
        results.push(result);
        const s = latencySummary(result.latenciesMs);
        process.stdout.write(
          `  round ${r + 1} ${side}: p50 ${s.p50} ms, p99 ${s.p99} ms, max ${s.max} ms (${s.count} accepted, ${result.denied} denied)\n`,
        );
      }
    }
    const summaries = Object.fromEntries(
      SIDES.map((side) => [
        side,
        latencySummary(results.filter((r) => r.side === side).flatMap((r) => r.latenciesMs)),
      ]),
    ) as Record<SideName, ReturnType<typeof latencySummary>>;
    const perRound = (side: SideName, p: 'p50' | 'p99') =>
      median(results.filter((r) => r.side === side).map((r) => latencySummary(r.latenciesMs)[p]));
    const rows: BenchRow[] = [];
    for (const side of SIDES) {
      const s = summaries[side];
      const isCentral = side !== 'echo';
      rows.push(
        { name: `${side}: request → accepted p50`, value: s.p50, unit: 'ms' },
        {
          name: `${side}: request → accepted p99`,
          value: s.p99,
          unit: 'ms',
          ...(isCentral ? { target: `< ${TARGET_P99_MS}`, met: s.p99 < TARGET_P99_MS } : {}),
        },
      );
      if (isCentral && summaries.echo) {
        rows.push({
          name: `${side}: p50 over echo p50 (median of rounds)`,
          value: perRound(side, 'p50') / perRound('echo', 'p50'),
          unit: '',
        });
      }
    }
    report('kafka-request', rows, {
      broker: { bootstrap: broker.bootstrap, source: broker.source, startSeconds: broker.startSeconds },
      config: { requests: REQUESTS, ratePerSecond: RATE, rounds: ROUNDS, sides: SIDES },
      loadAverageAtStart: loadAtStart,
      summaries,
      rounds: results.map((r) => ({
        side: r.side,
        seconds: r.seconds,
        denied: r.denied,
        ...latencySummary(r.latenciesMs),
      })),
    });
  } finally {
    broker.release();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `kafka-request bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
