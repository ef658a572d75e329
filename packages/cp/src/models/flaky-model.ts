import type { Random } from '@evcharging/core';
import { type CpModel, requirePositive } from './cp-model.js';

export interface FlakyOptions {
  /** Mean faults per hour of running time (Poisson process). */
  faultRatePerHour: number;
  /** Mean repair time, s, exponentially distributed; undefined = stays faulted until cleared. */
  meanRepairS?: number;
  /** Reason reported with each fault (default "flaky hardware"). */
  reason?: string;
}

/**
 * Wraps a model with a seeded fault process: faults arrive at `faultRatePerHour` on average and
 * (optionally) clear after an exponential repair time. Draws only from the engine's seeded stream.
 *
 * @example
 * chargingPointEngine({ cpId: 'CP-009', model: flakyModel(constantAcModel(22), { faultRatePerHour: 0.5, meanRepairS: 300 }) });
 */
export function flakyModel(base: CpModel, options: FlakyOptions): CpModel {
  const rate = requirePositive('flakyModel', 'faultRatePerHour', options.faultRatePerHour) / 3_600_000;
  const repairRate =
    options.meanRepairS === undefined
      ? undefined
      : 1 / (requirePositive('flakyModel', 'meanRepairS', options.meanRepairS) * 1000);
  // Delegate rather than spread, so a class-based base model keeps its `this`.
  const complete = base.sessionComplete;
  return {
    name: `flaky-${base.name}`,
    maxKw: base.maxKw,
    power: (elapsedS, energyKwh, context) => base.power(elapsedS, energyKwh, context),
    ...(complete
      ? { sessionComplete: (elapsedS: number, energyKwh: number) => complete.call(base, elapsedS, energyKwh) }
      : {}),
    faults: {
      reason: options.reason ?? 'flaky hardware',
      nextFaultInMs: (random: Random) => random.exponential(rate),
      repairInMs: (random: Random) => (repairRate === undefined ? undefined : random.exponential(repairRate)),
    },
  };
}
