import 'reflect-metadata';
import { createNode, type EvNode, RealClock, SeededRandom, silentLogger } from '@evcharging/core';
import { advanceUntil } from '@evcharging/core/testing';
import { constantAcModel } from '@evcharging/cp';
import { MemoryBroker } from '@evcharging/transport-memory';
import {
  type OcppChargePointOptions,
  type OcppChargePointPlugin,
  ocppChargePoint,
} from '../charge-point/ocpp-charge-point.js';

/** A running simulated OCPP charge point in real time, with fast test settings. */
export interface CpUnderTest {
  cp: OcppChargePointPlugin;
  node: EvNode;
  clock: RealClock;
  stop(): Promise<void>;
}

/**
 * Starts one OCPP charge point against `csms` in real time: a 360 kW model (0.1 kWh a second, so a
 * transaction is over in seconds), telemetry every 200 ms, MeterValues every second, quick
 * reconnects and retries.
 */
export async function startCp(
  csms: string,
  cpId = 'CP-001',
  overrides: Partial<OcppChargePointOptions> = {},
): Promise<CpUnderTest> {
  const clock = new RealClock();
  const broker = new MemoryBroker();
  const cp = ocppChargePoint({
    cpId,
    csms,
    model: constantAcModel(360),
    telemetryIntervalMs: 200,
    connection: { backoff: { initialMs: 100, maxMs: 400 }, callTimeoutMs: 2000 },
    ...overrides,
    ocpp: {
      unplugDelayMs: 200,
      ...overrides.ocpp,
      configuration: {
        MeterValueSampleInterval: '1',
        TransactionMessageRetryInterval: '1',
        ...overrides.ocpp?.configuration,
      },
    },
  });
  const node = createNode({
    id: `node-${cpId}`,
    transport: broker.transport(`node-${cpId}`, { clock }),
    clock,
    random: new SeededRandom(7),
    logger: silentLogger(),
    plugins: [cp],
  });
  await node.start();
  return { cp, node, clock, stop: () => node.stop() };
}

/** Waits (real time) until the predicate holds; fails the test with `what` otherwise. */
export async function until(what: string, predicate: () => boolean, timeoutMs = 20_000): Promise<void> {
  const ok = await advanceUntil(new RealClock(), predicate, { timeoutMs, pollMs: 20 });
  if (!ok) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
}
