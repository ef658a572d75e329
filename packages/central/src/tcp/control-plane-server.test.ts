import { connect, type Socket } from 'node:net';
import { SeededRandom } from '@evcharging/core';
import { afterEach, describe, expect, it } from 'vitest';
import { type CentralHarness, CP1, CP2, startCentral } from '../__fixtures__/central-harness.js';
import { ControlPlaneClient } from './control-plane-client.js';
import { ControlPlaneServer } from './control-plane-server.js';
import { type DecodedItem, encodeFrame, FrameDecoder } from './frame-codec.js';

const TOKEN = 'tcp-operator-token';
let h: CentralHarness;
const clients: ControlPlaneClient[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const s of sockets.splice(0)) s.destroy();
  await h?.stop();
});

async function setup(tcp: Record<string, number> = {}, apiToken?: string): Promise<number> {
  h = await startCentral({
    cps: [{ ...CP1, secret: 'cp1-secret' }, CP2],
    tcp: { port: 0, host: '127.0.0.1', ...tcp },
    ...(apiToken ? { apiToken } : {}),
  });
  return h.central.tcpAddress!.port;
}

async function client(port: number): Promise<ControlPlaneClient> {
  const c = await ControlPlaneClient.connect({ host: '127.0.0.1', port });
  clients.push(c);
  return c;
}

/** A raw socket that decodes every reply; `until` resolves when a predicate holds (bounded). */
async function rawSocket(port: number, localAddress?: string) {
  // Another loopback source address (127.0.0.2) is another peer to the server; traffic stays on 127.0.0.1.
  const socket = connect({ host: '127.0.0.1', port, ...(localAddress ? { localAddress } : {}) });
  sockets.push(socket);
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const decoder = new FrameDecoder({ acceptReplies: true, maxFrameBytes: 65_536 });
  const items: DecodedItem[] = [];
  const waiters: (() => void)[] = [];
  let closed = false;
  socket.on('data', (chunk: Buffer) => {
    items.push(...decoder.push(chunk));
    for (const w of waiters.splice(0)) w();
  });
  socket.on('close', () => {
    closed = true;
    for (const w of waiters.splice(0)) w();
  });
  const until = async (predicate: () => boolean, what: string) => {
    const deadline = performance.now() + 10_000;
    while (!predicate()) {
      if (closed) throw new Error(`socket closed while waiting for ${what}`);
      if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        // re-check at least every 50 ms in case no data arrives
        setTimeout(resolve, 50).unref();
      });
    }
  };
  const write = (bytes: Uint8Array) =>
    new Promise<void>((resolve, reject) => socket.write(bytes, (e) => (e ? reject(e) : resolve())));
  return { socket, items, until, write, isClosed: () => closed };
}

const replies = (items: DecodedItem[]) => {
  const out: string[] = [];
  let ack: string | undefined;
  for (const item of items) {
    if (item.type === 'ack' || item.type === 'nack') ack = item.type === 'ack' ? 'ACK' : 'NACK';
    else if (item.type === 'frame') out.push(`${ack} ${item.data}`);
  }
  return out;
};

describe('control plane framing over real sockets', () => {
  it('answers a frame split across writes, and several frames sent in one write, in order', async () => {
    const port = await setup();
    const raw = await rawSocket(port);
    const frame = encodeFrame('PING');
    for (const byte of frame) await raw.write(Buffer.of(byte));
    await raw.until(() => replies(raw.items).length === 1, 'the split PING');
    await raw.write(Buffer.concat([encodeFrame('PING'), encodeFrame('LIST'), encodeFrame('NOPE')]));
    await raw.until(() => replies(raw.items).length === 4, 'three replies');
    expect(replies(raw.items)).toEqual([
      'ACK OK#PONG',
      'ACK OK#PONG',
      'ACK LIST#CP-001=DISCONNECTED#CP-002=DISCONNECTED',
      'NACK ERR#unknown opcode "NOPE"',
    ]);
  });

  it('NACKs a bad LRC, garbage and an oversized frame, and keeps the connection usable', async () => {
    const port = await setup({ maxFrameBytes: 64 });
    const c = await client(port);
    const bad = encodeFrame('PING');
    bad[bad.length - 1]! ^= 0x55;
    expect(await c.sendRaw(bad)).toEqual({ ack: false, data: 'ERR#bad-lrc' });
    expect(await c.sendRaw(Buffer.from('GET / HTTP/1.1\r\n\r\n'))).toEqual({
      ack: false,
      data: 'ERR#garbage',
    });
    expect(await c.send(`REGISTER#${'x'.repeat(100)}#h#1`)).toEqual({ ack: false, data: 'ERR#oversized' });
    expect(await c.send('PING')).toEqual({ ack: true, data: 'OK#PONG' });
  });

  it('survives 1 MB of random bytes: only NACKs, bounded, then answers a PING', async () => {
    const port = await setup();
    const raw = await rawSocket(port);
    const random = new SeededRandom(99);
    const noise = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < noise.length; i++) noise[i] = random.int(0, 255);
    for (let i = 0; i < noise.length; i += 64 * 1024) await raw.write(noise.subarray(i, i + 64 * 1024));
    await raw.write(encodeFrame('PING'));
    await raw.until(() => replies(raw.items).includes('ACK OK#PONG'), 'the PING after the noise');
    const answers = replies(raw.items);
    expect(answers.at(-1)).toBe('ACK OK#PONG');
    expect(answers.slice(0, -1).every((a) => a.startsWith('NACK ERR#'))).toBe(true);
    expect(answers.length).toBeLessThan(noise.length / 16);
    expect(h.central.registry.list().map((c) => c.state)).toEqual(['DISCONNECTED', 'DISCONNECTED']);
  });
});

describe('control plane opcodes', () => {
  it('a monitor can use TCP instead of HTTP: REGISTER, HEARTBEAT, STATUS KO and OK', async () => {
    const port = await setup();
    const c = await client(port);
    expect(await c.send('REGISTER#CP-002#cp-engine-2#8002')).toEqual({
      ack: true,
      data: 'OK#REGISTER#CP-002',
    });
    expect(h.central.registry.get('CP-002')).toMatchObject({ state: 'ACTIVATED', cp_e_port: 8002 });
    expect(await c.send('HEARTBEAT#CP-002')).toEqual({ ack: true, data: 'OK#HEARTBEAT#CP-002' });
    expect(await c.send('STATUS#CP-002#KO#engine does not answer')).toEqual({
      ack: true,
      data: 'OK#STATUS#CP-002',
    });
    expect(h.central.registry.get('CP-002')).toMatchObject({
      state: 'FAULT',
      fault_reason: 'engine does not answer',
    });
    expect(await c.send('STATUS#CP-002#OK')).toMatchObject({ ack: true });
    expect(h.central.registry.get('CP-002')?.state).toBe('ACTIVATED');
    expect((await c.send('LIST')).data).toBe('LIST#CP-001=DISCONNECTED#CP-002=ACTIVATED');
    expect(await c.send('STATUS#CP-002#MAYBE')).toEqual({
      ack: false,
      data: 'ERR#usage: STATUS#cp_id#OK|KO[#reason]',
    });
    expect(await c.send('HEARTBEAT#CP-404')).toEqual({
      ack: false,
      data: 'ERR#unknown CP "CP-404": register first',
    });
  });

  it('AUTH with the per-CP secret unlocks HEARTBEAT and STATUS for that CP', async () => {
    const port = await setup();
    const c = await client(port);
    expect(await c.send('HEARTBEAT#CP-001')).toEqual({ ack: false, data: 'ERR#this CP needs its secret' });
    expect(await c.send('AUTH#CP-001#wrong')).toEqual({ ack: false, data: 'ERR#unauthorized' });
    expect(await c.send('AUTH#CP-404')).toEqual({ ack: false, data: 'ERR#unknown CP "CP-404"' });
    expect(await c.send('AUTH#CP-001#cp1-secret')).toEqual({ ack: true, data: 'OK#AUTH#CP-001' });
    expect(await c.send('HEARTBEAT#CP-001')).toMatchObject({ ack: true });
    expect(h.central.registry.get('CP-001')?.monitor_alive).toBe(true);
    // Another connection has not authenticated.
    const other = await client(port);
    expect(await other.send('STATUS#CP-001#KO')).toMatchObject({ ack: false });
  });

  it('STOP and RESUME one CP or ALL, behind OPERATOR#token when Central has a token', async () => {
    const port = await setup({}, TOKEN);
    const c = await client(port);
    expect(await c.send('STOP#ALL')).toEqual({
      ack: false,
      data: 'ERR#unauthorized: send OPERATOR#<token> first',
    });
    expect(await c.send('OPERATOR#guess')).toEqual({ ack: false, data: 'ERR#unauthorized' });
    expect(await c.send(`OPERATOR#${TOKEN}`)).toEqual({ ack: true, data: 'OK#OPERATOR' });
    expect(await c.send('STOP#ALL')).toEqual({ ack: true, data: 'OK#STOP#ALL#2' });
    expect(h.central.registry.list().every((cp) => cp.operator_stopped)).toBe(true);
    expect(await c.send('RESUME#CP-002')).toEqual({ ack: true, data: 'OK#RESUME#CP-002#1' });
    expect(await c.send('RESUME#CP-404')).toEqual({ ack: false, data: 'ERR#unknown CP "CP-404"' });
    await h.settle();
    expect(h.commands.map((cmd) => `${cmd.cmd} ${cmd.cp_id}`)).toEqual([
      'stop_cp CP-001',
      'stop_cp CP-002',
      'resume_cp CP-002',
    ]);
    expect(h.central.store.listAudit({ action: 'cp.stop' }).items.map((a) => [a.who, a.outcome])).toEqual([
      ['operator', 'ok'],
      ['anonymous', 'unauthorized'],
    ]);
  });
});

describe('control plane limits', () => {
  it('refuses connections beyond the maximum', async () => {
    const port = await setup({ maxConnections: 2 });
    const a = await client(port);
    const b = await client(port);
    expect(await a.send('PING')).toMatchObject({ ack: true });
    expect(await b.send('PING')).toMatchObject({ ack: true });
    const third = await rawSocket(port);
    await third.until(() => third.isClosed(), 'the third connection to be closed').catch(() => undefined);
    expect(third.isClosed()).toBe(true);
    expect(await a.send('PING')).toMatchObject({ ack: true });
  });

  it('drops a peer that does not read its replies (bounded, whatever it sends)', async () => {
    // 5,000 CPs make every LIST reply ~100 KB: the socket buffers fill after a few dozen replies.
    const cps = Array.from({ length: 5000 }, (_, i) => ({
      ...CP2,
      cp_id: `CP-${String(i).padStart(5, '0')}`,
    }));
    h = await startCentral({ cps });
    const server = new ControlPlaneServer(
      { central: h.central.service, apiToken: undefined },
      { port: 0, host: '127.0.0.1', maxUnsentBytes: 64 * 1024 },
    );
    try {
      const { port } = await server.listen();
      const raw = await rawSocket(port);
      raw.socket.pause(); // never read
      await raw.write(Buffer.concat(Array.from({ length: 2000 }, () => encodeFrame('LIST'))));
      const deadline = performance.now() + 10_000;
      while (server.connections > 0 && performance.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(server.connections).toBe(0);
    } finally {
      await server.close();
    }
  }, 20_000);

  it('closes an idle connection', async () => {
    const port = await setup({ idleTimeoutMs: 100 });
    const raw = await rawSocket(port);
    await raw.until(() => raw.isClosed(), 'the idle connection to be closed').catch(() => undefined);
    expect(raw.isClosed()).toBe(true);
  });

  it('caps the connections of one address: the next is NACKed and closed, another address still gets in', async () => {
    const port = await setup({ maxConnectionsPerAddress: 3, maxConnections: 64 });
    const held = await Promise.all([rawSocket(port), rawSocket(port), rawSocket(port)]);
    const refused = await rawSocket(port);
    await refused
      .until(() => refused.isClosed(), 'the fourth connection to be closed')
      .catch(() => undefined);
    expect(refused.isClosed()).toBe(true);
    expect(replies(refused.items)).toEqual(['NACK ERR#too many connections from this address (3)']);
    // The three held ones still work; another source address is not affected.
    await held[0]!.write(encodeFrame('PING'));
    await held[0]!.until(() => replies(held[0]!.items).length === 1, 'a PONG');
    expect(replies(held[0]!.items)).toEqual(['ACK OK#PONG']);
    const other = await rawSocket(port, '127.0.0.2');
    await other.write(encodeFrame('PING'));
    await other.until(() => replies(other.items).length === 1, 'a PONG from 127.0.0.2');
    expect(replies(other.items)).toEqual(['ACK OK#PONG']);
    // A slot freed is a slot the address can use again.
    held[1]!.socket.destroy();
    await held[1]!.until(() => held[1]!.isClosed(), 'a closed socket').catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const again = await rawSocket(port);
    await again.write(encodeFrame('PING'));
    await again.until(() => replies(again.items).length === 1, 'a PONG after a slot freed');
    expect(replies(again.items)).toEqual(['ACK OK#PONG']);
    const audit = h.central.store.listAudit({ action: 'tcp.connect' }).items;
    expect(audit.map((a) => [a.source_address, a.outcome, a.detail])).toEqual([
      ['127.0.0.1', 'unauthorized', 'too many connections from this address (3)'],
    ]);
  });

  it('NACKs and closes a frame unfinished at its deadline, however it trickles; finished frames reset it', async () => {
    const port = await setup({ frameDeadlineMs: 10_000 });
    const slow = await rawSocket(port);
    const honest = await rawSocket(port);
    // Real sockets, virtual time: let the server read each write before the clock moves.
    const delivered = () => new Promise((resolve) => setTimeout(resolve, 30));
    await slow.write(Buffer.of(0x02));
    await delivered();
    // 9.5 s of Central's (virtual) time: one byte every 500 ms keeps it from being idle, not from the deadline.
    for (let i = 0; i < 19; i++) {
      await slow.write(Buffer.of(0x41));
      await honest.write(encodeFrame('PING').subarray(0, 3)); // half a frame...
      await delivered();
      await h.clock.advance(250);
      await honest.write(encodeFrame('PING').subarray(3)); // ...finished: its deadline ends with it
      await honest.until(() => replies(honest.items).length === i + 1, `PONG ${i + 1}`);
      await h.clock.advance(250);
    }
    expect(slow.isClosed()).toBe(false);
    await h.clock.advance(500);
    await slow.until(() => slow.isClosed(), 'the slow frame to be cut').catch(() => undefined);
    expect(slow.isClosed()).toBe(true);
    expect(replies(slow.items)).toEqual(['NACK ERR#frame not finished within 10 s']);
    expect(honest.isClosed()).toBe(false);
    expect(new Set(replies(honest.items))).toEqual(new Set(['ACK OK#PONG']));
    expect(h.central.store.listAudit({ action: 'tcp.frame' }).items.map((a) => a.detail)).toEqual([
      'frame not finished within 10 s',
    ]);
  }, 30_000);

  it('refuses limits below 1', () => {
    for (const bad of [{ maxConnectionsPerAddress: 0 }, { frameDeadlineMs: Number.NaN }]) {
      expect(
        () =>
          new ControlPlaneServer({ central: undefined as never, apiToken: undefined }, { port: 0, ...bad }),
      ).toThrow(RangeError);
    }
  });
});
