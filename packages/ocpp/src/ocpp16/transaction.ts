import { isoTime, type SessionEndCause } from '@evcharging/core';
import type { Vehicle } from '../charge-point/charge-point-protocol.js';
import type { MeterValue, SampledValue, StopReason, StopTransactionReq } from './messages.js';

/** One transaction on the connector, from the engine's SUPPLYING to its ticket. */
export interface Transaction {
  readonly sessionId: string;
  readonly idTag: string;
  /** Energy register at the start, Wh. */
  readonly meterStartWh: number;
  readonly startMs: number;
  readonly vehicle: Vehicle | undefined;
  /** The CSMS's id, once StartTransaction was answered. */
  transactionId: number | undefined;
  /** Power of the last interval, kW. */
  kw: number;
  /** Energy of the session so far, kWh. */
  energyKwh: number;
  lastSampleMs: number;
  /** Why this side asked the engine to stop, when it did (RemoteStop, Reset, invalid id). */
  stopReason: StopReason | undefined;
}

/** The StopTransaction reason for the way the engine's session ended. */
export function stopReasonOf(transaction: Transaction, endedBy: SessionEndCause | undefined): StopReason {
  if (transaction.stopReason) return transaction.stopReason;
  switch (endedBy) {
    case 'vehicle_full':
      return 'EVDisconnected';
    case 'fault':
      return 'EmergencyStop';
    case 'shutdown':
      return 'Reboot';
    case 'interrupted':
      return 'PowerLoss';
    case 'central':
      return 'Remote';
    default:
      // The driver's own end (energy wanted, time up): stopped at the charge point.
      return 'Local';
  }
}

/** The state of charge, %, when the vehicle is known. */
export function socPercent(transaction: Transaction): number | undefined {
  const v = transaction.vehicle;
  if (!v) return undefined;
  return Math.min(100, Math.max(0, (v.initialSoc + transaction.energyKwh / v.batteryKwh) * 100));
}

/**
 * One meter value with the measurands MeterValuesSampledData asks for: the energy register (Wh),
 * the power of the last interval (W) and the vehicle's SoC (%) when known.
 */
export function meterValueOf(
  nowMs: number,
  registerWh: number,
  transaction: Transaction | undefined,
  measurands: readonly string[],
  context: SampledValue['context'] = 'Sample.Periodic',
): MeterValue {
  const sampledValue: SampledValue[] = [];
  for (const measurand of measurands) {
    if (measurand === 'Energy.Active.Import.Register') {
      sampledValue.push({ value: String(Math.round(registerWh)), context, measurand, unit: 'Wh' });
    } else if (measurand === 'Power.Active.Import') {
      const w = Math.round((transaction?.kw ?? 0) * 1000);
      sampledValue.push({ value: String(w), context, measurand, unit: 'W' });
    } else if (measurand === 'SoC' && transaction) {
      const soc = socPercent(transaction);
      if (soc !== undefined) {
        sampledValue.push({ value: soc.toFixed(1), context, measurand, unit: 'Percent', location: 'EV' });
      }
    }
  }
  if (sampledValue.length === 0) {
    sampledValue.push({ value: String(Math.round(registerWh)), context, unit: 'Wh' });
  }
  return { timestamp: isoTime(nowMs), sampledValue };
}

/**
 * The StopTransaction of a transaction, built when it is sent (its transactionId comes from the
 * StartTransaction answered before it; undefined while unknown: the call is discarded), with the
 * final register reading as its transaction data.
 */
export function stopTransactionOf(
  tx: Transaction,
  meterStop: number,
  endTime: string,
  reason: StopReason,
  nowMs: number,
): StopTransactionReq | undefined {
  if (tx.transactionId === undefined) return undefined;
  const endMs = Date.parse(endTime);
  const end = meterValueOf(
    Number.isNaN(endMs) ? nowMs : endMs,
    meterStop,
    tx,
    ['Energy.Active.Import.Register'],
    'Transaction.End',
  );
  return {
    transactionId: tx.transactionId,
    meterStop,
    timestamp: endTime,
    idTag: tx.idTag,
    reason,
    transactionData: [end],
  };
}
