import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Clock, type Logger, RealClock } from '@evcharging/core';
import { type DriverRequestSpec, parseRequests } from '@evcharging/driver';
import { type ChargingNetwork, createChargingNetwork } from '@evcharging/network';

/** The sample requests file shipped with the quickstart (also usable by the compose driver). */
export const REQUESTS_FILE = join(dirname(fileURLToPath(import.meta.url)), '..', 'requests.txt');

export interface QuickstartOptions {
  /** Central's HTTP port (dashboard and API); 0 picks a free one. Default 8000. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Charging points (default 10). */
  cps?: number;
  /** Drivers requesting forever (default 3). */
  drivers?: number;
  /** Default the shipped requests.txt. */
  requestsFile?: string;
  /** Default a RealClock. */
  clock?: Clock;
  seed?: number;
  logger?: Logger;
  /**
   * Groups the CPs into sites (one per location, ten CPs each) behind a grid connection of this
   * many kW, shared by Central's smart charging (equal share); the dashboard then charts each
   * site's load against its limit. Default: no sites.
   */
  siteLimitKw?: number;
}

/** Each driver goes through the same list from a different place, so they meet now and then. */
function rotated<T>(items: readonly T[], by: number): T[] {
  const k = items.length === 0 ? 0 : by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

/**
 * The quickstart network: Central with HTTP (dashboard at `/`, API, metrics), 10 CPs with
 * monitors, and a few drivers going through the sample requests file forever, on the memory
 * transport in one process.
 *
 * @example
 * const net = await createQuickstart({ port: 8000 });
 * await net.start(); // then open http://127.0.0.1:8000/
 */
export async function createQuickstart(options: QuickstartOptions = {}): Promise<ChargingNetwork> {
  const file = options.requestsFile ?? REQUESTS_FILE;
  const requests: DriverRequestSpec[] = parseRequests(await readFile(file, 'utf8'), file);
  const drivers = options.drivers ?? 3;
  const step = Math.max(1, Math.floor(requests.length / Math.max(1, drivers)));
  return createChargingNetwork({
    cps: options.cps ?? 10,
    seed: options.seed ?? 1,
    clock: options.clock ?? new RealClock(),
    ...(options.logger ? { logger: options.logger } : {}),
    central: { http: { port: options.port ?? 8000, host: options.host ?? '127.0.0.1' } },
    ...(options.siteLimitKw !== undefined ? { sites: { limitKw: options.siteLimitKw } } : {}),
    drivers: Array.from({ length: drivers }, (_, i) => ({
      driverId: `driver-${String(i + 1).padStart(2, '0')}`,
      requests: rotated(requests, i * step),
      loop: true,
      // Staggered, so the dashboard shows CPs starting and ending at different moments.
      startDelayMs: 2_000 + i * 1_500,
    })),
  });
}
