import {
  type Clock,
  createNode,
  type EvNode,
  type Logger,
  type Random,
  RealClock,
  SeededRandom,
  silentLogger,
  type TimerHandle,
} from '@evcharging/core';
import type { CpModel } from '@evcharging/cp';
import { MemoryBroker } from '@evcharging/transport-memory';
import type { DriverArrival } from '../charge-point/charge-point-protocol.js';
import type { CsmsTlsOptions } from '../charge-point/csms-link.js';
import {
  type OcppChargePointPlugin,
  type OcppConnectionOptions,
  ocppChargePoint,
} from '../charge-point/ocpp-charge-point.js';
import { OcppMetrics } from '../rpc/ocpp-metrics.js';

/** When drivers arrive: the instant of the next arrival after `now`, ms (the driver package's `ArrivalModel`). */
export interface FleetArrivals {
  nextArrival(now: number, random: Random): number;
}

export interface OcppFleetOptions {
  /** The CSMS endpoint without the charge point id, e.g. `ws://127.0.0.1:9000/ocpp`. */
  csms: string;
  /** Charge points (ids `<idPrefix>00001` …). */
  cps: number;
  /** Id prefix (default `CP-`). */
  idPrefix?: string;
  /** MeterValueSampleInterval, s (default 60); the engines' telemetry follows it. */
  meterIntervalS?: number;
  /** Rated power of every charge point, kW (default 22). */
  kw?: number;
  /** Or a model per charge point (a charging profile caps it). */
  model?: (cpId: string) => CpModel;
  /** Security profile 1: a password per charge point. */
  password?: (cpId: string) => string | undefined;
  tls?: CsmsTlsOptions;
  /** Connections opened per second while the fleet starts (default 200): a CSMS is not flooded. */
  connectRatePerS?: number;
  connection?: OcppConnectionOptions;
  /** Driver arrivals (none by default): each plugs in at a free charge point with an id tag. */
  arrivals?: FleetArrivals;
  /** What an arriving driver wants (energy, time, vehicle); default 10 kWh within 2 h. */
  trip?: (random: Random) => Omit<DriverArrival, 'idTag'>;
  /** Drivers' id tags are `<driverPrefix><n>` (default `DRV-`). */
  driverPrefix?: string;
  /** Configuration keys of every charge point (MeterValueSampleInterval is set from meterIntervalS). */
  configuration?: Partial<Record<string, string>>;
  clock?: Clock;
  seed?: number;
  logger?: Logger;
  /** Time source for call latencies (default `performance.now`). */
  latencyClock?: () => number;
}

/** Where a fleet is, for a progress line and a summary. */
export interface FleetFigures {
  cps: number;
  connected: number;
  booted: number;
  charging: number;
  transactionsStarted: number;
  transactionsStopped: number;
  /** Energy of stopped transactions, kWh. */
  energyKwh: number;
  arrivals: number;
  /** Arrivals that found no free charge point (or were refused). */
  arrivalsUnserved: number;
  /** Transaction messages waiting for the CSMS, all charge points. */
  queued: number;
}

/** A running fleet of simulated OCPP charge points in one process. */
export interface OcppFleet {
  readonly cps: readonly OcppChargePointPlugin[];
  /** Every OCPP figure of the fleet, counted once (connections, calls, CALLERRORs, latency). */
  readonly metrics: OcppMetrics;
  start(): Promise<void>;
  stop(): Promise<void>;
  figures(): FleetFigures;
}

/**
 * N simulated OCPP 1.6J charge points in one process against one CSMS: one memory broker and one
 * node, each charge point an unchanged engine with its OCPP plugin, connections spread over the
 * start, drivers plugging in at free charge points as the arrival model says. Real time by
 * default. `pnpm ocpp:fleet` is this with flags.
 *
 * @example
 * const fleet = createOcppFleet({ csms: 'ws://127.0.0.1:9000/ocpp', cps: 100, meterIntervalS: 10 });
 * await fleet.start();
 * fleet.figures().connected; // 100 once all have connected
 * fleet.metrics.latency.percentile(99); // CALL → CALLRESULT, ms
 */
export function createOcppFleet(options: OcppFleetOptions): OcppFleet {
  if (!Number.isInteger(options.cps) || options.cps < 1) {
    throw new RangeError(`createOcppFleet: cps must be a positive integer, got ${options.cps}`);
  }
  const clock = options.clock ?? new RealClock();
  const random = new SeededRandom(options.seed ?? 1);
  const metrics = new OcppMetrics();
  const meterS = options.meterIntervalS ?? 60;
  const rate = options.connectRatePerS ?? 200;
  const width = Math.max(5, String(options.cps).length);
  const broker = new MemoryBroker({ jsonRoundTrip: false, retention: 100 });
  const cps: OcppChargePointPlugin[] = [];
  for (let i = 1; i <= options.cps; i++) {
    const cpId = `${options.idPrefix ?? 'CP-'}${String(i).padStart(width, '0')}`;
    const password = options.password?.(cpId);
    cps.push(
      ocppChargePoint({
        cpId,
        csms: options.csms,
        kw: options.kw ?? 22,
        ...(options.model ? { model: options.model(cpId) } : {}),
        telemetryIntervalMs: Math.max(1, meterS) * 1000,
        metrics,
        latencyClock: options.latencyClock ?? (() => performance.now()),
        connectDelayMs: Math.floor(((i - 1) / rate) * 1000),
        ...(password !== undefined ? { password } : {}),
        ...(options.tls ? { tls: options.tls } : {}),
        ...(options.connection ? { connection: options.connection } : {}),
        ocpp: {
          configuration: { ...options.configuration, MeterValueSampleInterval: String(meterS) },
          ...(options.trip ? { remoteStartArrival: () => options.trip!(random.fork('remote')) } : {}),
        },
      }),
    );
  }
  let node: EvNode | undefined;
  let arrivalTimer: TimerHandle | undefined;
  let arrivals = 0;
  let unserved = 0;
  const tripRandom = random.fork('trips');
  const arrivalRandom = random.fork('arrivals');

  const arrive = () => {
    arrivals++;
    const trip = options.trip?.(tripRandom) ?? { targetKwh: 10, durationS: 7200 };
    const idTag = `${options.driverPrefix ?? 'DRV-'}${arrivals}`.slice(0, 20);
    // A driver tries a few charge points at random, as one looks for a free one.
    for (let attempt = 0; attempt < 8; attempt++) {
      const cp = cps[tripRandom.int(0, cps.length - 1)]!;
      if (cp.protocol?.canTake() && cp.plugIn({ ...trip, idTag })) return;
    }
    unserved++;
  };

  const scheduleArrival = () => {
    if (!options.arrivals) return;
    const at = options.arrivals.nextArrival(clock.now(), arrivalRandom);
    if (!Number.isFinite(at)) return;
    arrivalTimer = clock.setTimeout(
      () => {
        arrive();
        scheduleArrival();
      },
      Math.max(0, at - clock.now()),
    );
  };

  return {
    cps,
    metrics,
    async start() {
      node = createNode({
        id: 'ocpp-fleet',
        transport: broker.transport('ocpp-fleet', { clock }),
        clock,
        random,
        logger: options.logger ?? silentLogger(),
        plugins: cps,
      });
      await node.start();
      scheduleArrival();
    },
    async stop() {
      arrivalTimer?.cancel();
      await node?.stop();
    },
    figures(): FleetFigures {
      const f: FleetFigures = {
        cps: cps.length,
        connected: metrics.connected,
        booted: 0,
        charging: 0,
        transactionsStarted: 0,
        transactionsStopped: 0,
        energyKwh: 0,
        arrivals,
        arrivalsUnserved: unserved,
        queued: 0,
      };
      for (const cp of cps) {
        const c = cp.figures();
        if (c.booted) f.booted++;
        if (c.status === 'Charging' || c.status.startsWith('Suspended')) f.charging++;
        f.transactionsStarted += c.transactionsStarted;
        f.transactionsStopped += c.transactionsStopped;
        f.energyKwh += c.energyKwh;
        f.queued += c.queued;
      }
      return f;
    },
  };
}
