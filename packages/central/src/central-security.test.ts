import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { type CentralHarness, CP1, CP2, startCentral } from './__fixtures__/central-harness.js';
import {
  type ApiOperation,
  apiOperations,
  exampleOf,
  type Json,
  type OpenApiDocument,
  operationName,
  urlOf,
} from './__fixtures__/openapi-fuzz.js';
import type { CentralStore } from './store/central-store.js';
import { MemoryCentralStore } from './store/memory-central-store.js';
import { SqliteCentralStore } from './store/sqlite-central-store.js';
import { ControlPlaneClient } from './tcp/control-plane-client.js';

// Security, tested both ways: CENTRAL_API_TOKEN guards every mutating endpoint (enumerated from the
// OpenAPI document, so a new route cannot slip through), the audit log, and the TCP operator
// opcodes; per-CP secrets guard registration, heartbeats and fault reports over HTTP and TCP; and
// every refusal lands in the audit log with who, where from, what and how it ended.

const TOKEN = 'op-token-5f1c9a';
const CP_SECRET = 'cp1-secret';

let h: CentralHarness;
const clients: ControlPlaneClient[] = [];
const cleanups: (() => void)[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await h?.stop();
  for (const cleanup of cleanups.splice(0)) cleanup();
});

async function start(options: { apiToken?: string; store?: CentralStore } = {}): Promise<FastifyInstance> {
  h = await startCentral({
    cps: [{ ...CP1, secret: CP_SECRET }, CP2],
    http: { port: 0, host: '127.0.0.1', dashboard: false },
    tcp: { port: 0, host: '127.0.0.1' },
    ...options,
  });
  return h.central.http!;
}

async function tcpClient(): Promise<ControlPlaneClient> {
  const c = await ControlPlaneClient.connect({ host: '127.0.0.1', port: h.central.tcpAddress!.port });
  clients.push(c);
  return c;
}

function sqliteStore(): CentralStore {
  const dir = mkdtempSync(join(tmpdir(), 'central-security-'));
  const store = new SqliteCentralStore(join(dir, 'central.db'));
  cleanups.push(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return store;
}

/** Operations that change state or reveal the audit log: every non-GET route but the monitor's, and the audit read. */
async function guardedOperations(app: FastifyInstance): Promise<ApiOperation[]> {
  const doc = (await app.inject('/docs/json')).json() as OpenApiDocument;
  return apiOperations(doc).filter(
    (op) => (op.method !== 'GET' && !op.tags.includes('monitor')) || op.path === '/api/v1/audit',
  );
}

/** A request the operation would carry out, aimed at CP-001. */
function validRequest(op: ApiOperation) {
  const body = op.body ? exampleOf(op.body, { cp_id: 'CP-001' } as Record<string, Json>) : undefined;
  return {
    method: op.method,
    url: urlOf(op, { id: 'CP-001' }),
    ...(body !== undefined ? { payload: body as object } : {}),
  };
}

describe('operator token (CENTRAL_API_TOKEN)', () => {
  it('every mutating endpoint in the OpenAPI document, and the audit log, refuse a missing or wrong token and accept the right one', async () => {
    const app = await start({ apiToken: TOKEN });
    const ops = await guardedOperations(app);
    expect(ops.map(operationName).sort()).toEqual([
      'GET /api/v1/audit',
      'POST /api/v1/commands',
      'POST /api/v1/cps/{id}/resume',
      'POST /api/v1/cps/{id}/stop',
    ]);
    const wrong: Record<string, Record<string, string>> = {
      missing: {},
      empty: { authorization: 'Bearer ' },
      'one character off': { authorization: `Bearer ${TOKEN.slice(0, -1)}x` },
      prefix: { authorization: `Bearer ${TOKEN.slice(0, 4)}` },
      'token plus more': { authorization: `Bearer ${TOKEN}${TOKEN}` },
      'basic scheme': { authorization: `Basic ${Buffer.from(`operator:${TOKEN}`).toString('base64')}` },
      'token without scheme': { authorization: TOKEN },
      'huge token': { authorization: `Bearer ${'t'.repeat(8_000)}` },
    };
    for (const op of ops) {
      expect(op.secured, `${operationName(op)} documents its bearer requirement`).toBe(true);
      for (const [what, headers] of Object.entries(wrong)) {
        const res = await app.inject({ ...validRequest(op), headers });
        expect(res.statusCode, `${operationName(op)} with a ${what} token`).toBe(401);
        expect(res.headers['www-authenticate']).toMatch(/^Bearer realm=/);
        expect(res.json()).toMatchObject({ ok: false, statusCode: 401, reason: expect.any(String) });
        expect(h.central.registry.get('CP-001')?.operator_stopped).toBe(false);
      }
    }
    // Nothing was carried out: no command reached the engines.
    await h.settle();
    expect(h.commands).toEqual([]);

    for (const op of ops) {
      const res = await app.inject({ ...validRequest(op), headers: { authorization: `Bearer ${TOKEN}` } });
      expect(res.statusCode, operationName(op)).toBeGreaterThanOrEqual(200);
      expect(res.statusCode, operationName(op)).toBeLessThan(300);
    }
    await h.settle();
    // In document order: POST /commands (stop), /cps/{id}/stop, /cps/{id}/resume.
    expect(h.commands.map((c) => c.cmd)).toEqual(['stop_cp', 'stop_cp', 'resume_cp']);

    const refusals = h.central.store
      .listAudit({ limit: 500 })
      .items.filter((a) => a.outcome === 'unauthorized');
    expect(refusals).toHaveLength(ops.length * Object.keys(wrong).length);
    for (const entry of refusals) {
      expect(entry).toMatchObject({ who: 'anonymous', source_address: '127.0.0.1', outcome: 'unauthorized' });
      expect(entry.detail).toMatch(/bearer token/);
    }
  });

  it('without a configured token the operator endpoints are open, as in the original', async () => {
    const app = await start();
    const ops = await guardedOperations(app);
    for (const op of ops) {
      const res = await app.inject(validRequest(op));
      expect(res.statusCode, operationName(op)).toBeLessThan(300);
    }
  });

  it('TCP: STOP and RESUME need OPERATOR#<token> on that connection; a wrong token is refused and audited', async () => {
    await start({ apiToken: TOKEN });
    const c = await tcpClient();
    expect(await c.send('STOP#CP-001')).toEqual({
      ack: false,
      data: 'ERR#unauthorized: send OPERATOR#<token> first',
    });
    expect(await c.send('RESUME#ALL')).toMatchObject({
      ack: false,
      data: expect.stringMatching(/^ERR#unauthorized/),
    });
    for (const guess of ['', `${TOKEN.slice(0, -1)}x`, TOKEN.toUpperCase(), `${TOKEN} `, 'x'.repeat(900)]) {
      expect(await c.send(`OPERATOR#${guess}`)).toEqual({ ack: false, data: 'ERR#unauthorized' });
    }
    expect(await c.send('OPERATOR')).toEqual({ ack: false, data: 'ERR#unauthorized' });
    expect(await c.send('STOP#CP-001')).toMatchObject({ ack: false });
    expect(h.central.registry.get('CP-001')?.operator_stopped).toBe(false);

    expect(await c.send(`OPERATOR#${TOKEN}`)).toEqual({ ack: true, data: 'OK#OPERATOR' });
    expect(await c.send('STOP#CP-001')).toEqual({ ack: true, data: 'OK#STOP#CP-001#1' });
    expect(h.central.registry.get('CP-001')?.operator_stopped).toBe(true);
    // The login belongs to that connection only.
    const other = await tcpClient();
    expect(await other.send('RESUME#CP-001')).toMatchObject({ ack: false });
    expect(await c.send('RESUME#CP-001')).toEqual({ ack: true, data: 'OK#RESUME#CP-001#1' });

    const audit = h.central.store.listAudit({ limit: 100 }).items;
    expect(audit.filter((a) => a.action === 'tcp.operator').map((a) => a.outcome)).toEqual(
      Array(6).fill('unauthorized'),
    );
    expect(
      audit.filter((a) => a.action.startsWith('cp.')).map((a) => `${a.action} ${a.who} ${a.outcome}`),
    ).toEqual([
      'cp.resume operator ok',
      'cp.resume anonymous unauthorized',
      'cp.stop operator ok',
      'cp.stop anonymous unauthorized',
      'cp.resume anonymous unauthorized',
      'cp.stop anonymous unauthorized',
    ]);
    expect(audit.every((a) => a.source_address === '127.0.0.1')).toBe(true);
  });
});

describe('per-CP secrets', () => {
  it('HTTP: register, heartbeat and fault for a CP with a secret need it; without or wrong: 401 and no effect', async () => {
    const app = await start();
    const send = (url: string, body: Record<string, unknown>) =>
      app.inject({ method: 'POST', url, payload: body });
    const reg = { cp_id: 'CP-001', cp_e_host: 'evil-host', cp_e_port: 6666 };
    const fault = { cp_id: 'CP-001', status: 'FAULT', reason: 'forged' };
    const beat = { cp_id: 'CP-001' };
    for (const secret of [undefined, 'wrong', `${CP_SECRET}x`, CP_SECRET.slice(1), '']) {
      const extra = secret === undefined ? {} : { secret };
      for (const [url, body] of [
        ['/cp/register', reg],
        ['/cp/heartbeat', beat],
        ['/cp/fault', fault],
      ] as const) {
        const res = await send(url, { ...body, ...extra });
        expect(res.statusCode, `${url} with secret ${JSON.stringify(secret)}`).toBe(401);
        expect(res.json()).toMatchObject({ ok: false, reason: expect.stringMatching(/secret/) });
      }
    }
    const cp = h.central.registry.get('CP-001')!;
    expect(cp.cp_e_host).toBeNull();
    expect(cp.monitor_alive).toBe(false);
    expect(cp.monitor_health).toBe('HEALTHY');

    expect(
      (await send('/cp/register', { ...reg, cp_e_host: 'engine-1', secret: CP_SECRET })).statusCode,
    ).toBe(200);
    expect((await send('/cp/heartbeat', { ...beat, secret: CP_SECRET })).statusCode).toBe(200);
    expect((await send('/cp/fault', { ...fault, secret: CP_SECRET })).statusCode).toBe(200);
    expect(h.central.registry.get('CP-001')).toMatchObject({
      cp_e_host: 'engine-1',
      monitor_health: 'FAULT',
    });
    // A CP configured without a secret stays open (the original had none).
    expect((await send('/cp/register', { cp_id: 'CP-002', cp_e_host: 'e2', cp_e_port: 1 })).statusCode).toBe(
      200,
    );

    const refused = h.central.store
      .listAudit({ limit: 100 })
      .items.filter((a) => a.outcome === 'unauthorized');
    expect(refused).toHaveLength(15);
    expect(new Set(refused.map((a) => a.action))).toEqual(
      new Set(['monitor.register', 'monitor.heartbeat', 'monitor.fault']),
    );
    expect(refused.every((a) => a.who === 'CP-001' && a.source_address === '127.0.0.1')).toBe(true);
  });

  it('TCP: REGISTER, AUTH, HEARTBEAT and STATUS for a CP with a secret need it, per connection', async () => {
    await start();
    const c = await tcpClient();
    expect(await c.send('REGISTER#CP-001#evil#6666')).toMatchObject({
      ack: false,
      data: 'ERR#this CP needs its secret',
    });
    expect(await c.send('REGISTER#CP-001#evil#6666#nope')).toMatchObject({
      ack: false,
      data: 'ERR#wrong secret',
    });
    expect(await c.send('AUTH#CP-001#nope')).toEqual({ ack: false, data: 'ERR#unauthorized' });
    expect(await c.send('HEARTBEAT#CP-001')).toMatchObject({ ack: false });
    expect(await c.send('STATUS#CP-001#KO#forged')).toMatchObject({ ack: false });
    expect(h.central.registry.get('CP-001')).toMatchObject({ cp_e_host: null, monitor_health: 'HEALTHY' });

    expect(await c.send(`REGISTER#CP-001#engine-1#8001#${CP_SECRET}`)).toEqual({
      ack: true,
      data: 'OK#REGISTER#CP-001',
    });
    expect(await c.send('HEARTBEAT#CP-001')).toMatchObject({ ack: true });
    const other = await tcpClient();
    expect(await other.send('STATUS#CP-001#KO#forged')).toMatchObject({ ack: false });
    expect(h.central.registry.get('CP-001')?.monitor_health).toBe('HEALTHY');
    expect(await other.send(`AUTH#CP-001#${CP_SECRET}`)).toMatchObject({ ack: true });
    expect(await other.send('STATUS#CP-001#KO#engine silent')).toMatchObject({ ack: true });
    expect(h.central.registry.get('CP-001')?.monitor_health).toBe('FAULT');
  });
});

describe.each([
  ['memory', () => new MemoryCentralStore()],
  ['SQLite', sqliteStore],
])('audit log at GET /api/v1/audit (%s store)', (_kind, makeStore) => {
  it('records operator and security events with time, who, source address, action and outcome, newest first, paginated', async () => {
    const app = await start({ apiToken: TOKEN, store: makeStore() });
    const auth = { authorization: `Bearer ${TOKEN}` };
    // A mix of events: refused and accepted operator commands, a refused and an accepted
    // registration, an unknown target, a refused TCP login.
    await app.inject({ method: 'POST', url: '/api/v1/cps/ALL/stop' });
    await app.inject({ method: 'POST', url: '/api/v1/cps/ALL/stop', headers: auth });
    await app.inject({ method: 'POST', url: '/api/v1/cps/CP-404/resume', headers: auth });
    await app.inject({
      method: 'POST',
      url: '/cp/register',
      payload: { cp_id: 'CP-001', cp_e_host: 'x', cp_e_port: 1 },
    });
    await app.inject({
      method: 'POST',
      url: '/cp/register',
      payload: { cp_id: 'CP-001', cp_e_host: 'engine-1', cp_e_port: 8001, secret: CP_SECRET },
    });
    const c = await tcpClient();
    await c.send('OPERATOR#guess');

    const refused = await app.inject('/api/v1/audit');
    expect(refused.statusCode).toBe(401);
    expect(
      (await app.inject({ url: '/api/v1/audit', headers: { authorization: 'Bearer nope' } })).statusCode,
    ).toBe(401);

    const all = (await app.inject({ url: '/api/v1/audit?limit=500', headers: auth })).json();
    expect(
      all.items.map(
        (a: { action: string; who: string; outcome: string }) => `${a.action} ${a.who} ${a.outcome}`,
      ),
    ).toEqual([
      'audit.read anonymous unauthorized',
      'audit.read anonymous unauthorized',
      'tcp.operator anonymous unauthorized',
      'monitor.register CP-001 ok',
      'monitor.register CP-001 unauthorized',
      'cp.resume operator not_found',
      'cp.stop operator ok',
      'cp.stop anonymous unauthorized',
    ]);
    expect(all.total).toBe(8);
    for (const entry of all.items) {
      expect(entry.ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      expect(entry.source_address).toBe('127.0.0.1');
      expect(typeof entry.id).toBe('number');
    }
    expect(all.items.find((a: { action: string }) => a.action === 'monitor.register')).toMatchObject({
      target: 'CP-001',
      detail: 'engine-1:8001',
    });

    // Pages of 3 put together give the whole log, in the same order.
    const pages = [];
    for (let offset = 0; offset < all.total; offset += 3) {
      const page = (
        await app.inject({ url: `/api/v1/audit?limit=3&offset=${offset}`, headers: auth })
      ).json();
      expect(page).toMatchObject({ total: 8, limit: 3, offset });
      pages.push(...page.items);
    }
    expect(pages).toEqual(all.items);

    const operator = (await app.inject({ url: '/api/v1/audit?who=operator', headers: auth })).json();
    expect(operator.items.map((a: { action: string }) => a.action)).toEqual(['cp.resume', 'cp.stop']);
    const stops = (await app.inject({ url: '/api/v1/audit?action=cp.stop&limit=1', headers: auth })).json();
    expect(stops).toMatchObject({ total: 2, limit: 1, items: [{ who: 'operator', outcome: 'ok' }] });

    const bad = await app.inject({ url: '/api/v1/audit?limit=0&sort=asc', headers: auth });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().reasons.join(' ')).toMatch(/limit/);
  });
});
