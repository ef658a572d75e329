import { describe, expect, it } from 'vitest';
import {
  bestPolicy,
  comparePolicies,
  comparisonCsv,
  comparisonTable,
  type PolicyRow,
} from './sim-compare.js';
import { parseSimArgs, type SimOptions } from './sim-options.js';

/** Ten CPs in one site of 40 kW, 60 drivers with vehicles over an evening. */
const options = parseSimArgs([
  '--cps',
  '10',
  '--drivers',
  '60',
  '--hours',
  '6',
  '--start-hour',
  '16',
  '--seed',
  '5',
  '--site-limit',
  '40',
  '--vehicles',
  'default',
  '--no-progress',
]) as SimOptions;

const withoutWall = (rows: PolicyRow[]) => rows.map(({ wall_ms: _, ...figures }) => figures);

describe('--compare-policies', () => {
  it('runs the same seed under each policy: the same hash and figures per policy on every run', async () => {
    const first = await comparePolicies(options);
    const second = await comparePolicies(options);
    expect(first.map((r) => r.policy)).toEqual(['uncontrolled', 'equal-share', 'edf', 'llf']);
    expect(withoutWall(second)).toEqual(withoutWall(first));
    // The policies do decide differently: not one run four times.
    expect(new Set(first.map((r) => r.event_log_hash)).size).toBeGreaterThan(1);
    for (const row of first) {
      expect(row.sessions).toBeGreaterThan(5);
      expect(row.allocation_errors).toBe(0);
      // Telemetry rounds each CP's power to the watt: ten CPs may add up to 10 W over.
      expect(row.max_site_peak_kw).toBeLessThanOrEqual(40.01);
      expect(row.energy_delivered_kwh).toBeLessThanOrEqual(row.energy_requested_kwh);
      expect(row.drivers_met_target).toBeLessThanOrEqual(row.drivers_with_target);
    }
    const best = bestPolicy(first)!;
    for (const row of first) expect(best.met_target_share).toBeGreaterThanOrEqual(row.met_target_share);
    expect(comparisonTable(first)).toContain(`most targets met: ${best.policy}`);
    const csv = comparisonCsv(first).trim().split('\n');
    expect(csv).toHaveLength(5);
    expect(csv[0]).toMatch(/^policy,sites,sessions,max_site_peak_kw,/);
  }, 120_000);

  it('names no best policy when no driver had a target', () => {
    const row = (policy: string, unmet: number): PolicyRow => ({
      policy,
      sites: 1,
      sessions: 4,
      max_site_peak_kw: 30,
      site_limit_kw: 30,
      energy_requested_kwh: 0,
      energy_delivered_kwh: 40,
      unmet_kwh: unmet,
      drivers_with_target: 0,
      drivers_met_target: 0,
      met_target_share: 0,
      cost_eur: 12,
      limit_commands: 3,
      allocation_errors: 0,
      event_log_hash: 'ab'.repeat(32),
      wall_ms: 10,
    });
    const rows = [row('uncontrolled', 0), row('equal-share', 0)];
    expect(bestPolicy(rows)).toBeUndefined();
    expect(comparisonTable(rows)).toContain('no driver had a target');
    expect(comparisonTable(rows)).not.toContain('most targets met');
  });

  it('needs a site limit', async () => {
    await expect(comparePolicies({ ...options, siteLimitKw: undefined })).rejects.toThrow(
      'comparePolicies: options.siteLimitKw is needed',
    );
  });
});
