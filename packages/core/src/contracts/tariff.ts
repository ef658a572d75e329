import { type Static, Type } from '@sinclair/typebox';

/**
 * Time-of-use tariffs: a price per kWh for each period of the day. Times are `HH:MM` of the
 * clock's day (UTC, like the arrival profiles); a period whose `to` is not after its `from` runs
 * past midnight (`22:00`-`06:00`), and `to: '24:00'` ends at midnight.
 */

const ClockTime = Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$|^24:00$', description: 'HH:MM' });

export const TariffPeriodSchema = Type.Object(
  {
    from: ClockTime,
    to: ClockTime,
    eur_kwh: Type.Number({ minimum: 0, description: 'Price in this period, €/kWh' }),
  },
  { additionalProperties: true },
);
export type TariffPeriod = Static<typeof TariffPeriodSchema>;

/** A day's periods; together they cover the day once (checked by {@link compileTariff}). */
export const TariffSchema = Type.Array(TariffPeriodSchema, { minItems: 1, maxItems: 48, $id: 'Tariff' });
export type Tariff = Static<typeof TariffSchema>;

const DAY_MS = 86_400_000;
const MS_PER_HOUR = 3_600_000;

/** A checked tariff: non-overlapping slices of the day in order, ms of the day. */
export interface CompiledTariff {
  /** Slices in order of `startMs`, covering [0, DAY) without gap or overlap. */
  readonly slices: readonly { readonly startMs: number; readonly endMs: number; readonly eurKwh: number }[];
}

/** Thrown for a tariff with a gap or an overlap; the message names whose tariff and the hours. */
export class TariffError extends Error {
  override readonly name = 'TariffError';
}

function minutes(time: string): number {
  const [h, m] = time.split(':').map(Number) as [number, number];
  return h * 60 + m;
}

function hhmm(ms: number): string {
  const total = Math.round(ms / 60_000);
  return `${String(Math.floor(total / 60)).padStart(2, '0')}:${String(total % 60).padStart(2, '0')}`;
}

/**
 * Checks that the periods cover the day exactly once and returns them as slices. A gap or an
 * overlap throws a {@link TariffError} naming `owner` (e.g. `site "S-1"`) and the hours.
 *
 * @example
 * compileTariff([{ from: '00:00', to: '07:00', eur_kwh: 0.18 }, { from: '07:00', to: '24:00', eur_kwh: 0.32 }], 'site "S-1"');
 */
export function compileTariff(tariff: Tariff, owner: string): CompiledTariff {
  const slices: { startMs: number; endMs: number; eurKwh: number }[] = [];
  for (const period of tariff) {
    const from = minutes(period.from) * 60_000;
    const to = minutes(period.to) * 60_000;
    if (to > from) slices.push({ startMs: from, endMs: to, eurKwh: period.eur_kwh });
    else {
      // Runs past midnight (or, from == to, the whole day from `from`).
      if (from < DAY_MS) slices.push({ startMs: from, endMs: DAY_MS, eurKwh: period.eur_kwh });
      if (to > 0) slices.push({ startMs: 0, endMs: to, eurKwh: period.eur_kwh });
    }
  }
  slices.sort((a, b) => a.startMs - b.startMs);
  let covered = 0;
  for (const slice of slices) {
    if (slice.startMs > covered) {
      throw new TariffError(
        `tariff of ${owner}: no price from ${hhmm(covered)} to ${hhmm(slice.startMs)} (a gap)`,
      );
    }
    if (slice.startMs < covered) {
      throw new TariffError(
        `tariff of ${owner}: two prices from ${hhmm(slice.startMs)} to ${hhmm(Math.min(covered, slice.endMs))} (an overlap)`,
      );
    }
    covered = slice.endMs;
  }
  if (covered < DAY_MS) {
    throw new TariffError(`tariff of ${owner}: no price from ${hhmm(covered)} to 24:00 (a gap)`);
  }
  return { slices };
}

/** The price in effect at `ms` (ms since the epoch), €/kWh. */
export function priceAt(tariff: CompiledTariff, ms: number): number {
  const inDay = ((ms % DAY_MS) + DAY_MS) % DAY_MS;
  for (const slice of tariff.slices) if (inDay < slice.endMs) return slice.eurKwh;
  return tariff.slices[tariff.slices.length - 1]!.eurKwh;
}

/**
 * The cost of a constant `kw` from `fromMs` to `toMs`, each part of the span at the price in
 * effect then: the exact integral of power × price over time.
 *
 * @example
 * // 11 kW from 06:30 to 07:30, 0.18 €/kWh before 07:00 and 0.32 after: 5.5 × 0.18 + 5.5 × 0.32
 * costOf(tariff, 11, Date.UTC(2026, 0, 1, 6, 30), Date.UTC(2026, 0, 1, 7, 30)); // 2.75
 */
export function costOf(tariff: CompiledTariff, kw: number, fromMs: number, toMs: number): number {
  if (!(toMs > fromMs) || kw === 0) return 0;
  let cost = 0;
  let t = fromMs;
  while (t < toMs) {
    const dayStart = t - (((t % DAY_MS) + DAY_MS) % DAY_MS);
    const inDay = t - dayStart;
    let slice = tariff.slices[tariff.slices.length - 1]!;
    for (const s of tariff.slices) {
      if (inDay < s.endMs) {
        slice = s;
        break;
      }
    }
    const end = Math.min(toMs, dayStart + slice.endMs);
    cost += (kw * (end - t) * slice.eurKwh) / MS_PER_HOUR;
    t = end;
  }
  return cost;
}
