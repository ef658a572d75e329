import { type CpModel, requirePositive } from './cp-model.js';

/**
 * An AC charger that delivers the same power for the whole session (the original's behaviour:
 * kWh += kW × Δt / 3600).
 *
 * @example
 * chargingPointEngine({ cpId: 'CP-001', model: constantAcModel(22) });
 */
export function constantAcModel(kw = 22): CpModel {
  requirePositive('constantAcModel', 'kw', kw);
  return { name: `constant-ac-${kw}kw`, maxKw: kw, supply: 'AC', power: () => kw };
}
