import {
  type CentralCommand,
  type Clock,
  createNode,
  type DriverUpdate,
  type EvNode,
  SeededRandom,
  type TimerHandle,
  type TopicMessage,
  type TopicName,
  VirtualClock,
} from '@evcharging/core';
import { MemoryBroker, type MemoryTransport } from '@evcharging/transport-memory';
import {
  type CentralController,
  type CentralControllerOptions,
  centralController,
} from '../central-controller.js';
import type { CpDefinition } from '../config/cp-definitions.js';

export const CP1: CpDefinition = { cp_id: 'CP-001', location: 'Main St 1', price_eur_kwh: 0.3, kw: 22 };
export const CP2: CpDefinition = { cp_id: 'CP-002', location: 'Harbour 2', price_eur_kwh: 0.35, kw: 50 };

/**
 * A process's view of a shared clock that can be killed: after `kill()` none of its timers fire,
 * as when the process dies (Central dropped without stop, in virtual time).
 */
export function killableClock(base: Clock): { clock: Clock; kill(): void } {
  let dead = false;
  const guard = (callback: () => void) => () => {
    if (!dead) callback();
  };
  return {
    clock: {
      now: () => base.now(),
      setTimeout: (callback, ms): TimerHandle => base.setTimeout(guard(callback), ms),
      setInterval: (callback, ms): TimerHandle => base.setInterval(guard(callback), ms),
      sleep: (ms) => new Promise((resolve) => base.setTimeout(guard(resolve), ms)),
    },
    kill: () => {
      dead = true;
    },
  };
}

/**
 * Delivers what is pending at the current instant without moving time. (`broker.drain()` jumps to
 * the next timer while same-instant deliveries are still microtasks, which would fire Central's
 * liveness timers early.) Falls back to drain for deliveries scheduled later (redeliveries).
 */
export async function settle(clock: VirtualClock, broker: MemoryBroker): Promise<void> {
  for (let round = 0; round < 100 && !broker.idle(); round++) await clock.advance(0);
  if (!broker.idle()) await broker.drain();
}

export interface CentralHarness {
  clock: VirtualClock;
  broker: MemoryBroker;
  central: CentralController;
  node: EvNode;
  /** The test's own connection: plays drivers and engines on the wire. */
  wire: MemoryTransport;
  /** Every driver update Central published, in order. */
  updates: DriverUpdate[];
  /** Every command Central published, in order. */
  commands: CentralCommand[];
  publish<T extends TopicName>(topic: T, message: TopicMessage<T>): Promise<void>;
  /** Delivers everything published so far (and what that causes). */
  settle(): Promise<void>;
  updatesFor(requestId: string): DriverUpdate[];
  stop(): Promise<void>;
}

export interface HarnessOptions extends CentralControllerOptions {
  clock?: VirtualClock;
  broker?: MemoryBroker;
  /** Central's node clock (default the harness clock): a killable one simulates a crash. */
  nodeClock?: Clock;
}

/** Central on a memory broker and a virtual clock, with the wire watched. */
export async function startCentral(options: HarnessOptions = {}): Promise<CentralHarness> {
  const clock = options.clock ?? new VirtualClock();
  const broker = options.broker ?? new MemoryBroker();
  const central = centralController({ cps: [CP1, CP2], ...options });
  const node = createNode({
    id: 'central',
    transport: broker.transport('central', { clock }),
    clock: options.nodeClock ?? clock,
    random: new SeededRandom(7),
    plugins: [central],
  });
  await node.start();
  const wire = broker.transport('test', { clock });
  const updates: DriverUpdate[] = [];
  const commands: CentralCommand[] = [];
  await wire.subscribe('driver.updates', { group: `test-drivers-${node.id}` }, (u) => {
    updates.push(u);
  });
  await wire.subscribe('central.commands', { group: `test-engines-${node.id}` }, (c) => {
    commands.push(c);
  });
  return {
    clock,
    broker,
    central,
    node,
    wire,
    updates,
    commands,
    publish: (topic, message) => wire.publish(topic, message),
    settle: () => settle(clock, broker),
    updatesFor: (requestId) => updates.filter((u) => u.request_id === requestId),
    stop: async () => {
      await node.stop();
      await wire.close();
    },
  };
}
