import type { AddressInfo } from 'node:net';
import { type CentralMonitorApi, definePlugin, type Plugin } from '@evcharging/core';
import type { FastifyInstance } from 'fastify';
import type { CentralEventStream } from './central-events.js';
import { CentralService, type CentralSettings, type OperatorResult } from './central-service.js';
import { type CpDefinition, checkCpDefinitions, loadCpDefinitions } from './config/cp-definitions.js';
import { CentralDashboardSource } from './dashboard/central-dashboard-source.js';
import { type DashboardSettings, registerDashboard } from './dashboard/register-dashboard.js';
import type { CentralReport } from './domain/central-report.js';
import type { CpRegistryView } from './domain/cp-registry.js';
import { limitAuditRefusals } from './http/audit-refusal-limit.js';
import { CentralMetrics } from './metrics/central-metrics.js';
import { type AllocationPolicy, allocationPolicy } from './smart-charging/allocation-policy.js';
import { checkSites, type SiteDefinition } from './smart-charging/site.js';
import type { CentralStore } from './store/central-store.js';
import { MemoryCentralStore } from './store/memory-central-store.js';
import { ControlPlaneServer } from './tcp/control-plane-server.js';
import { CENTRAL_TOKENS } from './tokens.js';

export interface CentralHttpOptions {
  port: number;
  /** Default 127.0.0.1; a deployment passes 0.0.0.0. */
  host?: string;
  /** Largest request body, bytes (default 64 KiB). */
  bodyLimit?: number;
  /** Serve the plain CP list at `/` (default: only when the dashboard is off). */
  homePage?: boolean;
  /** The live dashboard at `/` with its SSE stream (default on; `false` turns it off). */
  dashboard?: DashboardSettings | false;
}

export interface CentralTcpOptions {
  port: number;
  host?: string;
  maxConnections?: number;
  /** Connections one address may hold at once (default 16). */
  maxConnectionsPerAddress?: number;
  /** An unfinished frame is NACKed and its connection closed this long after its STX (default 10 s). */
  frameDeadlineMs?: number;
  idleTimeoutMs?: number;
  maxFrameBytes?: number;
  /** A peer that lets this many reply bytes pile up unread is dropped (default 256 KiB). */
  maxUnsentBytes?: number;
}

export interface CentralControllerOptions {
  /** CPs known before any monitor registers. */
  cps?: readonly CpDefinition[];
  /** Or a file of them: `.json` (array, or `{ "cps": [...] }`) or CSV with a header. */
  cpsFile?: string;
  /** Where state lives (default: in memory). The caller owns it: Central does not close it. */
  store?: CentralStore;
  /**
   * A monitor silent this long makes its CP DISCONNECTED (default 5000 ms). After a restart, a CP
   * whose monitor was last heard alive keeps its last known state until this long after Central
   * consumes again, so requests that waited in the broker are not denied before it is heard.
   */
  heartbeatTimeoutMs?: number;
  /**
   * An accepted session that does not start supplying within this fails (default 10000 ms). A
   * session restored at a restart gets the whole timeout again from when Central consumes again.
   */
  startTimeoutMs?: number;
  /**
   * A request for a CP whose supply has just ended (its ticket read, its engine's next status not
   * yet) waits for that status up to this long before it is decided (default 5000 ms): the CP takes
   * requests once ACTIVATED, and the status may be read seconds after the ticket (another topic).
   * The request's handler waits meanwhile (the Kafka transport heartbeats its group meanwhile).
   */
  settleTimeoutMs?: number;
  /** Monitor liveness decides the state (default true, the original). False: engine-only networks. */
  requireMonitor?: boolean;
  /** Accept CPs not in the configuration, from registrations and engine messages (default true). */
  allowUnregisteredCps?: boolean;
  /** Figures of a CP first seen without them (default: location "unknown", €0.30/kWh, 22 kW). */
  defaults?: Partial<CentralSettings['defaults']>;
  /** Serve HTTP (default: no). */
  http?: CentralHttpOptions | false;
  /** Serve the TCP control plane (default: no). */
  tcp?: CentralTcpOptions | false;
  /** Bearer token for operator commands over HTTP (and `OPERATOR#token` over TCP). */
  apiToken?: string;
  /**
   * Sites: CPs behind one grid connection with its limit in kW (optionally a curve over the day)
   * and time-of-use prices. With sites, Central shares each site's power among its sessions.
   */
  sites?: readonly SiteDefinition[];
  /** How the sites' power is shared. */
  smartCharging?: {
    /** A built-in policy (`uncontrolled`, `equal-share`, `edf`, `llf`; default `equal-share`) or your own. */
    policy?: string | AllocationPolicy;
    /** Re-allocate every site this often, besides every arrival and departure (default 60,000 ms). */
    controlIntervalMs?: number;
    /** Lower the sessions this long before a drop of a site's limit curve (default 0 ms). */
    leadMs?: number;
  };
  /** Consumer group (default `central`). */
  groupId?: string;
  /** Plugin name (default `central`). */
  name?: string;
}

/** The Central plugin: after `start`, its registry, monitor API, operator commands and report. */
export interface CentralController extends Plugin {
  /** The monitor protocol, for in-process monitors (simulations). */
  readonly api: CentralMonitorApi;
  /** Everything Central announces: CP and session changes, decided requests, audited actions. */
  readonly events: CentralEventStream;
  readonly registry: CpRegistryView;
  readonly store: CentralStore;
  readonly metrics: CentralMetrics;
  /** The running service (what HTTP and TCP call). */
  readonly service: CentralService;
  /** The HTTP server, when enabled. */
  readonly http: FastifyInstance | undefined;
  readonly httpAddress: AddressInfo | undefined;
  readonly tcpAddress: AddressInfo | undefined;
  stopCp(target: string): Promise<OperatorResult>;
  resumeCp(target: string): Promise<OperatorResult>;
  /** Deny every new request from now on ("Central is shutting down"). */
  beginShutdown(): void;
  report(): CentralReport;
}

/**
 * Central as a plugin: consumes `driver.requests`, `cp.status`, `cp.telemetry`, `cp.session_end`
 * and publishes `central.commands` and `driver.updates`; optionally serves HTTP and TCP.
 *
 * @example
 * const central = centralController({ cps: [{ cp_id: 'CP-001', location: 'Main St', price_eur_kwh: 0.3, kw: 22 }] });
 * const node = createNode({ id: 'central', transport, clock, plugins: [central] });
 * await node.start();
 * central.registry.get('CP-001')?.state; // 'DISCONNECTED' until its monitor connects
 */
export function centralController(options: CentralControllerOptions = {}): CentralController {
  const definitions = checkCpDefinitions([
    ...(options.cps ?? []),
    ...(options.cpsFile ? loadCpDefinitions(options.cpsFile) : []),
  ]);
  const settings: CentralSettings = {
    groupId: options.groupId ?? 'central',
    heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? 5000,
    startTimeoutMs: options.startTimeoutMs ?? 10_000,
    settleTimeoutMs: options.settleTimeoutMs ?? 5000,
    requireMonitor: options.requireMonitor ?? true,
    allowUnregisteredCps: options.allowUnregisteredCps ?? true,
    defaults: { location: 'unknown', price_eur_kwh: 0.3, kw: 22, ...options.defaults },
    sites: checkSites(
      options.sites ?? [],
      definitions.map((d) => d.cp_id),
    ),
    smartCharging: {
      policy:
        typeof options.smartCharging?.policy === 'object'
          ? options.smartCharging.policy
          : allocationPolicy(options.smartCharging?.policy ?? 'equal-share'),
      controlIntervalMs: options.smartCharging?.controlIntervalMs ?? 60_000,
      leadMs: options.smartCharging?.leadMs ?? 0,
    },
    dcCps: new Set(definitions.filter((d) => d.supply === 'DC').map((d) => d.cp_id)),
  };
  for (const [field, value] of [
    ['heartbeatTimeoutMs', settings.heartbeatTimeoutMs],
    ['startTimeoutMs', settings.startTimeoutMs],
    ['settleTimeoutMs', settings.settleTimeoutMs],
    ['smartCharging.controlIntervalMs', settings.smartCharging.controlIntervalMs],
  ] as const) {
    if (!(value > 0)) throw new RangeError(`centralController: ${field} must be > 0, got ${value}`);
  }
  const store = options.store ?? new MemoryCentralStore();
  // Refusals past a rate are counted, not recorded one by one (http/audit-refusal-limit.ts).
  const audit = limitAuditRefusals(store);
  let dashboardSource: CentralDashboardSource | undefined;
  let service: CentralService | undefined;
  let http: FastifyInstance | undefined;
  let tcp: ControlPlaneServer | undefined;
  let httpAddress: AddressInfo | undefined;

  const running = (): CentralService => {
    if (!service) throw new Error(`central plugin "${options.name ?? 'central'}" is not started`);
    return service;
  };

  return definePlugin({
    name: options.name ?? 'central',
    register(ctx) {
      ctx.container.register(CENTRAL_TOKENS.Store, { useValue: audit.store });
      ctx.container.register(CENTRAL_TOKENS.Settings, { useValue: settings });
      const metrics = new CentralMetrics();
      metrics.countBacklogWith(() => ctx.transport.stats().backlog);
      ctx.container.register(CENTRAL_TOKENS.Metrics, { useValue: metrics });
      service = ctx.container.resolve(CentralService);
      ctx.expose(CENTRAL_TOKENS.Central, service);
    },
    async start(ctx) {
      const central = running();
      // Loaded when Central serves HTTP, not with the package (Fastify, its Swagger plugins and the
      // routes cost a simulation or a test that serves none a few hundred ms of start-up), and while
      // Central restores and subscribes, so the listeners (and the monitors' control plane after
      // them) open no later than before.
      const httpModule = options.http ? import('./http/central-http-server.js') : undefined;
      httpModule?.catch(() => {}); // awaited below; a failed start must not leave it unhandled
      await central.start(definitions);
      if (options.http && httpModule) {
        const { createCentralHttpServer } = await httpModule;
        const dashboard = options.http.dashboard ?? {};
        http = createCentralHttpServer({
          central,
          logger: ctx.logger,
          ...(options.apiToken !== undefined ? { apiToken: options.apiToken } : {}),
          ...(options.http.bodyLimit !== undefined ? { bodyLimit: options.http.bodyLimit } : {}),
          homePage: options.http.homePage ?? dashboard === false,
        });
        if (dashboard !== false) {
          dashboardSource = new CentralDashboardSource({ central, clock: ctx.clock });
          await registerDashboard(http, {
            ...dashboard,
            source: dashboardSource,
            clock: ctx.clock,
            logger: ctx.logger,
            ...(options.apiToken !== undefined ? { apiToken: options.apiToken } : {}),
          });
        }
        await http.listen({ port: options.http.port, host: options.http.host ?? '127.0.0.1' });
        const address = http.server.address();
        httpAddress = address && typeof address === 'object' ? address : undefined;
        ctx.logger.info({ address: httpAddress }, 'central HTTP listening');
      }
      if (options.tcp) {
        tcp = new ControlPlaneServer(
          { central, apiToken: options.apiToken },
          { ...options.tcp, clock: ctx.clock },
          ctx.logger,
        );
        const address = await tcp.listen();
        ctx.logger.info({ address }, 'central control plane listening');
      }
    },
    async stop() {
      const central = service;
      central?.beginShutdown();
      await Promise.all([http?.close(), tcp?.close()]);
      dashboardSource?.close();
      dashboardSource = undefined;
      http = undefined;
      tcp = undefined;
      httpAddress = undefined;
      await central?.stop();
      audit.flush();
    },
    get api() {
      return running().api;
    },
    get events() {
      return running().events;
    },
    get registry() {
      return running().cps;
    },
    get store() {
      return store;
    },
    get metrics() {
      return running().metrics;
    },
    get service() {
      return running();
    },
    get http() {
      return http;
    },
    get httpAddress() {
      return httpAddress;
    },
    get tcpAddress() {
      return tcp?.address();
    },
    stopCp(target: string) {
      return running().stopCp(target);
    },
    resumeCp(target: string) {
      return running().resumeCp(target);
    },
    beginShutdown() {
      running().beginShutdown();
    },
    report() {
      return running().report();
    },
  });
}
