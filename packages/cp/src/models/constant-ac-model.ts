import { type CpModel, requirePositive } from './cp-model.js';

/**
 * One frozen model per power: it holds nothing but `kw`, and every engine without a model of its
 * own gets one (10,000 engines, a handful of powers).
 */
const byKw = new Map<number, CpModel>();

/**
 * An AC charger that delivers the same power for the whole session (the original's behaviour:
 * kWh += kW × Δt / 3600).
 *
 * @example
 * chargingPointEngine({ cpId: 'CP-001', model: constantAcModel(22) });
 */
export function constantAcModel(kw = 22): CpModel {
  requirePositive('constantAcModel', 'kw', kw);
  let model = byKw.get(kw);
  if (!model) {
    model = Object.freeze<CpModel>({ name: `constant-ac-${kw}kw`, maxKw: kw, supply: 'AC', power: () => kw });
    byKw.set(kw, model);
  }
  return model;
}
