import { request as httpRequest, type IncomingMessage } from 'node:http';
import { type Clock, RealClock, silentLogger } from '@evcharging/core';
import fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { makeCp, ScriptedDashboardSource } from './__fixtures__/scripted-dashboard-source.js';
import { parseSse, type SseMessage } from './__fixtures__/sse-parse.js';
import type { DashboardDeltaMessage, DashboardSnapshotMessage } from './dashboard-feed.js';
import { type DashboardOptions, registerDashboard } from './register-dashboard.js';

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

async function setup(options: Partial<DashboardOptions> = {}, clock: Clock = new RealClock()) {
  const app = fastify();
  apps.push(app);
  const source = new ScriptedDashboardSource([makeCp('CP-001'), makeCp('CP-002', { location: 'Depot' })]);
  const handle = await registerDashboard(app, {
    source,
    clock,
    logger: silentLogger(),
    flushIntervalMs: 50,
    sampleIntervalMs: 200,
    ...options,
  });
  return { app, source, handle };
}

/** Opens the SSE stream on a listening app and collects parsed messages until closed. */
function openStream(port: number) {
  const messages: SseMessage[] = [];
  let buffer = '';
  let response: IncomingMessage | undefined;
  const ended = new Promise<void>((resolve) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: '/api/v1/stream' }, (res) => {
      response = res;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const parsed = parseSse(buffer + chunk);
        buffer = parsed.rest;
        messages.push(...parsed.messages);
      });
      res.on('end', resolve);
      res.on('close', resolve);
    });
    req.on('error', () => resolve());
    req.end();
  });
  return {
    messages,
    ended,
    headers: () => response?.headers,
    close: () => response?.destroy(),
    async waitFor(predicate: (all: SseMessage[]) => boolean, timeoutMs = 3000): Promise<void> {
      const deadline = performance.now() + timeoutMs;
      while (!predicate(messages)) {
        if (performance.now() > deadline)
          throw new Error(`stream: condition not met; got ${messages.length} messages`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
  };
}

describe('registerDashboard', () => {
  it('serves the page at / with a strict content security policy', async () => {
    const { app } = await setup();
    const res = await app.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.body).toContain('<script type="module" src="/dashboard/dashboard.js">');
  });

  it('serves every asset the page loads, with its content type, and 404s anything else', async () => {
    const { app } = await setup();
    const page = (await app.inject({ method: 'GET', url: '/' })).body;
    const script = (await app.inject({ method: 'GET', url: '/dashboard/dashboard.js' })).body;
    const referenced = [
      ...page.matchAll(/(?:href|src)="(\/dashboard\/[^"]+)"/g),
      ...script.matchAll(/from '\.\/([^']+)'/g),
    ].map((m) => (m[1]?.startsWith('/') ? m[1] : `/dashboard/${m[1]}`));
    expect(referenced).toEqual(
      expect.arrayContaining([
        '/dashboard/dashboard.css',
        '/dashboard/dashboard.js',
        '/dashboard/cp-grid.js',
        '/dashboard/dashboard-model.js',
        '/dashboard/power-chart.js',
        '/dashboard/site-charts.js',
      ]),
    );
    for (const url of referenced) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type'], url).toMatch(
        url.endsWith('.css') ? /^text\/css/ : /^text\/javascript/,
      );
    }
    for (const url of [
      '/dashboard/nope.js',
      '/dashboard/..%2Fregister-dashboard.ts',
      '/dashboard/register-dashboard.ts',
    ]) {
      expect((await app.inject({ method: 'GET', url })).statusCode, url).toBe(404);
    }
  });

  it('tells the page where to stream and command, and whether a token is needed, never the token', async () => {
    const { app } = await setup({ apiToken: 's3cret', commands: { stop: '/x/{id}/halt' } });
    const res = await app.inject({ method: 'GET', url: '/dashboard/config.json' });
    expect(res.json()).toMatchObject({
      stream: '/api/v1/stream',
      token_required: true,
      commands: { stop: '/x/{id}/halt', resume: '/api/v1/cps/{id}/resume' },
    });
    expect(res.body).not.toContain('s3cret');
    const open = await (await setup()).app.inject({ method: 'GET', url: '/dashboard/config.json' });
    expect(open.json().token_required).toBe(false);
  });

  it('streams a snapshot then batched deltas over a real socket, and ends streams on close', async () => {
    const { app, source, handle } = await setup();
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    if (!address || typeof address === 'string') throw new Error('no port');
    const stream = openStream(address.port);
    await stream.waitFor((m) => m.some((x) => x.event === 'snapshot'));
    expect(stream.headers()?.['content-type']).toMatch(/^text\/event-stream/);
    const snapshot = stream.messages[0]?.data as DashboardSnapshotMessage;
    expect(snapshot.cps.map((cp) => cp.cp_id)).toEqual(['CP-001', 'CP-002']);

    for (let i = 1; i <= 20; i++)
      source.update('CP-002', { state: 'SUPPLYING', session_id: 's-1', kw: 50, kwh: i });
    await stream.waitFor((m) =>
      m.some((x) => x.event === 'delta' && (x.data as DashboardDeltaMessage).cps.some((c) => c.kwh === 20)),
    );
    const withCp = stream.messages.filter(
      (x) => x.event === 'delta' && (x.data as DashboardDeltaMessage).cps.length > 0,
    );
    // 20 updates in one turn of the event loop travel as one coalesced diff.
    expect(withCp).toHaveLength(1);
    expect(handle.feed.stats().clients).toBe(1);

    await app.close();
    await stream.ended;
    expect(handle.feed.stats().clients).toBe(0);
  });

  it('forgets a viewer who closes the page', async () => {
    const { app, handle } = await setup();
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    if (!address || typeof address === 'string') throw new Error('no port');
    const stream = openStream(address.port);
    await stream.waitFor((m) => m.length > 0);
    expect(handle.feed.stats().clients).toBe(1);
    stream.close();
    const deadline = performance.now() + 2000;
    while (handle.feed.stats().clients > 0 && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(handle.feed.stats().clients).toBe(0);
  });

  it('caps the open streams: one more viewer gets 503 with a JSON reason, and a freed slot serves again', async () => {
    const { app, handle } = await setup({ maxClients: 2 });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    if (!address || typeof address === 'string') throw new Error('no port');
    const streams = [openStream(address.port), openStream(address.port)];
    for (const stream of streams) await stream.waitFor((m) => m.length > 0);
    const refused = await app.inject('/api/v1/stream');
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBe('10');
    expect(refused.json()).toMatchObject({
      ok: false,
      statusCode: 503,
      reason: 'too many dashboard streams open (2)',
    });
    expect(handle.feed.stats().clients).toBe(2);
    streams[0]!.close();
    const deadline = performance.now() + 2000;
    while (handle.feed.stats().clients > 1 && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const third = openStream(address.port);
    await third.waitFor((m) => m.some((x) => x.event === 'snapshot'));
    expect(handle.feed.stats().clients).toBe(2);
  });

  it('refuses a cap below 1', async () => {
    await expect(setup({ maxClients: 0 })).rejects.toThrow(RangeError);
  });
});
