import type { Random, SupplyKind } from '@evcharging/core';

/** Where and when power is asked for; a model may ignore it (most depend on the session only). */
export interface PowerContext {
  /** The CP asking. */
  readonly cpId: string;
  /** Current time of the engine's clock, ms since the epoch (virtual time in simulations). */
  readonly nowMs: number;
}

/**
 * A seeded fault process: when the CP breaks, and when it repairs itself. Draws only from the
 * `random` it is given (a stream the engine forks for it), so a run is reproducible.
 */
export interface FaultProcess {
  /** Milliseconds from now to the next fault, or undefined for none. */
  nextFaultInMs(random: Random): number | undefined;
  /** Milliseconds a fault lasts before it clears by itself, or undefined to stay faulted. */
  repairInMs?(random: Random): number | undefined;
  /** Reason reported with the fault (default "model fault"). */
  readonly reason?: string;
}

/**
 * How a charging point delivers power: the extension point of the CP package. A third party
 * implements it without touching the engine and passes it as the engine's `model` option.
 *
 * @example
 * const halfPower: CpModel = {
 *   name: 'half-power',
 *   maxKw: 11,
 *   power: (elapsedS) => (elapsedS < 600 ? 11 : 5.5),
 * };
 * chargingPointEngine({ cpId: 'CP-001', model: halfPower });
 */
export interface CpModel {
  /** Short name for logs and reports. */
  readonly name: string;
  /** The most this CP can deliver, kW; the engine clamps `power` to [0, maxKw]. */
  readonly maxKw: number;
  /**
   * Power, kW, for the interval starting now, given how long the session has run and how much
   * energy it has delivered so far. Called once per telemetry interval (left Riemann sum).
   */
  power(sessionElapsedS: number, energyKwh: number, context: PowerContext): number;
  /** True when the vehicle needs nothing more (e.g. battery full): the engine ends the session. */
  sessionComplete?(sessionElapsedS: number, energyKwh: number): boolean;
  /** AC (the vehicle's on-board charger limits it) or DC (its battery does); default AC. */
  readonly supply?: SupplyKind;
  /** Optional seeded fault process (see {@link flakyModel}). */
  readonly faults?: FaultProcess;
}

/** A model's power for the next interval, clamped to [0, maxKw]; a non-finite answer counts as 0. */
export function clampedPower(
  model: CpModel,
  elapsedS: number,
  energyKwh: number,
  context: PowerContext,
): number {
  const kw = model.power(elapsedS, energyKwh, context);
  if (!Number.isFinite(kw) || kw <= 0) return 0;
  return Math.min(kw, model.maxKw);
}

/** Throws a RangeError naming the model and the option unless `value` is a positive finite number. */
export function requirePositive(model: string, option: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0)) {
    throw new RangeError(`${model}: ${option} must be a positive number, got ${String(value)}`);
  }
  return value;
}
