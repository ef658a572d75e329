import {
  type CompiledTariff,
  compileTariff,
  type Tariff,
  TariffSchema,
  validateSchema,
} from '@evcharging/core';
import { type Static, Type } from '@sinclair/typebox';

const ClockTime = Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$', description: 'HH:MM' });

/** A site: CPs behind one grid connection, its limit (optionally a curve over the day), its prices. */
export const SiteDefinitionSchema = Type.Object(
  {
    site_id: Type.String({ minLength: 1, maxLength: 256 }),
    /** The grid connection's limit, kW (the curve's value where it has none). */
    limit_kw: Type.Number({ minimum: 0 }),
    /** Steps over the day: from each `from` on, the limit is `kw` (e.g. a solar site's midday). */
    limit_curve: Type.Optional(
      Type.Array(Type.Object({ from: ClockTime, kw: Type.Number({ minimum: 0 }) }), { maxItems: 96 }),
    ),
    cp_ids: Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { minItems: 1 }),
    /** Time-of-use prices covering the day once; absent: each CP's own €/kWh. */
    tariff: Type.Optional(TariffSchema),
  },
  { additionalProperties: false },
);
export type SiteDefinition = Static<typeof SiteDefinitionSchema>;

/** Thrown for a bad site definition; names the site and the field. */
export class SiteDefinitionError extends Error {
  override readonly name = 'SiteDefinitionError';
}

const DAY_MS = 86_400_000;

/** A checked site. */
export interface Site {
  readonly id: string;
  readonly cpIds: readonly string[];
  readonly tariff: Tariff | undefined;
  readonly compiledTariff: CompiledTariff | undefined;
  /** The limit in force at `ms`, kW. */
  limitAt(ms: number): number;
  /** The lowest limit in force at any instant of [fromMs, toMs], kW. */
  lowestLimit(fromMs: number, toMs: number): number;
}

function minuteOf(time: string): number {
  const [h, m] = time.split(':').map(Number) as [number, number];
  return h * 60 + m;
}

/** Builds a checked {@link Site}; `limitCurve` steps are sorted by time. */
function siteOf(definition: SiteDefinition): Site {
  const steps = (definition.limit_curve ?? [])
    .map((s) => ({ atMs: minuteOf(s.from) * 60_000, kw: s.kw }))
    .sort((a, b) => a.atMs - b.atMs);
  // Before the first step of the day, the last step of the previous day holds (a daily cycle);
  // without steps, the flat limit.
  const valueAtDayMs = (inDay: number): number => {
    if (steps.length === 0) return definition.limit_kw;
    let kw = steps[steps.length - 1]!.kw;
    for (const step of steps) if (step.atMs <= inDay) kw = step.kw;
    return kw;
  };
  const dayMs = (ms: number) => ((ms % DAY_MS) + DAY_MS) % DAY_MS;
  return {
    id: definition.site_id,
    cpIds: definition.cp_ids,
    tariff: definition.tariff,
    compiledTariff: definition.tariff
      ? compileTariff(definition.tariff, `site "${definition.site_id}"`)
      : undefined,
    limitAt: (ms) => valueAtDayMs(dayMs(ms)),
    lowestLimit(fromMs, toMs) {
      let lowest = valueAtDayMs(dayMs(fromMs));
      if (steps.length === 0) return lowest;
      // Every step that starts within the window.
      const dayStart = fromMs - dayMs(fromMs);
      for (let day = dayStart; day <= toMs; day += DAY_MS) {
        for (const step of steps) {
          const at = day + step.atMs;
          if (at > fromMs && at <= toMs) lowest = Math.min(lowest, step.kw);
        }
      }
      return lowest;
    },
  };
}

/**
 * Checks site definitions against the CPs Central knows: each site valid, each CP in one site at
 * most and known, each tariff covering the day once. Throws a {@link SiteDefinitionError} listing
 * every problem with the site it belongs to.
 *
 * @example
 * checkSites([{ site_id: 'S-1', limit_kw: 150, cp_ids: ['CP-001', 'CP-002'] }], ['CP-001', 'CP-002']);
 */
export function checkSites(definitions: readonly unknown[], knownCpIds: Iterable<string>): Site[] {
  const known = new Set(knownCpIds);
  const owner = new Map<string, string>();
  const ids = new Set<string>();
  const problems: string[] = [];
  const sites: Site[] = [];
  definitions.forEach((raw, i) => {
    const checked = validateSchema<SiteDefinition>(SiteDefinitionSchema, raw);
    if (!checked.ok) {
      problems.push(`sites[${i}]: ${checked.reasons.join('; ')}`);
      return;
    }
    const site = checked.value;
    const where = `site "${site.site_id}"`;
    if (ids.has(site.site_id)) problems.push(`${where}: duplicate site_id`);
    ids.add(site.site_id);
    for (const cpId of site.cp_ids) {
      if (!known.has(cpId)) problems.push(`${where}: cp_ids names an unknown CP "${cpId}"`);
      const other = owner.get(cpId);
      if (other !== undefined) problems.push(`${where}: CP "${cpId}" is already in site "${other}"`);
      owner.set(cpId, site.site_id);
    }
    try {
      sites.push(siteOf(site));
    } catch (error) {
      problems.push((error as Error).message);
    }
  });
  if (problems.length > 0) throw new SiteDefinitionError(`invalid sites:\n  ${problems.join('\n  ')}`);
  return sites;
}
