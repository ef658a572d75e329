import { VirtualClock } from '@evcharging/core';
import { advanceUntil } from '@evcharging/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { SiteDefinition } from '../smart-charging/site.js';
import { cpId, type DashboardNetwork, dashboardNetwork } from './__fixtures__/dashboard-network.js';
import type { DashboardChange, DashboardEvent } from './dashboard-source.js';

let network: DashboardNetwork | undefined;
afterEach(async () => {
  await network?.stop();
  network = undefined;
});

async function setup(cps = 3, sites?: readonly SiteDefinition[]) {
  const clock = new VirtualClock();
  network = await dashboardNetwork({ cps, clock, intervalMs: 1000, ...(sites ? { sites } : {}) });
  await network.startCentral();
  const changes: DashboardChange[] = [];
  network.central.source.subscribe((change) => changes.push(change));
  await network.startCps();
  await clock.advance(3000);
  const events = () =>
    changes
      .filter((c): c is { type: 'event'; event: DashboardEvent } => c.type === 'event')
      .map((c) => c.event);
  const cp = (id: string) => network!.central.source.snapshot().cps.find((c) => c.cp_id === id)!;
  return { clock, network, changes, events, cp };
}

describe('CentralDashboardSource (real Central, engines and monitors, virtual time)', () => {
  it('shows configured CPs with location, price, power, and monitor liveness once they connect', async () => {
    const { cp, events } = await setup(3);
    expect(cp(cpId(2))).toMatchObject({
      location: 'Harbour',
      price_eur_kwh: 0.35,
      max_kw: 50,
      state: 'ACTIVATED',
      monitor: 'up',
      session_id: null,
      kw: 0,
    });
    expect(
      events()
        .filter((e) => e.kind === 'connection')
        .map((e) => e.cp_id),
    ).toContain(cpId(1));
  });

  it('follows a session: request, start, rising kWh and €, then the ticket into the totals', async () => {
    const { clock, network, cp, events, changes } = await setup(2);
    const id = cpId(1);
    await network.request(id, 'driver-alice');
    await advanceUntil(clock, () => cp(id).state === 'SUPPLYING', { timeoutMs: 5000 });
    await clock.advance(5000);
    const first = cp(id);
    await clock.advance(5000);
    const second = cp(id);
    expect(first).toMatchObject({ driver_id: 'driver-alice', kw: 22 });
    expect(second.kwh).toBeGreaterThan(first.kwh);
    expect(second.euros).toBeGreaterThan(first.euros);
    expect(second.session_started_at).toMatch(/^\d{4}-\d\d-\d\dT/);
    // Every reading is pushed to the page as it arrives (Central's cp.reading), not only read on demand.
    const pushed = changes.flatMap((c) => (c.type === 'cp' && c.cp.cp_id === id ? [c.cp.kwh] : []));
    expect(pushed.at(-1)).toBe(second.kwh);
    expect(new Set(pushed).size).toBeGreaterThan(5);

    await network.central.central.stopCp(id);
    await advanceUntil(clock, () => events().some((e) => e.kind === 'ticket'), { timeoutMs: 5000 });
    const kinds = events().map((e) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(['request', 'start', 'operator', 'ticket']));
    const totals = changes.filter((c) => c.type === 'totals').at(-1);
    expect(totals).toMatchObject({ type: 'totals', totals: { closed_sessions: 1 } });
    if (totals?.type === 'totals') expect(totals.totals.closed_energy_kwh).toBeGreaterThan(0);
    expect(cp(id)).toMatchObject({ state: 'STOPPED', session_id: null, kw: 0 });
  });

  it('shows the SoC of a session with a vehicle as its telemetry reports it, none without', async () => {
    const { clock, network, cp } = await setup(2);
    const vehicle = { battery_kwh: 50, arrival_soc: 20, target_soc: 90, ac_max_kw: 11, dc_max_kw: 50 };
    await network.request(cpId(1), 'driver-alice', { vehicle });
    await network.request(cpId(2), 'driver-bob');
    await advanceUntil(clock, () => cp(cpId(1)).state === 'SUPPLYING' && cp(cpId(2)).state === 'SUPPLYING', {
      timeoutMs: 5000,
    });
    await clock.advance(5000);
    const first = cp(cpId(1)).soc!;
    await clock.advance(5000);
    expect(first).toBeGreaterThan(20);
    expect(cp(cpId(1)).soc).toBeGreaterThan(first);
    expect(cp(cpId(2)).soc).toBeNull();
  });

  it('logs a denial with its reason', async () => {
    const { clock, network, events } = await setup(1);
    await network.central.central.stopCp(cpId(1));
    await clock.advance(1000);
    await network.request(cpId(1), 'driver-bob');
    await advanceUntil(clock, () => events().some((e) => e.kind === 'denial'), { timeoutMs: 5000 });
    const denial = events().find((e) => e.kind === 'denial')!;
    expect(denial).toMatchObject({ cp_id: cpId(1), driver_id: 'driver-bob' });
    expect(denial.message).toContain('denied');
  });

  it('turns an engine fault into FAULT with a fault event, and a cleared fault into a recovery', async () => {
    const { clock, network, cp, events } = await setup(2);
    const id = cpId(2);
    await network.engines.get(id)!.injectFault('overheating');
    await advanceUntil(clock, () => cp(id).state === 'FAULT', { timeoutMs: 5000 });
    expect(events().find((e) => e.kind === 'fault')?.cp_id).toBe(id);
    await network.engines.get(id)!.clearFault();
    await advanceUntil(clock, () => cp(id).state === 'ACTIVATED', { timeoutMs: 10_000 });
    expect(events().some((e) => e.kind === 'recovery' && e.cp_id === id)).toBe(true);
  });

  it('logs an operator stop of ALL once, and each CP goes STOPPED', async () => {
    const { clock, network, cp, events } = await setup(3);
    await network.central.central.stopCp('ALL');
    await clock.advance(2000);
    for (let i = 1; i <= 3; i++) expect(cp(cpId(i)).state).toBe('STOPPED');
    const operator = events().filter((e) => e.kind === 'operator' && e.message.includes('ALL'));
    expect(operator).toHaveLength(1);
    expect(operator[0]?.message).toContain('stopped ALL (3 CP(s))');
  });

  it('stops listening on close()', async () => {
    const { network, changes, clock } = await setup(1);
    network.central.source.close();
    const before = changes.length;
    await network.request(cpId(1));
    await clock.advance(3000);
    expect(changes.length).toBe(before);
  });

  it("reports each site's load against its limit, as Central's smart charging sees them", async () => {
    // Two 22 kW CPs behind 30 kW: both charging share the limit; the curve lowers it at 00:10.
    const site: SiteDefinition = {
      site_id: 'Depot',
      limit_kw: 30,
      limit_curve: [
        { from: '00:00', kw: 30 },
        { from: '00:10', kw: 20 },
      ],
      cp_ids: [cpId(1), cpId(3)],
    };
    const { clock, network, cp } = await setup(3, [site]);
    expect(network.central.source.sites()).toEqual([{ site_id: 'Depot', cps: 2, load_kw: 0, limit_kw: 30 }]);
    await network.request(cpId(1), 'driver-a');
    await network.request(cpId(3), 'driver-b');
    await advanceUntil(clock, () => cp(cpId(1)).state === 'SUPPLYING' && cp(cpId(3)).state === 'SUPPLYING', {
      timeoutMs: 10_000,
    });
    await clock.advance(5000);
    const [depot] = network.central.source.sites();
    const kw = cp(cpId(1)).kw + cp(cpId(3)).kw;
    expect(depot!.load_kw).toBeCloseTo(kw, 6);
    expect(depot!.load_kw).toBeGreaterThan(0);
    expect(depot!.load_kw).toBeLessThanOrEqual(30 + 1e-9);
    expect(depot!.limit_kw).toBe(30);
    // Central's own report of the site says the same.
    const reported = network.central.central.service.report().sites?.find((s) => s.site_id === 'Depot');
    expect(reported?.limit_kw).toBe(30);
    expect(reported?.load_kw).toBeCloseTo(depot!.load_kw, 3);
    await clock.advance(Date.parse('2026-01-01T00:10:30Z') - clock.now());
    const later = network.central.source.sites()[0]!;
    expect(later.limit_kw).toBe(20);
    expect(later.load_kw).toBeLessThanOrEqual(20 + 1e-9);
  });

  it('has no sites without smart charging', async () => {
    const { network } = await setup(2);
    expect(network.central.source.sites()).toEqual([]);
  });
});
