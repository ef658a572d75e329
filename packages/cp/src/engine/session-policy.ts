import { energyWantedKwh, type StartSupplyPayload } from '@evcharging/core';

/**
 * When a supply ends by itself (stop commands, faults and shutdown always end it).
 * - `fixed-duration`: after the request's `duration_s`, else `durationS`; also at the request's
 *   `target_kwh` when it has one, whichever comes first.
 * - `target-energy`: at the request's `target_kwh`, else `kwh` (if set); also after the request's
 *   `duration_s` when it has one.
 * - `manual`: never by itself; the request's limits are ignored.
 */
export type SessionPolicy =
  | { readonly kind: 'fixed-duration'; readonly durationS: number }
  | { readonly kind: 'target-energy'; readonly kwh?: number }
  | { readonly kind: 'manual' };

/** The limits one session runs under. */
export interface SessionLimits {
  /** End this many ms after the start. */
  durationMs?: number;
  /** End when this much energy has been delivered. */
  targetKwh?: number;
  /** A vehicle's session: end when this much energy has brought it to its target SoC. */
  targetSocKwh?: number;
  /** A vehicle's session: end at this instant, ms since the epoch (the driver leaves). */
  departureMs?: number;
}

function positive(what: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0)) {
    throw new RangeError(`session policy: ${what} must be a positive number, got ${String(value)}`);
  }
  return value;
}

/** Ends each session after a fixed time (the request's `duration_s` wins when present). */
export function fixedDuration(durationS: number): SessionPolicy {
  return { kind: 'fixed-duration', durationS: positive('durationS', durationS) };
}

/** Ends each session at a target energy, from the request (`target_kwh`) or this default. */
export function targetEnergy(kwh?: number): SessionPolicy {
  return kwh === undefined ? { kind: 'target-energy' } : { kind: 'target-energy', kwh: positive('kwh', kwh) };
}

/** Sessions end only on stop_supply, stop_cp, shutdown or a fault. */
export function manualStop(): SessionPolicy {
  return { kind: 'manual' };
}

/**
 * The limits of a session started with `payload` under `policy`. A session with a vehicle ends by
 * its own figures (target SoC, departure, and the request's `target_kwh`/`duration_s`); the
 * policy's defaults stand in for a missing vehicle and do not apply to it.
 */
export function limitsFor(policy: SessionPolicy, payload: StartSupplyPayload): SessionLimits {
  const limits: SessionLimits = {};
  if (payload.vehicle) {
    limits.targetSocKwh = energyWantedKwh(payload.vehicle);
    if (payload.departure_time !== undefined) {
      const departure = Date.parse(payload.departure_time);
      if (Number.isFinite(departure)) limits.departureMs = departure;
    }
    if (payload.duration_s !== undefined) limits.durationMs = payload.duration_s * 1000;
    if (payload.target_kwh !== undefined) limits.targetKwh = payload.target_kwh;
    return limits;
  }
  if (policy.kind === 'manual') return limits;
  const durationS = payload.duration_s ?? (policy.kind === 'fixed-duration' ? policy.durationS : undefined);
  const targetKwh = payload.target_kwh ?? (policy.kind === 'target-energy' ? policy.kwh : undefined);
  if (durationS !== undefined) limits.durationMs = durationS * 1000;
  if (targetKwh !== undefined) limits.targetKwh = targetKwh;
  return limits;
}

/** A short description for logs and README tables. */
export function describePolicy(policy: SessionPolicy): string {
  switch (policy.kind) {
    case 'fixed-duration':
      return `fixed duration ${policy.durationS} s`;
    case 'target-energy':
      return policy.kwh === undefined ? 'target energy from the request' : `target energy ${policy.kwh} kWh`;
    case 'manual':
      return 'manual stop only';
  }
}
