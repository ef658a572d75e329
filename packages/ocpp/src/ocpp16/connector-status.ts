import { type CpState, isoTime } from '@evcharging/core';
import type { ChargePointErrorCode, ChargePointStatus, StatusNotificationReq } from './messages.js';

/** What decides the connector's OCPP status. */
export interface ConnectorFacts {
  engineState: CpState;
  /** A transaction runs; its last interval's power, kW; whether any telemetry came yet. */
  transaction: { kw: number; measured: boolean } | undefined;
  /** The power limit of the charging profiles now, kW. */
  limitKw: number | undefined;
  /** The transaction ended and the cable is still in. */
  finishing: boolean;
  /** A driver is plugged in (or the CSMS started remotely) and the engine has not started yet. */
  preparing: boolean;
  availability: 'Operative' | 'Inoperative';
}

/**
 * The connector's status (OCPP 1.6 §4.9) from the engine's state: FAULT → Faulted,
 * STOPPED/DISCONNECTED → Unavailable, SUPPLYING → Charging (SuspendedEVSE when a profile gives 0,
 * SuspendedEV when the vehicle takes nothing), ACTIVATED → Finishing, Preparing, Unavailable
 * (Inoperative) or Available.
 */
export function connectorStatusOf(f: ConnectorFacts): ChargePointStatus {
  switch (f.engineState) {
    case 'FAULT':
      return 'Faulted';
    case 'STOPPED':
    case 'DISCONNECTED':
      return 'Unavailable';
    case 'SUPPLYING': {
      const tx = f.transaction;
      if (!tx || tx.kw > 0 || !tx.measured) return 'Charging';
      return f.limitKw === 0 ? 'SuspendedEVSE' : 'SuspendedEV';
    }
    case 'ACTIVATED':
      if (f.finishing) return 'Finishing';
      if (f.preparing) return 'Preparing';
      return f.availability === 'Inoperative' ? 'Unavailable' : 'Available';
  }
}

/** A StatusNotification: `OtherError` with the engine's reason (50 characters) when Faulted. */
export function statusNotificationOf(
  connectorId: number,
  status: ChargePointStatus,
  faultInfo: string | undefined,
  nowMs: number,
): StatusNotificationReq {
  const errorCode: ChargePointErrorCode = status === 'Faulted' ? 'OtherError' : 'NoError';
  const req: StatusNotificationReq = { connectorId, errorCode, status, timestamp: isoTime(nowMs) };
  if (status === 'Faulted' && faultInfo) req.info = faultInfo.slice(0, 50);
  return req;
}
