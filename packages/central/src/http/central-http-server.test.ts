import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { type CentralHarness, CP1, startCentral } from '../__fixtures__/central-harness.js';
import { createCentralHttpServer } from './central-http-server.js';

const TOKEN = 'operator-token-123';

let h: CentralHarness;
let app: FastifyInstance;
afterEach(async () => {
  await app?.close();
  await h?.stop();
});

async function setup(options: { apiToken?: string; bodyLimit?: number; secret?: string } = {}) {
  h = await startCentral({
    cps: [
      { ...CP1, ...(options.secret ? { secret: options.secret } : {}) },
      { ...CP1, cp_id: 'CP-002' },
    ],
  });
  app = createCentralHttpServer({
    central: h.central.service,
    ...(options.apiToken ? { apiToken: options.apiToken } : {}),
    ...(options.bodyLimit ? { bodyLimit: options.bodyLimit } : {}),
  });
  await app.ready();
}

const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
  app.inject({ method: 'POST', url, payload: payload as object, headers });

async function supplySession(requestId: string, cpId: string, driverId: string): Promise<string> {
  await h.central.api.register({ cp_id: cpId, cp_e_host: 'e', cp_e_port: 1 });
  await h.publish('cp.status', { cp_id: cpId, state: 'ACTIVATED' });
  await h.settle();
  await h.publish('driver.requests', { request_id: requestId, driver_id: driverId, cp_id: cpId });
  await h.settle();
  const sessionId = h.updatesFor(requestId)[0]!.session_id!;
  await h.publish('cp.telemetry', { cp_id: cpId, kw: 22, kwh: 2, euros: 0.6, session_id: sessionId });
  await h.settle();
  return sessionId;
}

describe('original endpoints', () => {
  it('GET /health is healthy', async () => {
    await setup();
    const res = await app.inject('/health');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'healthy', service: 'central', cps: 2, store: 'memory' });
  });

  it('GET /cp and /cp/:id; an unknown id is a 404 with a JSON error', async () => {
    await setup();
    const all = await app.inject('/cp');
    expect(all.json().map((c: { cp_id: string; state: string }) => [c.cp_id, c.state])).toEqual([
      ['CP-001', 'DISCONNECTED'],
      ['CP-002', 'DISCONNECTED'],
    ]);
    const one = await app.inject('/cp/CP-001');
    expect(one.json()).toMatchObject({ cp_id: 'CP-001', location: 'Main St 1', price_eur_kwh: 0.3 });
    expect(one.json()).not.toHaveProperty('secret');
    const missing = await app.inject('/cp/CP-404');
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toMatch(/application\/json/);
    expect(missing.json()).toMatchObject({ ok: false, error: 'Not Found', message: 'unknown CP "CP-404"' });
  });

  it('GET /telemetry lists the last telemetry of CPs that sent some', async () => {
    await setup();
    const sessionId = await supplySession('req-1', 'CP-001', 'driver-a');
    const res = await app.inject('/telemetry');
    expect(res.json()).toEqual([
      expect.objectContaining({ cp_id: 'CP-001', kw: 22, kwh: 2, euros: 0.6, session_id: sessionId }),
    ]);
  });

  it('POST /cp/register, /cp/heartbeat and /cp/fault with the original bodies', async () => {
    await setup();
    const reg = await post('/cp/register', {
      cp_id: 'CP-001',
      cp_e_host: 'cp-engine-1',
      cp_e_port: 8001,
      ts: '2026-01-01T00:00:00Z',
    });
    expect(reg.statusCode).toBe(200);
    expect(reg.json()).toEqual({ ok: true });
    expect(h.central.registry.get('CP-001')).toMatchObject({ state: 'ACTIVATED', cp_e_host: 'cp-engine-1' });
    expect((await post('/cp/heartbeat', { cp_id: 'CP-001', ts: 'x' })).json()).toEqual({ ok: true });
    const fault = await post('/cp/fault', {
      cp_id: 'CP-001',
      status: 'FAULT',
      reason: 'probe timeout',
      ts: 'x',
    });
    expect(fault.json()).toEqual({ ok: true });
    expect(h.central.registry.get('CP-001')).toMatchObject({ state: 'FAULT', fault_reason: 'probe timeout' });
    await post('/cp/fault', { cp_id: 'CP-001', status: 'HEALTHY', reason: 'ok again' });
    expect(h.central.registry.get('CP-001')?.state).toBe('ACTIVATED');
    expect(h.central.store.listAudit({ action: 'monitor.register' }).items[0]).toMatchObject({
      who: 'CP-001',
      source_address: '127.0.0.1',
      outcome: 'ok',
    });
  });

  it('400 with every reason for missing fields and wrong types', async () => {
    await setup();
    const missing = await post('/cp/register', { cp_e_port: 8001 });
    expect(missing.statusCode).toBe(400);
    const body = missing.json();
    expect(body).toMatchObject({ ok: false, error: 'Bad Request' });
    expect(body.reasons.join('\n')).toMatch(/body\/cp_id/);
    expect(body.reasons.join('\n')).toMatch(/body\/cp_e_host/);

    const wrong = await post('/cp/register', { cp_id: 'CP-001', cp_e_host: 'h', cp_e_port: '8001' });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().reasons.join('\n')).toMatch(/body\/cp_e_port: Expected integer/);

    const status = await post('/cp/fault', { cp_id: 'CP-001', status: 'BROKEN' });
    expect(status.statusCode).toBe(400);
    expect(status.json().reasons.join('\n')).toMatch(/body\/status/);

    const notJson = await app.inject({
      method: 'POST',
      url: '/cp/heartbeat',
      payload: '{"cp_id": ',
      headers: { 'content-type': 'application/json' },
    });
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json()).toMatchObject({ ok: false, error: 'Bad Request' });

    const xml = await app.inject({
      method: 'POST',
      url: '/cp/heartbeat',
      payload: '<cp_id>CP-001</cp_id>',
      headers: { 'content-type': 'application/xml' },
    });
    expect(xml.statusCode).toBe(415);
    const text = await app.inject({
      method: 'POST',
      url: '/cp/heartbeat',
      payload: 'cp_id=CP-001',
      headers: { 'content-type': 'text/plain' },
    });
    expect(text.statusCode).toBe(400);
    expect(text.json().reasons.join('\n')).toMatch(/body: Expected object/);
  });

  it('404 for an unknown CP, 401 for a wrong or missing per-CP secret', async () => {
    await setup({ secret: 'cp-secret' });
    const unknown = await post('/cp/heartbeat', { cp_id: 'CP-404' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().reason).toBe('unknown CP "CP-404": register first');
    const noSecret = await post('/cp/register', { cp_id: 'CP-001', cp_e_host: 'h', cp_e_port: 1 });
    expect(noSecret.statusCode).toBe(401);
    expect(noSecret.json()).toMatchObject({ ok: false, reason: 'this CP needs its secret' });
    const wrongSecret = await post('/cp/register', {
      cp_id: 'CP-001',
      cp_e_host: 'h',
      cp_e_port: 1,
      secret: 'x',
    });
    expect(wrongSecret.statusCode).toBe(401);
    const right = await post('/cp/register', {
      cp_id: 'CP-001',
      cp_e_host: 'h',
      cp_e_port: 1,
      secret: 'cp-secret',
    });
    expect(right.statusCode).toBe(200);
    // A CP without a secret in the configuration needs none.
    expect((await post('/cp/register', { cp_id: 'CP-002', cp_e_host: 'h', cp_e_port: 1 })).statusCode).toBe(
      200,
    );
  });

  it('413 for an oversized body', async () => {
    await setup({ bodyLimit: 1024 });
    const res = await post('/cp/register', {
      cp_id: 'CP-001',
      cp_e_host: 'h',
      cp_e_port: 1,
      padding: 'x'.repeat(2000),
    });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ ok: false, error: 'Payload Too Large' });
  });

  it('GET / lists every CP with id, location, price and state in the original colours', async () => {
    await setup();
    await h.central.api.register({ cp_id: 'CP-001', cp_e_host: 'e', cp_e_port: 1 });
    const res = await app.inject('/');
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.body).toContain('data-cp-id="CP-001" data-state="ACTIVATED" style="background:#4caf50"');
    expect(res.body).toContain('data-cp-id="CP-002" data-state="DISCONNECTED" style="background:#9e9e9e"');
    expect(res.body).toContain('Main St 1');
    expect(res.body).toContain('€0.30/kWh');
  });

  it('unknown routes are JSON 404s', async () => {
    await setup();
    const res = await app.inject('/nope');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ ok: false, message: 'no route GET /nope' });
  });
});

describe('/api/v1', () => {
  it('lists CPs with a state filter and pagination; bad queries are 400 with reasons', async () => {
    await setup();
    await h.central.api.register({ cp_id: 'CP-002', cp_e_host: 'e', cp_e_port: 1 });
    const page = await app.inject('/api/v1/cps?limit=1&offset=1');
    expect(page.json()).toMatchObject({ total: 2, limit: 1, offset: 1, items: [{ cp_id: 'CP-002' }] });
    const byState = await app.inject('/api/v1/cps?state=DISCONNECTED');
    expect(byState.json().items.map((c: { cp_id: string }) => c.cp_id)).toEqual(['CP-001']);
    const bad = await app.inject('/api/v1/cps?limit=0&state=PURPLE&colour=red');
    expect(bad.statusCode).toBe(400);
    const reasons = bad.json().reasons.join('\n');
    expect(reasons).toMatch(/querystring\/limit/);
    expect(reasons).toMatch(/querystring\/state/);
    expect(reasons).toMatch(/querystring\/colour/);
    expect((await app.inject('/api/v1/cps/CP-404')).statusCode).toBe(404);
  });

  it('lists sessions with filters and pagination, one session with its ticket, and drivers', async () => {
    await setup();
    const s1 = await supplySession('req-1', 'CP-001', 'driver-a');
    await supplySession('req-2', 'CP-002', 'driver-b');
    await h.publish('cp.session_end', {
      cp_id: 'CP-001',
      driver_id: 'driver-a',
      session_id: s1,
      start_time: '2026-01-01T00:00:00.000Z',
      end_time: '2026-01-01T00:10:00.000Z',
      energy_kwh: 3.6,
      total_cost_eur: 1.08,
    });
    await h.settle();
    const all = await app.inject('/api/v1/sessions');
    expect(all.json().total).toBe(2);
    const completed = await app.inject('/api/v1/sessions?status=completed&driver_id=driver-a');
    expect(completed.json().items.map((s: { session_id: string }) => s.session_id)).toEqual([s1]);
    const paged = await app.inject('/api/v1/sessions?limit=1&offset=1');
    expect(paged.json()).toMatchObject({ total: 2, limit: 1, offset: 1 });
    expect(paged.json().items).toHaveLength(1);
    expect((await app.inject('/api/v1/sessions?status=weird')).statusCode).toBe(400);
    const one = await app.inject(`/api/v1/sessions/${s1}`);
    expect(one.json()).toMatchObject({
      status: 'completed',
      ticket: { energy_kwh: 3.6, total_cost_eur: 1.08 },
    });
    expect((await app.inject('/api/v1/sessions/session-00000000')).statusCode).toBe(404);

    const drivers = await app.inject('/api/v1/drivers');
    expect(
      drivers.json().items.map((d: { driver_id: string; open: number }) => [d.driver_id, d.open]),
    ).toEqual([
      ['driver-a', 0],
      ['driver-b', 1],
    ]);
    const driver = await app.inject('/api/v1/drivers/driver-a');
    expect(driver.json()).toMatchObject({
      completed: 1,
      energy_kwh: 3.6,
      recent_sessions: [{ session_id: s1 }],
    });
    expect((await app.inject('/api/v1/drivers/nobody')).statusCode).toBe(404);
    expect((await app.inject('/api/v1/report')).json()).toMatchObject({
      sessions: { started: 2, completed: 1 },
    });
  });

  it('operator commands need the bearer token when Central has one (401 otherwise)', async () => {
    await setup({ apiToken: TOKEN });
    const none = await post('/api/v1/commands', { command: 'stop', cp_id: 'ALL' });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    const wrong = await post(
      '/api/v1/commands',
      { command: 'stop', cp_id: 'ALL' },
      { authorization: 'Bearer nope' },
    );
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().message).toBe('invalid bearer token');
    const basic = await post('/api/v1/cps/CP-001/stop', {}, { authorization: `Basic ${TOKEN}` });
    expect(basic.statusCode).toBe(401);
    expect(h.central.registry.get('CP-001')?.operator_stopped).toBe(false);

    const auth = { authorization: `Bearer ${TOKEN}` };
    const ok = await post('/api/v1/commands', { command: 'stop', cp_id: 'ALL' }, auth);
    expect(ok.statusCode).toBe(202);
    expect(ok.json()).toEqual({ ok: true, command: 'stop', target: 'ALL', affected: ['CP-001', 'CP-002'] });
    expect(h.central.registry.list().every((c) => c.operator_stopped)).toBe(true);
    const one = await post('/api/v1/cps/CP-002/resume', undefined, auth);
    expect(one.statusCode).toBe(202);
    expect(h.central.registry.get('CP-002')?.operator_stopped).toBe(false);
    const unknown = await post('/api/v1/cps/CP-404/stop', undefined, auth);
    expect(unknown.statusCode).toBe(404);
    const bad = await post('/api/v1/commands', { command: 'explode', cp_id: 7, extra: true }, auth);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().reasons.length).toBeGreaterThanOrEqual(3);

    const audit = h.central.store
      .listAudit()
      .items.map((a) => `${a.action} ${a.target} ${a.who} ${a.outcome}`);
    expect(audit).toEqual([
      'cp.stop CP-404 operator not_found',
      'cp.resume CP-002 operator ok',
      'cp.stop ALL operator ok',
      'cp.stop CP-001 anonymous unauthorized',
      // Refused before its body is read: which command and CP it asked for is unknown.
      'cp.command * anonymous unauthorized',
      'cp.command * anonymous unauthorized',
    ]);
  });

  it('checks the token before anything else: without it, any body, query or content type gets 401', async () => {
    await setup({ apiToken: TOKEN });
    const refused = [
      await post('/api/v1/commands', { command: 'explode', cp_id: 7, extra: true }),
      await app.inject({
        method: 'POST',
        url: '/api/v1/commands',
        payload: '{not json',
        headers: { 'content-type': 'application/json' },
      }),
      await app.inject({
        method: 'POST',
        url: '/api/v1/commands',
        payload: 'stop ALL',
        headers: { 'content-type': 'text/plain' },
      }),
      await post('/api/v1/commands', { pad: 'x'.repeat(200 * 1024) }),
      await post('/api/v1/cps/CP-001/stop', { unexpected: true }, { authorization: 'Bearer nope' }),
      await app.inject('/api/v1/audit?limit=0&sort=asc'),
    ];
    expect(refused.map((r) => r.statusCode)).toEqual([401, 401, 401, 401, 401, 401]);
    for (const r of refused) expect(r.json()).toMatchObject({ ok: false, statusCode: 401 });
    // With the token, the same bad requests get their validation answers.
    const auth = { authorization: `Bearer ${TOKEN}` };
    expect((await post('/api/v1/commands', { command: 'explode' }, auth)).statusCode).toBe(400);
    expect((await app.inject({ url: '/api/v1/audit?limit=0', headers: auth })).statusCode).toBe(400);
    expect(h.central.registry.list().some((c) => c.operator_stopped)).toBe(false);
  });

  it('operator commands are open when Central has no token', async () => {
    await setup();
    expect((await post('/api/v1/cps/ALL/stop', undefined)).statusCode).toBe(202);
  });
});

describe('metrics and docs', () => {
  it('/metrics: CPs by state, sessions, energy, revenue, messages per topic, HTTP latency', async () => {
    await setup();
    const sessionId = await supplySession('req-1', 'CP-001', 'driver-a');
    await h.publish('cp.session_end', {
      cp_id: 'CP-001',
      driver_id: 'driver-a',
      session_id: sessionId,
      start_time: 'a',
      end_time: 'b',
      energy_kwh: 3.5,
      total_cost_eur: 1.05,
    });
    await h.publish('driver.requests', { request_id: 'req-2', driver_id: 'd', cp_id: 'CP-404' });
    await h.settle();
    await app.inject('/health');
    const res = await app.inject('/metrics');
    expect(res.headers['content-type']).toMatch(/text\/plain/);
    const text = res.body;
    expect(text).toContain('evcharging_central_cps{state="ACTIVATED"} 1');
    expect(text).toContain('evcharging_central_cps{state="DISCONNECTED"} 1');
    expect(text).toContain('evcharging_central_sessions_started_total 1');
    expect(text).toContain('evcharging_central_sessions_completed_total 1');
    expect(text).toContain('evcharging_central_sessions_failed_total 0');
    expect(text).toContain('evcharging_central_requests_denied_total{reason="unknown_cp"} 1');
    expect(text).toContain('evcharging_central_energy_kwh_total 3.5');
    expect(text).toContain('evcharging_central_revenue_eur_total 1.05');
    expect(text).toContain('evcharging_central_messages_total{topic="driver.requests",direction="in"} 2');
    expect(text).toContain('evcharging_central_messages_total{topic="driver.updates",direction="out"} 4');
    expect(text).toMatch(
      /evcharging_central_http_request_duration_seconds_count\{method="GET",route="\/health",status_code="200"\} 1/,
    );
  });

  it('serves the OpenAPI document and its UI at /docs', async () => {
    await setup();
    const doc = (await app.inject('/docs/json')).json();
    expect(doc.openapi).toMatch(/^3\./);
    for (const path of ['/cp/register', '/cp/{id}', '/api/v1/sessions', '/api/v1/commands', '/health']) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
    expect(doc.paths['/api/v1/sessions'].get.parameters.map((p: { name: string }) => p.name)).toContain(
      'driver_id',
    );
    let ui = await app.inject('/docs');
    for (let hops = 0; hops < 3 && ui.statusCode === 302; hops++) {
      const location = String(ui.headers.location);
      ui = await app.inject(location.startsWith('/') ? location : `/docs/${location.replace(/^\.\//, '')}`);
    }
    expect(ui.statusCode).toBe(200);
    expect(ui.body.toLowerCase()).toContain('swagger');
  });
});

describe('the plugin serves HTTP', () => {
  it('listens on 127.0.0.1 with an ephemeral port', async () => {
    h = await startCentral({ http: { port: 0, host: '127.0.0.1' } });
    const address = h.central.httpAddress!;
    expect(address.port).toBeGreaterThan(0);
    const res = await fetch(`http://127.0.0.1:${address.port}/health`);
    expect(await res.json()).toMatchObject({ status: 'healthy' });
    await h.node.stop();
    expect(h.central.httpAddress).toBeUndefined();
    await expect(fetch(`http://127.0.0.1:${address.port}/health`)).rejects.toThrow();
  });
});
