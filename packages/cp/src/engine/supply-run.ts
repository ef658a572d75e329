import {
  type Clock,
  type CpTelemetry,
  isoTime,
  type SessionEndCause,
  type TimerHandle,
} from '@evcharging/core';
import { type CpModel, clampedPower } from '../models/cp-model.js';
import type { InflightSession } from '../outbox/ticket-outbox.js';
import { roundEur, roundKw, roundKwh, type SupplySession } from './supply-session.js';

export interface SupplyRunSettings {
  cpId: string;
  clock: Clock;
  model: CpModel;
  /** Telemetry interval, ms. */
  intervalMs: number;
}

export interface SupplyRunHooks {
  /** One telemetry interval elapsed: publish the message, then save the snapshot. */
  telemetry(message: CpTelemetry, snapshot: InflightSession): void;
  /** The session reached its own end: its target energy or duration, or a full vehicle. */
  ended(cause: SessionEndCause, reason: string): void;
}

/**
 * One supply in progress on the engine's clock: the model's power sampled at the start of every
 * telemetry interval, the energy integrated over it, a telemetry message per interval, and the
 * session's own end (its duration, the exact instant its target energy is reached, or the model
 * saying the vehicle is charged). The engine owns the state machine and the ticket; this owns the
 * timers and the figures.
 */
export class SupplyRun {
  private telemetryTimer: TimerHandle | undefined;
  private durationTimer: TimerHandle | undefined;
  private targetTimer: TimerHandle | undefined;
  private finished = false;

  constructor(
    readonly session: SupplySession,
    private readonly settings: SupplyRunSettings,
    private readonly hooks: SupplyRunHooks,
  ) {
    const now = settings.clock.now();
    session.kw = clampedPower(settings.model, 0, 0, { cpId: settings.cpId, nowMs: now });
  }

  /** Arms the telemetry interval and the session's own end. */
  start(): void {
    const { clock, intervalMs } = this.settings;
    this.telemetryTimer = clock.setInterval(() => this.tick(), intervalMs);
    const durationMs = this.session.limits.durationMs;
    if (durationMs !== undefined) {
      this.durationTimer = clock.setTimeout(() => this.end('duration', 'duration reached'), durationMs);
    }
    this.scheduleTargetEnd();
  }

  /** Closes the energy at the clock's now and stops every timer: the session's final figures. */
  finish(): void {
    this.session.advanceTo(this.settings.clock.now());
    this.finished = true;
    this.telemetryTimer?.cancel();
    this.durationTimer?.cancel();
    this.targetTimer?.cancel();
    this.telemetryTimer = this.durationTimer = this.targetTimer = undefined;
  }

  private tick(): void {
    if (this.finished) return;
    const { session, settings } = this;
    const now = settings.clock.now();
    const deliveredKw = session.kw;
    session.advanceTo(now);
    if (session.targetReached()) {
      this.end('target_energy', 'target energy reached');
      return;
    }
    const elapsedS = session.elapsedS(now);
    if (settings.model.sessionComplete?.(elapsedS, session.energyKwh)) {
      this.end('vehicle_full', 'vehicle charged');
      return;
    }
    session.kw = clampedPower(settings.model, elapsedS, session.energyKwh, {
      cpId: settings.cpId,
      nowMs: now,
    });
    this.hooks.telemetry(
      {
        cp_id: settings.cpId,
        kw: roundKw(deliveredKw),
        kwh: roundKwh(session.energyKwh),
        euros: roundEur(session.euros),
        driver_id: session.driverId,
        session_id: session.sessionId,
        ts: isoTime(now),
      },
      session.snapshot(now),
    );
    this.scheduleTargetEnd();
  }

  /** Schedules the exact end when the target energy falls within the next interval. */
  private scheduleTargetEnd(): void {
    const ms = this.session.msToTarget();
    this.targetTimer?.cancel();
    this.targetTimer = undefined;
    if (ms === undefined || ms > this.settings.intervalMs) return;
    this.targetTimer = this.settings.clock.setTimeout(() => {
      this.targetTimer = undefined;
      const target = this.session.limits.targetKwh;
      if (!this.finished && target !== undefined) {
        this.session.advanceTo(this.settings.clock.now());
        this.session.energyKwh = target; // rounding of the end time must not shave the target
      }
      this.end('target_energy', 'target energy reached');
    }, ms);
  }

  private end(cause: SessionEndCause, reason: string): void {
    if (!this.finished) this.hooks.ended(cause, reason);
  }
}
