import type { CpModel, PowerContext } from '@evcharging/cp';

export interface SolarLimitedOptions {
  /** The charger's rating, kW: never exceeded (default 22). */
  chargerKw?: number;
  /** Solar power at solar noon on a clear day, kW (default 15). */
  peakSolarKw?: number;
  /** Power the site may draw from the grid at any time, kW (default 3.7: a 16 A single phase). */
  gridKw?: number;
  /** Local hour of sunrise (default 6.5). */
  sunriseHour?: number;
  /** Local hour of sunset (default 20.5). */
  sunsetHour?: number;
  /** Hours to add to UTC for local time (default 1, Central European winter time). */
  utcOffsetHours?: number;
}

const MS_PER_HOUR = 3_600_000;

/**
 * A CP fed by a solar carport: it charges with whatever the panels give plus a small grid
 * allowance, so its power follows a daylight curve (a half sine between sunrise and sunset).
 * Written only against `@evcharging/cp`'s public `CpModel` interface; the engine integrates
 * the curve over its telemetry intervals and bills it like any other model.
 *
 * @example
 * chargingPointEngine({ cpId: 'CP-SOLAR', model: solarLimitedModel({ peakSolarKw: 15 }) });
 */
export function solarLimitedModel(options: SolarLimitedOptions = {}): CpModel & {
  /** Solar power alone at a time, kW (exposed for dashboards and tests). */
  solarKw(nowMs: number): number;
} {
  const chargerKw = options.chargerKw ?? 22;
  const peak = options.peakSolarKw ?? 15;
  const grid = options.gridKw ?? 3.7;
  const sunrise = options.sunriseHour ?? 6.5;
  const sunset = options.sunsetHour ?? 20.5;
  const offset = options.utcOffsetHours ?? 1;
  for (const [name, value] of Object.entries({ chargerKw, peak, grid })) {
    if (!(Number.isFinite(value) && value >= 0)) {
      throw new RangeError(`solarLimitedModel: ${name} must be a number >= 0, got ${value}`);
    }
  }
  if (!(chargerKw > 0)) throw new RangeError('solarLimitedModel: chargerKw must be > 0');
  if (!(sunrise >= 0 && sunset <= 24 && sunrise < sunset)) {
    throw new RangeError(
      `solarLimitedModel: need 0 <= sunriseHour < sunsetHour <= 24, got ${sunrise}..${sunset}`,
    );
  }

  const solarKw = (nowMs: number): number => {
    const localHour = (((nowMs / MS_PER_HOUR + offset) % 24) + 24) % 24;
    if (localHour <= sunrise || localHour >= sunset) return 0;
    return peak * Math.sin((Math.PI * (localHour - sunrise)) / (sunset - sunrise));
  };

  return {
    name: `solar-limited-${peak}kwp`,
    maxKw: chargerKw,
    // The session's elapsed time and energy do not matter here; the time of day does.
    power: (_elapsedS: number, _energyKwh: number, context: PowerContext) =>
      Math.min(chargerKw, grid + solarKw(context.nowMs)),
    solarKw,
  };
}
