import { describe, expect, it } from 'vitest';
import { makeCp } from './__fixtures__/scripted-dashboard-source.js';
import type {
  DashboardDeltaMessage,
  DashboardFeedTotals,
  DashboardSnapshotMessage,
} from './dashboard-feed.js';
import type { DashboardCp } from './dashboard-source.js';

// The page's model is plain JavaScript served as is; its logic runs here in Node too.
type PageCp = DashboardCp & { _v: number };
interface PageModel {
  cps: Map<string, PageCp>;
  order: string[];
  events: unknown[];
  power: Array<[number, number]>;
  sites: Map<string, { site_id: string; cps: number; samples: Array<[number, number, number]> }>;
  seq: number;
}
interface Filter {
  text: string;
  state: string;
}
interface ModelModule {
  createModel(): PageModel;
  applySnapshot(model: PageModel, snapshot: DashboardSnapshotMessage): void;
  applyDelta(
    model: PageModel,
    delta: DashboardDeltaMessage,
  ): { changed: Set<string>; membership: boolean; events: unknown[] };
  filteredIds(model: PageModel, filter: Filter): string[];
  siteRows(
    model: PageModel,
  ): { site_id: string; cps: number; load_kw: number | null; limit_kw: number | null }[];
  activeSessions(model: PageModel, filter: Filter, limit: number): { total: number; rows: PageCp[] };
  fmt: Record<string, (v: number) => string>;
}

const url = new URL('./assets/dashboard-model.js', import.meta.url).href;
const page = (await import(url)) as ModelModule;

const totals = (power_kw = 0): DashboardFeedTotals => ({
  cps: 0,
  by_state: { ACTIVATED: 0, SUPPLYING: 0, STOPPED: 0, FAULT: 0, DISCONNECTED: 0 },
  active_sessions: 0,
  power_kw,
  energy_kwh: 0,
  revenue_eur: 0,
  closed_sessions: 0,
});

const snapshot = (cps: DashboardCp[]): DashboardSnapshotMessage => ({
  seq: 1,
  t: 1000,
  timing: { flush_interval_ms: 500, sample_interval_ms: 1000, heartbeat_interval_ms: 15000 },
  cps,
  totals: totals(),
  events: [],
  power: [[1000, 0]],
});

const delta = (fields: Partial<DashboardDeltaMessage>): DashboardDeltaMessage => ({
  seq: 2,
  t: 2000,
  cps: [],
  removed: [],
  totals: totals(),
  events: [],
  dropped_events: 0,
  ...fields,
});

describe('the page model (assets/dashboard-model.js)', () => {
  it('orders CP ids naturally (CP-2 before CP-10)', () => {
    const model = page.createModel();
    page.applySnapshot(model, snapshot([makeCp('CP-10'), makeCp('CP-2'), makeCp('CP-1')]));
    expect(model.order).toEqual(['CP-1', 'CP-2', 'CP-10']);
  });

  it('applies field diffs, new CPs and removals, and says when filters must rerun', () => {
    const model = page.createModel();
    page.applySnapshot(model, snapshot([makeCp('CP-1'), makeCp('CP-2')]));
    const before = model.cps.get('CP-1')!._v;
    const telemetry = page.applyDelta(model, delta({ cps: [{ cp_id: 'CP-1', kwh: 1.5 }] }));
    expect(telemetry.membership).toBe(false);
    expect(model.cps.get('CP-1')).toMatchObject({ kwh: 1.5, location: 'Street CP-1', state: 'ACTIVATED' });
    expect(model.cps.get('CP-1')!._v).not.toBe(before);

    expect(page.applyDelta(model, delta({ cps: [{ cp_id: 'CP-2', state: 'FAULT' }] })).membership).toBe(true);
    const grown = page.applyDelta(model, delta({ cps: [makeCp('CP-0')], removed: ['CP-1'] }));
    expect(grown.membership).toBe(true);
    expect(model.order).toEqual(['CP-0', 'CP-2']);
    expect(model.power.map(([, kw]) => kw)).toEqual([0, 0, 0, 0]);
  });

  it('gives a resynced CP a new version, so a card drawn before the resync is redrawn', () => {
    const model = page.createModel();
    page.applySnapshot(model, snapshot([makeCp('CP-1')]));
    const first = model.cps.get('CP-1')!._v;
    page.applySnapshot(model, snapshot([makeCp('CP-1', { state: 'FAULT' })]));
    expect(model.cps.get('CP-1')!._v).not.toBe(first);
  });

  it('filters by id, location or driver (any case) and by state', () => {
    const model = page.createModel();
    page.applySnapshot(
      model,
      snapshot([
        makeCp('CP-1', { location: 'Harbour' }),
        makeCp('CP-2', { location: 'Airport', state: 'FAULT' }),
        makeCp('CP-3', { location: 'Harbour', state: 'SUPPLYING', driver_id: 'driver-Zoe', session_id: 's' }),
      ]),
    );
    expect(page.filteredIds(model, { text: 'harb', state: '' })).toEqual(['CP-1', 'CP-3']);
    expect(page.filteredIds(model, { text: 'zoe', state: '' })).toEqual(['CP-3']);
    expect(page.filteredIds(model, { text: '', state: 'FAULT' })).toEqual(['CP-2']);
    expect(page.filteredIds(model, { text: 'harbour', state: 'FAULT' })).toEqual([]);
  });

  it('lists running sessions newest first, capped, with the total', () => {
    const model = page.createModel();
    const cps = Array.from({ length: 5 }, (_, i) =>
      makeCp(`CP-${i}`, { session_id: `s-${i}`, session_started_at: `2026-01-01T10:00:0${i}.000Z` }),
    );
    page.applySnapshot(model, snapshot([...cps, makeCp('CP-idle')]));
    const { total, rows } = page.activeSessions(model, { text: '', state: '' }, 3);
    expect(total).toBe(5);
    expect(rows.map((r) => r.cp_id)).toEqual(['CP-4', 'CP-3', 'CP-2']);
  });

  it('formats kW, kWh and € the way the cards show them', () => {
    expect(page.fmt.kw!(22)).toBe('22.0 kW');
    expect(page.fmt.kw!(5916)).toBe('5,916.0 kW');
    expect(page.fmt.kwh!(1.23456)).toBe('1.235 kWh');
    expect(page.fmt.eur!(0.456)).toBe('€0.46');
    expect(page.fmt.int!(10000)).toBe('10,000');
  });

  it("keeps each site's load and limit samples from the snapshot and every delta, sites in natural order", () => {
    const model = page.createModel();
    page.applySnapshot(model, {
      ...snapshot([]),
      sites: [
        { site_id: 'Site 10', cps: 4, samples: [[1000, 5, 50]] },
        { site_id: 'Site 2', cps: 2, samples: [[1000, 0, 30]] },
      ],
    });
    page.applyDelta(
      model,
      delta({
        sites: [
          { site_id: 'Site 10', cps: 4, sample: [2000, 48, 50] },
          { site_id: 'Site 2', cps: 2, sample: [2000, 20, 20] },
        ],
      }),
    );
    expect(model.sites.get('Site 10')!.samples).toEqual([
      [1000, 5, 50],
      [2000, 48, 50],
    ]);
    expect(page.siteRows(model)).toEqual([
      { site_id: 'Site 2', cps: 2, load_kw: 20, limit_kw: 20 },
      { site_id: 'Site 10', cps: 4, load_kw: 48, limit_kw: 50 },
    ]);
    // A snapshot without sites (Central restarted without them) clears them.
    page.applySnapshot(model, snapshot([]));
    expect(page.siteRows(model)).toEqual([]);
  });
});
