import {
  type CentralCommand,
  type CpState,
  isoTime,
  type SessionEndCause,
  type StartSupplyPayload,
  type TimerHandle,
} from '@evcharging/core';
import { roundEur, roundKw, roundKwh } from '@evcharging/cp';
import type { ChargerContext, ChargerProtocol, ChargerSession } from '../gateway/charger-protocol.js';
import { OcppCallError } from '../rpc/ocpp-socket.js';
import { rpcError } from '../rpc/rpc-error.js';
import type {
  AuthorizeReq,
  BootNotificationConf,
  ChangeAvailabilityConf,
  MeterValue,
  MeterValuesReq,
  RemoteStartStopConf,
  StartTransactionConf,
  StartTransactionReq,
  StatusNotificationReq,
  StopReason,
  StopTransactionConf,
  StopTransactionReq,
} from './messages.js';
import { OCPP16 } from './messages.js';

/** A start Central asked for, waiting for the charger's StartTransaction. */
interface PendingStart extends StartSupplyPayload {
  idTag: string;
}

/** A transaction of the charger, tied to Central's session. */
interface ProxiedTransaction {
  transactionId: number;
  session: PendingStart;
  meterStartWh: number;
  startTime: string;
  timestamp: string;
  lastWh: number;
  lastMs: number;
  kw: number;
  /** Why this side stopped it, when it did (Central, the session's energy or duration). */
  endedBy: SessionEndCause | undefined;
  durationTimer: TimerHandle | undefined;
}

/** An id tag for a driver: the driver id when it fits OCPP 1.6's 20 characters, else a stable digest. */
export function idTagOf(driverId: string): string {
  if (driverId.length <= 20) return driverId;
  let h = 0x811c9dc5;
  for (let i = 0; i < driverId.length; i++) h = Math.imul(h ^ driverId.charCodeAt(i), 0x01000193) >>> 0;
  return `${driverId.slice(0, 11)}~${h.toString(36).padStart(7, '0')}`.slice(0, 20);
}

/** The ticket's `ended_by` for the charger's StopTransaction reason (undefined: a normal end). */
function endedByOf(reason: StopReason | undefined): SessionEndCause | undefined {
  switch (reason) {
    case 'EmergencyStop':
      return 'fault';
    case 'PowerLoss':
      return 'interrupted';
    case 'HardReset':
    case 'SoftReset':
    case 'Reboot':
      return 'shutdown';
    case 'Remote':
      return 'central';
    default:
      return undefined;
  }
}

/** Energy register (Wh), power (kW) and SoC of a meter value, where present. */
function readMeter(value: MeterValue | undefined): { wh?: number; kw?: number } {
  const out: { wh?: number; kw?: number } = {};
  for (const s of value?.sampledValue ?? []) {
    const n = Number(s.value);
    if (!Number.isFinite(n)) continue;
    const measurand = s.measurand ?? 'Energy.Active.Import.Register';
    if (measurand === 'Energy.Active.Import.Register' && (s.phase === undefined || s.phase === 'L1-N')) {
      out.wh = s.unit === 'kWh' ? n * 1000 : n;
    } else if (measurand === 'Power.Active.Import' && s.phase === undefined) {
      out.kw = s.unit === 'kW' ? n : n / 1000;
    }
  }
  return out;
}

/**
 * An OCPP 1.6 charger seen from Central: its calls answered as a CSMS answers them and spoken on
 * Central's wire (StatusNotification → `cp.status`, MeterValues → `cp.telemetry`,
 * StopTransaction → the ticket on `cp.session_end`), and Central's commands turned into calls
 * (`start_supply` → RemoteStartTransaction, `stop_supply` → RemoteStopTransaction, `stop_cp` /
 * `resume_cp` → ChangeAvailability, `shutdown` → the connection closed). The session's own limits
 * (`target_kwh`, `duration_s`) are kept here: the charger is stopped remotely when one is reached.
 */
class ChargerProxy16 implements ChargerSession {
  booted = false;
  private connector0: StatusNotificationReq | undefined;
  private connector1: StatusNotificationReq | undefined;
  private published: { state: CpState; sessionId: string | undefined } | undefined;
  private pending: PendingStart | undefined;
  private tx: ProxiedTransaction | undefined;
  /** Transactions this gateway answered Invalid: their StopTransaction is answered, not forwarded. */
  private readonly foreign = new Set<number>();

  constructor(private readonly ctx: ChargerContext) {
    const { socket } = ctx;
    socket.handle('BootNotification', () => this.boot());
    socket.handle('Heartbeat', () => ({ currentTime: isoTime(ctx.clock.now()) }));
    socket.handle('StatusNotification', (p) => this.statusNotification(p as StatusNotificationReq));
    socket.handle('Authorize', (p) => ({
      idTagInfo: { status: this.knows((p as AuthorizeReq).idTag) ? 'Accepted' : 'Invalid' },
    }));
    socket.handle('StartTransaction', (p) => this.startTransaction(p as StartTransactionReq));
    socket.handle('MeterValues', (p) => this.meterValues(p as MeterValuesReq));
    socket.handle('StopTransaction', (p) => this.stopTransaction(p as StopTransactionReq));
    socket.handle('DataTransfer', () => ({ status: 'UnknownVendorId' }));
    socket.handle('DiagnosticsStatusNotification', () => ({}));
    socket.handle('FirmwareStatusNotification', () => ({}));
    for (const action of [
      'SecurityEventNotification',
      'SignCertificate',
      'LogStatusNotification',
      'SignedFirmwareStatusNotification',
    ]) {
      socket.handle(action, () => {
        throw rpcError(
          'NotSupported',
          `${action} (OCPP 1.6 security extension) is not supported by this gateway`,
        );
      });
    }
    // Until the charger says how its connector is, Central must not send it a driver.
    void this.publish('STOPPED', undefined, 'OCPP charger connected; waiting for its status');
  }

  // ---- the charger's calls -------------------------------------------------------------------

  private boot(): BootNotificationConf {
    if (!this.booted) this.ctx.counters.chargersBooted++;
    this.booted = true;
    return {
      status: 'Accepted',
      currentTime: isoTime(this.ctx.clock.now()),
      interval: this.ctx.heartbeatIntervalS,
    };
  }

  private async statusNotification(req: StatusNotificationReq): Promise<object> {
    if (req.connectorId === 0) this.connector0 = req;
    else if (req.connectorId === 1) this.connector1 = req;
    else return {}; // one connector per CP: others are not Central's
    const [state, reason] = this.stateOf();
    await this.publish(state, state === 'SUPPLYING' ? this.tx?.session.session_id : undefined, reason);
    return {};
  }

  /** Central's state for the charger: the whole charger (connector 0) first, then connector 1. */
  private stateOf(): [CpState, string] {
    const fault = [this.connector0, this.connector1].find((c) => c?.status === 'Faulted');
    if (fault) {
      const info = [fault.errorCode, fault.info, fault.vendorErrorCode].filter(Boolean).join(': ');
      return ['FAULT', info || 'Faulted'];
    }
    if (this.connector0?.status === 'Unavailable') return ['STOPPED', 'charger Unavailable'];
    const status = this.connector1?.status ?? this.connector0?.status ?? 'Unavailable';
    switch (status) {
      case 'Available':
      case 'Preparing':
        return ['ACTIVATED', `connector ${status}`];
      case 'Charging':
      case 'SuspendedEV':
      case 'SuspendedEVSE':
        return this.tx
          ? ['SUPPLYING', `connector ${status}`]
          : ['ACTIVATED', `connector ${status} (no transaction of Central)`];
      case 'Finishing':
        // The cable is still in: not free for another driver yet.
        return [this.published?.state ?? 'ACTIVATED', 'connector Finishing'];
      default:
        return ['STOPPED', `connector ${status}`];
    }
  }

  private knows(idTag: string): boolean {
    return this.pending?.idTag === idTag || this.tx?.session.idTag === idTag;
  }

  private async startTransaction(req: StartTransactionReq): Promise<StartTransactionConf> {
    const { ctx } = this;
    const tx = this.tx;
    if (tx && tx.session.idTag === req.idTag && tx.timestamp === req.timestamp) {
      return { transactionId: tx.transactionId, idTagInfo: { status: 'Accepted' } }; // a replay
    }
    const pending = this.pending;
    if (!pending || pending.idTag !== req.idTag || req.connectorId !== 1) {
      const transactionId = ctx.nextTransactionId();
      this.foreign.add(transactionId);
      ctx.counters.unauthorizedStarts++;
      return { transactionId, idTagInfo: { status: 'Invalid' } };
    }
    this.pending = undefined;
    const now = ctx.clock.now();
    const started: ProxiedTransaction = {
      transactionId: ctx.nextTransactionId(),
      session: pending,
      meterStartWh: req.meterStart,
      startTime: isoTime(Number.isNaN(Date.parse(req.timestamp)) ? now : Date.parse(req.timestamp)),
      timestamp: req.timestamp,
      lastWh: req.meterStart,
      lastMs: now,
      kw: 0,
      endedBy: undefined,
      durationTimer: undefined,
    };
    this.tx = started;
    ctx.counters.transactionsStarted++;
    if (pending.duration_s !== undefined) {
      started.durationTimer = ctx.clock.setTimeout(
        () => void this.remoteStop(started, 'duration'),
        pending.duration_s * 1000,
      );
    }
    await this.publish('SUPPLYING', pending.session_id, `transaction ${started.transactionId} started`);
    return { transactionId: started.transactionId, idTagInfo: { status: 'Accepted' } };
  }

  private async meterValues(req: MeterValuesReq): Promise<object> {
    const tx = this.tx;
    if (!tx || req.transactionId !== tx.transactionId) {
      if (req.transactionId !== undefined && !this.foreign.has(req.transactionId))
        this.ctx.counters.unknownTransactions++;
      return {};
    }
    const meter = readMeter(req.meterValue.at(-1));
    if (meter.wh === undefined) return {};
    const now = this.ctx.clock.now();
    const kwh = Math.max(0, (meter.wh - tx.meterStartWh) / 1000);
    const hours = (now - tx.lastMs) / 3_600_000;
    tx.kw = meter.kw ?? (hours > 0 ? Math.max(0, (meter.wh - tx.lastWh) / 1000 / hours) : tx.kw);
    tx.lastWh = meter.wh;
    tx.lastMs = now;
    const session = tx.session;
    await this.ctx.wire.telemetry({
      cp_id: this.ctx.cpId,
      kw: roundKw(tx.kw),
      kwh: roundKwh(kwh),
      euros: roundEur(roundKwh(kwh) * this.ctx.priceEurKwh),
      driver_id: session.driver_id,
      session_id: session.session_id,
      ts: isoTime(now),
    });
    if (session.target_kwh !== undefined && kwh >= session.target_kwh)
      await this.remoteStop(tx, 'target_energy');
    return {};
  }

  private async stopTransaction(req: StopTransactionReq): Promise<StopTransactionConf> {
    const tx = this.tx;
    if (!tx || tx.transactionId !== req.transactionId) {
      if (!this.foreign.delete(req.transactionId)) this.ctx.counters.unknownTransactions++;
      return { idTagInfo: { status: 'Accepted' } };
    }
    const energy = roundKwh(Math.max(0, (req.meterStop - tx.meterStartWh) / 1000));
    const endMs = Date.parse(req.timestamp);
    const endedBy = tx.endedBy ?? endedByOf(req.reason);
    const session = tx.session;
    try {
      await this.ctx.wire.ticket({
        cp_id: this.ctx.cpId,
        driver_id: session.driver_id,
        request_id: session.request_id,
        session_id: session.session_id,
        start_time: tx.startTime,
        end_time: isoTime(Number.isNaN(endMs) ? this.ctx.clock.now() : endMs),
        energy_kwh: energy,
        total_cost_eur: roundEur(energy * this.ctx.priceEurKwh),
        ...(endedBy ? { ended_by: endedBy } : {}),
        reason: `OCPP StopTransaction ${req.reason ?? 'Local'}`,
        ts: isoTime(this.ctx.clock.now()),
      });
    } catch (error) {
      // Not handed to Central: the charger keeps the message and sends it again.
      this.ctx.logger.warn(
        { cp_id: this.ctx.cpId, err: error },
        'ticket not published; the charger will retry',
      );
      throw rpcError('InternalError', 'Central could not take the transaction now; try again');
    }
    tx.durationTimer?.cancel();
    this.tx = undefined;
    this.ctx.counters.transactionsStopped++;
    return { idTagInfo: { status: 'Accepted' } };
  }

  // ---- Central's commands --------------------------------------------------------------------

  async command(command: CentralCommand): Promise<void> {
    switch (command.cmd) {
      case 'start_supply':
        return this.remoteStart(command.payload);
      case 'stop_supply': {
        const sessionId = command.payload?.session_id;
        if (this.pending && (sessionId === undefined || sessionId === this.pending.session_id))
          this.pending = undefined;
        const tx = this.tx;
        if (tx && (sessionId === undefined || sessionId === tx.session.session_id))
          await this.remoteStop(tx, 'central');
        return;
      }
      case 'stop_cp':
        return this.changeAvailability('Inoperative');
      case 'resume_cp':
        return this.changeAvailability('Operative');
      case 'shutdown':
        await this.ctx.socket.close(1001, 'shut down by Central');
        return;
    }
  }

  private async remoteStart(payload: StartSupplyPayload): Promise<void> {
    if (this.pending?.session_id === payload.session_id || this.tx?.session.session_id === payload.session_id)
      return;
    if (this.tx || this.pending) {
      this.ctx.counters.remoteStartsRejected++;
      return;
    }
    const pending: PendingStart = { ...payload, idTag: idTagOf(payload.driver_id) };
    this.pending = pending;
    const status = await this.call<RemoteStartStopConf>('RemoteStartTransaction', {
      connectorId: 1,
      idTag: pending.idTag,
    });
    if (status?.status !== 'Accepted') {
      if (this.pending === pending) this.pending = undefined;
      this.ctx.counters.remoteStartsRejected++;
      this.ctx.logger.info(
        { cp_id: this.ctx.cpId, session_id: payload.session_id },
        'remote start not accepted by the charger',
      );
    }
  }

  private async remoteStop(tx: ProxiedTransaction, why: SessionEndCause): Promise<void> {
    if (tx.endedBy !== undefined || this.tx !== tx) return;
    tx.endedBy = why;
    const answer = await this.call<RemoteStartStopConf>('RemoteStopTransaction', {
      transactionId: tx.transactionId,
    });
    if (answer?.status !== 'Accepted' && this.tx === tx) tx.endedBy = undefined; // may be asked again
  }

  private async changeAvailability(type: 'Operative' | 'Inoperative'): Promise<void> {
    await this.call<ChangeAvailabilityConf>('ChangeAvailability', { connectorId: 0, type });
  }

  /** A call to the charger; a failure is logged and counted, never thrown into the command handler. */
  private async call<R>(action: string, payload: object): Promise<R | undefined> {
    try {
      return await this.ctx.socket.call<R>(action, payload);
    } catch (error) {
      const why =
        error instanceof OcppCallError ? `${error.kind}${error.code ? ` ${error.code}` : ''}` : String(error);
      this.ctx.logger.warn({ cp_id: this.ctx.cpId, action, why }, 'call to the charger failed');
      return undefined;
    }
  }

  private publish(state: CpState, sessionId: string | undefined, reason: string): Promise<void> {
    const last = this.published;
    if (last && last.state === state && last.sessionId === sessionId) return Promise.resolve();
    this.published = { state, sessionId };
    return this.ctx.wire.status({
      cp_id: this.ctx.cpId,
      state,
      reason,
      ts: isoTime(this.ctx.clock.now()),
      ...(sessionId !== undefined ? { session_id: sessionId } : {}),
    });
  }

  verdict(): { status: 'FAULT' | 'HEALTHY'; reason?: string } {
    const [state, reason] = this.stateOf();
    return state === 'FAULT' ? { status: 'FAULT', reason } : { status: 'HEALTHY' };
  }

  closed(): void {
    this.tx?.durationTimer?.cancel();
  }
}

/**
 * OCPP 1.6J chargers on the Central side (the gateway's protocol module for `ocpp1.6`).
 *
 * @example
 * ocppGateway({ central: () => central.api, protocols: [ocpp16Charger] });
 */
export const ocpp16Charger: ChargerProtocol = {
  subprotocol: OCPP16,
  attach: (context) => new ChargerProxy16(context),
};
