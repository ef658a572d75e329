import type { CpState } from '@evcharging/core';
import type { CsmsLink } from '../charge-point/csms-link.js';
import { rpcError } from '../rpc/rpc-error.js';
import type {
  ChangeAvailabilityConf,
  ChangeAvailabilityReq,
  ChangeConfigurationReq,
  ChargingProfile,
  ClearChargingProfileConf,
  ClearChargingProfileReq,
  DataTransferConf,
  GetConfigurationReq,
  RemoteStartStopConf,
  RemoteStartTransactionReq,
  RemoteStopTransactionReq,
  ResetConf,
  ResetReq,
  SetChargingProfileConf,
  SetChargingProfileReq,
  TriggerMessageConf,
  TriggerMessageReq,
} from './messages.js';
import { UNSUPPORTED_CP_ACTIONS } from './messages.js';
import type { Ocpp16ChargePoint } from './ocpp16-charge-point.js';
import type { Transaction } from './transaction.js';

/** What the CSMS's calls may read of and do to the charge point. */
export interface CsmsCallTarget {
  readonly cp: Ocpp16ChargePoint;
  transaction(): Transaction | undefined;
  pending(): object | undefined;
  engineState(): CpState;
  availability(): 'Operative' | 'Inoperative';
  isBusy(): boolean;
  remoteStart(idTag: string, profile: ChargingProfile | undefined): void;
  rejectRemoteStart(): void;
  scheduleAvailability(type: 'Operative' | 'Inoperative'): void;
  reset(hard: boolean): void;
  boot(): void;
}

/**
 * The calls a CSMS makes to an OCPP 1.6 charge point, each answered as the specification says.
 * Payloads arrive checked against the official schemas (strict mode), so a handler reads typed
 * fields; an action of 1.6 that this simulator does not implement gets CALLERROR NotSupported, an
 * unknown one NotImplemented (ocpp-rpc answers that when no handler exists).
 */
export function registerCsmsCalls(link: CsmsLink, target: CsmsCallTarget): void {
  const { cp } = target;
  // After the CALLRESULT has gone out: a triggered message must follow its answer.
  const later = (work: () => void) => cp.defer(work);

  link.handle('RemoteStartTransaction', (params): RemoteStartStopConf => {
    const req = params as RemoteStartTransactionReq;
    const connectorOk = req.connectorId === undefined || req.connectorId === 1;
    if (!connectorOk || !cp.canTake()) {
      target.rejectRemoteStart();
      return { status: 'Rejected' };
    }
    if (req.chargingProfile && req.chargingProfile.chargingProfilePurpose !== 'TxProfile') {
      target.rejectRemoteStart();
      return { status: 'Rejected' };
    }
    target.remoteStart(req.idTag, req.chargingProfile);
    return { status: 'Accepted' };
  });

  link.handle('RemoteStopTransaction', (params): RemoteStartStopConf => {
    const req = params as RemoteStopTransactionReq;
    const tx = target.transaction();
    if (!tx || tx.transactionId !== req.transactionId) return { status: 'Rejected' };
    tx.stopReason = 'Remote';
    cp.stopSupply(tx, 'remote stop by the CSMS');
    return { status: 'Accepted' };
  });

  link.handle('ChangeAvailability', (params): ChangeAvailabilityConf => {
    const req = params as ChangeAvailabilityReq;
    if (req.connectorId > 1) return { status: 'Rejected' };
    if (req.type === target.availability()) return { status: 'Accepted' };
    if (target.isBusy()) {
      target.scheduleAvailability(req.type);
      return { status: 'Scheduled' };
    }
    later(() => cp.applyAvailability(req.type));
    return { status: 'Accepted' };
  });

  link.handle('Reset', (params): ResetConf => {
    const req = params as ResetReq;
    later(() => target.reset(req.type === 'Hard'));
    return { status: 'Accepted' };
  });

  link.handle('TriggerMessage', (params): TriggerMessageConf => {
    const req = params as TriggerMessageReq;
    if (req.connectorId !== undefined && req.connectorId > 1) return { status: 'Rejected' };
    switch (req.requestedMessage) {
      case 'BootNotification':
        later(() => target.boot());
        return { status: 'Accepted' };
      case 'Heartbeat':
        later(() => cp.heartbeat());
        return { status: 'Accepted' };
      case 'StatusNotification':
        later(() => cp.triggerStatus(req.connectorId ?? 1));
        return { status: 'Accepted' };
      case 'MeterValues':
        later(() => cp.pushMeterValues(target.transaction(), cp.now(), 'Trigger'));
        return { status: 'Accepted' };
      default:
        return { status: 'NotImplemented' };
    }
  });

  link.handle('GetConfiguration', (params) => cp.configuration.get((params as GetConfigurationReq).key));

  link.handle('ChangeConfiguration', (params) => {
    const req = params as ChangeConfigurationReq;
    return cp.configuration.change(req.key, req.value);
  });

  link.handle('SetChargingProfile', (params): SetChargingProfileConf => {
    const req = params as SetChargingProfileReq;
    const tx = target.transaction();
    const status = cp.profiles.install(
      req.connectorId,
      req.csChargingProfiles,
      tx ? { transactionId: tx.transactionId, startMs: tx.startMs } : undefined,
    );
    return { status };
  });

  link.handle(
    'ClearChargingProfile',
    (params): ClearChargingProfileConf => ({
      status: cp.profiles.clear(params as ClearChargingProfileReq) ? 'Accepted' : 'Unknown',
    }),
  );

  link.handle('ClearCache', () => ({ status: 'Accepted' }));
  link.handle('UnlockConnector', () => ({ status: 'NotSupported' }));
  link.handle('GetLocalListVersion', () => ({ listVersion: -1 }));
  link.handle('DataTransfer', (): DataTransferConf => ({ status: 'UnknownVendorId' }));
  for (const action of UNSUPPORTED_CP_ACTIONS) {
    link.handle(action, () => {
      throw rpcError('NotSupported', `${action} is not supported by this simulated charge point`);
    });
  }
}
