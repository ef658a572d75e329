import type { SupplyKind } from '@evcharging/core';
import { type Random, SeededRandom } from '@evcharging/core';
import type { CpModel, SessionPolicy } from '@evcharging/cp';

/** One charging point of a network: what Central is told and how its engine behaves. */
export interface CpSpec {
  cp_id: string;
  /** Default `Site <n>`. */
  location?: string;
  /** €/kWh (default 0.30). */
  price_eur_kwh?: number;
  /** Rated power, kW (default 22). */
  kw?: number;
  /** AC or DC, which of a vehicle's limits applies (default the model's, else DC from 50 kW). */
  supply?: SupplyKind;
  /** How power behaves (default the engine's constant AC model at `kw`). */
  model?: CpModel;
  /** When a supply ends by itself (default the network's `engine.policy`). */
  policy?: SessionPolicy;
}

/**
 * `n` CPs with ids `CP-001`…, a mix that makes price and power choices matter: three in four are
 * 22 kW AC at €0.25-0.35/kWh, one in four 50 kW DC at €0.40-0.50/kWh (prices drawn from the seed,
 * in cents), spread over `ceil(n / 10)` sites.
 *
 * @example
 * generateCps(4, 42); // [{ cp_id: 'CP-001', kw: 22, price_eur_kwh: 0.29, location: 'Site 1' }, ...]
 */
export function generateCps(n: number, seed: number | string | Random = 1): CpSpec[] {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`generateCps: n must be an integer >= 0, got ${n}`);
  const random = typeof seed === 'object' ? seed : new SeededRandom(seed, 'cps');
  const width = Math.max(3, String(n).length);
  return Array.from({ length: n }, (_, i) => {
    const dc = i % 4 === 3;
    const cents = dc ? random.int(40, 50) : random.int(25, 35);
    return {
      cp_id: `CP-${String(i + 1).padStart(width, '0')}`,
      location: `Site ${Math.floor(i / 10) + 1}`,
      kw: dc ? 50 : 22,
      price_eur_kwh: cents / 100,
    };
  });
}
