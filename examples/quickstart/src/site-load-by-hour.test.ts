import { describe, expect, it } from 'vitest';
import { parseSimArgs, type SimOptions } from './sim-options.js';
import { siteLoadByHour } from './site-load-by-hour.js';

describe('siteLoadByHour', () => {
  it("gives each hour's highest site load from the engines' power trace", async () => {
    const options = parseSimArgs(
      '--cps 20 --drivers 80 --hours 4 --start-hour 16 --seed 3 --vehicles default --site-limit 30 --no-progress'.split(
        ' ',
      ),
    ) as SimOptions;
    const rows = await siteLoadByHour(options, 20);
    expect(rows.map((r) => r.hour)).toEqual([16, 17, 18, 19]);
    expect(Math.max(...rows.map((r) => r.max_site_kw))).toBeGreaterThan(0);
    for (const row of rows) {
      // Two sites of ten CPs behind 30 kW: the trace never shows more (within the watt rounding).
      expect(row.max_site_kw).toBeLessThanOrEqual(30 + 1e-6);
      expect(row.sites_over).toBeLessThanOrEqual(2);
    }
  });
});
