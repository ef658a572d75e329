import { type CpModel, requirePositive } from './cp-model.js';

export interface DcFastChargerOptions {
  /** Peak power, kW (default 150). */
  maxKw?: number;
  /** Usable battery of the vehicle, kWh (default 60). */
  batteryKwh?: number;
  /** State of charge when the session starts, 0..1 (default 0.2). */
  initialSoc?: number;
  /** State of charge where the taper begins, 0..1 (default 0.8). */
  taperStartSoc?: number;
  /** Power at the end of the taper, kW, before the battery is full (default 7). */
  minKw?: number;
}

/**
 * A DC fast charger: full power up to `taperStartSoc`, then a linear taper down to `minKw` as the
 * battery fills; the session completes when the battery is full.
 *
 * @example
 * chargingPointEngine({ cpId: 'CP-002', model: dcFastChargerModel({ maxKw: 50 }) });
 */
export function dcFastChargerModel(options: DcFastChargerOptions = {}): CpModel {
  const maxKw = requirePositive('dcFastChargerModel', 'maxKw', options.maxKw ?? 150);
  const batteryKwh = requirePositive('dcFastChargerModel', 'batteryKwh', options.batteryKwh ?? 60);
  const initialSoc = options.initialSoc ?? 0.2;
  const taperStartSoc = options.taperStartSoc ?? 0.8;
  const minKw = options.minKw ?? 7;
  if (!(initialSoc >= 0 && initialSoc < 1)) {
    throw new RangeError(`dcFastChargerModel: initialSoc must be in [0, 1), got ${initialSoc}`);
  }
  if (!(taperStartSoc > 0 && taperStartSoc <= 1)) {
    throw new RangeError(`dcFastChargerModel: taperStartSoc must be in (0, 1], got ${taperStartSoc}`);
  }
  if (!(minKw >= 0 && minKw <= maxKw)) {
    throw new RangeError(`dcFastChargerModel: minKw must be in [0, maxKw], got ${minKw}`);
  }
  const soc = (energyKwh: number) => initialSoc + energyKwh / batteryKwh;
  return {
    name: `dc-fast-${maxKw}kw`,
    maxKw,
    supply: 'DC',
    power(_elapsedS, energyKwh) {
      const s = soc(energyKwh);
      if (s >= 1) return 0;
      if (s < taperStartSoc) return maxKw;
      const fraction = (1 - s) / (1 - taperStartSoc);
      return Math.max(minKw, maxKw * fraction);
    },
    sessionComplete: (_elapsedS, energyKwh) => soc(energyKwh) >= 1 - 1e-9,
  };
}
