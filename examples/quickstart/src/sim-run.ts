import { type Logger, VIRTUAL_EPOCH, VirtualClock } from '@evcharging/core';
import {
  type ChargingNetwork,
  type ChargingNetworkOptions,
  createChargingNetwork,
  type NetworkReport,
} from '@evcharging/network';
import type { SimOptions } from './sim-options.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * Where a run's clock starts: `startHour` into the day (UTC) of the first replayed arrival, so
 * recorded sessions of any date replay on their own day; without a schedule, into the first day of
 * {@link VIRTUAL_EPOCH}.
 *
 * @example
 * simStart({ startHour: 6 }); // Date.UTC(2026, 0, 1, 6)
 */
export function simStart(options: Pick<SimOptions, 'startHour' | 'schedule'>): number {
  let first = Number.POSITIVE_INFINITY;
  for (const arrival of options.schedule ?? []) first = Math.min(first, arrival.at);
  const day = Number.isFinite(first) ? Math.floor(first / DAY) * DAY : VIRTUAL_EPOCH;
  return day + options.startHour * HOUR;
}

/** Where a run is, for a progress bar. */
export interface SimProgress {
  simulatedMs: number;
  totalMs: number;
  wallMs: number;
  sessions: number;
}

/** A finished run: the report, and how fast it went (kept out of the report: it is not deterministic). */
export interface SimOutcome {
  network: ChargingNetwork;
  report: NetworkReport;
  wallMs: number;
  /** Simulated time over wall time. */
  speedup: number;
  /** Peak resident set size of the process, MB. */
  peakRssMb: number;
}

/** Builds the network a `pnpm sim` run simulates (`engine.onPower`: every engine's power trace, for studies). */
export function simNetwork(
  options: SimOptions,
  logger?: Logger,
  engine: Pick<NonNullable<ChargingNetworkOptions['engine']>, 'onPower'> = {},
): ChargingNetwork {
  return createChargingNetwork({
    cps: options.cps,
    seed: options.seed,
    clock: new VirtualClock({ start: simStart(options) }),
    ...(logger ? { logger } : {}),
    // The simulation lane: one frozen message shared by every handler (no JSON copy), and every
    // delivery of an instant in one loop. Every node subscribes when it starts, before any message
    // it needs is published, and none leaves mid-run, so the broker keeps no message back for late
    // subscribers (keeping the default 1,000 per partition made every message live long enough to
    // be allocated in V8's old generation, about a fifth of the evening peak's CPU time).
    broker: { simulationLane: true, retention: 0 },
    central: {
      heartbeatTimeoutMs: options.heartbeatTimeoutS * 1000,
      smartCharging: { policy: options.chargingPolicy, controlIntervalMs: 60_000 },
    },
    engine: { telemetryIntervalMs: options.telemetryIntervalS * 1000, ...engine },
    monitor: { intervalMs: options.monitorIntervalS * 1000 },
    fleet: {
      drivers: options.drivers,
      sessionsPerDriverPerDay: options.sessionsPerDriver,
      policy: options.policy,
      ...(options.schedule ? { schedule: options.schedule } : {}),
      // An empty mix is the whole catalogue.
      ...(options.vehicles
        ? { vehicles: Object.keys(options.vehicles).length > 0 ? { mix: options.vehicles } : {} }
        : {}),
    },
    ...(options.siteLimitKw !== undefined
      ? {
          sites: {
            limitKw: options.siteLimitKw,
            ...(options.tariff ? { tariff: options.tariff } : {}),
          },
        }
      : {}),
    eventLog: { keep: options.events },
  });
}

/**
 * Runs the network for the requested hours in steps of simulated time, calling `onProgress`
 * between steps, and measures wall time, speed-up and peak memory.
 */
export async function runSimulation(
  options: SimOptions,
  onProgress: (progress: SimProgress) => void = () => {},
  logger?: Logger,
): Promise<SimOutcome> {
  const started = performance.now();
  const network = simNetwork(options, logger);
  await network.start();
  const totalMs = Math.round(options.hours * HOUR);
  const stepMs = 60_000;
  let simulated = 0;
  while (simulated < totalMs) {
    const step = Math.min(stepMs, totalMs - simulated);
    await network.run({ for: step });
    simulated += step;
    onProgress({
      simulatedMs: simulated,
      totalMs,
      wallMs: performance.now() - started,
      sessions: network.fleet?.stats().trips.completed ?? 0,
    });
  }
  const report = network.report();
  const wallMs = performance.now() - started;
  return {
    network,
    report,
    wallMs,
    speedup: totalMs / wallMs,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  };
}
