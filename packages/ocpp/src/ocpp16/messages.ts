/**
 * The OCPP 1.6J messages this package sends and answers, as TypeScript types. They follow the
 * official JSON schemas, which ocpp-rpc checks at run time in strict mode (every message, both
 * directions); these types keep our own code honest at compile time.
 */

/** The subprotocol of OCPP 1.6J. */
export const OCPP16 = 'ocpp1.6';

export type ChargePointStatus =
  | 'Available'
  | 'Preparing'
  | 'Charging'
  | 'SuspendedEVSE'
  | 'SuspendedEV'
  | 'Finishing'
  | 'Reserved'
  | 'Unavailable'
  | 'Faulted';

export type ChargePointErrorCode =
  | 'ConnectorLockFailure'
  | 'EVCommunicationError'
  | 'GroundFailure'
  | 'HighTemperature'
  | 'InternalError'
  | 'LocalListConflict'
  | 'NoError'
  | 'OtherError'
  | 'OverCurrentFailure'
  | 'PowerMeterFailure'
  | 'PowerSwitchFailure'
  | 'ReaderFailure'
  | 'ResetFailure'
  | 'UnderVoltage'
  | 'OverVoltage'
  | 'WeakSignal';

export type AuthorizationStatus = 'Accepted' | 'Blocked' | 'Expired' | 'Invalid' | 'ConcurrentTx';

export interface IdTagInfo {
  status: AuthorizationStatus;
  expiryDate?: string;
  parentIdTag?: string;
}

export interface BootNotificationReq {
  chargePointVendor: string;
  chargePointModel: string;
  chargePointSerialNumber?: string;
  chargeBoxSerialNumber?: string;
  firmwareVersion?: string;
  meterType?: string;
}
export interface BootNotificationConf {
  status: 'Accepted' | 'Pending' | 'Rejected';
  currentTime: string;
  /** Heartbeat interval when Accepted; retry delay otherwise, s. */
  interval: number;
}

export type HeartbeatReq = Record<string, never>;
export interface HeartbeatConf {
  currentTime: string;
}

export interface StatusNotificationReq {
  connectorId: number;
  errorCode: ChargePointErrorCode;
  status: ChargePointStatus;
  info?: string;
  timestamp?: string;
  vendorId?: string;
  vendorErrorCode?: string;
}

export interface AuthorizeReq {
  idTag: string;
}
export interface AuthorizeConf {
  idTagInfo: IdTagInfo;
}

export interface StartTransactionReq {
  connectorId: number;
  idTag: string;
  /** Energy register at the start, Wh. */
  meterStart: number;
  timestamp: string;
  reservationId?: number;
}
export interface StartTransactionConf {
  transactionId: number;
  idTagInfo: IdTagInfo;
}

export type StopReason =
  | 'EmergencyStop'
  | 'EVDisconnected'
  | 'HardReset'
  | 'Local'
  | 'Other'
  | 'PowerLoss'
  | 'Reboot'
  | 'Remote'
  | 'SoftReset'
  | 'UnlockCommand'
  | 'DeAuthorized';

export interface SampledValue {
  value: string;
  context?:
    | 'Sample.Periodic'
    | 'Sample.Clock'
    | 'Transaction.Begin'
    | 'Transaction.End'
    | 'Trigger'
    | 'Other';
  measurand?: string;
  unit?: string;
  phase?: string;
  location?: string;
  format?: 'Raw' | 'SignedData';
}
export interface MeterValue {
  timestamp: string;
  sampledValue: SampledValue[];
}

export interface StopTransactionReq {
  transactionId: number;
  /** Energy register at the end, Wh. */
  meterStop: number;
  timestamp: string;
  idTag?: string;
  reason?: StopReason;
  transactionData?: MeterValue[];
}
export interface StopTransactionConf {
  idTagInfo?: IdTagInfo;
}

export interface MeterValuesReq {
  connectorId: number;
  transactionId?: number;
  meterValue: MeterValue[];
}

export type ChargingRateUnit = 'A' | 'W';
export interface ChargingSchedulePeriod {
  startPeriod: number;
  limit: number;
  numberPhases?: number;
}
export interface ChargingSchedule {
  duration?: number;
  startSchedule?: string;
  chargingRateUnit: ChargingRateUnit;
  chargingSchedulePeriod: ChargingSchedulePeriod[];
  minChargingRate?: number;
}
export type ChargingProfilePurpose = 'ChargePointMaxProfile' | 'TxDefaultProfile' | 'TxProfile';
export interface ChargingProfile {
  chargingProfileId: number;
  transactionId?: number;
  stackLevel: number;
  chargingProfilePurpose: ChargingProfilePurpose;
  chargingProfileKind: 'Absolute' | 'Recurring' | 'Relative';
  recurrencyKind?: 'Daily' | 'Weekly';
  validFrom?: string;
  validTo?: string;
  chargingSchedule: ChargingSchedule;
}

export interface RemoteStartTransactionReq {
  connectorId?: number;
  idTag: string;
  chargingProfile?: ChargingProfile;
}
export interface RemoteStopTransactionReq {
  transactionId: number;
}
export interface RemoteStartStopConf {
  status: 'Accepted' | 'Rejected';
}

export interface ChangeAvailabilityReq {
  connectorId: number;
  type: 'Inoperative' | 'Operative';
}
export interface ChangeAvailabilityConf {
  status: 'Accepted' | 'Rejected' | 'Scheduled';
}

export interface ResetReq {
  type: 'Hard' | 'Soft';
}
export interface ResetConf {
  status: 'Accepted' | 'Rejected';
}

export type TriggerableMessage =
  | 'BootNotification'
  | 'DiagnosticsStatusNotification'
  | 'FirmwareStatusNotification'
  | 'Heartbeat'
  | 'MeterValues'
  | 'StatusNotification';
export interface TriggerMessageReq {
  requestedMessage: TriggerableMessage;
  connectorId?: number;
}
export interface TriggerMessageConf {
  status: 'Accepted' | 'Rejected' | 'NotImplemented';
}

export interface GetConfigurationReq {
  key?: string[];
}
export interface KeyValue {
  key: string;
  readonly: boolean;
  value?: string;
}
export interface GetConfigurationConf {
  configurationKey?: KeyValue[];
  unknownKey?: string[];
}
export interface ChangeConfigurationReq {
  key: string;
  value: string;
}
export interface ChangeConfigurationConf {
  status: 'Accepted' | 'Rejected' | 'RebootRequired' | 'NotSupported';
}

export interface SetChargingProfileReq {
  connectorId: number;
  csChargingProfiles: ChargingProfile;
}
export interface SetChargingProfileConf {
  status: 'Accepted' | 'Rejected' | 'NotSupported';
}
export interface ClearChargingProfileReq {
  id?: number;
  connectorId?: number;
  chargingProfilePurpose?: ChargingProfilePurpose;
  stackLevel?: number;
}
export interface ClearChargingProfileConf {
  status: 'Accepted' | 'Unknown';
}

export interface DataTransferReq {
  vendorId: string;
  messageId?: string;
  data?: string;
}
export interface DataTransferConf {
  status: 'Accepted' | 'Rejected' | 'UnknownMessageId' | 'UnknownVendorId';
  data?: string;
}

/**
 * Actions of OCPP 1.6 that a charge point may receive and this package recognises without
 * implementing: they are answered with CALLERROR NotSupported (an unknown action gets
 * NotImplemented).
 */
export const UNSUPPORTED_CP_ACTIONS = [
  'CancelReservation',
  'GetCompositeSchedule',
  'GetDiagnostics',
  'ReserveNow',
  'SendLocalList',
  'UpdateFirmware',
] as const;
