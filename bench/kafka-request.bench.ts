/**
 * Driver request → `accepted` latency through Central over Kafka, against an echo on the same
 * transport in the same run.
 *
 * Each round uses fresh topics on one real broker. A bench driver (its own KafkaTransport) publishes
 * `driver.requests`, each for a different CP, and times from the publish call to the arrival of the
 * `accepted` update on `driver.updates`: first paced at each rate of `--rates` for `--seconds`
 * (latency p50/p99), then a burst of `--burst` requests at once (how many requests per second the
 * side answers when a queue has formed). The answering side is, in turn:
 * - `echo` (baseline): a KafkaTransport consumer that answers every request with `accepted` at once:
 *   the floor two Kafka hops cost through this transport;
 * - `central`: Central (`centralController`, memory store) on its own KafkaTransport, as the
 *   compose role builds it; every CP is ACTIVATED (an engine-side `cp.status` was published for each
 *   before the round), so every request is authorized, stored, commanded (`start_supply`) and
 *   answered;
 * - `central-sqlite`: the same with the SQLite store a deployment uses.
 * Rounds rotate the order of the sides; latencies of a side are pooled over its rounds.
 *
 * Run: pnpm bench:kafka-request [-- --rates 5,20 --seconds 20 --burst 1000 --rounds 3]
 * Uses KAFKA_BOOTSTRAP when set, else a broker from scripts/kafka.sh on KAFKA_PORT (default 19492).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger, createNode, type EvNode, isoTime, RealClock } from '@evcharging/core';
import {
  type CentralStore,
  centralController,
  MemoryCentralStore,
  SqliteCentralStore,
} from '../packages/central/src/index.js';
import { KafkaTransport } from '../packages/transport-kafka/src/index.js';
import kafkajs from '../packages/transport-kafka/src/test-support/raw-kafkajs.js';
import { parseBenchArgs } from './lib/cli.js';
import { benchBroker } from './lib/kafka-broker.js';
import { type BenchRow, report } from './lib/results.js';
import { cliArgs, latencySummary, median } from './lib/stats.js';

const { values } = parseBenchArgs(import.meta.url, {
  args: cliArgs(),
  options: {
    rates: { type: 'string', default: '5,20' },
    seconds: { type: 'string', default: '20' },
    burst: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '3' },
    sides: { type: 'string', default: 'echo,central,central-sqlite' },
  },
});
const RATES = values.rates.split(',').map(Number);
const SECONDS = Number(values.seconds);
const BURST = Number(values.burst);
const ROUNDS = Number(values.rounds);
const SIDES = values.sides.split(',') as SideName[];
type SideName = 'echo' | 'central' | 'central-sqlite';
if (
  !(RATES.length > 0 && RATES.every((r) => r >= 1 && r <= 1000) && SECONDS >= 1 && SECONDS <= 300) ||
  !(Number.isInteger(BURST) && BURST >= 0 && BURST <= 20_000 && ROUNDS >= 1 && ROUNDS <= 10) ||
  !SIDES.every((s) => s === 'echo' || s === 'central' || s === 'central-sqlite')
) {
  process.stderr.write(
    'usage: kafka-request.bench.ts [--rates r,r,... (1..1000 /s)] [--seconds 1..300] [--burst 0..20000] [--rounds 1..10]\n' +
      '                              [--sides echo,central,central-sqlite]\n',
  );
  process.exit(2);
}
/** A round that has not seen every answer by then fails the bench instead of hanging it. */
const ROUND_LIMIT_MS = 180_000;
const TARGET_P99_MS = 50;
/** Requests in one round, each for its own CP: every paced phase, then the burst. */
const PHASES = [
  ...RATES.map((rate) => ({ rate, count: Math.round(rate * SECONDS) })),
  { rate: 0, count: BURST },
].filter((p) => p.count > 0);
const REQUESTS = PHASES.reduce((n, p) => n + p.count, 0);

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
  // The consumer settings of the compose roles (examples/compose/src/roles/kafka-settings.ts), with a
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

interface PhaseResult {
  /** Requests per second offered; 0 for the burst. */
  rate: number;
  latenciesMs: number[];
  denied: number;
  /** First publish to last answer. */
  seconds: number;
}

interface RoundResult {
  side: SideName;
  phases: PhaseResult[];
}

async function runRound(bootstrap: string, side: SideName, phases = PHASES): Promise<RoundResult> {
  const prefix = `bench-${randomUUID().slice(0, 8)}-${side}.`;
  const sentAt = new Map<string, number>();
  let latencies: number[] = [];
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
    const results: PhaseResult[] = [];
    let next = 0;
    for (const phase of phases) {
      latencies = [];
      denied = 0;
      const started = performance.now();
      const sends: Promise<void>[] = [];
      for (let i = 0; i < phase.count; i++, next++) {
        if (phase.rate > 0) {
          const wait = started + (i / phase.rate) * 1000 - performance.now();
          if (wait > 0) await sleep(wait);
        }
        const requestId = `req-${prefix}${next}`;
        sentAt.set(requestId, performance.now());
        sends.push(
          driver.publish('driver.requests', {
            request_id: requestId,
            driver_id: `driver-${next}`,
            cp_id: cpId(next),
            ts: isoTime(Date.now()),
          }),
        );
      }
      await Promise.all(sends);
      await until(
        () => `${side} at ${phase.rate || 'burst'}: ${latencies.length + denied} of ${phase.count} answered`,
        () => latencies.length + denied >= phase.count,
      );
      results.push({
        rate: phase.rate,
        latenciesMs: latencies,
        denied,
        seconds: (performance.now() - started) / 1000,
      });
    }
    return { side, phases: results };
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
    `kafka-request bench: broker ${broker.bootstrap} (${broker.source}); per round ${PHASES.map((p) => (p.rate ? `${p.count} at ${p.rate}/s` : `a burst of ${p.count}`)).join(', ')}; ${ROUNDS} rounds per side\n`,
  );
  try {
    // Warm-up, discarded: a short round of each side, so first-use costs (the broker's first topic
    // creations, code compiled on first call) are not in the figures.
    for (const side of SIDES) await runRound(broker.bootstrap, side, [{ rate: 20, count: 40 }]);
    const results: RoundResult[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      // Rotate the order, so a warming broker or a busy neighbour favours no side.
      const order = SIDES.map((_, i) => SIDES[(i + r) % SIDES.length]!);
      for (const side of order) {
        const result = await runRound(broker.bootstrap, side);
        results.push(result);
        for (const phase of result.phases) {
          const s = latencySummary(phase.latenciesMs);
          process.stdout.write(
            `  round ${r + 1} ${side} ${phase.rate ? `${phase.rate}/s` : 'burst'}: p50 ${s.p50} ms, p99 ${s.p99} ms, max ${s.max} ms ` +
              `(${s.count} accepted, ${phase.denied} denied${phase.rate ? '' : `, ${Math.round(phase.latenciesMs.length / phase.seconds)} answered/s`})\n`,
          );
        }
      }
    }
    const phasesOf = (side: SideName, rate: number) =>
      results.filter((r) => r.side === side).flatMap((r) => r.phases.filter((p) => p.rate === rate));
    const rows: BenchRow[] = [];
    const summaries: Record<string, unknown> = {};
    for (const side of SIDES) {
      const isCentral = side !== 'echo';
      for (const rate of RATES) {
        const phases = phasesOf(side, rate);
        // Pooled over rounds; the ratio to the echo is the median of per-round ratios.
        const s = latencySummary(phases.flatMap((p) => p.latenciesMs));
        summaries[`${side}@${rate}`] = s;
        rows.push(
          { name: `${side}, ${rate} req/s: request → accepted p50`, value: s.p50, unit: 'ms' },
          {
            name: `${side}, ${rate} req/s: request → accepted p99`,
            value: s.p99,
            unit: 'ms',
            ...(isCentral ? { target: `< ${TARGET_P99_MS}`, met: s.p99 < TARGET_P99_MS } : {}),
          },
        );
        if (isCentral && SIDES.includes('echo')) {
          const echo = phasesOf('echo', rate);
          const ratios = phases.map(
            (p, i) => latencySummary(p.latenciesMs).p50 / latencySummary(echo[i]?.latenciesMs ?? []).p50,
          );
          rows.push({
            name: `${side}, ${rate} req/s: p50 over echo p50 (median of rounds)`,
            value: median(ratios),
            unit: '',
          });
        }
      }
      if (BURST > 0) {
        const bursts = phasesOf(side, 0);
        const perSecond = median(bursts.map((p) => p.latenciesMs.length / p.seconds));
        rows.push({
          name: `${side}: burst of ${BURST}, answered per second (median)`,
          value: Math.round(perSecond),
          unit: 'req/s',
        });
      }
    }
    report('kafka-request', rows, {
      broker: { bootstrap: broker.bootstrap, source: broker.source, startSeconds: broker.startSeconds },
      config: { rates: RATES, secondsPerRate: SECONDS, burst: BURST, rounds: ROUNDS, sides: SIDES },
      loadAverageAtStart: loadAtStart,
      summaries,
      rounds: results.map((r) => ({
        side: r.side,
        phases: r.phases.map((p) => ({
          rate: p.rate,
          seconds: p.seconds,
          denied: p.denied,
          ...latencySummary(p.latenciesMs),
        })),
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
