import type {
  ChargingProfile,
  ChargingProfilePurpose,
  ChargingSchedule,
  ClearChargingProfileReq,
} from './messages.js';

/** The transaction a profile may apply to. */
export interface ProfileTransaction {
  /** The CSMS's transaction id, once StartTransaction was answered. */
  transactionId: number | undefined;
  /** When the transaction started, ms since the epoch (the start of a Relative schedule). */
  startMs: number;
}

export interface ChargingProfilesOptions {
  /** Line voltage used to turn a limit in amperes into power, V (default 230). */
  voltage?: number;
  /** Phases when a period does not say (default 3). */
  phases?: number;
  /** Most profiles kept (default 20, like `MaxChargingProfilesInstalled`). */
  maxProfiles?: number;
}

interface Installed {
  connectorId: number;
  profile: ChargingProfile;
}

const DAY_S = 86_400;
const WEEK_S = 7 * DAY_S;

/**
 * The smart-charging profiles installed on a one-connector charge point (OCPP 1.6 §3.13) and the
 * power limit they give at an instant: per purpose the valid profile of the highest stack level
 * that has a period running, the lower of ChargePointMaxProfile and the transaction's profile
 * (TxProfile, else TxDefaultProfile). Limits in A become kW at `voltage × phases`.
 *
 * @example
 * const profiles = new ChargingProfiles();
 * profiles.install(1, txProfile(11_000, 'W'), { transactionId: 7, startMs: 0 });
 * profiles.limitKw(clock.now(), { transactionId: 7, startMs: 0 }); // 11
 */
export class ChargingProfiles {
  private installed: Installed[] = [];
  private readonly voltage: number;
  private readonly phases: number;
  private readonly maxProfiles: number;

  constructor(options: ChargingProfilesOptions = {}) {
    this.voltage = options.voltage ?? 230;
    this.phases = options.phases ?? 3;
    this.maxProfiles = options.maxProfiles ?? 20;
  }

  get size(): number {
    return this.installed.length;
  }

  /**
   * Installs a profile (SetChargingProfile). Rejected: a ChargePointMaxProfile not on connector 0,
   * a TxProfile without a running transaction or for another one, or one too many profiles.
   */
  install(
    connectorId: number,
    profile: ChargingProfile,
    tx: ProfileTransaction | undefined,
  ): 'Accepted' | 'Rejected' {
    const purpose = profile.chargingProfilePurpose;
    if (purpose === 'ChargePointMaxProfile' && connectorId !== 0) return 'Rejected';
    if (purpose === 'TxProfile') {
      if (connectorId === 0 || !tx) return 'Rejected';
      if (profile.transactionId !== undefined && profile.transactionId !== tx.transactionId) {
        return 'Rejected';
      }
    }
    if (connectorId > 1) return 'Rejected';
    if (profile.chargingSchedule.chargingSchedulePeriod.length === 0) return 'Rejected';
    // The same id, or the same purpose and stack level, replaces the profile installed before.
    const kept = this.installed.filter(
      (i) =>
        i.profile.chargingProfileId !== profile.chargingProfileId &&
        !(i.profile.chargingProfilePurpose === purpose && i.profile.stackLevel === profile.stackLevel),
    );
    if (kept.length >= this.maxProfiles) return 'Rejected';
    kept.push({ connectorId, profile });
    this.installed = kept;
    return 'Accepted';
  }

  /** Removes the profiles matching every criterion given (ClearChargingProfile); true if any was. */
  clear(filter: ClearChargingProfileReq): boolean {
    const before = this.installed.length;
    this.installed = this.installed.filter((i) => {
      if (filter.id !== undefined) return i.profile.chargingProfileId !== filter.id;
      const matches =
        (filter.connectorId === undefined || i.connectorId === filter.connectorId) &&
        (filter.chargingProfilePurpose === undefined ||
          i.profile.chargingProfilePurpose === filter.chargingProfilePurpose) &&
        (filter.stackLevel === undefined || i.profile.stackLevel === filter.stackLevel);
      return !matches;
    });
    return this.installed.length !== before;
  }

  /** A transaction ended: its TxProfiles go with it. */
  endTransaction(): void {
    this.installed = this.installed.filter((i) => i.profile.chargingProfilePurpose !== 'TxProfile');
  }

  /** The power limit at `nowMs`, kW, or undefined when no profile limits it. */
  limitKw(nowMs: number, tx: ProfileTransaction | undefined): number | undefined {
    const max = this.purposeLimit('ChargePointMaxProfile', nowMs, tx);
    const txLimit = tx
      ? (this.purposeLimit('TxProfile', nowMs, tx) ?? this.purposeLimit('TxDefaultProfile', nowMs, tx))
      : undefined;
    if (max === undefined) return txLimit;
    if (txLimit === undefined) return max;
    return Math.min(max, txLimit);
  }

  private purposeLimit(
    purpose: ChargingProfilePurpose,
    nowMs: number,
    tx: ProfileTransaction | undefined,
  ): number | undefined {
    let best: { stackLevel: number; kw: number } | undefined;
    for (const { profile } of this.installed) {
      if (profile.chargingProfilePurpose !== purpose) continue;
      if (best && profile.stackLevel <= best.stackLevel) continue;
      if (profile.validFrom && Date.parse(profile.validFrom) > nowMs) continue;
      if (profile.validTo && Date.parse(profile.validTo) <= nowMs) continue;
      const kw = this.scheduleLimitKw(profile, nowMs, tx);
      if (kw !== undefined) best = { stackLevel: profile.stackLevel, kw };
    }
    return best?.kw;
  }

  private scheduleLimitKw(
    profile: ChargingProfile,
    nowMs: number,
    tx: ProfileTransaction | undefined,
  ): number | undefined {
    const schedule = profile.chargingSchedule;
    const start = scheduleStartMs(profile, nowMs, tx);
    const elapsedS = (nowMs - start) / 1000;
    if (elapsedS < 0) return undefined;
    if (schedule.duration !== undefined && elapsedS >= schedule.duration) return undefined;
    let active: ChargingSchedule['chargingSchedulePeriod'][number] | undefined;
    for (const period of schedule.chargingSchedulePeriod) {
      if (period.startPeriod <= elapsedS && (!active || period.startPeriod >= active.startPeriod)) {
        active = period;
      }
    }
    if (!active) return undefined;
    const limit = Math.max(0, active.limit);
    return schedule.chargingRateUnit === 'W'
      ? limit / 1000
      : (limit * this.voltage * (active.numberPhases ?? this.phases)) / 1000;
  }
}

/** Where a profile's schedule starts: its startSchedule, the transaction's start, or the recurrence. */
function scheduleStartMs(
  profile: ChargingProfile,
  nowMs: number,
  tx: ProfileTransaction | undefined,
): number {
  const given = profile.chargingSchedule.startSchedule;
  switch (profile.chargingProfileKind) {
    case 'Relative':
      return tx?.startMs ?? nowMs;
    case 'Absolute':
      return given ? Date.parse(given) : (tx?.startMs ?? nowMs);
    case 'Recurring': {
      const first = given ? Date.parse(given) : nowMs;
      const periodMs = (profile.recurrencyKind === 'Weekly' ? WEEK_S : DAY_S) * 1000;
      if (nowMs < first) return first;
      return first + Math.floor((nowMs - first) / periodMs) * periodMs;
    }
  }
}
