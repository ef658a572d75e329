import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { engineHarness } from '../__fixtures__/engine-harness.js';
import { tcpEngineLink } from '../monitor/tcp-engine-link.js';
import { formatHealthAnswer, parseHealthAnswer } from './health-answer.js';
import { HealthServer } from './health-server.js';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A raw server on 127.0.0.1:0 with custom behaviour (a hung or confused engine). */
async function rawServer(onConnection: (socket: Socket) => void): Promise<number> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  return (server.address() as { port: number }).port;
}

/** Sends raw chunks on one connection and collects what comes back until it closes or `lines` arrived. */
async function converse(
  port: number,
  chunks: string[],
  lines: number,
): Promise<{ text: string; closed: boolean }> {
  const socket = connect({ host: '127.0.0.1', port });
  cleanups.push(() => socket.destroy());
  let text = '';
  let closed = false;
  await new Promise<void>((resolve, reject) => {
    socket.on('error', reject);
    socket.on('data', (d) => {
      text += d.toString('latin1');
      if (text.split('\n').length - 1 >= lines) resolve();
    });
    socket.on('close', () => {
      closed = true;
      resolve();
    });
    socket.on('connect', async () => {
      for (const chunk of chunks) {
        socket.write(chunk);
        await new Promise((r) => setImmediate(r));
      }
    });
  });
  return { text, closed };
}

async function engineWithServer() {
  const h = await engineHarness({ healthServer: { port: 0, host: '127.0.0.1' } });
  cleanups.push(() => h.node.stop());
  const port = h.engine.healthAddress!.port;
  expect(port).toBeGreaterThan(0);
  return { h, port };
}

describe('health protocol over TCP (127.0.0.1, ephemeral ports)', () => {
  it('answers PING with OK:<STATE>, then KO:<reason> while KO-switched or faulted', async () => {
    const { h, port } = await engineWithServer();
    const link = tcpEngineLink({ host: '127.0.0.1', port, connectTimeoutMs: 2000, readTimeoutMs: 1000 });
    expect(await link.probe()).toEqual({ ok: true, state: 'ACTIVATED' });
    h.engine.setKo(true, 'operator pressed K');
    expect(await link.probe()).toEqual({ ok: false, reason: 'operator pressed K' });
    h.engine.setKo(false);
    await h.engine.injectFault('isolation fault');
    expect(await link.probe()).toEqual({ ok: false, reason: 'isolation fault' });
    await h.engine.clearFault();
    expect(await link.probe()).toEqual({ ok: true, state: 'ACTIVATED' });
  });

  it('answers several PINGs on one connection, split or coalesced, and ignores blank lines', async () => {
    const { port } = await engineWithServer();
    const { text } = await converse(port, ['PI', 'NG\r\n\nPING\nping\n'], 3);
    expect(text).toBe('OK:ACTIVATED\nOK:ACTIVATED\nOK:ACTIVATED\n');
  });

  it('answers garbage with ERR and keeps serving; an over-long line is refused and closed', async () => {
    const { port } = await engineWithServer();
    const garbage = await converse(port, ['HELLO\n', '\u0000\u00ff\u0002binary\n', 'PING\n'], 3);
    expect(garbage.text).toBe(
      'ERR:unknown command, expected PING\nERR:unknown command, expected PING\nOK:ACTIVATED\n',
    );
    const long = await converse(port, ['X'.repeat(100_000)], 5);
    expect(long.text).toBe('ERR:line too long\n');
    expect(long.closed).toBe(true);
    const link = tcpEngineLink({ host: '127.0.0.1', port });
    expect(await link.probe()).toEqual({ ok: true, state: 'ACTIVATED' });
  });

  it('closes the server with the engine', async () => {
    const h = await engineHarness({ healthServer: { port: 0, host: '127.0.0.1' } });
    const port = h.engine.healthAddress!.port;
    await h.node.stop();
    const result = await tcpEngineLink({ host: '127.0.0.1', port }).probe();
    expect(result).toEqual({ ok: false, reason: `connection refused by 127.0.0.1:${port}` });
  });

  it('fails the engine start with the address when the port is taken', async () => {
    const port = await rawServer(() => undefined);
    await expect(engineHarness({ healthServer: { port, host: '127.0.0.1' } })).rejects.toThrow(
      `health server cannot listen on 127.0.0.1:${port}`,
    );
  });
});

describe('tcpEngineLink failures', () => {
  it('a hung engine (accepts, never answers) fails by read timeout', async () => {
    const port = await rawServer(() => undefined);
    const started = performance.now();
    const result = await tcpEngineLink({ host: '127.0.0.1', port, readTimeoutMs: 150 }).probe();
    expect(result).toEqual({ ok: false, reason: 'no answer within 150 ms' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('connection refused', async () => {
    const port = await rawServer(() => undefined);
    await cleanups.pop()!(); // close it: nothing listens on the port any more
    const result = await tcpEngineLink({ host: '127.0.0.1', port }).probe();
    expect(result).toEqual({ ok: false, reason: `connection refused by 127.0.0.1:${port}` });
  });

  it('a garbage answer, an endless answer and an early close are failures with reasons', async () => {
    const garbage = await rawServer((s) => s.on('data', () => s.write('HELLO THERE\n')));
    expect(await tcpEngineLink({ host: '127.0.0.1', port: garbage }).probe()).toEqual({
      ok: false,
      reason: 'unexpected answer "HELLO THERE"',
    });
    const endless = await rawServer((s) => s.on('data', () => s.write('A'.repeat(10_000))));
    expect(await tcpEngineLink({ host: '127.0.0.1', port: endless }).probe()).toEqual({
      ok: false,
      reason: 'answer longer than 256 bytes',
    });
    const rude = await rawServer((s) => s.on('data', () => s.end()));
    expect(await tcpEngineLink({ host: '127.0.0.1', port: rude }).probe()).toEqual({
      ok: false,
      reason: 'connection closed before an answer',
    });
    const unknownState = await rawServer((s) => s.on('data', () => s.write('OK:SLEEPING\n')));
    expect((await tcpEngineLink({ host: '127.0.0.1', port: unknownState }).probe()).ok).toBe(false);
  });

  it('rejects an invalid port at construction', () => {
    expect(() => tcpEngineLink({ port: 70_000 })).toThrow(/port must be an integer in 1..65535/);
  });
});

describe('HealthServer', () => {
  it('answers KO when the probe itself throws', async () => {
    const server = new HealthServer(
      () => {
        throw new Error('boom');
      },
      { port: 0, host: '127.0.0.1' },
    );
    const { port } = await server.listen();
    cleanups.push(() => server.close());
    expect(await tcpEngineLink({ host: '127.0.0.1', port }).probe()).toEqual({
      ok: false,
      reason: 'health probe failed',
    });
  });
});

describe('health answers', () => {
  it('round-trip and stay on one line', () => {
    expect(formatHealthAnswer({ ok: true, state: 'SUPPLYING' })).toBe('OK:SUPPLYING');
    expect(formatHealthAnswer({ ok: false, reason: 'a\nb\r\nc' })).toBe('KO:a b c');
    expect(parseHealthAnswer('OK:FAULT\r')).toEqual({ ok: true, state: 'FAULT' });
    expect(parseHealthAnswer('KO:')).toEqual({ ok: false, reason: 'KO' });
    expect(parseHealthAnswer('ERR:line too long')).toEqual({
      ok: false,
      reason: 'engine error: line too long',
    });
  });
});
