/**
 * Central HTTP: `GET /api/v1/cps` with 10,000 registered CPs, requests per second under autocannon,
 * against a bare fastify route (same fastify copy, same process) that returns the same JSON bytes
 * precomputed. The ratio central / bare is what Central's route costs over the cheapest way fastify
 * can answer with that payload: the registry walk, paging, response schema serialization, hooks.
 *
 * The servers run in one child process (Central on a memory transport and a RealClock, its CPs
 * registered through the monitor API; the bare app beside it); autocannon runs in this process.
 * Rounds alternate which side goes first; the figures are medians of rounds.
 *
 * Run: pnpm bench:central-http [-- --cps 10000 --rounds 5 --duration 5 --connections 10]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger, createNode, RealClock } from '@evcharging/core';
import { MemoryBroker } from '@evcharging/transport-memory';
import autocannon from 'autocannon';
import type FastifyFactory from '../packages/central/node_modules/fastify/fastify.js';
import { centralController } from '../packages/central/src/index.js';
import { parseBenchArgs } from './lib/cli.js';
import { type BenchRow, report } from './lib/results.js';
import { cliArgs, median } from './lib/stats.js';

const { values } = parseBenchArgs(import.meta.url, {
  args: cliArgs(),
  options: {
    cps: { type: 'string', default: '10000' },
    rounds: { type: 'string', default: '5' },
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '10' },
    serve: { type: 'boolean', default: false },
  },
});
const CPS = Number(values.cps);
const ROUNDS = Number(values.rounds);
const DURATION_S = Number(values.duration);
const CONNECTIONS = Number(values.connections);
if (
  !(Number.isInteger(CPS) && CPS >= 1 && CPS <= 100_000 && ROUNDS >= 1 && ROUNDS <= 20) ||
  !(DURATION_S >= 1 && DURATION_S <= 60 && CONNECTIONS >= 1 && CONNECTIONS <= 200)
) {
  process.stderr.write(
    'usage: central-http.bench.ts [--cps 1..100000] [--rounds 1..20] [--duration 1..60 s] [--connections 1..200]\n',
  );
  process.exit(2);
}

/** The requests measured: the default page (50) and the largest page (500). */
const PATHS = ['/api/v1/cps', '/api/v1/cps?limit=500'];

interface Ready {
  central: number;
  bare: number;
  payloadBytes: number[];
}

/** Child: Central with CPS registered CPs, and the bare app serving Central's own answers. */
async function serve(): Promise<void> {
  const clock = new RealClock();
  const central = centralController({ http: { port: 0 }, heartbeatTimeoutMs: 24 * 3_600_000 });
  const node = createNode({
    id: 'central',
    transport: new MemoryBroker().transport('central', { clock }),
    clock,
    logger: createLogger({ level: 'silent' }),
    plugins: [central],
  });
  await node.start();
  for (let i = 1; i <= CPS; i++) {
    const ack = await central.api.register({
      cp_id: `CP-${String(i).padStart(5, '0')}`,
      cp_e_host: '127.0.0.1',
      cp_e_port: 7000 + (i % 1000),
      location: `Site ${Math.ceil(i / 10)}`,
      price_eur_kwh: 0.25 + (i % 7) / 100,
      kw: i % 10 === 0 ? 50 : 22,
    });
    if (!ack.ok) throw new Error(`central-http bench: registering CP ${i} failed: ${ack.reason}`);
  }
  const centralPort = central.httpAddress!.port;
  const payloads: { body: string; type: string }[] = [];
  for (const p of PATHS) {
    const response = await fetch(`http://127.0.0.1:${centralPort}${p}`);
    const body = await response.text();
    if (response.status !== 200)
      throw new Error(`central-http bench: GET ${p} answered ${response.status}: ${body}`);
    payloads.push({ body, type: response.headers.get('content-type') ?? 'application/json; charset=utf-8' });
  }
  // The same fastify copy Central uses.
  const requireFromCentral = createRequire(
    path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'packages', 'central', 'package.json'),
  );
  const Fastify = requireFromCentral('fastify') as typeof FastifyFactory;
  const bare = Fastify({ logger: false });
  PATHS.forEach((p, i) => {
    const { body, type } = payloads[i]!;
    bare.get(new URL(p, 'http://x').pathname + (i === 0 ? '' : `-${i}`), async (_request, reply) =>
      reply.header('content-type', type).send(body),
    );
  });
  await bare.listen({ port: 0, host: '127.0.0.1' });
  const address = bare.server.address();
  const ready: Ready = {
    central: centralPort,
    bare: typeof address === 'object' && address ? address.port : 0,
    payloadBytes: payloads.map((p) => Buffer.byteLength(p.body)),
  };
  process.stdout.write(`READY ${JSON.stringify(ready)}\n`);
  // Until the parent closes stdin (or dies).
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
}

function startServers(): Promise<{ child: ChildProcess; ready: Ready }> {
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, '--serve', `--cps=${CPS}`], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error('central-http bench: servers not ready within 180 s'));
    }, 180_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const line = out.split('\n').find((l) => l.startsWith('READY '));
      if (line) {
        clearTimeout(timer);
        resolve({ child, ready: JSON.parse(line.slice('READY '.length)) as Ready });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`central-http bench: server process exited with ${code}`));
    });
  });
}

interface Measure {
  requestsPerSecond: number;
  latencyP50: number;
  latencyP99: number;
}

async function measure(url: string): Promise<Measure> {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: DURATION_S, timeout: 10 });
  if (result.errors > 0 || result.timeouts > 0 || result.non2xx > 0) {
    throw new Error(
      `central-http bench: ${url}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx`,
    );
  }
  return {
    requestsPerSecond: result.requests.average,
    latencyP50: result.latency.p50,
    latencyP99: result.latency.p99,
  };
}

async function main(): Promise<void> {
  if (values.serve) return serve();
  const loadAtStart = os.loadavg();
  const { child, ready } = await startServers();
  try {
    const urls = PATHS.map((p, i) => ({
      path: p,
      central: `http://127.0.0.1:${ready.central}${p}`,
      bare: `http://127.0.0.1:${ready.bare}${new URL(p, 'http://x').pathname}${i === 0 ? '' : `-${i}`}`,
    }));
    // Warm-up: both sides, every path, once.
    for (const u of urls) {
      await autocannon({ url: u.central, connections: CONNECTIONS, duration: 1 });
      await autocannon({ url: u.bare, connections: CONNECTIONS, duration: 1 });
    }
    const rounds: { path: string; central: Measure; bare: Measure; ratio: number }[] = [];
    for (let r = 1; r <= ROUNDS; r++) {
      for (const u of urls) {
        const centralFirst = r % 2 === 1;
        const first = await measure(centralFirst ? u.central : u.bare);
        const second = await measure(centralFirst ? u.bare : u.central);
        const [c, b] = centralFirst ? [first, second] : [second, first];
        rounds.push({ path: u.path, central: c, bare: b, ratio: c.requestsPerSecond / b.requestsPerSecond });
        process.stdout.write(
          `  round ${r} ${u.path}: central ${Math.round(c.requestsPerSecond)} req/s, bare ${Math.round(b.requestsPerSecond)} req/s, ratio ${(c.requestsPerSecond / b.requestsPerSecond).toFixed(3)}\n`,
        );
      }
    }
    const rows: BenchRow[] = [];
    urls.forEach((u, i) => {
      const mine = rounds.filter((r) => r.path === u.path);
      const kb = (ready.payloadBytes[i]! / 1024).toFixed(1);
      rows.push(
        {
          name: `GET ${u.path} (${kb} KiB): Central`,
          value: Math.round(median(mine.map((r) => r.central.requestsPerSecond))),
          unit: 'req/s',
        },
        {
          name: `GET ${u.path}: bare fastify, same bytes (baseline)`,
          value: Math.round(median(mine.map((r) => r.bare.requestsPerSecond))),
          unit: 'req/s',
        },
        {
          name: `GET ${u.path}: ratio Central / bare (median of rounds)`,
          value: median(mine.map((r) => r.ratio)),
          unit: '',
        },
        {
          name: `GET ${u.path}: Central latency p99 (median)`,
          value: median(mine.map((r) => r.central.latencyP99)),
          unit: 'ms',
        },
      );
    });
    report('central-http', rows, {
      config: {
        cps: CPS,
        rounds: ROUNDS,
        durationSeconds: DURATION_S,
        connections: CONNECTIONS,
        paths: PATHS,
      },
      payloadBytes: ready.payloadBytes,
      loadAverageAtStart: loadAtStart,
      rounds,
    });
  } finally {
    child.stdin!.end();
  }
}

await main();
