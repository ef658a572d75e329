import { definePlugin, type Plugin, type PluginContext, type TimerHandle } from '@evcharging/core';
import {
  type ChargingPointEngineOptions,
  type ChargingPointEnginePlugin,
  type CpModel,
  chargingPointEngine,
  constantAcModel,
  fixedDuration,
} from '@evcharging/cp';
import { Ocpp16ChargePoint, type Ocpp16ChargePointOptions } from '../ocpp16/ocpp16-charge-point.js';
import type { BackoffOptions } from '../rpc/backoff.js';
import { OcppMetrics } from '../rpc/ocpp-metrics.js';
import type { ChargePointFigures, DriverArrival } from './charge-point-protocol.js';
import { CsmsLink, type CsmsTlsOptions } from './csms-link.js';
import { EngineBridge } from './engine-bridge.js';
import { powerLimitedModel } from './power-limited-model.js';

export interface OcppConnectionOptions {
  /** An unanswered call fails after this, ms (default 30,000). */
  callTimeoutMs?: number;
  /** WebSocket ping interval, ms (default 30,000; 0: none). */
  pingIntervalMs?: number;
  /** Largest message accepted, bytes (default 1 MiB). */
  maxPayloadBytes?: number;
  /** Reconnect back-off (default 1 s doubling to 60 s, 25 % jitter). */
  backoff?: BackoffOptions;
}

export interface OcppChargePointOptions
  extends Omit<ChargingPointEngineOptions, 'name' | 'groupId' | 'healthServer'> {
  /** The CSMS endpoint without the charge point id, e.g. `ws://127.0.0.1:9000/ocpp` (the id is appended). */
  csms: string;
  /** Security profile 1: HTTP Basic password; the user name is the charge point id. */
  password?: string;
  /** For `wss://`: CA to trust, certificate checks. */
  tls?: CsmsTlsOptions;
  /** OCPP 1.6 behaviour: boot fields, configuration keys, unplug delay, remote-start vehicle. */
  ocpp?: Ocpp16ChargePointOptions;
  connection?: OcppConnectionOptions;
  /** Figures shared with other charge points (a fleet); default one of its own. */
  metrics?: OcppMetrics;
  /** Time source for call latencies, ms (default the node's clock; a fleet passes `performance.now`). */
  latencyClock?: () => number;
  /** Wait this long after start before the first connection, ms (a fleet spreads its connects). */
  connectDelayMs?: number;
  /** Plugin name (default `ocpp-cp/<cpId>`). */
  name?: string;
}

/** A simulated OCPP charge point: its engine, its protocol module and its figures. */
export interface OcppChargePointPlugin extends Plugin {
  readonly cpId: string;
  /** The engine (state machine, sessions, energy), unchanged. */
  readonly engine: ChargingPointEnginePlugin;
  readonly metrics: OcppMetrics;
  /** The OCPP 1.6 module, after start (configuration, profiles, connector status). */
  readonly protocol: Ocpp16ChargePoint | undefined;
  start(ctx: PluginContext): Promise<void>;
  stop(): Promise<void>;
  /** A driver arrives and presents an id tag; false when the connector cannot take them now. */
  plugIn(arrival: DriverArrival): boolean;
  figures(): ChargePointFigures;
}

/**
 * One simulated charge point that talks OCPP 1.6J to any CSMS. The engine of `@evcharging/cp`
 * runs unchanged (its state machine, sessions and energy model); this plugin plays Central for it
 * in process ({@link EngineBridge}) and speaks for it to the CSMS: the engine's status, telemetry
 * and tickets become StatusNotification, MeterValues and Start/StopTransaction, and the CSMS's
 * RemoteStart/RemoteStop, ChangeAvailability and Reset become the engine's commands. Charging
 * profiles cap the engine's power through its model ({@link powerLimitedModel}).
 *
 * @example
 * const cp = ocppChargePoint({ cpId: 'CP-001', csms: 'ws://127.0.0.1:9000/ocpp', kw: 22 });
 * const node = createNode({ id: 'cp-001', transport: broker.transport('cp-001'), clock: new RealClock(), plugins: [cp] });
 * await node.start(); // connects, BootNotification, StatusNotification Available
 * cp.plugIn({ idTag: 'DRIVER-1', targetKwh: 5 }); // Authorize, StartTransaction, MeterValues…, StopTransaction
 */
export function ocppChargePoint(options: OcppChargePointOptions): OcppChargePointPlugin {
  const {
    csms,
    password,
    tls,
    ocpp,
    connection,
    metrics = new OcppMetrics(),
    latencyClock,
    connectDelayMs,
    name,
    model,
    ...engineOptions
  } = options;
  let protocol: Ocpp16ChargePoint | undefined;
  const base: CpModel = model ?? constantAcModel(engineOptions.kw ?? 22);
  const engine = chargingPointEngine({
    policy: fixedDuration(3600),
    ...engineOptions,
    model: powerLimitedModel(base, (context) => protocol?.limitKw(context.nowMs)),
  });
  let bridge: EngineBridge | undefined;
  let link: CsmsLink | undefined;
  let connectTimer: TimerHandle | undefined;

  return definePlugin<OcppChargePointPlugin>({
    name: name ?? `ocpp-cp/${options.cpId.replace(/[^a-z0-9@/._-]/gi, '_')}`,
    cpId: options.cpId,
    engine,
    metrics,
    get protocol() {
      return protocol;
    },
    async start(ctx: PluginContext) {
      const csmsLink = new CsmsLink({
        url: csms.replace(/\/+$/, ''),
        identity: options.cpId,
        subprotocols: ['ocpp1.6'],
        clock: ctx.clock,
        random: ctx.random.fork('ocpp-link'),
        metrics,
        logger: ctx.logger,
        ...(password !== undefined ? { password } : {}),
        ...(tls ? { tls } : {}),
        ...(latencyClock ? { now: latencyClock } : {}),
        ...connection,
      });
      let module: Ocpp16ChargePoint | undefined;
      const engineBridge = new EngineBridge(options.cpId, ctx.transport, {
        status: (m) => module?.status(m),
        telemetry: (m) => module?.telemetry(m),
        ticket: (m) => module?.ticket(m),
      });
      module = new Ocpp16ChargePoint(
        {
          cpId: options.cpId,
          clock: ctx.clock,
          random: ctx.random.fork('ocpp'),
          logger: ctx.logger,
          metrics,
          bridge: engineBridge,
          link: csmsLink,
        },
        ocpp,
      );
      csmsLink.onOpen = (socket) => module?.connected(socket);
      csmsLink.onClose = () => module?.disconnected();
      protocol = module;
      bridge = engineBridge;
      link = csmsLink;
      // Listen before the engine starts, so its first ACTIVATED is heard.
      await engineBridge.start();
      await engine.start(ctx);
      if (connectDelayMs && connectDelayMs > 0) {
        connectTimer = ctx.clock.setTimeout(() => csmsLink.start(), connectDelayMs);
      } else csmsLink.start();
    },
    async stop() {
      connectTimer?.cancel();
      await link?.stop();
      protocol?.stop();
      await engine.stop();
      await bridge?.stop();
    },
    plugIn(arrival: DriverArrival): boolean {
      if (!protocol) throw new Error(`ocpp charge point "${options.cpId}": plugIn before start`);
      return protocol.plugIn(arrival);
    },
    figures(): ChargePointFigures {
      return (
        protocol?.figures() ?? {
          status: 'Unavailable',
          booted: false,
          transactionsStarted: 0,
          transactionsStopped: 0,
          energyKwh: 0,
          arrivalsRefused: 0,
          remoteStartsRejected: 0,
          queued: 0,
        }
      );
    },
  });
}
