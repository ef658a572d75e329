import { isoTime, type SessionEnd, type SessionEndCause, type StartSupplyPayload } from '@evcharging/core';
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

const MS_PER_HOUR = 3_600_000;

/**
 * One supply: integrates energy as a left Riemann sum of the model's power over telemetry
 * intervals (power is sampled at the start of each interval) and prices it at a fixed €/kWh.
 */
export class SupplySession {
  energyKwh = 0;
  /** Power for the current interval, kW. */
  kw = 0;
  private lastMs: number;

  constructor(
    readonly cpId: string,
    readonly sessionId: string,
    readonly driverId: string,
    readonly requestId: string | undefined,
    readonly startMs: number,
    readonly priceEurKwh: number,
    readonly limits: SessionLimits,
  ) {
    this.lastMs = startMs;
  }

  static fromPayload(
    cpId: string,
    payload: StartSupplyPayload,
    startMs: number,
    priceEurKwh: number,
    limits: SessionLimits,
  ): SupplySession {
    return new SupplySession(
      cpId,
      payload.session_id,
      payload.driver_id,
      payload.request_id,
      startMs,
      priceEurKwh,
      limits,
    );
  }

  /** Seconds since the start at `nowMs`. */
  elapsedS(nowMs: number): number {
    return (nowMs - this.startMs) / 1000;
  }

  /** Adds the energy of the current power from the last update to `nowMs` (capped at the target). */
  advanceTo(nowMs: number): void {
    if (nowMs > this.lastMs) {
      this.energyKwh += (this.kw * (nowMs - this.lastMs)) / MS_PER_HOUR;
      this.lastMs = nowMs;
    }
    const target = this.limits.targetKwh;
    if (target !== undefined && this.energyKwh > target) this.energyKwh = target;
  }

  /** Ms from the last update until the target energy is reached at the current power, if it will be. */
  msToTarget(): number | undefined {
    const target = this.limits.targetKwh;
    if (target === undefined || this.kw <= 0) return undefined;
    return Math.max(0, ((target - this.energyKwh) * MS_PER_HOUR) / this.kw);
  }

  targetReached(): boolean {
    const target = this.limits.targetKwh;
    return target !== undefined && this.energyKwh >= target - 1e-12;
  }

  get euros(): number {
    return this.energyKwh * this.priceEurKwh;
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
    return snapshot;
  }

  ticket(endMs: number, endedBy: SessionEndCause, reason: string): SessionEnd {
    return ticketOf(this.snapshot(endMs), endedBy, reason, endMs);
  }
}

/**
 * The ticket for a session as of a snapshot. The cost is computed from the published (rounded)
 * energy, so anyone recomputing kWh × €/kWh from the ticket gets the same cents.
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
    total_cost_eur: roundEur(energy * session.price_eur_kwh),
    ended_by: endedBy,
    reason,
    ts: isoTime(nowMs),
  };
}
