import type { ChangeConfigurationConf, GetConfigurationConf, KeyValue } from './messages.js';

type Kind = 'int' | 'bool' | 'measurands' | 'text';

interface KeyDefinition {
  readonly kind: Kind;
  readonly readonly: boolean;
  value: string;
}

/** Measurands this simulator can sample (MeterValuesSampledData). */
export const SAMPLED_MEASURANDS = ['Energy.Active.Import.Register', 'Power.Active.Import', 'SoC'] as const;

/** The configuration keys a charge point starts with, their kinds and defaults. */
function defaults(overrides: Partial<Record<string, string>>): Map<string, KeyDefinition> {
  const rw = (kind: Kind, value: string): KeyDefinition => ({ kind, readonly: false, value });
  const ro = (kind: Kind, value: string): KeyDefinition => ({ kind, readonly: true, value });
  const keys = new Map<string, KeyDefinition>([
    ['AuthorizeRemoteTxRequests', rw('bool', 'false')],
    ['ClockAlignedDataInterval', ro('int', '0')],
    ['ConnectionTimeOut', rw('int', '60')],
    ['GetConfigurationMaxKeys', ro('int', '50')],
    ['HeartbeatInterval', rw('int', '300')],
    ['LocalAuthorizeOffline', rw('bool', 'true')],
    ['LocalPreAuthorize', rw('bool', 'false')],
    ['MeterValuesAlignedData', ro('measurands', '')],
    ['MeterValuesSampledData', rw('measurands', SAMPLED_MEASURANDS.join(','))],
    ['MeterValueSampleInterval', rw('int', '60')],
    ['NumberOfConnectors', ro('int', '1')],
    ['ResetRetries', rw('int', '1')],
    ['ConnectorPhaseRotation', rw('text', 'NotApplicable')],
    ['StopTransactionOnEVSideDisconnect', rw('bool', 'true')],
    ['StopTransactionOnInvalidId', rw('bool', 'true')],
    ['StopTxnAlignedData', ro('measurands', '')],
    ['StopTxnSampledData', ro('measurands', '')],
    ['SupportedFeatureProfiles', ro('text', 'Core,SmartCharging,RemoteTrigger')],
    ['TransactionMessageAttempts', rw('int', '3')],
    ['TransactionMessageRetryInterval', rw('int', '10')],
    ['UnlockConnectorOnEVSideDisconnect', rw('bool', 'true')],
    ['ChargeProfileMaxStackLevel', ro('int', '10')],
    ['ChargingScheduleAllowedChargingRateUnit', ro('text', 'Current,Power')],
    ['ChargingScheduleMaxPeriods', ro('int', '24')],
    ['MaxChargingProfilesInstalled', ro('int', '20')],
  ]);
  for (const [key, value] of Object.entries(overrides)) {
    const def = keys.get(key);
    if (!def) throw new RangeError(`OCPP configuration: unknown key "${key}"`);
    if (value === undefined || !valid(def.kind, value)) {
      throw new RangeError(`OCPP configuration: ${key} cannot be "${value}" (expected ${def.kind})`);
    }
    def.value = value;
  }
  return keys;
}

function valid(kind: Kind, value: string): boolean {
  switch (kind) {
    case 'int':
      return /^\d{1,9}$/.test(value);
    case 'bool':
      return value === 'true' || value === 'false';
    case 'measurands':
      return (
        value === '' ||
        value.split(',').every((m) => (SAMPLED_MEASURANDS as readonly string[]).includes(m.trim()))
      );
    case 'text':
      return value.length <= 500;
  }
}

/**
 * A charge point's configuration keys (OCPP 1.6 §9.1, the Core and Smart Charging keys):
 * GetConfiguration reads them, ChangeConfiguration writes the writable ones after checking the
 * value. A listener hears every accepted change (the heartbeat timer follows HeartbeatInterval).
 *
 * @example
 * const config = new ChargePointConfiguration({ MeterValueSampleInterval: '10' });
 * config.int('MeterValueSampleInterval'); // 10
 * config.change('HeartbeatInterval', 'soon'); // { status: 'Rejected' }
 */
export class ChargePointConfiguration {
  private readonly keys: Map<string, KeyDefinition>;

  constructor(
    overrides: Partial<Record<string, string>> = {},
    private readonly onChange: (key: string, value: string) => void = () => {},
  ) {
    this.keys = defaults(overrides);
  }

  int(key: string): number {
    return Number(this.keys.get(key)?.value ?? 0);
  }

  bool(key: string): boolean {
    return this.keys.get(key)?.value === 'true';
  }

  list(key: string): string[] {
    const value = this.keys.get(key)?.value ?? '';
    return value === '' ? [] : value.split(',').map((v) => v.trim());
  }

  /** Sets a key from this side (the boot interval becomes HeartbeatInterval), without the listener. */
  set(key: string, value: string): void {
    const def = this.keys.get(key);
    if (def && valid(def.kind, value)) def.value = value;
  }

  get(requested: readonly string[] | undefined): GetConfigurationConf {
    const configurationKey: KeyValue[] = [];
    const unknownKey: string[] = [];
    const names = requested && requested.length > 0 ? requested : [...this.keys.keys()];
    for (const key of names) {
      const def = this.keys.get(key);
      if (def) configurationKey.push({ key, readonly: def.readonly, value: def.value });
      else unknownKey.push(key.slice(0, 50));
    }
    return unknownKey.length > 0 ? { configurationKey, unknownKey } : { configurationKey };
  }

  change(key: string, value: string): ChangeConfigurationConf {
    const def = this.keys.get(key);
    if (!def) return { status: 'NotSupported' };
    if (def.readonly || !valid(def.kind, value)) return { status: 'Rejected' };
    def.value = value;
    this.onChange(key, value);
    return { status: 'Accepted' };
  }
}
