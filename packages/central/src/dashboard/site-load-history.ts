import type { DashboardSite } from './dashboard-source.js';

/** One sample of a site on the wire: [t ms, load kW, limit kW]. */
export type SiteSample = [t: number, loadKw: number, limitKw: number];

/** A site's recent samples, oldest first: what a new client's site chart starts from. */
export interface DashboardSiteSeries {
  site_id: string;
  cps: number;
  samples: SiteSample[];
}

/** A site's latest sample in a delta. */
export interface DashboardSiteDelta {
  site_id: string;
  cps: number;
  sample: SiteSample;
}

const round2 = (value: number): number => Math.round((Number.isFinite(value) ? value : 0) * 100) / 100;

/**
 * Each site's load and limit over the last `limit` samples, for the dashboard's site charts. The
 * feed samples it with the total power, so every delta carries one sample per site.
 *
 * @example
 * const history = new SiteLoadHistory(600);
 * history.sample(clock.now(), source.sites?.() ?? []); // [{ site_id, cps, sample: [t, 42, 100] }]
 * history.series(); // a new client's charts
 */
export class SiteLoadHistory {
  private readonly bySite = new Map<string, DashboardSiteSeries>();

  constructor(private readonly limit: number) {}

  /** Whether any site was ever sampled. */
  get empty(): boolean {
    return this.bySite.size === 0;
  }

  /** Records the sites' figures at `t`; returns the samples taken (one per site). */
  sample(t: number, sites: readonly DashboardSite[]): DashboardSiteDelta[] {
    const taken: DashboardSiteDelta[] = [];
    for (const site of sites) {
      let series = this.bySite.get(site.site_id);
      if (!series) {
        series = { site_id: site.site_id, cps: site.cps, samples: [] };
        this.bySite.set(site.site_id, series);
      }
      series.cps = site.cps;
      const sample: SiteSample = [t, round2(site.load_kw), round2(site.limit_kw)];
      series.samples.push(sample);
      if (series.samples.length > this.limit) series.samples.shift();
      taken.push({ site_id: site.site_id, cps: site.cps, sample });
    }
    return taken;
  }

  /** Every site's samples, oldest first, in the order the sites were first seen. */
  series(): DashboardSiteSeries[] {
    return [...this.bySite.values()].map((s) => ({ ...s, samples: [...s.samples] }));
  }
}
