import type { Random } from '@evcharging/core';

/** What a fleet can see of a charging point when choosing one. */
export interface CpView {
  cp_id: string;
  /** The CP's state as last seen (`ACTIVATED` = free). */
  state: string;
  price_eur_kwh?: number;
  kw?: number;
}

/** Picks a CP among the free ones, or none. */
export type CpChooser = (free: readonly CpView[], random: Random) => CpView | undefined;

/** `random-available`: any free CP, uniformly. `cheapest`: the lowest €/kWh, ties broken at random. */
export type CpChoicePolicy = 'random-available' | 'cheapest' | CpChooser;

export const randomAvailable: CpChooser = (free, random) =>
  free.length === 0 ? undefined : free[Math.floor(random.next() * free.length)];

export const cheapest: CpChooser = (free, random) => {
  let best: CpView[] = [];
  let price = Number.POSITIVE_INFINITY;
  for (const cp of free) {
    const p = cp.price_eur_kwh ?? Number.POSITIVE_INFINITY;
    if (p < price) {
      price = p;
      best = [cp];
    } else if (p === price) best.push(cp);
  }
  return randomAvailable(best, random);
};

/** The chooser for a policy. */
export function chooserFor(policy: CpChoicePolicy): CpChooser {
  if (typeof policy === 'function') return policy;
  if (policy === 'random-available') return randomAvailable;
  if (policy === 'cheapest') return cheapest;
  throw new RangeError(
    `unknown CP choice policy ${JSON.stringify(policy)}: expected random-available or cheapest`,
  );
}
