import {
  type CpState,
  type CpStatus,
  type CpTelemetry,
  isoTime,
  type SessionEnd,
  type TimerHandle,
} from '@evcharging/core';
import type {
  ChargePointFigures,
  ChargePointProtocol,
  ChargePointProtocolContext,
  DriverArrival,
} from '../charge-point/charge-point-protocol.js';
import { CallLane, type LaneCall } from '../rpc/call-lane.js';
import { OcppCallError, type OcppSocket } from '../rpc/ocpp-socket.js';
import { ChargingProfiles, type ProfileTransaction } from './charging-profiles.js';
import { ChargePointConfiguration } from './configuration.js';
import { connectorStatusOf, statusNotificationOf } from './connector-status.js';
import { type CsmsCallTarget, registerCsmsCalls } from './csms-calls.js';
import {
  type AuthorizeConf,
  type BootNotificationConf,
  type BootNotificationReq,
  type ChargePointStatus,
  type ChargingProfile,
  OCPP16,
  type StartTransactionConf,
} from './messages.js';
import { meterValueOf, stopReasonOf, stopTransactionOf, type Transaction } from './transaction.js';

export interface Ocpp16ChargePointOptions {
  /** BootNotification fields (default vendor `evcharging`, model `simulated-cp`). */
  boot?: Partial<BootNotificationReq>;
  /** Configuration keys to start with, e.g. `{ MeterValueSampleInterval: '10' }`. */
  configuration?: Partial<Record<string, string>>;
  /** Time between the end of a transaction and the cable being unplugged (Finishing), ms (default 1,000). */
  unplugDelayMs?: number;
  /** The vehicle (and its wishes) that plugs in when the CSMS starts a transaction remotely. */
  remoteStartArrival?: () => Omit<DriverArrival, 'idTag'>;
  /** Retry delay after a failed BootNotification without an interval, s (default 30). */
  bootRetryS?: number;
}

/** Pending start: a driver plugged in (or the CSMS asked) and the engine has not started yet. */
interface PendingStart extends DriverArrival {
  remote: boolean;
  sessionId?: string;
  /** A TxProfile that came with RemoteStartTransaction, installed when the transaction begins. */
  profile?: ChargingProfile;
}

/**
 * OCPP 1.6J on the charge point side, for one engine (one connector): BootNotification with retry
 * at the CSMS's interval, Heartbeat, StatusNotification on every change, Authorize,
 * Start/StopTransaction with the energy register in Wh, MeterValues at MeterValueSampleInterval,
 * and the CSMS's calls (see `registerCsmsCalls` in `csms-calls.ts`). Transaction messages go through a
 * {@link CallLane}: kept while offline, replayed in order after the next boot.
 */
export class Ocpp16ChargePoint implements ChargePointProtocol {
  readonly subprotocol = OCPP16;
  readonly configuration: ChargePointConfiguration;
  readonly profiles = new ChargingProfiles();
  private readonly lane: CallLane;
  private socket: OcppSocket | undefined;
  private booted = false;
  private bootTimer: TimerHandle | undefined;
  private heartbeatTimer: TimerHandle | undefined;
  private unplugTimer: TimerHandle | undefined;
  private engineState: CpState = 'DISCONNECTED';
  private faultInfo: string | undefined;
  private lastReported: ChargePointStatus | undefined;
  private pending: PendingStart | undefined;
  private transaction: Transaction | undefined;
  private finishing = false;
  private registerWh = 0;
  private lastTelemetryMs = 0;
  private telemetryGapMs = 0;
  /** Availability the CSMS asked for; `scheduled` waits for the running transaction to end. */
  private availability: 'Operative' | 'Inoperative' = 'Operative';
  private scheduled: 'Operative' | 'Inoperative' | undefined;
  private resetAfterTransaction = false;
  private readonly counters = {
    transactionsStarted: 0,
    transactionsStopped: 0,
    energyKwh: 0,
    arrivalsRefused: 0,
    remoteStartsRejected: 0,
  };

  constructor(
    private readonly ctx: ChargePointProtocolContext,
    private readonly options: Ocpp16ChargePointOptions = {},
  ) {
    this.configuration = new ChargePointConfiguration(options.configuration ?? {}, (key) => {
      if (key === 'HeartbeatInterval') this.armHeartbeat();
    });
    this.lane = new CallLane({
      clock: ctx.clock,
      metrics: ctx.metrics,
      logger: ctx.logger,
      owner: ctx.cpId,
      retry: () => ({
        attempts: this.configuration.int('TransactionMessageAttempts'),
        intervalS: this.configuration.int('TransactionMessageRetryInterval'),
      }),
    });
    registerCsmsCalls(ctx.link, this.callTarget());
  }

  // ---- connection ----------------------------------------------------------------------------

  connected(socket: OcppSocket): void {
    this.socket = socket;
    this.booted = false;
    void this.boot(socket);
  }

  disconnected(): void {
    this.socket = undefined;
    this.booted = false;
    this.bootTimer?.cancel();
    this.heartbeatTimer?.cancel();
    this.lane.close();
  }

  stop(): void {
    this.disconnected();
    this.unplugTimer?.cancel();
  }

  private async boot(socket: OcppSocket): Promise<void> {
    this.bootTimer = undefined;
    if (this.socket !== socket) return;
    const req: BootNotificationReq = {
      chargePointVendor: 'evcharging',
      chargePointModel: 'simulated-cp',
      chargePointSerialNumber: this.ctx.cpId.slice(0, 25),
      ...this.options.boot,
    };
    let retryS = this.options.bootRetryS ?? 30;
    try {
      const conf = await socket.call<BootNotificationConf>('BootNotification', req);
      if (this.socket !== socket) return;
      if (conf.status === 'Accepted') {
        if (conf.interval > 0) this.configuration.set('HeartbeatInterval', String(conf.interval));
        this.booted = true;
        this.lastReported = undefined;
        this.lane.open(socket, [this.statusCall(0), this.statusCall(1)]);
        this.armHeartbeat();
        return;
      }
      if (conf.interval > 0) retryS = conf.interval;
    } catch (error) {
      if (!(error instanceof OcppCallError) || error.kind === 'closed') return;
    }
    if (this.socket === socket) {
      this.bootTimer = this.ctx.clock.setTimeout(() => void this.boot(socket), retryS * 1000);
    }
  }

  private armHeartbeat(): void {
    this.heartbeatTimer?.cancel();
    this.heartbeatTimer = undefined;
    const seconds = this.configuration.int('HeartbeatInterval');
    if (!this.booted || seconds <= 0) return;
    this.heartbeatTimer = this.ctx.clock.setInterval(() => this.heartbeat(), seconds * 1000);
  }

  heartbeat(): void {
    if (this.booted) this.lane.push({ action: 'Heartbeat', transactional: false, payload: () => ({}) });
  }

  // ---- what the engine says ------------------------------------------------------------------

  status(status: CpStatus): void {
    this.engineState = status.state;
    if (status.state === 'FAULT') this.faultInfo = status.reason;
    if (status.state === 'SUPPLYING') this.beginTransaction(status.session_id);
    if (status.state === 'ACTIVATED') {
      // Back from a fault or a restart: the availability the CSMS asked for still holds.
      if (this.availability === 'Inoperative') void this.ctx.bridge.stopCp();
    }
    if (status.state !== 'ACTIVATED' && status.state !== 'SUPPLYING' && this.pending) {
      this.pending = undefined;
      this.counters.arrivalsRefused++;
    }
    this.reportStatus();
  }

  telemetry(telemetry: CpTelemetry): void {
    const tx = this.transaction;
    if (!tx || telemetry.session_id !== tx.sessionId) return;
    const now = this.ctx.clock.now();
    if (this.lastTelemetryMs > 0) this.telemetryGapMs = now - this.lastTelemetryMs;
    this.lastTelemetryMs = now;
    tx.kw = telemetry.kw;
    tx.energyKwh = telemetry.kwh ?? tx.energyKwh;
    this.registerWh = tx.meterStartWh + tx.energyKwh * 1000;
    this.reportStatus();
    const intervalMs = this.configuration.int('MeterValueSampleInterval') * 1000;
    // Telemetry ticks may fall a little before the sample instant: half a tick of tolerance.
    if (intervalMs > 0 && now - tx.lastSampleMs >= intervalMs - this.telemetryGapMs / 2) {
      tx.lastSampleMs = now;
      this.pushMeterValues(tx, now, 'Sample.Periodic');
    }
  }

  ticket(ticket: SessionEnd): void {
    const tx = this.transaction;
    if (!tx || ticket.session_id !== tx.sessionId) return;
    this.transaction = undefined;
    this.lastTelemetryMs = 0;
    tx.energyKwh = ticket.energy_kwh;
    this.registerWh = tx.meterStartWh + ticket.energy_kwh * 1000;
    const meterStop = Math.round(this.registerWh);
    const reason = stopReasonOf(tx, ticket.ended_by);
    this.counters.transactionsStopped++;
    this.counters.energyKwh += ticket.energy_kwh;
    this.lane.push({
      action: 'StopTransaction',
      transactional: true,
      payload: () => stopTransactionOf(tx, meterStop, ticket.end_time, reason, this.ctx.clock.now()),
    });
    this.profiles.endTransaction();
    this.finishing = true;
    this.unplugTimer?.cancel();
    this.unplugTimer = this.ctx.clock.setTimeout(() => {
      this.finishing = false;
      this.reportStatus();
    }, this.options.unplugDelayMs ?? 1000);
    this.reportStatus();
    this.afterTransaction();
  }

  // ---- drivers -------------------------------------------------------------------------------

  plugIn(arrival: DriverArrival): boolean {
    if (!this.canTake()) {
      this.counters.arrivalsRefused++;
      return false;
    }
    const pending: PendingStart = { ...arrival, idTag: arrival.idTag.slice(0, 20), remote: false };
    this.pending = pending;
    this.reportStatus();
    if (!this.booted) {
      // Offline: LocalAuthorizeOffline lets the driver charge; the transaction is replayed later.
      if (this.configuration.bool('LocalAuthorizeOffline')) this.startEngine(pending);
      else this.refuse(pending);
      return true;
    }
    this.lane.push({
      action: 'Authorize',
      transactional: false,
      payload: () => ({ idTag: pending.idTag }),
      onResult: (result) => {
        const conf = result as AuthorizeConf;
        if (conf.idTagInfo.status === 'Accepted') this.startEngine(pending);
        else this.refuse(pending);
      },
      onFailure: () => {
        if (this.configuration.bool('LocalAuthorizeOffline')) this.startEngine(pending);
        else this.refuse(pending);
      },
    });
    return true;
  }

  /** The connector can take a new driver: idle, operative, nothing pending. */
  canTake(): boolean {
    return (
      this.engineState === 'ACTIVATED' &&
      !this.transaction &&
      !this.pending &&
      !this.finishing &&
      this.availability === 'Operative'
    );
  }

  private refuse(pending: PendingStart): void {
    if (this.pending !== pending) return;
    this.pending = undefined;
    this.counters.arrivalsRefused++;
    this.reportStatus();
  }

  private startEngine(pending: PendingStart): void {
    if (this.pending !== pending || this.engineState !== 'ACTIVATED') return;
    const sessionId = this.ctx.random.id('session');
    pending.sessionId = sessionId;
    void this.ctx.bridge.startSupply({
      driver_id: pending.idTag,
      request_id: this.ctx.random.id('req'),
      session_id: sessionId,
      ...(pending.targetKwh !== undefined ? { target_kwh: pending.targetKwh } : {}),
      ...(pending.durationS !== undefined ? { duration_s: pending.durationS } : {}),
    });
  }

  private beginTransaction(sessionId: string | undefined): void {
    const pending = this.pending;
    if (!pending || pending.sessionId === undefined || pending.sessionId !== sessionId) return;
    this.pending = undefined;
    const now = this.ctx.clock.now();
    const tx: Transaction = {
      sessionId: pending.sessionId,
      idTag: pending.idTag,
      meterStartWh: this.registerWh,
      startMs: now,
      vehicle: pending.vehicle,
      transactionId: undefined,
      kw: 0,
      energyKwh: 0,
      lastSampleMs: now,
      stopReason: undefined,
    };
    this.transaction = tx;
    this.counters.transactionsStarted++;
    if (pending.profile)
      this.profiles.install(1, pending.profile, { transactionId: undefined, startMs: now });
    this.lane.push({
      action: 'StartTransaction',
      transactional: true,
      payload: () => ({
        connectorId: 1,
        idTag: tx.idTag,
        meterStart: Math.round(tx.meterStartWh),
        timestamp: isoTime(tx.startMs),
      }),
      onResult: (result) => {
        const conf = result as StartTransactionConf;
        tx.transactionId = conf.transactionId;
        const refused = conf.idTagInfo.status !== 'Accepted';
        if (refused && this.transaction === tx && this.configuration.bool('StopTransactionOnInvalidId')) {
          tx.stopReason = 'DeAuthorized';
          void this.ctx.bridge.stopSupply(tx.sessionId, `id tag ${conf.idTagInfo.status}`);
        }
      },
    });
  }

  // ---- status --------------------------------------------------------------------------------

  /** The connector's OCPP status from the engine's state and the transaction. */
  connectorStatus(): ChargePointStatus {
    const tx = this.transaction;
    return connectorStatusOf({
      engineState: this.engineState,
      transaction: tx ? { kw: tx.kw, measured: this.lastTelemetryMs > 0 } : undefined,
      limitKw: tx ? this.limitKw(this.ctx.clock.now()) : undefined,
      finishing: this.finishing,
      preparing: this.pending !== undefined,
      availability: this.availability,
    });
  }

  private reportStatus(): void {
    const status = this.connectorStatus();
    if (status === this.lastReported || !this.booted) return;
    this.lastReported = status;
    this.lane.push(this.statusCall(1));
  }

  statusCall(connectorId: number): LaneCall {
    const whole: ChargePointStatus = this.availability === 'Inoperative' ? 'Unavailable' : 'Available';
    const status = connectorId === 0 ? whole : this.connectorStatus();
    if (connectorId === 1) this.lastReported = status;
    const req = statusNotificationOf(connectorId, status, this.faultInfo, this.ctx.clock.now());
    return { action: 'StatusNotification', transactional: false, payload: () => req };
  }

  pushMeterValues(tx: Transaction | undefined, nowMs: number, context: 'Sample.Periodic' | 'Trigger'): void {
    const value = meterValueOf(
      nowMs,
      this.registerWh,
      tx,
      this.configuration.list('MeterValuesSampledData'),
      context,
    );
    this.lane.push({
      action: 'MeterValues',
      transactional: tx !== undefined,
      payload: () => {
        if (tx && tx.transactionId === undefined) return undefined;
        return tx
          ? { connectorId: 1, transactionId: tx.transactionId, meterValue: [value] }
          : { connectorId: 1, meterValue: [value] };
      },
    });
  }

  // ---- power limit ---------------------------------------------------------------------------

  limitKw(nowMs: number): number | undefined {
    if (this.profiles.size === 0) return undefined;
    return this.profiles.limitKw(nowMs, this.profileTransaction());
  }

  private profileTransaction(): ProfileTransaction | undefined {
    const tx = this.transaction;
    return tx ? { transactionId: tx.transactionId, startMs: tx.startMs } : undefined;
  }

  // ---- after a transaction -------------------------------------------------------------------

  private afterTransaction(): void {
    const availability = this.scheduled;
    this.scheduled = undefined;
    if (availability !== undefined) this.applyAvailability(availability);
    if (this.resetAfterTransaction) {
      this.resetAfterTransaction = false;
      void this.lane.whenIdle().then(() => this.ctx.link.restart());
    }
  }

  applyAvailability(type: 'Operative' | 'Inoperative'): void {
    this.availability = type;
    if (type === 'Inoperative') {
      if (this.engineState === 'ACTIVATED') void this.ctx.bridge.stopCp();
    } else if (this.engineState === 'STOPPED') {
      void this.ctx.bridge.resumeCp();
    }
    if (this.booted) this.lane.push(this.statusCall(0));
    this.reportStatus();
  }

  /** Asks the engine to end the transaction's supply (its ticket then stops the transaction). */
  stopSupply(tx: Transaction, reason: string): void {
    void this.ctx.bridge.stopSupply(tx.sessionId, reason);
  }

  /** A StatusNotification asked for by TriggerMessage, sent even when nothing changed. */
  triggerStatus(connectorId: number): void {
    if (this.booted) this.lane.push(this.statusCall(connectorId));
  }

  now(): number {
    return this.ctx.clock.now();
  }

  /** Runs `work` on the clock's next turn (after the answer to the current call went out). */
  defer(work: () => void): void {
    this.ctx.clock.setTimeout(work, 0);
  }

  figures(): ChargePointFigures {
    return {
      status: this.lastReported ?? this.connectorStatus(),
      booted: this.booted,
      ...this.counters,
      queued: this.lane.length,
    };
  }

  /** The narrow view the CSMS's calls act through. */
  private callTarget(): CsmsCallTarget {
    return {
      cp: this,
      transaction: () => this.transaction,
      pending: () => this.pending,
      engineState: () => this.engineState,
      availability: () => this.availability,
      isBusy: () => this.transaction !== undefined || this.pending !== undefined,
      remoteStart: (idTag, profile) => {
        const arrival = this.options.remoteStartArrival?.() ?? {};
        const pending: PendingStart = { ...arrival, idTag, remote: true, ...(profile ? { profile } : {}) };
        this.pending = pending;
        this.reportStatus();
        this.defer(() => this.startEngine(pending));
      },
      rejectRemoteStart: () => {
        this.counters.remoteStartsRejected++;
      },
      scheduleAvailability: (type) => {
        this.scheduled = type;
      },
      reset: (hard) => {
        const tx = this.transaction;
        if (tx) {
          tx.stopReason = hard ? 'HardReset' : 'SoftReset';
          this.resetAfterTransaction = true;
          this.stopSupply(tx, `${hard ? 'hard' : 'soft'} reset`);
        } else {
          void this.lane.whenIdle().then(() => this.ctx.link.restart());
        }
      },
      boot: () => {
        const socket = this.socket;
        if (socket) void this.boot(socket);
      },
    };
  }
}
