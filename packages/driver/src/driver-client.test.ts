import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createNode,
  type DriverUpdate,
  definePlugin,
  type EvNode,
  isoTime,
  type PluginContext,
  PluginStartError,
  SeededRandom,
  silentLogger,
  VirtualClock,
} from '@evcharging/core';
import { advanceUntil } from '@evcharging/core/testing';
import { MemoryBroker } from '@evcharging/transport-memory';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeCentralOptions, fakeCentral } from './__fixtures__/fake-central.js';
import { type DriverClientOptions, driverClient } from './driver-client.js';
import type { DriverResult } from './driver-result.js';
import { MemoryDriverStateStore } from './driver-state-store.js';

const CPS = { 'CP-001': { kw: 22, price: 0.3 }, 'CP-002': { kw: 50, price: 0.35 } };

function world(central: Partial<FakeCentralOptions> = {}) {
  const clock = new VirtualClock();
  const broker = new MemoryBroker();
  const nodes: EvNode[] = [];
  const fake = fakeCentral({ cps: CPS, ...central });
  const node = (id: string, plugins: Parameters<typeof createNode>[0]['plugins']) => {
    const n = createNode({
      id,
      transport: broker.transport(id, { clock }),
      clock,
      random: new SeededRandom(`test/${id}`),
      logger: silentLogger(),
      plugins,
    });
    nodes.push(n);
    return n;
  };
  return {
    clock,
    broker,
    fake,
    nodes,
    node,
    async startCentral() {
      await node('central', [fake]).start();
    },
    async startDriver(options: DriverClientOptions, nodeId = options.driverId) {
      const driver = driverClient(options);
      const n = node(nodeId, [driver]);
      await n.start();
      return { driver, node: n };
    },
  };
}

let current: ReturnType<typeof world> | undefined;
afterEach(async () => {
  for (const n of current?.nodes.reverse() ?? []) await n.stop();
  current = undefined;
});

async function settled<T>(clock: VirtualClock, promise: Promise<T>, timeoutMs: number): Promise<T> {
  let value: { v: T } | undefined;
  void promise.then((v) => {
    value = { v };
  });
  const ok = await advanceUntil(clock, () => value !== undefined, { timeoutMs });
  if (!ok || !value) throw new Error(`not settled within ${timeoutMs} ms of virtual time`);
  return value.v;
}

describe('driverClient', () => {
  it('goes through a 10-line requests file, one at a time, 4 s apart, with a ticket for each', async () => {
    current = world();
    const w = current;
    await w.startCentral();
    const dir = await mkdtemp(join(tmpdir(), 'driver-'));
    const file = join(dir, 'requests.txt');
    const lines = [
      '# ten requests',
      ...Array.from({ length: 10 }, (_, i) => (i % 2 ? 'CP-002 kwh=5' : 'CP-001 duration=30')),
    ];
    await writeFile(file, `${lines.join('\n')}\n`);
    const sent: number[] = [];
    const { driver, node } = await w.startDriver({ driverId: 'driver-alice', requests: file });
    node.bus.on('driver.request_sent', () => sent.push(w.clock.now()));
    const results = await settled(w.clock, driver.done, 3_600_000);

    expect(results).toHaveLength(10);
    expect(results.every((r) => r.status === 'completed')).toBe(true);
    for (const r of results) {
      expect(r.energy_kwh).toBeGreaterThan(0);
      expect(r.total_cost_eur).toBeGreaterThan(0);
      expect(r.session_id).toMatch(/^session-/);
    }
    expect(results[0]!.energy_kwh).toBeCloseTo((22 * 30) / 3600, 3);
    expect(results[1]!.energy_kwh).toBeCloseTo(5, 3);
    // Each request starts only after the previous one ended plus the 4 s interval.
    for (let i = 1; i < results.length; i++) {
      const previousEnd = Date.parse(results[i - 1]!.finished_at);
      expect(Date.parse(results[i]!.requested_at) - previousEnd).toBe(4_000);
    }
    expect(driver.summary()).toMatchObject({ requests: 10, completed: 10, energy_kwh: expect.any(Number) });
    expect(driver.summary().energy_kwh).toBeCloseTo(5 * ((22 * 30) / 3600) + 5 * 5, 2);
    expect(w.fake.sessions.map((s) => s.request_id)).toEqual(results.map((r) => r.request_id));
  });

  it('reports a denial with its reason and goes on with the next request', async () => {
    current = world();
    const w = current;
    await w.startCentral();
    // Another driver holds CP-001 for 10 minutes.
    await w.startDriver({ driverId: 'driver-bob', requests: [{ cp_id: 'CP-001', duration_s: 600 }] });
    const { driver } = await w.startDriver({
      driverId: 'driver-alice',
      requests: [{ cp_id: 'CP-001' }, { cp_id: 'CP-404' }, { cp_id: 'CP-002', duration_s: 5 }],
      startDelayMs: 1_000,
    });
    const results = await settled(w.clock, driver.done, 120_000);
    expect(results.map((r) => r.status)).toEqual(['denied', 'denied', 'completed']);
    expect(results[0]!.reason).toBe('CP CP-001 is busy');
    expect(results[1]!.reason).toBe('unknown CP CP-404');
    expect(driver.summary()).toMatchObject({ requests: 3, completed: 1, denied: 2 });
  });

  it('times out a request nobody answers, and still takes its outcome when it arrives late', async () => {
    current = world({ lateMs: { 'CP-002': 45_000 }, silent: ['CP-001'] });
    const w = current;
    await w.startCentral();
    const lateResults: DriverResult[] = [];
    const { driver, node } = await w.startDriver({
      driverId: 'driver-alice',
      requests: [{ cp_id: 'CP-001' }, { cp_id: 'CP-002', duration_s: 5 }],
      intervalMs: 1_000,
    });
    node.bus.on('driver.result', ({ result }) => {
      if (result.late) lateResults.push(result);
    });
    const results = await settled(w.clock, driver.done, 200_000);
    expect(results.map((r) => r.status)).toEqual(['timeout', 'timeout']);
    expect(results[0]!.reason).toBe('no update for 30000 ms');
    // CP-002's answer comes 45 s after the request, 15 s after the timeout.
    await w.clock.advance(60_000);
    expect(lateResults).toHaveLength(1);
    expect(lateResults[0]).toMatchObject({ cp_id: 'CP-002', status: 'completed', late: true });
    expect(driver.results().map((r) => r.status)).toEqual(['timeout', 'completed']);
  });

  it('keeps waiting while updates keep coming: the timeout is per silence, not per session', async () => {
    current = world();
    const w = current;
    await w.startCentral();
    const { driver } = await w.startDriver({
      driverId: 'driver-alice',
      requests: [{ cp_id: 'CP-001', duration_s: 120 }],
      timeoutMs: 5_000,
    });
    const [result] = await settled(w.clock, driver.done, 300_000);
    expect(result).toMatchObject({ status: 'completed' });
    expect(result!.energy_kwh).toBeCloseTo((22 * 120) / 3600, 3);
  });

  it('waits for the ticket when completed arrives without one', async () => {
    current = world({ ticketAfterMs: 2_000 });
    const w = current;
    await w.startCentral();
    const { driver } = await w.startDriver({
      driverId: 'driver-alice',
      requests: [{ cp_id: 'CP-002', target_kwh: 1 }],
    });
    const [result] = await settled(w.clock, driver.done, 300_000);
    expect(result).toMatchObject({ status: 'completed', session_id: expect.stringMatching(/^session-/) });
    expect(result!.energy_kwh).toBeCloseTo(1, 3);
  });

  it('a driver restarted during a service gets the outcome of that service', async () => {
    current = world();
    const w = current;
    await w.startCentral();
    const store = new MemoryDriverStateStore();
    const options: DriverClientOptions = {
      driverId: 'driver-alice',
      requests: [
        { cp_id: 'CP-001', duration_s: 60 },
        { cp_id: 'CP-002', duration_s: 10 },
      ],
      store,
    };
    const first = await w.startDriver(options, 'driver-alice-1');
    await w.clock.advance(20_000); // 20 s into the 60 s service
    await first.node.stop();
    expect((await store.load())!.pending).toHaveLength(1);
    await w.clock.advance(60_000); // the service ends while the driver is down
    expect(w.fake.sessions).toHaveLength(1);

    const second = await w.startDriver(options, 'driver-alice-2');
    const results = await settled(w.clock, second.driver.done, 120_000);
    expect(results.map((r) => [r.cp_id, r.status])).toEqual([
      ['CP-001', 'completed'],
      ['CP-002', 'completed'],
    ]);
    expect(results[0]).toMatchObject({ late: true, request_id: w.fake.sessions[0]!.request_id });
    expect(results[0]!.energy_kwh).toBeCloseTo((22 * 60) / 3600, 3);
    expect(w.fake.sessions).toHaveLength(2); // the re-sent request was answered, not served again
    expect(w.fake.duplicates()).toBe(1);
    expect((await store.load())!.pending).toEqual([]);
  });

  it('a restarted driver re-sends its pending request id, so the outcome is replayed even if the update is gone', async () => {
    current = world();
    const w = current;
    await w.startCentral();
    const store = new MemoryDriverStateStore();
    const requests = [{ cp_id: 'CP-002', duration_s: 30 }];
    const first = await w.startDriver({ driverId: 'driver-alice', requests, store }, 'alice-1');
    await w.clock.advance(5_000);
    await first.node.stop();
    await w.clock.advance(60_000);
    // A new consumer group never sees the updates published while the driver was down.
    const second = await w.startDriver(
      { driverId: 'driver-alice', requests, store, group: 'driver-alice-elsewhere' },
      'alice-2',
    );
    const [result] = await settled(w.clock, second.driver.done, 60_000);
    expect(result).toMatchObject({ status: 'completed', late: true });
    expect(result!.energy_kwh).toBeCloseTo((50 * 30) / 3600, 3);
    expect(w.fake.duplicates()).toBe(1);
    expect(w.fake.sessions).toHaveLength(1);
  });

  it('a ticket that reaches Central after it failed the session amends that result, once, by session id', async () => {
    current = world();
    const w = current;
    // Central gives up on CP-001 (its start command was stuck in a broker outage), the CP supplies
    // when the command arrives, and the ticket follows the outcome; then that ticket comes twice.
    const updates: DriverUpdate[] = [];
    let ctx: PluginContext | undefined;
    const central = definePlugin({
      name: 'central',
      async start(c: PluginContext) {
        ctx = c;
        await c.transport.subscribe('driver.requests', { group: 'central' }, async (req) => {
          const base = { request_id: req.request_id, driver_id: req.driver_id, cp_id: req.cp_id };
          const session_id = `session-${req.cp_id}`;
          const send = (update: Omit<DriverUpdate, 'ts'>) => {
            const message = { ...update, ts: isoTime(c.clock.now()) } as DriverUpdate;
            updates.push(message);
            return c.transport.publish('driver.updates', message);
          };
          if (req.cp_id === 'CP-001') {
            await send({ ...base, session_id, status: 'accepted' });
            await send({
              ...base,
              session_id,
              status: 'failed',
              reason: 'CP did not start supplying within 10 s',
              energy_kwh: 0,
              total_cost_eur: 0,
            });
          } else {
            await send({ ...base, session_id, status: 'completed', energy_kwh: 0.5, total_cost_eur: 0.18 });
          }
        });
      },
    });
    await w.node('central', [central]).start();
    const { driver, node } = await w.startDriver({
      driverId: 'driver-alice',
      requests: [{ cp_id: 'CP-001' }, { cp_id: 'CP-002' }],
      intervalMs: 1_000,
    });
    const emitted: DriverResult[] = [];
    node.bus.on('driver.result', ({ result }) => emitted.push(result));
    const results = await settled(w.clock, driver.done, 60_000);
    expect(results.map((r) => [r.cp_id, r.status, r.energy_kwh])).toEqual([
      ['CP-001', 'failed', 0],
      ['CP-002', 'completed', 0.5],
    ]);
    const first = updates.find((u) => u.cp_id === 'CP-001')!;
    const ticket = {
      request_id: first.request_id,
      driver_id: 'driver-alice',
      cp_id: 'CP-001',
      session_id: 'session-CP-001',
      status: 'failed' as const,
      reason: 'CP did not start supplying within 10 s',
      start_time: isoTime(w.clock.now()),
      end_time: isoTime(w.clock.now() + 2_000),
      energy_kwh: 0.0417,
      total_cost_eur: 0.01,
      ts: isoTime(w.clock.now()),
    };
    await ctx!.transport.publish('driver.updates', ticket);
    await ctx!.transport.publish('driver.updates', ticket);
    // A ticket naming another session for that request is not this request's.
    await ctx!.transport.publish('driver.updates', { ...ticket, session_id: 'session-other', energy_kwh: 9 });
    await w.clock.advance(1_000);

    expect(driver.results()).toHaveLength(2);
    expect(driver.results()[0]).toMatchObject({
      request_id: first.request_id,
      session_id: 'session-CP-001',
      status: 'failed',
      energy_kwh: 0.0417,
      total_cost_eur: 0.01,
      late: true,
    });
    expect(driver.results()[1]).toBe(results[1]);
    expect(driver.summary()).toMatchObject({ requests: 2, failed: 1, completed: 1, energy_kwh: 0.542 });
    // Reported once when it failed, once more with its ticket; the repeats changed nothing.
    expect(emitted.filter((r) => r.request_id === first.request_id).map((r) => r.energy_kwh)).toEqual([
      0, 0.0417,
    ]);
  });

  it('loops over its list until stopped, and done resolves with what it got', async () => {
    current = world();
    const w = current;
    await w.startCentral();
    const { driver, node } = await w.startDriver({
      driverId: 'driver-alice',
      requests: [{ cp_id: 'CP-001', duration_s: 5 }],
      loop: true,
      intervalMs: 1_000,
    });
    await w.clock.advance(60_000);
    const report = node.report();
    await node.stop();
    const results = await driver.done;
    // 5 s session + 1 s pause each: about 10 rounds in a minute.
    expect(results.length).toBeGreaterThanOrEqual(9);
    expect(results.every((r) => r.status === 'completed')).toBe(true);
    expect(report.driver).toMatchObject({ driver_id: 'driver-alice', completed: results.length });
  });

  it('fails at start naming the file and line of a malformed request', async () => {
    current = world();
    const w = current;
    const dir = await mkdtemp(join(tmpdir(), 'driver-'));
    const file = join(dir, 'bad.txt');
    await writeFile(file, 'CP-001\n# fine\nCP-002 kw=50\n');
    const driver = driverClient({ driverId: 'driver-alice', requests: file });
    const node = w.node('driver-alice', [driver]);
    const error = await node.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PluginStartError);
    expect((error as Error).message).toContain(`${file}:3: unknown option "kw=50"`);
  });

  it('rejects a store that belongs to another driver', async () => {
    current = world();
    const w = current;
    const store = new MemoryDriverStateStore();
    await store.save({ version: 1, driver_id: 'driver-bob', cursor: 0, round: 0, pending: [], results: [] });
    const node = w.node('d', [
      driverClient({ driverId: 'driver-alice', requests: [{ cp_id: 'CP-001' }], store }),
    ]);
    await expect(node.start()).rejects.toThrow('holds the state of driver "driver-bob"');
  });
});

describe('JsonFileDriverStateStore', async () => {
  const { JsonFileDriverStateStore } = await import('./driver-state-store.js');

  it('saves atomically and loads what it saved; a missing file is no state', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'driver-state-'));
    const store = new JsonFileDriverStateStore(join(dir, 'sub', 'alice.json'));
    expect(await store.load()).toBeUndefined();
    const state = {
      version: 1 as const,
      driver_id: 'driver-alice',
      cursor: 2,
      round: 0,
      pending: [
        { request_id: 'req-00000001', cp_id: 'CP-001', index: 1, requested_at: '2026-01-01T00:00:00.000Z' },
      ],
      results: [],
    };
    await Promise.all([store.save({ ...state, cursor: 1 }), store.save(state)]);
    expect(await store.load()).toEqual(state);
    expect(JSON.parse(await readFile(join(dir, 'sub', 'alice.json'), 'utf8')).cursor).toBe(2);
  });

  it('names the file when it holds something else', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'driver-state-'));
    const path = join(dir, 'x.json');
    await writeFile(path, '{"hello": 1}');
    await expect(new JsonFileDriverStateStore(path).load()).rejects.toThrow(`${path}: not a driver state`);
    await writeFile(path, 'not json');
    await expect(new JsonFileDriverStateStore(path).load()).rejects.toThrow(`${path}: not JSON`);
  });
});
