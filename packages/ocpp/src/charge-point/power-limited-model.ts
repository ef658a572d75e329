import type { CpModel, PowerContext } from '@evcharging/cp';

/**
 * A CP model whose power never exceeds a limit read at every sample: how a charging profile
 * lowers the delivered power without any change to the engine. The engine asks its model for the
 * power of each telemetry interval, so a new limit applies from the next interval on. The limit
 * `undefined` means none; 0 suspends the supply (the session stays open).
 *
 * @example
 * let cap: number | undefined = 11;
 * const model = powerLimitedModel(constantAcModel(22), () => cap);
 * chargingPointEngine({ cpId: 'CP-001', model }); // delivers 11 kW until cap changes
 */
export function powerLimitedModel(
  base: CpModel,
  limitKw: (context: PowerContext) => number | undefined,
): CpModel {
  const model: CpModel = {
    name: `${base.name}+limit`,
    maxKw: base.maxKw,
    power(elapsedS, energyKwh, context) {
      const power = base.power(elapsedS, energyKwh, context);
      const limit = limitKw(context);
      return limit === undefined ? power : Math.min(power, Math.max(0, limit));
    },
  };
  if (base.sessionComplete) model.sessionComplete = base.sessionComplete.bind(base);
  if (base.faults) return { ...model, faults: base.faults };
  return model;
}
