import {
  createNode,
  MonitorFaultReportSchema,
  MonitorHeartbeatSchema,
  MonitorRegistrationSchema,
  RealClock,
  VirtualClock,
  validateSchema,
} from '@evcharging/core';
import { MemoryBroker } from '@evcharging/transport-memory';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { chargingPointMonitor } from './charging-point-monitor.js';
import { httpCentralLink } from './http-central-link.js';

/**
 * A stand-in for Central's monitor endpoints: checks every body against the contract (as Central
 * will) and records it; `status` makes it answer an error.
 */
async function centralStub() {
  const app: FastifyInstance = Fastify({ logger: false });
  const received: { path: string; body: unknown }[] = [];
  const state = { status: 200, reply: { ok: true } as Record<string, unknown> };
  const route = (path: string, schema: Parameters<typeof validateSchema>[0]) => {
    app.post(path, async (request, reply) => {
      const check = validateSchema(schema, request.body);
      if (!check.ok) return reply.code(400).send({ error: 'bad request', message: check.reasons.join('; ') });
      received.push({ path, body: request.body });
      return reply.code(state.status).send(state.reply);
    });
  };
  route('/cp/register', MonitorRegistrationSchema);
  route('/cp/heartbeat', MonitorHeartbeatSchema);
  route('/cp/fault', MonitorFaultReportSchema);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as { port: number }).port;
  return { app, port, received, state };
}

const apps: FastifyInstance[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

describe('httpCentralLink', () => {
  it("posts the original's bodies to /cp/register, /cp/heartbeat and /cp/fault", async () => {
    const stub = await centralStub();
    apps.push(stub.app);
    const link = httpCentralLink({ host: '127.0.0.1', port: stub.port });
    expect(
      await link.register({
        cp_id: 'CP-001',
        cp_e_host: 'cp-engine-1',
        cp_e_port: 8001,
        ts: '2026-01-01T00:00:00.000Z',
      }),
    ).toEqual({ ok: true });
    expect(await link.heartbeat({ cp_id: 'CP-001', ts: '2026-01-01T00:00:01.000Z' })).toEqual({ ok: true });
    expect(
      await link.reportFault({
        cp_id: 'CP-001',
        status: 'FAULT',
        reason: '3 failed probes',
        ts: '2026-01-01T00:00:02.000Z',
      }),
    ).toEqual({ ok: true });
    expect(stub.received).toEqual([
      {
        path: '/cp/register',
        body: { cp_id: 'CP-001', cp_e_host: 'cp-engine-1', cp_e_port: 8001, ts: '2026-01-01T00:00:00.000Z' },
      },
      { path: '/cp/heartbeat', body: { cp_id: 'CP-001', ts: '2026-01-01T00:00:01.000Z' } },
      {
        path: '/cp/fault',
        body: { cp_id: 'CP-001', status: 'FAULT', reason: '3 failed probes', ts: '2026-01-01T00:00:02.000Z' },
      },
    ]);
  });

  it('adds the per-CP secret to every body when configured', async () => {
    const stub = await centralStub();
    apps.push(stub.app);
    const link = httpCentralLink({ host: '127.0.0.1', port: stub.port, secret: 's3cret' });
    await link.heartbeat({ cp_id: 'CP-001' });
    expect(stub.received[0]!.body).toEqual({ cp_id: 'CP-001', secret: 's3cret' });
  });

  it("turns Central's refusals into { ok: false, reason } with the status and message", async () => {
    const stub = await centralStub();
    apps.push(stub.app);
    const link = httpCentralLink({ host: '127.0.0.1', port: stub.port });
    stub.state.status = 404;
    stub.state.reply = { error: 'not found', message: 'unknown CP "CP-404"' };
    expect(await link.heartbeat({ cp_id: 'CP-404' })).toEqual({
      ok: false,
      reason: 'HTTP 404 from POST /cp/heartbeat: unknown CP "CP-404"',
    });
    stub.state.status = 200;
    stub.state.reply = { ok: false, reason: 'bad secret' };
    expect(await link.heartbeat({ cp_id: 'CP-001' })).toEqual({ ok: false, reason: 'bad secret' });
    // A body Central's schema rejects comes back as a 400 with its reasons.
    const bad = await link.reportFault({ cp_id: 'CP-001', status: 'BROKEN' as 'FAULT' });
    expect(bad.ok).toBe(false);
    expect(bad.reason).toMatch(/^HTTP 400 from POST \/cp\/fault: .*status/);
  });

  it('rejects, naming Central, when nothing listens', async () => {
    const stub = await centralStub();
    const port = stub.port;
    await stub.app.close();
    const link = httpCentralLink({ host: '127.0.0.1', port });
    await expect(link.heartbeat({ cp_id: 'CP-001' })).rejects.toThrow(
      new RegExp(`Central at http://127.0.0.1:${port} unreachable \\(POST /cp/heartbeat\\): .*ECONNREFUSED`),
    );
  });

  it('gives up after its timeout when Central hangs', async () => {
    const app = Fastify({ logger: false });
    apps.push(app);
    app.post('/cp/heartbeat', () => new Promise(() => undefined)); // never answers
    await app.listen({ host: '127.0.0.1', port: 0 });
    const port = (app.server.address() as { port: number }).port;
    const link = httpCentralLink({ host: '127.0.0.1', port, timeoutMs: 150 });
    await expect(link.heartbeat({ cp_id: 'CP-001' })).rejects.toThrow(/no answer within 150 ms/);
    app.server.closeAllConnections();
  });

  it('a monitor registers, heartbeats and reports over HTTP', async () => {
    const stub = await centralStub();
    apps.push(stub.app);
    const clock = new VirtualClock();
    let answer: { ok: true; state: 'ACTIVATED' } | { ok: false; reason: string } = {
      ok: true,
      state: 'ACTIVATED',
    };
    const monitor = chargingPointMonitor({
      cpId: 'CP-007',
      engine: { host: 'cp-engine-7', port: 8007, probe: async () => answer },
      central: httpCentralLink({ host: '127.0.0.1', port: stub.port }),
      failureThreshold: 1,
    });
    const node = createNode({
      id: 'm',
      transport: new MemoryBroker().transport('m', { clock }),
      clock,
      plugins: [monitor],
    });
    await node.start();
    const real = new RealClock();
    const until = async (predicate: () => boolean) => {
      for (let i = 0; i < 200 && !predicate(); i++) {
        await clock.advance(1_000);
        await real.sleep(5); // real HTTP round trips need real time
      }
      return predicate();
    };
    expect(await until(() => stub.received.some((r) => r.path === '/cp/heartbeat'))).toBe(true);
    answer = { ok: false, reason: 'connection refused' };
    expect(await until(() => stub.received.some((r) => r.path === '/cp/fault'))).toBe(true);
    await node.stop();
    expect(stub.received[0]).toEqual({
      path: '/cp/register',
      body: { cp_id: 'CP-007', cp_e_host: 'cp-engine-7', cp_e_port: 8007, ts: '2026-01-01T00:00:00.000Z' },
    });
    expect(stub.received.find((r) => r.path === '/cp/fault')!.body).toMatchObject({
      cp_id: 'CP-007',
      status: 'FAULT',
      reason: '1 consecutive failed probe: connection refused',
    });
  });
});
