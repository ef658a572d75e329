import {
  AcceptanceCurve,
  type Clock,
  type CpTelemetry,
  isoTime,
  type SessionEndCause,
  type SupplyKind,
  type TimerHandle,
} from '@evcharging/core';
import { type CpModel, clampedPower } from '../models/cp-model.js';
import type { InflightSession } from '../outbox/ticket-outbox.js';
import { roundEur, roundKw, roundKwh, roundSoc, type SupplySession } from './supply-session.js';

export interface SupplyRunSettings {
  cpId: string;
  clock: Clock;
  model: CpModel;
  /** AC or DC: which of the vehicle's limits applies. */
  supply: SupplyKind;
  /** Telemetry interval, ms. */
  intervalMs: number;
}

/** The session's power changed (or the session ended: `kw` 0), for observers of the physics. */
export interface PowerSample {
  cpId: string;
  sessionId: string;
  /** From this instant, ms since the epoch. */
  atMs: number;
  kw: number;
  /** Energy delivered up to `atMs`, kWh, unrounded. */
  energyKwh: number;
  /** The vehicle's SoC at `atMs`, % (sessions with a vehicle). */
  soc: number | undefined;
}

export interface SupplyRunHooks {
  /** One telemetry interval elapsed (or a lower limit applied): publish, then save the snapshot. */
  telemetry(message: CpTelemetry, snapshot: InflightSession): void;
  /** The session reached its own end: target energy or SoC, duration, departure, full vehicle. */
  ended(cause: SessionEndCause, reason: string): void;
  /** Called at every change of power, when set (property tests, traces). */
  power?(sample: PowerSample): void;
}

const VOLTS = 230;

/**
 * One supply in progress on the engine's clock: the power set at the start of every telemetry
 * interval and whenever the allocation changes, the energy integrated exactly over it, a telemetry
 * message per interval, and the session's own end (its duration or departure, the exact instant
 * its target energy or SoC is reached, or the model saying the vehicle is charged). With a
 * vehicle the power is min(the model's power, the vehicle's acceptance at its SoC, the limit).
 * The engine owns the state machine and the ticket; this owns the timers and the figures.
 */
export class SupplyRun {
  private telemetryTimer: TimerHandle | undefined;
  private durationTimer: TimerHandle | undefined;
  private targetTimer: TimerHandle | undefined;
  private finished = false;
  /** The vehicle's acceptance from this CP's kind of supply, read at every change of power. */
  private readonly acceptance: AcceptanceCurve | undefined;

  constructor(
    readonly session: SupplySession,
    private readonly settings: SupplyRunSettings,
    private readonly hooks: SupplyRunHooks,
  ) {
    this.acceptance = session.vehicle ? new AcceptanceCurve(session.vehicle, settings.supply) : undefined;
    this.setPower(settings.clock.now());
  }

  /** Arms the telemetry interval and the session's own end. */
  start(): void {
    const { clock, intervalMs } = this.settings;
    this.telemetryTimer = clock.setInterval(() => this.tick(), intervalMs);
    const { durationMs, departureMs } = this.session.limits;
    const now = clock.now();
    const byDuration = durationMs === undefined ? Number.POSITIVE_INFINITY : durationMs;
    const byDeparture = departureMs === undefined ? Number.POSITIVE_INFINITY : departureMs - now;
    if (Number.isFinite(Math.min(byDuration, byDeparture))) {
      const departs = byDeparture < byDuration;
      this.durationTimer = clock.setTimeout(
        () =>
          departs
            ? this.end('departure', 'departure time reached')
            : this.end('duration', 'duration reached'),
        Math.max(0, Math.min(byDuration, byDeparture)),
      );
    }
    this.scheduleTargetEnd();
  }

  /** Closes the energy at the clock's now and stops every timer: the session's final figures. */
  finish(): void {
    const now = this.settings.clock.now();
    this.session.advanceTo(now);
    this.finished = true;
    this.telemetryTimer?.cancel();
    this.durationTimer?.cancel();
    this.targetTimer?.cancel();
    this.telemetryTimer = this.durationTimer = this.targetTimer = undefined;
    if (this.hooks.power) this.sample(now, 0);
  }

  /**
   * Central's allocation for this session, honoured from now (undefined: no limit). A lower power
   * is reported at once in a telemetry message, so Central knows the headroom it freed is free.
   */
  setLimit(limitKw: number | undefined, seq?: number): void {
    if (this.finished) return;
    const { session, settings } = this;
    const now = settings.clock.now();
    session.advanceTo(now);
    const before = session.kw;
    const lowered = limitKw !== undefined && (session.limitKw === undefined || limitKw < session.limitKw);
    session.limitKw = limitKw;
    session.limitSeq = seq;
    this.setPower(now);
    if (lowered || session.kw < before) this.publish(now, session.kw);
    this.scheduleTargetEnd();
  }

  private tick(): void {
    if (this.finished) return;
    const { session, settings } = this;
    const now = settings.clock.now();
    const deliveredKw = session.kw;
    session.advanceTo(now);
    const target = session.target;
    if (target && session.targetReached()) {
      this.end(target.cause, target.cause === 'target_soc' ? 'target SoC reached' : 'target energy reached');
      return;
    }
    const elapsedS = session.elapsedS(now);
    if (settings.model.sessionComplete?.(elapsedS, session.energyKwh)) {
      this.end('vehicle_full', 'vehicle charged');
      return;
    }
    this.setPower(now);
    this.publish(now, deliveredKw);
    this.scheduleTargetEnd();
  }

  /** The power from `now`: the model's, capped by the vehicle's acceptance and the allocation. */
  private setPower(now: number): void {
    const { session, settings } = this;
    let kw = clampedPower(settings.model, session.elapsedS(now), session.energyKwh, {
      cpId: settings.cpId,
      nowMs: now,
    });
    const soc = session.soc;
    if (this.acceptance && soc !== undefined) kw = Math.min(kw, this.acceptance.kwAt(soc));
    if (session.limitKw !== undefined) kw = Math.min(kw, session.limitKw);
    const changed = kw !== session.kw;
    session.kw = kw;
    if (this.hooks.power && changed) this.sample(now, kw);
  }

  /** Telemetry as of `now`; `kw` is the power of the segment just ended (the original's meaning). */
  private publish(now: number, kw: number): void {
    const { session, settings } = this;
    const message: CpTelemetry = {
      cp_id: settings.cpId,
      kw: roundKw(kw),
      kwh: roundKwh(session.energyKwh),
      euros: roundEur(session.euros),
      driver_id: session.driverId,
      session_id: session.sessionId,
      ts: isoTime(now),
    };
    // Sessions of the original format keep the original's telemetry, field for field.
    const soc = session.soc;
    if (soc !== undefined) message.soc = roundSoc(soc);
    if (session.limitKw !== undefined) message.limit_kw = roundKw(session.limitKw);
    if (session.limitSeq !== undefined) message.limit_seq = session.limitSeq;
    if (soc !== undefined && settings.supply === 'AC') {
      const phases = settings.model.maxKw > 7.4 ? 3 : 1;
      message.voltage_v = VOLTS;
      message.current_a = Math.round((kw * 1_000_000) / (VOLTS * phases)) / 1000;
      message.phases = phases;
    }
    this.hooks.telemetry(message, session.snapshot(now));
  }

  private sample(now: number, kw: number): void {
    const { session } = this;
    this.hooks.power?.({
      cpId: this.settings.cpId,
      sessionId: session.sessionId,
      atMs: now,
      kw,
      energyKwh: session.energyKwh,
      soc: session.soc,
    });
  }

  /** Schedules the exact end when the target falls within the next interval. */
  private scheduleTargetEnd(): void {
    const ms = this.session.targetReached() ? 0 : this.session.msToTarget();
    this.targetTimer?.cancel();
    this.targetTimer = undefined;
    if (ms === undefined || ms > this.settings.intervalMs) return;
    this.targetTimer = this.settings.clock.setTimeout(() => {
      this.targetTimer = undefined;
      const target = this.session.target;
      if (this.finished || !target) return;
      // The energy stays the integral of the power up to the clock's now: a timer fires within the
      // clock's resolution of the exact instant, which the published (0.1 Wh) figures cannot see.
      this.session.advanceTo(this.settings.clock.now());
      this.end(target.cause, target.cause === 'target_soc' ? 'target SoC reached' : 'target energy reached');
    }, ms);
  }

  private end(cause: SessionEndCause, reason: string): void {
    if (!this.finished) this.hooks.ended(cause, reason);
  }
}
