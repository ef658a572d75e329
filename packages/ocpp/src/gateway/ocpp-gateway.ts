import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import {
  type CentralCommand,
  type CentralMonitorApi,
  type Clock,
  definePlugin,
  isoTime,
  type Logger,
  type MonitorAck,
  type Plugin,
  type PluginContext,
  type Subscription,
  type TimerHandle,
  type Transport,
} from '@evcharging/core';
import { RPCServer } from 'ocpp-rpc';
import { ocpp16Charger } from '../ocpp16/charger-proxy.js';
import { OcppMetrics } from '../rpc/ocpp-metrics.js';
import { OcppSocket, type RpcPeer } from '../rpc/ocpp-socket.js';
import type { ChargerProtocol, ChargerSession, ChargerWire, GatewayCounters } from './charger-protocol.js';

export interface OcppGatewayOptions {
  /** Central's monitor API: the gateway registers and heartbeats each charger through it. */
  central: CentralMonitorApi | (() => CentralMonitorApi);
  /** Port (`CENTRAL_OCPP_PORT`, default 9000; 0 picks a free one). */
  port?: number;
  /** Interface (default 127.0.0.1; `0.0.0.0` in a deployment). */
  host?: string;
  /** Path before the charge point id (default `/ocpp`: `ws://host:9000/ocpp/<id>`). */
  path?: string;
  /**
   * Which charge point ids may connect, checked at the WebSocket upgrade before Central is asked:
   * `'any'` (default: Central decides when the gateway registers the charger, so a Central with
   * `allowUnregisteredCps: false` refuses ids it does not know), or a predicate such as
   * `(id) => central.registry.has(id)`.
   */
  chargePoints?: 'any' | ((cpId: string) => boolean);
  /** Refuse chargers that send no HTTP Basic password (security profile 1) (default false). */
  requirePassword?: boolean;
  /** €/kWh for telemetry and tickets (default 0.30), or per charger. */
  priceEurKwh?: number | ((cpId: string) => number | undefined);
  /** Figures sent with a charger's registration (Central keeps those of CPs in its configuration). */
  registration?: { location?: string; kw?: number; price_eur_kwh?: number };
  /** Heartbeat interval given to chargers at boot, s (default 300). */
  heartbeatIntervalS?: number;
  /** How often the gateway heartbeats each connected charger to Central, ms (default 1,000). */
  centralHeartbeatMs?: number;
  /** Largest message accepted from a charger, bytes (default 64 KiB). */
  maxPayloadBytes?: number;
  /** A call to a charger unanswered this long fails, ms (default 30,000). */
  callTimeoutMs?: number;
  /** WebSocket ping interval, ms (default 30,000). */
  pingIntervalMs?: number;
  /** `wss://`: the server's key and certificate (PEM). */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** Protocol modules offered, by subprotocol (default OCPP 1.6). */
  protocols?: readonly ChargerProtocol[];
  /** Consumer group on `central.commands` (default `ocpp-gateway`). */
  groupId?: string;
  /** Time source for call latencies, ms (default the node's clock). */
  latencyClock?: () => number;
  /** Plugin name (default `ocpp-gateway`). */
  name?: string;
}

/** The gateway plugin with its figures. */
export interface OcppGatewayPlugin extends Plugin {
  readonly metrics: OcppMetrics;
  readonly counters: Readonly<GatewayCounters>;
  /** Where it listens, after start. */
  readonly address: { host: string; port: number } | undefined;
  /** Ids of the chargers connected now. */
  connected(): string[];
}

interface Connected {
  cpId: string;
  secret: string | undefined;
  session: ChargerSession;
  socket: OcppSocket;
  remote: { host: string; port: number };
}

const IDENTITY = /^[\x21-\x7e]{1,48}$/;

/**
 * Central's OCPP gateway: chargers that speak OCPP 1.6J connect at
 * `ws://<host>:<port>/ocpp/<chargePointId>` and become CPs in Central's registry like any other.
 * For each one the gateway is a proxy that speaks the wire contract on the charger's behalf: it
 * registers the charger with Central's monitor API at the upgrade (Central checks the id and the
 * password as the CP's secret) and heartbeats it while connected, publishes its `cp.status`,
 * `cp.telemetry` and tickets, and turns Central's `central.commands` for it into OCPP calls. Central
 * needs no change: the dashboard, driver requests and tickets work as for any CP.
 *
 * @example
 * const central = centralController({ cps });
 * const gateway = ocppGateway({ central: () => central.api, port: 9000, host: '0.0.0.0' });
 * createNode({ id: 'central', transport, clock, plugins: [central, gateway] });
 */
export function ocppGateway(options: OcppGatewayOptions): OcppGatewayPlugin {
  const metrics = new OcppMetrics();
  const counters: GatewayCounters = {
    chargersBooted: 0,
    transactionsStarted: 0,
    transactionsStopped: 0,
    unauthorizedStarts: 0,
    remoteStartsRejected: 0,
    commandsForAbsentChargers: 0,
    unknownTransactions: 0,
  };
  const chargers = new Map<string, Connected>();
  const protocols = options.protocols ?? [ocpp16Charger];
  const path = (options.path ?? '/ocpp').replace(/\/+$/, '') || '/';
  let rpc: RPCServer | undefined;
  let http: Server | undefined;
  let subscription: Subscription | undefined;
  let heartbeat: TimerHandle | undefined;
  let address: { host: string; port: number } | undefined;
  let transactionIds = 0;
  let deps: { clock: Clock; logger: Logger; transport: Transport } | undefined;

  const api = (): CentralMonitorApi =>
    typeof options.central === 'function' ? options.central() : options.central;
  const priceOf = (cpId: string): number => {
    const p = typeof options.priceEurKwh === 'function' ? options.priceEurKwh(cpId) : options.priceEurKwh;
    return p ?? 0.3;
  };

  /** Central's answer to a registration, as an HTTP status for the upgrade. */
  const refusalStatus = (ack: MonitorAck & { code?: string }): [number, string] => {
    if (ack.code === 'unauthorized') return [401, 'bad-password'];
    if (ack.code === 'unknown_cp') return [404, 'unknown-cp'];
    return [403, 'refused-by-central'];
  };

  const register = (cpId: string, secret: string | undefined, remote: { host: string; port: number }) =>
    api().register({
      cp_id: cpId,
      cp_e_host: remote.host,
      cp_e_port: remote.port,
      ts: isoTime(deps!.clock.now()),
      ...options.registration,
      ...(secret !== undefined ? { secret } : {}),
    }) as Promise<MonitorAck & { code?: string }>;

  const wireFor = (cpId: string): ChargerWire => {
    // Every publish for one charger in order, like an engine's: a ticket before the next status.
    let chain: Promise<void> = Promise.resolve();
    const ordered = (work: () => Promise<void>): Promise<void> => {
      const next = chain.then(work);
      chain = next.catch(() => undefined);
      return next;
    };
    const t = () => deps!.transport;
    return {
      status: (m) =>
        ordered(() => t().publish('cp.status', m)).catch((err) => logFailure(cpId, 'cp.status', err)),
      telemetry: (m) =>
        ordered(() => t().publish('cp.telemetry', m)).catch((err) => logFailure(cpId, 'cp.telemetry', err)),
      ticket: (m) => ordered(() => t().publish('cp.session_end', m)),
    };
  };

  const logFailure = (cpId: string, topic: string, error: unknown) => {
    deps?.logger.warn({ cp_id: cpId, topic, err: error }, 'gateway publish failed');
  };

  const auth = async (
    accept: (session?: Record<string, unknown>, protocol?: string | false) => void,
    reject: (code: number, message: string) => void,
    handshake: {
      identity: string;
      endpoint: string;
      protocols: Set<string>;
      password: Buffer | undefined;
      request: IncomingMessage;
    },
  ): Promise<void> => {
    const refuse = (code: number, reason: string, message: string) => {
      metrics.refused(reason);
      reject(code, message);
    };
    const cpId = handshake.identity;
    if (handshake.endpoint !== path) return refuse(404, 'path', `charge points connect at ${path}/<id>`);
    if (!IDENTITY.test(cpId)) return refuse(400, 'bad-id', 'charge point id: 1 to 48 printable characters');
    const protocol = protocols.find((p) => handshake.protocols.has(p.subprotocol));
    if (!protocol) {
      // OCPP-J: complete the handshake without a subprotocol, then close at once.
      metrics.refused('subprotocol');
      accept({ refused: true }, false);
      return;
    }
    if (options.chargePoints !== undefined && options.chargePoints !== 'any' && !options.chargePoints(cpId)) {
      return refuse(404, 'unknown-cp', `unknown charge point "${cpId}"`);
    }
    const password = handshake.password?.toString('utf8');
    if (options.requirePassword && password === undefined) {
      return refuse(401, 'no-password', 'HTTP Basic authentication required');
    }
    const socket = handshake.request.socket;
    const remote = { host: socket.remoteAddress ?? 'unknown', port: socket.remotePort ?? 0 };
    let ack: MonitorAck & { code?: string };
    try {
      ack = await register(cpId, password, remote);
    } catch (error) {
      deps?.logger.warn({ cp_id: cpId, err: error }, 'Central unreachable while a charger connected');
      return refuse(503, 'central-unreachable', 'Central is not reachable');
    }
    if (!ack.ok) {
      const [code, reason] = refusalStatus(ack);
      return refuse(code, reason, ack.reason ?? 'refused by Central');
    }
    accept({ cpId, secret: password, remote, protocol: protocol.subprotocol }, protocol.subprotocol);
  };

  const connected = (peer: RpcPeer & { session: Record<string, unknown> }) => {
    const now = options.latencyClock ?? (() => deps!.clock.now());
    const socket = new OcppSocket(peer, metrics, now, options.callTimeoutMs);
    if (peer.session.refused) {
      void peer.close({
        code: 1002,
        reason: `no supported subprotocol (${protocols.map((p) => p.subprotocol).join(', ')})`,
      });
      return;
    }
    const cpId = String(peer.session.cpId);
    const protocol = protocols.find((p) => p.subprotocol === peer.protocol)!;
    const previous = chargers.get(cpId);
    if (previous) void previous.socket.close(1000, 'replaced by a new connection of the same charge point');
    metrics.connects.opened++;
    metrics.connected++;
    const session = protocol.attach({
      cpId,
      socket,
      wire: wireFor(cpId),
      clock: deps!.clock,
      logger: deps!.logger,
      priceEurKwh: priceOf(cpId),
      heartbeatIntervalS: options.heartbeatIntervalS ?? 300,
      nextTransactionId: () => ++transactionIds,
      counters,
    });
    const entry: Connected = {
      cpId,
      secret: peer.session.secret as string | undefined,
      session,
      socket,
      remote: peer.session.remote as Connected['remote'],
    };
    chargers.set(cpId, entry);
    peer.once('close', () => {
      metrics.connected--;
      session.closed();
      // Central marks the CP DISCONNECTED when its heartbeats stop (a short drop is forgiven).
      if (chargers.get(cpId) === entry) chargers.delete(cpId);
    });
  };

  const heartbeatAll = () => {
    for (const entry of chargers.values()) {
      const { cpId, secret } = entry;
      api()
        .heartbeat({
          cp_id: cpId,
          ts: isoTime(deps!.clock.now()),
          // The charger's health rides on the heartbeat, as a monitor's verdict does.
          ...entry.session.verdict(),
          ...(secret !== undefined ? { secret } : {}),
        })
        .then((ack) => (ack.ok ? undefined : register(cpId, secret, entry.remote)))
        .catch((error: unknown) =>
          deps?.logger.warn({ cp_id: cpId, err: error }, 'heartbeat to Central failed'),
        );
    }
  };

  const route = async (command: CentralCommand) => {
    const entry = chargers.get(command.cp_id);
    if (!entry) {
      counters.commandsForAbsentChargers++;
      return;
    }
    await entry.session.command(command);
  };

  return definePlugin<OcppGatewayPlugin>({
    name: options.name ?? 'ocpp-gateway',
    metrics,
    counters,
    get address() {
      return address;
    },
    connected: () => [...chargers.keys()],
    async start(ctx: PluginContext) {
      deps = { clock: ctx.clock, logger: ctx.logger, transport: ctx.transport };
      transactionIds = Math.floor(ctx.clock.now() / 1000) % 1_000_000_000;
      subscription = await ctx.transport.subscribe(
        'central.commands',
        { group: options.groupId ?? 'ocpp-gateway' },
        (command) => route(command),
      );
      const server = new RPCServer({
        protocols: protocols.map((p) => p.subprotocol),
        strictMode: true,
        callTimeoutMs: options.callTimeoutMs ?? 30_000,
        pingIntervalMs: options.pingIntervalMs ?? 30_000,
        wssOptions: { maxPayload: options.maxPayloadBytes ?? 64 * 1024 },
      });
      server.auth(auth as Parameters<RPCServer['auth']>[0]);
      server.on('client', (peer: RpcPeer & { session: Record<string, unknown> }) => connected(peer));
      server.on('upgradeAborted', () => undefined);
      const notFound = (_req: IncomingMessage, res: import('node:http').ServerResponse) => {
        res.statusCode = 404;
        res.end();
      };
      const httpServer = options.tls ? createHttpsServer(options.tls, notFound) : createHttpServer(notFound);
      httpServer.on('upgrade', server.handleUpgrade);
      await new Promise<void>((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(options.port ?? 9000, options.host ?? '127.0.0.1', () => {
          httpServer.off('error', reject);
          resolve();
        });
      });
      const bound = httpServer.address() as AddressInfo;
      address = { host: bound.address, port: bound.port };
      rpc = server;
      http = httpServer;
      heartbeat = ctx.clock.setInterval(heartbeatAll, options.centralHeartbeatMs ?? 1000);
      ctx.logger.info(
        { address: `${options.tls ? 'wss' : 'ws'}://${bound.address}:${bound.port}${path}/<id>` },
        'OCPP gateway listening',
      );
    },
    async stop() {
      heartbeat?.cancel();
      await subscription?.unsubscribe();
      await rpc?.close({ code: 1001, reason: 'Central stopping', force: true });
      const server = http;
      server?.closeAllConnections();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      chargers.clear();
    },
    report() {
      return { ...counters, connected: chargers.size, ocpp: metrics.figures() };
    },
  });
}
