import {
  type Clock,
  createNode,
  type EvNode,
  isoTime,
  SeededRandom,
  silentLogger,
  type Transport,
} from '@evcharging/core';
import {
  type ChargingPointEnginePlugin,
  chargingPointEngine,
  chargingPointMonitor,
  inProcessCentralLink,
  inProcessEngineLink,
  manualStop,
} from '@evcharging/cp';
import { MemoryBroker } from '@evcharging/transport-memory';
import { type CentralController, centralController } from '../../central-controller.js';
import type { SiteDefinition } from '../../smart-charging/site.js';
import { MemoryCentralStore } from '../../store/memory-central-store.js';
import { CentralDashboardSource } from '../central-dashboard-source.js';
import type { DashboardSettings } from '../register-dashboard.js';

export interface DashboardNetworkOptions {
  cps: number;
  clock: Clock;
  /** Engines' telemetry interval and monitors' probe/heartbeat interval, ms. */
  intervalMs?: number;
  heartbeatTimeoutMs?: number;
  apiToken?: string;
  /** Serve HTTP with the dashboard on this port (0 = any); undefined = no HTTP. */
  httpPort?: number;
  dashboard?: DashboardSettings;
  /** Central's sites (smart charging); none by default. */
  sites?: readonly SiteDefinition[];
}

/** One running Central: its node, plugin, dashboard source and (optionally) HTTP server. */
export interface RunningCentral {
  node: EvNode;
  central: CentralController;
  source: CentralDashboardSource;
  /** Central's HTTP port, when it serves HTTP. */
  port: number | undefined;
}

export const cpId = (i: number) => `CP-${String(i).padStart(5, '0')}`;
const LOCATIONS = ['Main St', 'Harbour', 'Airport', 'Station', 'Mall'];

/**
 * Central, N charging points (engine + monitor, in-process links) and a driver's transport on one
 * memory broker. Central can be stopped and started again (same store, same port).
 */
export async function dashboardNetwork(options: DashboardNetworkOptions) {
  const { clock } = options;
  const intervalMs = options.intervalMs ?? 1000;
  const broker = new MemoryBroker({ partitions: 4 });
  const store = new MemoryCentralStore();
  const definitions = Array.from({ length: options.cps }, (_, i) => ({
    cp_id: cpId(i + 1),
    location: LOCATIONS[i % LOCATIONS.length]!,
    price_eur_kwh: i % 2 ? 0.35 : 0.3,
    kw: i % 2 ? 50 : 22,
  }));
  let running: RunningCentral | undefined;
  let generation = 0;

  async function startCentral(port = options.httpPort): Promise<RunningCentral> {
    generation++;
    // With HTTP, Central's controller wires its own dashboard (what users get); the test's own
    // source below watches the same Central's events.
    const central = centralController({
      cps: definitions,
      store,
      heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? 5000,
      ...(options.sites ? { sites: options.sites } : {}),
      ...(options.apiToken ? { apiToken: options.apiToken } : {}),
      ...(port !== undefined
        ? { http: { port, host: '127.0.0.1', dashboard: { ...options.dashboard } } }
        : {}),
    });
    const node = createNode({
      id: `central-${generation}`,
      transport: broker.transport(`central-${generation}`, { clock }),
      clock,
      random: new SeededRandom(generation),
      logger: silentLogger(),
      plugins: [central],
    });
    await node.start();
    const source = new CentralDashboardSource({ central: central.service, clock });
    running = { node, central, source, port: central.httpAddress?.port };
    return running;
  }

  async function stopCentral(): Promise<void> {
    const r = running;
    running = undefined;
    if (!r) return;
    r.source.close();
    await r.node.stop();
  }

  const engines = new Map<string, ChargingPointEnginePlugin>();
  const cpNodes: EvNode[] = [];
  for (const def of definitions) {
    const engine = chargingPointEngine({
      cpId: def.cp_id,
      kw: def.kw,
      priceEurKwh: def.price_eur_kwh,
      telemetryIntervalMs: intervalMs,
      policy: manualStop(),
    });
    const monitor = chargingPointMonitor({
      cpId: def.cp_id,
      engine: inProcessEngineLink(engine),
      central: inProcessCentralLink(() => running?.central.api),
      intervalMs,
      heartbeatIntervalMs: intervalMs,
      registerBackoffMs: intervalMs,
      registerMaxBackoffMs: intervalMs * 2,
      registration: { location: def.location, kw: def.kw },
    });
    engines.set(def.cp_id, engine);
    cpNodes.push(
      createNode({
        id: `node-${def.cp_id}`,
        transport: broker.transport(`node-${def.cp_id}`, { clock }),
        clock,
        random: new SeededRandom(def.cp_id.length),
        logger: silentLogger(),
        plugins: [engine, monitor],
      }),
    );
  }

  const driver: Transport = broker.transport('drivers', { clock });
  let requests = 0;

  return {
    broker,
    store,
    definitions,
    engines,
    get central(): RunningCentral {
      if (!running) throw new Error('Central is not running');
      return running;
    },
    startCentral,
    stopCentral,
    /** Starts every CP node (after Central, so registrations succeed at once). */
    async startCps(): Promise<void> {
      for (const node of cpNodes) await node.start();
    },
    /** A driver asks to charge at a CP. */
    async request(
      cp: string,
      driverId = `driver-${cp.toLowerCase()}`,
      extra: Record<string, unknown> = {},
    ): Promise<string> {
      const request_id = `req-${(++requests).toString(16).padStart(8, '0')}`;
      await driver.publish('driver.requests', {
        request_id,
        driver_id: driverId,
        cp_id: cp,
        ts: isoTime(clock.now()),
        ...extra,
      });
      return request_id;
    },
    async stop(): Promise<void> {
      await stopCentral();
      for (const node of cpNodes.reverse()) await node.stop();
      await driver.close();
    },
  };
}

export type DashboardNetwork = Awaited<ReturnType<typeof dashboardNetwork>>;
