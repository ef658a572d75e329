import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CentralHarness, CP1, CP2, startCentral } from '../__fixtures__/central-harness.js';
import {
  type ApiOperation,
  apiOperations,
  deeplyNested,
  type FuzzRequest,
  hostileRequests,
  type OpenApiDocument,
  operationName,
} from '../__fixtures__/openapi-fuzz.js';
import type { CentralStore } from '../store/central-store.js';
import { MemoryCentralStore } from '../store/memory-central-store.js';
import { SqliteCentralStore } from '../store/sqlite-central-store.js';
import { createCentralHttpServer } from './central-http-server.js';

// Schema-driven fuzzing of Central's HTTP API, endpoint by endpoint from its own OpenAPI document:
// every hostile request is answered 4xx with a JSON reason, never 5xx and never left hanging, and
// the server still serves valid requests afterwards. Run with FUZZ_RUNS=<n> for more cases per
// endpoint and FUZZ_SEED=<n> to replay a run.

const TOKEN = 'fuzz-operator-token';
const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_128);
const REQUEST_TIMEOUT_MS = 5_000;
const BODY_LIMIT = 64 * 1024;
const AUTH = { authorization: `Bearer ${TOKEN}` };

interface EndpointFigures {
  requests: number;
  mustReject: number;
  rejected4xx: number;
  accepted2xx: number;
  server5xx: number;
  slowestMs: number;
  statuses: Record<string, number>;
}

async function injectWithin(app: FastifyInstance, request: InjectOptions, ms: number) {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([app.inject(request), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const stores: [string, () => { store: CentralStore; cleanup(): void }][] = [
  ['memory store', () => ({ store: new MemoryCentralStore(), cleanup: () => undefined })],
  [
    'SQLite store',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'central-fuzz-'));
      const store = new SqliteCentralStore(join(dir, 'central.db'));
      return {
        store,
        cleanup: () => {
          store.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  ],
];

describe.each(stores)('HTTP fuzzing from the OpenAPI document (%s)', (_name, makeStore) => {
  let h: CentralHarness;
  let app: FastifyInstance;
  let operations: ApiOperation[];
  let cleanup: () => void;
  const figures: Record<string, EndpointFigures> = {};

  beforeAll(async () => {
    const made = makeStore();
    cleanup = made.cleanup;
    h = await startCentral({ cps: [{ ...CP1, secret: 'cp1-secret' }, CP2], store: made.store });
    app = createCentralHttpServer({ central: h.central.service, apiToken: TOKEN, bodyLimit: BODY_LIMIT });
    await app.ready();
    const doc = (await app.inject('/docs/json')).json() as OpenApiDocument;
    operations = apiOperations(doc);
  });

  afterAll(async () => {
    await app?.close();
    await h?.stop();
    cleanup?.();
    process.stderr.write(`http fuzz figures (${_name}): ${JSON.stringify(figures)}\n`);
  });

  it('the document lists every route of the API (19 operations, 18 paths)', () => {
    expect(operations.map(operationName).sort()).toEqual(
      [
        'GET /health',
        'GET /cp',
        'GET /cp/{id}',
        'GET /telemetry',
        'POST /cp/register',
        'POST /cp/fault',
        'POST /cp/heartbeat',
        'GET /api/v1/cps',
        'GET /api/v1/cps/{id}',
        'GET /api/v1/sessions',
        'GET /api/v1/sessions/{id}',
        'GET /api/v1/drivers',
        'GET /api/v1/drivers/{id}',
        'GET /api/v1/faults',
        'GET /api/v1/report',
        'POST /api/v1/commands',
        'POST /api/v1/cps/{id}/stop',
        'POST /api/v1/cps/{id}/resume',
        'GET /api/v1/audit',
      ].sort(),
    );
  });

  it(`every endpoint: ${RUNS} hostile requests each answer 4xx with a JSON reason (never 5xx, never a hang)`, async () => {
    const failures: string[] = [];
    for (const op of operations) {
      const cases = fc.sample(
        hostileRequests(op, { pathValues: { id: 'CP-002' }, headers: AUTH, bodyLimit: BODY_LIMIT }),
        { numRuns: RUNS, seed: SEED },
      );
      const f: EndpointFigures = {
        requests: 0,
        mustReject: 0,
        rejected4xx: 0,
        accepted2xx: 0,
        server5xx: 0,
        slowestMs: 0,
        statuses: {},
      };
      figures[operationName(op)] = f;
      for (const request of cases) {
        const problem = await check(app, request, f);
        if (problem)
          failures.push(`${operationName(op)} [${request.kind}] ${request.url.slice(0, 120)}: ${problem}`);
      }
    }
    expect(failures.slice(0, 20)).toEqual([]);
    expect(Object.prototype).not.toHaveProperty('polluted');
    const total = Object.values(figures).reduce((n, f) => n + f.requests, 0);
    expect(total).toBe(RUNS * operations.length);
  }, 120_000);

  it('still serves valid requests after the fuzzing, and nothing it did leaked into state', async () => {
    expect((await app.inject('/health')).statusCode).toBe(200);
    const register = await app.inject({
      method: 'POST',
      url: '/cp/register',
      payload: { cp_id: 'CP-001', cp_e_host: 'engine-1', cp_e_port: 8001, secret: 'cp1-secret' },
    });
    expect(register.statusCode).toBe(200);
    expect(h.central.registry.get('CP-001')?.cp_e_host).toBe('engine-1');
    const stop = await app.inject({
      method: 'POST',
      url: '/api/v1/commands',
      payload: { command: 'stop', cp_id: 'CP-001' },
      headers: AUTH,
    });
    expect(stop.statusCode).toBe(202);
    expect((await app.inject('/api/v1/cps?limit=500')).json().total).toBe(h.central.registry.list().length);
    // The longest id the contract allows (256) is reachable through a path parameter.
    const longId = `CP-${'L'.repeat(253)}`;
    const long = await app.inject({
      method: 'POST',
      url: '/cp/register',
      payload: { cp_id: longId, cp_e_host: 'engine-l', cp_e_port: 8001 },
    });
    expect(long.statusCode).toBe(200);
    expect((await app.inject(`/cp/${longId}`)).json()).toMatchObject({ cp_id: longId });
    const tooLong = await app.inject(`/cp/${longId}X`);
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.json().reason).toMatch(/params\/id/);
  });

  it('body size limit: the limit itself passes the parser, one byte more is a JSON 413 (also for a lying Content-Length)', async () => {
    const body = (size: number) => {
      const head = '{"cp_id":"CP-002","pad":"';
      return `${head}${'p'.repeat(size - head.length - 2)}"}`;
    };
    const at = await app.inject({
      method: 'POST',
      url: '/cp/heartbeat',
      payload: body(BODY_LIMIT),
      headers: { 'content-type': 'application/json' },
    });
    expect(at.statusCode).toBe(200);
    const over = await app.inject({
      method: 'POST',
      url: '/cp/heartbeat',
      payload: body(BODY_LIMIT + 1),
      headers: { 'content-type': 'application/json' },
    });
    expect(over.statusCode).toBe(413);
    expect(over.json()).toMatchObject({ ok: false, statusCode: 413, reason: expect.any(String) });
    const huge = await app.inject({
      method: 'POST',
      url: '/cp/register',
      payload: body(8 * 1024 * 1024),
      headers: { 'content-type': 'application/json' },
    });
    expect(huge.statusCode).toBe(413);
    const nested = await app.inject({
      method: 'POST',
      url: '/cp/heartbeat',
      payload: deeplyNested(20_000),
      headers: { 'content-type': 'application/json' },
    });
    expect(nested.statusCode).toBeGreaterThanOrEqual(400);
    expect(nested.statusCode).toBeLessThan(500);
  });
});

/** Sends one request; returns what was wrong with the answer, or undefined. Counts it. */
async function check(
  app: FastifyInstance,
  request: FuzzRequest,
  f: EndpointFigures,
): Promise<string | undefined> {
  f.requests++;
  if (request.mustReject) f.mustReject++;
  const started = performance.now();
  let res: Awaited<ReturnType<FastifyInstance['inject']>>;
  try {
    res = await injectWithin(
      app,
      {
        method: request.method,
        url: request.url,
        headers: request.headers,
        ...(request.payload !== undefined ? { payload: request.payload } : {}),
      },
      REQUEST_TIMEOUT_MS,
    );
  } catch (error) {
    return (error as Error).message;
  }
  f.slowestMs = Math.max(f.slowestMs, Math.round(performance.now() - started));
  const status = res.statusCode;
  f.statuses[status] = (f.statuses[status] ?? 0) + 1;
  if (status >= 500) {
    f.server5xx++;
    return `${status} ${res.body.slice(0, 200)}`;
  }
  if (status >= 400) {
    f.rejected4xx++;
    if (!/application\/json/.test(String(res.headers['content-type'])))
      return `${status} without a JSON body`;
    const body = res.json() as { reason?: unknown; message?: unknown };
    if (typeof body.reason !== 'string' || body.reason.length === 0) return `${status} without a reason`;
    return undefined;
  }
  f.accepted2xx++;
  return request.mustReject ? `accepted with ${status}: ${res.body.slice(0, 200)}` : undefined;
}
