import {
  type CentralCommand,
  createNode,
  type DriverUpdate,
  SeededRandom,
  type TopicMessage,
  type TopicName,
  VirtualClock,
} from '@evcharging/core';
import { MemoryBroker, type MemoryTransport } from '@evcharging/transport-memory';
import { afterEach, describe, expect, it } from 'vitest';
import { CP1, CP2, killableClock, settle } from './__fixtures__/central-harness.js';
import { type CentralController, centralController } from './central-controller.js';
import { MemoryCentralStore } from './store/memory-central-store.js';

// Central killed (no stop: its timers die with it, its transport leaves the groups) and started
// again on the same store, while the messages sent meanwhile wait in the broker, as in Kafka.

interface Running {
  central: CentralController;
  transport: MemoryTransport;
  kill(): Promise<void>;
  stop(): Promise<void>;
}

let clock: VirtualClock;
let broker: MemoryBroker;
let store: MemoryCentralStore;
let wire: MemoryTransport;
let updates: DriverUpdate[];
let commands: CentralCommand[];
let current: Running | undefined;
let seed = 1;

/**
 * What becomes of Central's publishes: `lose-first` rejects its first command (the broker down
 * when it is sent); `hang` holds every command and `hang-outcomes` every `completed` or `failed`
 * driver update: held, their handlers never finish until Central is killed (their records
 * unacknowledged, as when Central dies before a publish reaches the broker).
 */
type PublishFate = 'deliver' | 'lose-first' | 'hang' | 'hang-outcomes';

const isCommand = (topic: TopicName) => topic === 'central.commands';
const isOutcome = (topic: TopicName, message: unknown) =>
  topic === 'driver.updates' && ['completed', 'failed'].includes((message as DriverUpdate).status);

/** Whether a fate holds this publish until Central is killed. */
const holds = (fate: PublishFate, topic: TopicName, message: unknown) =>
  (fate === 'hang' && isCommand(topic)) || (fate === 'hang-outcomes' && isOutcome(topic, message));

/** A site of CP-001 (22 kW) and CP-002 (50 kW) behind 30 kW, for the tests that want one. */
const SITE = { site_id: 'S', limit_kw: 30, cp_ids: ['CP-001', 'CP-002'] };

async function boot(fate: PublishFate = 'deliver', sites: (typeof SITE)[] = []): Promise<CentralController> {
  const central = centralController({ cps: [CP1, CP2], store, sites });
  const { clock: nodeClock, kill } = killableClock(clock);
  const transport = broker.transport('central', { clock });
  /** Publishes held by the fate: they fail once Central is gone, for its group to hand the record on. */
  const held: ((error: Error) => void)[] = [];
  if (fate !== 'deliver') {
    const publish = transport.publish.bind(transport);
    let lost = 0;
    transport.publish = (topic, message) => {
      if (holds(fate, topic, message)) return new Promise((_, reject) => held.push(reject));
      if (fate === 'lose-first' && isCommand(topic) && lost++ === 0) {
        return Promise.reject(new Error('broker down'));
      }
      return publish(topic, message);
    };
  }
  const node = createNode({
    id: 'central',
    transport,
    clock: nodeClock,
    random: new SeededRandom(seed++),
    plugins: [central],
  });
  await node.start();
  current = {
    central,
    transport,
    kill: async () => {
      kill();
      await transport.close();
      for (const reject of held) reject(new Error('Central killed'));
      current = undefined;
    },
    stop: async () => {
      await node.stop();
      current = undefined;
    },
  };
  return central;
}

async function setUp(fate: PublishFate = 'deliver', sites: (typeof SITE)[] = []): Promise<CentralController> {
  clock = new VirtualClock();
  broker = new MemoryBroker();
  store = new MemoryCentralStore();
  updates = [];
  commands = [];
  wire = broker.transport('test', { clock });
  await wire.subscribe('driver.updates', { group: 'test-drivers' }, (u) => {
    updates.push(u);
  });
  await wire.subscribe('central.commands', { group: 'test-engines' }, (c) => {
    commands.push(c);
  });
  return boot(fate, sites);
}

afterEach(async () => {
  await current?.stop();
  await wire?.close();
});

const central = () => current!.central;
const publish = async <T extends TopicName>(topic: T, message: TopicMessage<T>) => {
  await wire.publish(topic, message);
};
const updatesFor = (requestId: string) => updates.filter((u) => u.request_id === requestId);
const stateOf = (cpId: string) => central().registry.get(cpId)?.state;

async function connect(cpId: string): Promise<void> {
  expect(await central().api.register({ cp_id: cpId, cp_e_host: 'engine', cp_e_port: 8001 })).toEqual({
    ok: true,
  });
  await publish('cp.status', { cp_id: cpId, state: 'ACTIVATED' });
  await settle(clock, broker);
}

/** Runs `ms` of virtual time; the monitors of `alive` heartbeat every second while Central runs. */
async function run(ms: number, alive: readonly string[] = []): Promise<void> {
  for (let t = 0; t < ms; t += 500) {
    if (current && t % 1000 === 0) for (const cpId of alive) await central().api.heartbeat({ cp_id: cpId });
    await clock.advance(Math.min(500, ms - t));
  }
  await settle(clock, broker);
}

/** CP-001 connected, and a request for a 60 s supply there published. */
async function requestAtCp1(): Promise<void> {
  await connect('CP-001');
  await publish('driver.requests', {
    request_id: 'req-1',
    driver_id: 'driver-a',
    cp_id: 'CP-001',
    duration_s: 60,
  });
}

/** The engine's ticket for req-1's session at CP-001: a 2 s supply, 0.0122 kWh, €0.00367. */
async function ticketAtCp1(sessionId: string): Promise<void> {
  await publish('cp.session_end', {
    session_id: sessionId,
    cp_id: 'CP-001',
    driver_id: 'driver-a',
    request_id: 'req-1',
    start_time: '2026-01-01T00:00:00.000Z',
    end_time: '2026-01-01T00:00:02.000Z',
    energy_kwh: 0.0122,
    total_cost_eur: 0.00367,
  });
}

/** Kills Central, keeps it down `downMs`, starts it again and runs 1 s with CP-001's monitor alive. */
async function killAndRestart(downMs = 2000): Promise<void> {
  await current!.kill();
  await run(downMs);
  await boot();
  await run(1000, ['CP-001']);
}

/**
 * req-1's session at CP-001, failed by Central's start timeout (the engine never starts), its
 * `failed` update held until Central is killed.
 */
async function failedByStartTimeout(): Promise<string> {
  await setUp('hang-outcomes');
  await requestAtCp1();
  await run(500, ['CP-001']);
  const sessionId = updatesFor('req-1')[0]!.session_id!;
  await run(10_000, ['CP-001']);
  return sessionId;
}

describe('Central restarted on its store', () => {
  it('a session accepted before the kill keeps its full start timeout from the restart, so a late engine status keeps it', async () => {
    await setUp();
    await connect('CP-001');
    await publish('driver.requests', { request_id: 'req-1', driver_id: 'driver-a', cp_id: 'CP-001' });
    await settle(clock, broker);
    const accepted = updatesFor('req-1').find((u) => u.status === 'accepted');
    expect(accepted?.session_id).toBeDefined();
    const sessionId = accepted!.session_id!;
    const requestedAt = clock.now();

    await run(2000, ['CP-001']);
    await current!.kill();
    await run(4000); // Central down 4 s; its old deadline was 10 s after the request
    await boot();
    const restartedAt = clock.now();
    expect(central().service.session(sessionId)).toMatchObject({ status: 'accepted' });

    // The engine's first status reaches Central 6 s after the restart (a slow group join, a backlog):
    // past the old deadline (request + 10 s), within the new one (restart + 10 s).
    await run(6000, ['CP-001']);
    expect(clock.now()).toBeGreaterThan(requestedAt + 10_000);
    expect(updatesFor('req-1').map((u) => u.status)).toEqual(['accepted']);
    await publish('cp.status', { cp_id: 'CP-001', state: 'SUPPLYING', session_id: sessionId });
    await publish('cp.telemetry', {
      cp_id: 'CP-001',
      session_id: sessionId,
      driver_id: 'driver-a',
      kw: 22,
      kwh: 0.0278,
      euros: 0.00834,
    });
    await run(1000, ['CP-001']);
    expect(central().service.session(sessionId)).toMatchObject({ status: 'supplying', energy_kwh: 0.0278 });
    expect(updatesFor('req-1').map((u) => u.status)).toEqual(['accepted', 'in_progress']);
    await run(10_000, ['CP-001']); // past restart + 10 s: nothing fires any more
    expect(central().service.session(sessionId)).toMatchObject({ status: 'supplying' });
    expect(clock.now()).toBeGreaterThan(restartedAt + 10_000);
    expect(commands.filter((c) => c.cmd === 'stop_supply')).toEqual([]);
  });

  it('a restored session whose engine never answers fails at restart + the start timeout, not before', async () => {
    await setUp();
    await connect('CP-001');
    await publish('driver.requests', { request_id: 'req-1', driver_id: 'driver-a', cp_id: 'CP-001' });
    await settle(clock, broker);
    await run(1000, ['CP-001']);
    await current!.kill();
    await run(15_000); // down longer than the whole start timeout
    await boot();
    await run(9500, ['CP-001']);
    expect(updatesFor('req-1').map((u) => u.status)).toEqual(['accepted']);
    await run(1000, ['CP-001']);
    expect(updatesFor('req-1').at(-1)).toMatchObject({
      status: 'failed',
      reason: 'CP did not start supplying within 10 s',
    });
  });

  it('requests that waited in the broker while Central was down find their CPs in their last known state', async () => {
    await setUp();
    await connect('CP-001');
    await connect('CP-002');
    // CP-002's monitor goes silent before the kill: Central records it DISCONNECTED.
    await run(8000, ['CP-001']);
    expect(stateOf('CP-002')).toBe('DISCONNECTED');
    expect(stateOf('CP-001')).toBe('ACTIVATED');
    await current!.kill();
    for (const [id, cpId] of [
      ['req-a', 'CP-001'],
      ['req-b', 'CP-002'],
    ] as const) {
      await publish('driver.requests', { request_id: id, driver_id: `driver-${id}`, cp_id: cpId });
    }
    await run(3000);
    await boot();
    // No monitor has been heard since the restart: the backlog is read at once.
    await settle(clock, broker);
    expect(updatesFor('req-a').map((u) => u.status)).toEqual(['accepted']);
    expect(updatesFor('req-b')).toMatchObject([
      { status: 'denied', reason: 'CP CP-002 is not available (DISCONNECTED)' },
    ]);
    expect(stateOf('CP-001')).toBe('ACTIVATED');
    // The monitor heartbeats within the window: the CP stays, and its session runs.
    await run(6000, ['CP-001']);
    expect(stateOf('CP-001')).toBe('ACTIVATED');
    expect(central().report().disconnections).toBe(0);
    expect(updatesFor('req-a').map((u) => u.status)).toEqual(['accepted']);
  });

  it('a CP presumed up after the restart goes DISCONNECTED one heartbeat timeout later if its monitor stays silent', async () => {
    await setUp();
    await connect('CP-001');
    await run(2000, ['CP-001']);
    await current!.kill();
    await publish('driver.requests', { request_id: 'req-a', driver_id: 'driver-a', cp_id: 'CP-001' });
    await run(3000);
    await boot();
    await settle(clock, broker);
    expect(updatesFor('req-a').map((u) => u.status)).toEqual(['accepted']);
    await clock.advance(4900);
    expect(stateOf('CP-001')).toBe('ACTIVATED');
    await clock.advance(200);
    await settle(clock, broker);
    expect(central().registry.get('CP-001')).toMatchObject({ state: 'DISCONNECTED', monitor_alive: false });
    expect(updatesFor('req-a').at(-1)).toMatchObject({
      status: 'failed',
      reason: 'CP disconnected: no monitor heartbeat for 5 s',
    });
    expect(central().report().disconnections).toBe(1);
    // Heard again: back as usual.
    await central().api.heartbeat({ cp_id: 'CP-001' });
    expect(stateOf('CP-001')).toBe('ACTIVATED');
  });

  it("reads the engines' backlog before judging the requests that waited: a supply that ended during the outage does not make its CP busy", async () => {
    await setUp();
    await connect('CP-001');
    await publish('driver.requests', { request_id: 'req-1', driver_id: 'driver-a', cp_id: 'CP-001' });
    await settle(clock, broker);
    const sessionId = updatesFor('req-1').find((u) => u.status === 'accepted')!.session_id!;
    await publish('cp.status', { cp_id: 'CP-001', state: 'SUPPLYING', session_id: sessionId });
    await run(2000, ['CP-001']);
    await ticketAtCp1(sessionId);
    await run(500, ['CP-001']);
    expect(updatesFor('req-1').at(-1)).toMatchObject({ status: 'completed' });
    // Killed before the engine's ACTIVATED status was read: the store keeps SUPPLYING.
    await current!.kill();
    await publish('cp.status', { cp_id: 'CP-001', state: 'ACTIVATED' });
    await publish('driver.requests', { request_id: 'req-2', driver_id: 'driver-a', cp_id: 'CP-001' });
    await run(3000);
    await boot();
    await settle(clock, broker);
    expect(updatesFor('req-2').map((u) => u.status)).toEqual(['accepted']);
  });

  it('a request whose start_supply could not be sent is handled again, and its engine gets the start', async () => {
    await setUp('lose-first');
    await requestAtCp1();
    await run(1000, ['CP-001']);
    const starts = commands.filter((c) => c.cmd === 'start_supply');
    expect(starts).toHaveLength(1);
    expect(starts[0]).toMatchObject({ cp_id: 'CP-001', payload: { request_id: 'req-1', duration_s: 60 } });
    expect(updatesFor('req-1')).toMatchObject([
      { status: 'accepted', session_id: starts[0]!.payload.session_id },
    ]);
    expect(central().report().sessions).toMatchObject({ started: 1, open: 1 });
  });

  it('a session stored by a Central killed before its start_supply went out gets its start from the restarted Central', async () => {
    await setUp('hang');
    await requestAtCp1();
    // Not settled: the handler waits for its command for ever.
    await clock.advance(1000);
    expect(commands).toEqual([]);
    const [stored] = store.listSessions().items;
    expect(stored).toMatchObject({ request_id: 'req-1', status: 'accepted' });
    await current!.kill();
    // The request waits in the broker, unacknowledged, for Central's group.
    await run(2000);
    await boot();
    await run(1000, ['CP-001']);
    expect(commands).toMatchObject([
      { cmd: 'start_supply', cp_id: 'CP-001', payload: { session_id: stored!.session_id, duration_s: 60 } },
    ]);
    expect(updatesFor('req-1').map((u) => u.status)).toEqual(['accepted']);
  });

  it("a ticket stored by a Central killed before the driver's outcome went out reaches the driver from the restarted Central", async () => {
    await setUp('hang-outcomes');
    await requestAtCp1();
    await run(500, ['CP-001']);
    const sessionId = updatesFor('req-1')[0]!.session_id!;
    await publish('cp.status', { cp_id: 'CP-001', state: 'SUPPLYING', session_id: sessionId });
    await ticketAtCp1(sessionId);
    // Not settled: the ticket's handler waits for the driver's update for ever.
    await clock.advance(500);
    expect(store.getTicket(sessionId)).toMatchObject({ energy_kwh: 0.0122 });
    expect(store.getSession(sessionId)).toMatchObject({ status: 'completed', ticket_received: true });
    expect(updatesFor('req-1').map((u) => u.status)).toEqual(['accepted']);
    // The ticket waits in the broker, unacknowledged, for Central's group.
    await killAndRestart();
    expect(updatesFor('req-1').slice(1)).toMatchObject([
      { status: 'completed', session_id: sessionId, energy_kwh: 0.0122, total_cost_eur: 0.00367 },
    ]);
    expect(central().report().sessions).toMatchObject({ open: 0 });
  });

  it("a start timeout's failure stored by a Central killed before it went out reaches the driver from the restarted Central", async () => {
    const sessionId = await failedByStartTimeout();
    expect(store.getSession(sessionId)).toMatchObject({ status: 'failed', ticket_received: false });
    expect(updatesFor('req-1').map((u) => u.status)).toEqual(['accepted']);
    await killAndRestart();
    const failed = {
      status: 'failed',
      session_id: sessionId,
      reason: 'CP did not start supplying within 10 s',
    };
    expect(updatesFor('req-1').slice(1)).toMatchObject([failed]);
    // At least once: a restart soon after sends it again (the driver takes it as once) ...
    await killAndRestart(0);
    expect(updatesFor('req-1').slice(1)).toMatchObject([failed, failed]);
    // ... and not once the driver's time for it has long passed.
    await killAndRestart(11 * 60_000);
    expect(updatesFor('req-1')).toHaveLength(3);
  });

  it('a late engine ticket for a session failed before the kill reaches the driver after the resent failure, so its figures stay', async () => {
    const sessionId = await failedByStartTimeout();
    await current!.kill();
    // The engine got its start late, supplied, and its ticket waits in the broker for Central.
    await ticketAtCp1(sessionId);
    await run(2000);
    await boot();
    await run(1000, ['CP-001']);
    expect(updatesFor('req-1').slice(1)).toMatchObject([
      { status: 'failed', session_id: sessionId, energy_kwh: 0 },
      { status: 'failed', session_id: sessionId, energy_kwh: 0.0122, total_cost_eur: 0.00367 },
    ]);
  });

  it("keeps a site's limit across a restart: a restored session counts at its CP's rating until its engine is heard", async () => {
    await setUp('deliver', [SITE]);
    await connect('CP-001');
    await connect('CP-002');
    await publish('driver.requests', { request_id: 'req-1', driver_id: 'driver-a', cp_id: 'CP-001' });
    await run(500, ['CP-001', 'CP-002']);
    const first = commands.find((c) => c.cmd === 'start_supply');
    expect(first?.payload).toMatchObject({ limit_kw: 22 });
    const sessionId = first!.payload.session_id;
    await publish('cp.status', { cp_id: 'CP-001', state: 'SUPPLYING', session_id: sessionId });
    await run(1000, ['CP-001', 'CP-002']);
    await current!.kill();
    await run(2000);
    await boot('deliver', [SITE]);
    // A request at the site's other CP before CP-001's engine is heard again: 30 - 22 kW are left.
    await publish('driver.requests', { request_id: 'req-2', driver_id: 'driver-b', cp_id: 'CP-002' });
    await run(500, ['CP-001', 'CP-002']);
    const second = commands.filter((c) => c.cmd === 'start_supply')[1];
    expect(second?.payload).toMatchObject({ request_id: 'req-2', limit_kw: 8 });
  });
});
