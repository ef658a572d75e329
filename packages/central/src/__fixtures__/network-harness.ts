import {
  type CentralMonitorApi,
  createNode,
  type DriverUpdate,
  type EvNode,
  SeededRandom,
  VirtualClock,
} from '@evcharging/core';
import {
  type ChargingPointEnginePlugin,
  type ChargingPointMonitorPlugin,
  chargingPointEngine,
  chargingPointMonitor,
  fixedDuration,
  inProcessCentralLink,
  inProcessEngineLink,
  MemoryOutbox,
  type SessionPolicy,
} from '@evcharging/cp';
import { MemoryBroker, type MemoryTransport } from '@evcharging/transport-memory';
import {
  type CentralController,
  type CentralControllerOptions,
  centralController,
} from '../central-controller.js';
import type { CpDefinition } from '../config/cp-definitions.js';
import { killableClock, settle } from './central-harness.js';

/** One process of the network: a node whose death is a kill (no stop), as with a crashed process. */
interface Process<P> {
  plugin: P;
  node: EvNode;
  transport: MemoryTransport;
  alive: boolean;
  kill(): Promise<void>;
}

export interface NetworkCp {
  def: CpDefinition;
  outbox: MemoryOutbox;
  engine: Process<ChargingPointEnginePlugin>;
  monitor: Process<ChargingPointMonitorPlugin>;
}

/**
 * Central, engines and monitors (the real plugins of @evcharging/cp) on one memory broker and one
 * virtual clock; each engine, each monitor and Central is its own node and can be killed and
 * restarted. Monitors reach Central in process, and their engine through `inProcessEngineLink`.
 */
export class Network {
  readonly clock = new VirtualClock();
  readonly broker = new MemoryBroker();
  readonly cps = new Map<string, NetworkCp>();
  readonly updates: DriverUpdate[] = [];
  central!: Process<CentralController>;
  private wire!: MemoryTransport;
  private seed = 1;

  constructor(
    private readonly defs: readonly CpDefinition[],
    private readonly policy: SessionPolicy = fixedDuration(10),
  ) {}

  /** Starts the watching wire, Central, then (unless told not to) every CP's engine and monitor. */
  async start(centralOptions: CentralControllerOptions = {}, withCps = true): Promise<void> {
    this.wire = this.broker.transport('drivers', { clock: this.clock });
    await this.wire.subscribe('driver.updates', { group: 'test-drivers' }, (u) => {
      this.updates.push(u);
    });
    await this.startCentral(centralOptions);
    if (withCps) await this.startCps();
  }

  async startCps(): Promise<void> {
    for (const def of this.defs) {
      const outbox = new MemoryOutbox();
      const cp = { def, outbox } as NetworkCp;
      this.cps.set(def.cp_id, cp);
      cp.engine = await this.startEngine(cp);
      cp.monitor = await this.startMonitor(cp);
    }
  }

  async startCentral(options: CentralControllerOptions = {}): Promise<CentralController> {
    const plugin = centralController({ cps: this.defs, ...options });
    this.central = await this.process('central', plugin);
    return plugin;
  }

  async startEngine(cp: NetworkCp): Promise<Process<ChargingPointEnginePlugin>> {
    const plugin = chargingPointEngine({
      cpId: cp.def.cp_id,
      kw: cp.def.kw,
      priceEurKwh: cp.def.price_eur_kwh,
      policy: this.policy,
      outbox: cp.outbox,
    });
    cp.engine = await this.process(`engine-${cp.def.cp_id}`, plugin);
    return cp.engine;
  }

  async startMonitor(cp: NetworkCp): Promise<Process<ChargingPointMonitorPlugin>> {
    const plugin = chargingPointMonitor({
      cpId: cp.def.cp_id,
      engine: inProcessEngineLink(() => (cp.engine.alive ? cp.engine.plugin : undefined)),
      central: inProcessCentralLink((): CentralMonitorApi | undefined =>
        this.central.alive ? this.central.plugin.api : undefined,
      ),
    });
    cp.monitor = await this.process(`monitor-${cp.def.cp_id}`, plugin);
    return cp.monitor;
  }

  cp(cpId: string): NetworkCp {
    const cp = this.cps.get(cpId);
    if (!cp) throw new Error(`no CP ${cpId} in this network`);
    return cp;
  }

  request(
    requestId: string,
    driverId: string,
    cpId: string,
    extra: { duration_s?: number } = {},
  ): Promise<void> {
    return this.wire.publish('driver.requests', {
      request_id: requestId,
      driver_id: driverId,
      cp_id: cpId,
      ...extra,
    });
  }

  updatesFor(requestId: string): DriverUpdate[] {
    return this.updates.filter((u) => u.request_id === requestId);
  }

  statusesOf(requestId: string): string[] {
    return this.updatesFor(requestId).map((u) => u.status);
  }

  state(cpId: string): string | undefined {
    return this.central.plugin.registry.get(cpId)?.state;
  }

  /** Runs virtual time until `predicate` holds; fails the test after `timeoutMs`. */
  async until(predicate: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
    const end = this.clock.now() + timeoutMs;
    while (!predicate()) {
      if (this.clock.now() >= end) throw new Error(`not within ${timeoutMs} ms of virtual time: ${what}`);
      await this.clock.advance(100);
    }
  }

  async advance(ms: number): Promise<void> {
    await this.clock.advance(ms);
    await settle(this.clock, this.broker);
  }

  async stop(): Promise<void> {
    for (const cp of this.cps.values()) {
      for (const p of [cp.monitor, cp.engine]) if (p.alive) await p.node.stop();
    }
    if (this.central.alive) await this.central.node.stop();
    await this.wire.close();
  }

  private async process<P extends CentralController | ChargingPointEnginePlugin | ChargingPointMonitorPlugin>(
    id: string,
    plugin: P,
  ): Promise<Process<P>> {
    const { clock, kill } = killableClock(this.clock);
    // Deliveries run on the shared clock: closing the transport on a kill takes the node out of its
    // consumer groups, as a broker does with a dead member.
    const transport = this.broker.transport(id, { clock: this.clock });
    const node = createNode({
      id,
      transport,
      clock,
      random: new SeededRandom(this.seed++),
      plugins: [plugin],
    });
    await node.start();
    const process: Process<P> = {
      plugin,
      node,
      transport,
      alive: true,
      kill: async () => {
        process.alive = false;
        kill();
        await transport.close();
      },
    };
    return process;
  }
}
