import {
  type CompiledTariff,
  costOf,
  isoTime,
  type SessionEnd,
  type SessionEndCause,
  type StartSupplyPayload,
  socAfter,
  type Vehicle,
} from '@evcharging/core';
import type { InflightSession } from '../outbox/ticket-outbox.js';
import type { SessionLimits } from './session-policy.js';

/** kWh as published: 4 decimals (0.1 Wh). */
export function roundKwh(kwh: number): number {
  return Math.round(kwh * 10_000) / 10_000;
}

/** € as published: cents. */
export function roundEur(eur: number): number {
  return Math.round(eur * 100) / 100;
}

/** kW as published: 3 decimals (1 W). */
export function roundKw(kw: number): number {
  return Math.round(kw * 1000) / 1000;
}

/** SoC as published: 3 decimals of a percent. */
export function roundSoc(soc: number): number {
  return Math.round(soc * 1000) / 1000;
}

const MS_PER_HOUR = 3_600_000;

/** What a session knows beyond the original's: the vehicle, the allocation, the prices. */
export interface SessionExtras {
  vehicle?: Vehicle;
  /** Power allocated by Central (smart charging), kW; undefined: no limit. */
  limitKw?: number;
  /** Time-of-use prices; undefined: the fixed €/kWh. */
  tariff?: CompiledTariff;
}

/** The nearer of a session's target energy and the energy to its target SoC. */
function targetOf({ targetKwh, targetSocKwh }: SessionLimits): SupplySession['target'] {
  if (targetSocKwh !== undefined && (targetKwh === undefined || targetSocKwh <= targetKwh)) {
    return { kwh: targetSocKwh, cause: 'target_soc' };
  }
  return targetKwh === undefined ? undefined : { kwh: targetKwh, cause: 'target_energy' };
}

/**
 * One supply: integrates energy of a piecewise-constant power exactly (the power holds from one
 * change to the next: an interval's start, a new limit) and prices it at a fixed €/kWh, or each
 * part at the tariff's price then.
 */
export class SupplySession {
  energyKwh = 0;
  /** Power of the current segment, kW. */
  kw = 0;
  /** The allocation honoured, kW (undefined: none). */
  limitKw: number | undefined;
  /** Central's number of that allocation (0: the one of start_supply). */
  limitSeq: number | undefined;
  readonly vehicle: Vehicle | undefined;
  readonly tariff: CompiledTariff | undefined;
  /**
   * The energy the session ends at, and why: the nearer of its target energy and target SoC.
   * Fixed at the start (read at every telemetry interval, so not rebuilt each time).
   */
  readonly target: { readonly kwh: number; readonly cause: SessionEndCause } | undefined;
  /** With a tariff: the cost so far, priced segment by segment. */
  private costEur = 0;
  private lastMs: number;

  constructor(
    readonly cpId: string,
    readonly sessionId: string,
    readonly driverId: string,
    readonly requestId: string | undefined,
    readonly startMs: number,
    readonly priceEurKwh: number,
    readonly limits: SessionLimits,
    extras: SessionExtras = {},
  ) {
    this.lastMs = startMs;
    this.vehicle = extras.vehicle;
    this.limitKw = extras.limitKw;
    this.limitSeq = extras.limitKw !== undefined ? 0 : undefined;
    this.tariff = extras.tariff;
    this.target = targetOf(limits);
  }

  static fromPayload(
    cpId: string,
    payload: StartSupplyPayload,
    startMs: number,
    priceEurKwh: number,
    limits: SessionLimits,
    tariff?: CompiledTariff,
  ): SupplySession {
    const extras: SessionExtras = {};
    if (payload.vehicle) extras.vehicle = payload.vehicle;
    if (payload.limit_kw !== undefined) extras.limitKw = payload.limit_kw;
    if (tariff) extras.tariff = tariff;
    return new SupplySession(
      cpId,
      payload.session_id,
      payload.driver_id,
      payload.request_id,
      startMs,
      priceEurKwh,
      limits,
      extras,
    );
  }

  /** The vehicle's state of charge now, % (undefined without a vehicle). */
  get soc(): number | undefined {
    return this.vehicle ? socAfter(this.vehicle, this.energyKwh) : undefined;
  }

  /** Seconds since the start at `nowMs`. */
  elapsedS(nowMs: number): number {
    return (nowMs - this.startMs) / 1000;
  }

  /** Adds the energy of the current power from the last update to `nowMs` (capped at the target). */
  advanceTo(nowMs: number): void {
    if (nowMs > this.lastMs) {
      this.energyKwh += (this.kw * (nowMs - this.lastMs)) / MS_PER_HOUR;
      if (this.tariff) this.costEur += costOf(this.tariff, this.kw, this.lastMs, nowMs);
      this.lastMs = nowMs;
    }
    const target = this.target?.kwh;
    if (target !== undefined && this.energyKwh > target) this.energyKwh = target;
  }

  /** Ms from the last update until the target is reached at the current power, if it will be. */
  msToTarget(): number | undefined {
    const target = this.target?.kwh;
    if (target === undefined || this.kw <= 0) return undefined;
    return Math.max(0, ((target - this.energyKwh) * MS_PER_HOUR) / this.kw);
  }

  targetReached(): boolean {
    const target = this.target?.kwh;
    return target !== undefined && this.energyKwh >= target - 1e-12;
  }

  get euros(): number {
    return this.tariff ? this.costEur : this.energyKwh * this.priceEurKwh;
  }

  snapshot(nowMs: number): InflightSession {
    // Built without a conditional spread: one taken every telemetry interval.
    const snapshot: InflightSession = {
      cp_id: this.cpId,
      session_id: this.sessionId,
      driver_id: this.driverId,
      start_ms: this.startMs,
      updated_ms: nowMs,
      energy_kwh: this.energyKwh,
      price_eur_kwh: this.priceEurKwh,
    };
    if (this.requestId !== undefined) snapshot.request_id = this.requestId;
    if (this.tariff) snapshot.cost_eur = this.costEur;
    if (this.vehicle) snapshot.soc = socAfter(this.vehicle, this.energyKwh);
    return snapshot;
  }

  ticket(endMs: number, endedBy: SessionEndCause, reason: string): SessionEnd {
    return ticketOf(this.snapshot(endMs), endedBy, reason, endMs);
  }
}

/**
 * The ticket for a session as of a snapshot. The cost is computed from the published (rounded)
 * energy, so anyone recomputing kWh × €/kWh from the ticket gets the same cents; under a tariff it
 * is the sum of the session's parts, each at its price, in cents.
 */
export function ticketOf(
  session: InflightSession,
  endedBy: SessionEndCause,
  reason: string,
  nowMs: number,
): SessionEnd {
  const energy = roundKwh(session.energy_kwh);
  return {
    cp_id: session.cp_id,
    driver_id: session.driver_id,
    ...(session.request_id !== undefined ? { request_id: session.request_id } : {}),
    session_id: session.session_id,
    start_time: isoTime(session.start_ms),
    end_time: isoTime(session.updated_ms),
    energy_kwh: energy,
    total_cost_eur: roundEur(session.cost_eur ?? energy * session.price_eur_kwh),
    ended_by: endedBy,
    reason,
    ts: isoTime(nowMs),
    ...(session.soc !== undefined ? { soc: roundSoc(session.soc) } : {}),
  };
}
