import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DriverUpdate } from '@evcharging/core';
import { afterEach, describe, expect, it } from 'vitest';
import { CP1, CP2 } from './__fixtures__/central-harness.js';
import { Network } from './__fixtures__/network-harness.js';
import { SqliteCentralStore } from './store/sqlite-central-store.js';

// Integration: Central with the real engine and monitor plugins of @evcharging/cp, each in its own
// node on one memory broker and one virtual clock.

let net: Network;
const dirs: string[] = [];
afterEach(async () => {
  await net?.stop();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const TERMINAL = new Set(['completed', 'failed', 'denied']);
const terminal = (updates: DriverUpdate[]) => updates.find((u) => TERMINAL.has(u.status));
const lastOf = (requestId: string) => net.updatesFor(requestId).at(-1);

async function startNetwork(options: Parameters<Network['start']>[0] = {}): Promise<Network> {
  net = new Network([CP1, CP2]);
  await net.start(options);
  await net.until(() => net.state('CP-001') === 'ACTIVATED' && net.state('CP-002') === 'ACTIVATED', 'CPs up');
  return net;
}

/** Sends a request and runs until it is supplying. */
async function supplying(requestId: string, driverId: string, cpId: string, durationS = 60): Promise<void> {
  await net.request(requestId, driverId, cpId, { duration_s: durationS });
  await net.until(() => net.statusesOf(requestId).includes('in_progress'), `${requestId} in progress`);
}

describe('Central with real engines and monitors', () => {
  it('shows configured CPs DISCONNECTED until their monitors connect', async () => {
    net = new Network([CP1, CP2]);
    await net.start({}, false);
    expect(net.central.plugin.registry.list().map((c) => c.state)).toEqual(['DISCONNECTED', 'DISCONNECTED']);
    await net.advance(10_000);
    expect(net.state('CP-001')).toBe('DISCONNECTED');
    await net.startCps();
    await net.until(() => net.state('CP-001') === 'ACTIVATED', 'CP-001 up', 5000);
    expect(net.central.plugin.registry.get('CP-002')).toMatchObject({
      state: 'ACTIVATED',
      engine_state: 'ACTIVATED',
      monitor_alive: true,
      cp_e_host: 'in-process',
    });
  });

  it('10 requests from two drivers: tickets for the accepted, "busy" for a CP in use', async () => {
    await startNetwork();
    const plans: Record<string, string[]> = {
      'driver-alice': ['CP-001', 'CP-002', 'CP-001', 'CP-002', 'CP-001'],
      'driver-bob': ['CP-001', 'CP-001', 'CP-002', 'CP-002', 'CP-002'],
    };
    const done = new Set<string>();
    // Each driver as the original: send, follow to the end, wait 4 s, send the next.
    const drive = async (driverId: string, cps: string[]) => {
      for (const [i, cpId] of cps.entries()) {
        const requestId = `req-${driverId}-${i}`;
        await net.request(requestId, driverId, cpId);
        while (!terminal(net.updatesFor(requestId))) await net.clock.sleep(100);
        await net.clock.sleep(4000);
      }
      done.add(driverId);
    };
    for (const [driverId, cps] of Object.entries(plans)) void drive(driverId, cps);
    await net.until(() => done.size === 2, 'both drivers done', 300_000);

    const outcomes = Object.entries(plans).flatMap(([driverId, cps]) =>
      cps.map((cpId, i) => ({
        requestId: `req-${driverId}-${i}`,
        cpId,
        end: terminal(net.updatesFor(`req-${driverId}-${i}`))!,
      })),
    );
    expect(outcomes).toHaveLength(10);
    const denied = outcomes.filter((o) => o.end.status === 'denied');
    const completed = outcomes.filter((o) => o.end.status === 'completed');
    expect(denied.length + completed.length).toBe(10);
    expect(denied.length).toBeGreaterThanOrEqual(1);
    for (const d of denied) expect(d.end.reason).toBe(`CP ${d.cpId} is busy`);

    const store = net.central.plugin.store;
    // Every denial happened while another session held that CP.
    for (const d of denied) {
      const holders = store
        .listSessions({ cp_id: d.cpId, limit: 500 })
        .items.filter((s) => s.requested_at <= d.end.ts! && (s.end_time ?? '9') > d.end.ts!);
      expect(holders.length, `a session held ${d.cpId} when ${d.requestId} was denied`).toBe(1);
    }
    // Sessions on one CP never overlap, and each ticket is what the CP's power and price give.
    for (const def of [CP1, CP2]) {
      const sessions = store
        .listSessions({ cp_id: def.cp_id, limit: 500 })
        .items.sort((a, b) => (a.start_time! < b.start_time! ? -1 : 1));
      sessions.forEach((s, i) => {
        expect(s.status).toBe('completed');
        expect(s.ticket_received).toBe(true);
        expect(s.energy_kwh).toBeCloseTo((def.kw * 10) / 3600, 3);
        expect(s.total_cost_eur).toBeCloseTo(s.energy_kwh * def.price_eur_kwh, 2);
        if (i > 0) expect(s.start_time! >= sessions[i - 1]!.end_time!).toBe(true);
      });
    }
    for (const c of completed) {
      expect(c.end).toMatchObject({ session_id: expect.any(String), start_time: expect.any(String) });
      expect(c.end.energy_kwh).toBeGreaterThan(0);
      expect(net.statusesOf(c.requestId)).toContain('in_progress');
    }
    const report = net.central.plugin.report();
    expect(report.requests).toMatchObject({
      received: 10,
      accepted: completed.length,
      denied: denied.length,
    });
    expect(report.sessions).toMatchObject({ completed: completed.length, failed: 0, open: 0 });
    const energy = completed.reduce((sum, c) => sum + c.end.energy_kwh!, 0);
    expect(report.energy_kwh).toBeCloseTo(energy, 6);
  });

  it('a fault during a supply (monitor sees KO) ends it at once; the ticket follows; HEALTHY reactivates', async () => {
    await startNetwork();
    await supplying('req-1', 'driver-a', 'CP-001');
    await net.advance(5000);
    net.cp('CP-001').engine.plugin.setKo(true, 'overheating');
    await net.until(() => net.state('CP-001') === 'FAULT', 'CP-001 FAULT', 10_000);
    const failed = net.updatesFor('req-1').find((u) => u.status === 'failed')!;
    expect(failed.reason).toMatch(/^CP fault: 3 consecutive failed probes: .*overheating/);
    expect(failed.energy_kwh).toBeGreaterThan(0);
    // Central asked the engine to stop; its ticket arrives as a second terminal update.
    await net.until(
      () => net.updatesFor('req-1').filter((u) => u.status === 'failed').length === 2,
      'ticket',
    );
    const final = lastOf('req-1')!;
    expect(final.energy_kwh).toBeGreaterThanOrEqual(failed.energy_kwh!);
    expect(net.cp('CP-001').engine.plugin.state).toBe('ACTIVATED');
    expect(net.central.plugin.service.session(final.session_id!)).toMatchObject({
      status: 'failed',
      ticket_received: true,
      ticket: { energy_kwh: final.energy_kwh },
    });
    await net.request('req-2', 'driver-b', 'CP-001');
    await net.until(() => terminal(net.updatesFor('req-2')) !== undefined, 'req-2 answered');
    expect(lastOf('req-2')).toMatchObject({ status: 'denied', reason: 'CP CP-001 is not available (FAULT)' });

    net.cp('CP-001').engine.plugin.setKo(false);
    await net.until(() => net.state('CP-001') === 'ACTIVATED', 'CP-001 healthy again', 10_000);
    await supplying('req-3', 'driver-b', 'CP-001', 5);
    await net.until(() => lastOf('req-3')?.status === 'completed', 'req-3 completed');
  });

  it('an engine that faults by itself mid-supply: failed with its ticket, FAULT until cleared', async () => {
    await startNetwork();
    await supplying('req-1', 'driver-a', 'CP-002');
    await net.advance(3000);
    await net.cp('CP-002').engine.plugin.injectFault('ground fault');
    await net.until(() => terminal(net.updatesFor('req-1')) !== undefined, 'req-1 ended');
    expect(terminal(net.updatesFor('req-1'))).toMatchObject({
      status: 'failed',
      reason: 'fault: ground fault',
      energy_kwh: expect.any(Number),
    });
    await net.until(() => net.state('CP-002') === 'FAULT', 'CP-002 FAULT');
    await net.cp('CP-002').engine.plugin.clearFault();
    await net.until(() => net.state('CP-002') === 'ACTIVATED', 'CP-002 ACTIVATED again', 10_000);
    expect(net.central.plugin.report().sessions).toMatchObject({ failed: 1, completed: 0 });
  });

  it('a killed engine: FAULT through the monitor, energy so far, then its ticket when it comes back', async () => {
    await startNetwork();
    await supplying('req-1', 'driver-a', 'CP-001');
    await net.advance(6000);
    const cp = net.cp('CP-001');
    await cp.engine.kill();
    await net.until(() => net.state('CP-001') === 'FAULT', 'monitor reports the dead engine', 10_000);
    const failed = terminal(net.updatesFor('req-1'))!;
    expect(failed).toMatchObject({ status: 'failed' });
    expect(failed.energy_kwh).toBeGreaterThan(0);
    await cp.engine.node.stop().catch(() => undefined);
    await net.startEngine(cp);
    await net.until(
      () => net.updatesFor('req-1').filter((u) => u.status === 'failed').length === 2,
      'ticket',
    );
    expect(lastOf('req-1')!.energy_kwh).toBeGreaterThanOrEqual(failed.energy_kwh!);
    await net.until(() => net.state('CP-001') === 'ACTIVATED', 'engine back', 10_000);
  });

  it('heartbeat loss: DISCONNECTED after 5 s, the supply is stopped, and the CP takes no request', async () => {
    await startNetwork();
    await supplying('req-1', 'driver-a', 'CP-002');
    const cp = net.cp('CP-002');
    await cp.monitor.kill();
    const killedAt = net.clock.now();
    await net.until(() => net.state('CP-002') === 'DISCONNECTED', 'CP-002 DISCONNECTED', 10_000);
    const after = net.clock.now() - killedAt;
    expect(after).toBeGreaterThan(4000);
    expect(after).toBeLessThanOrEqual(6000);
    expect(terminal(net.updatesFor('req-1'))).toMatchObject({
      status: 'failed',
      reason: 'CP disconnected: no monitor heartbeat for 5 s',
    });
    await net.until(() => cp.engine.plugin.state === 'ACTIVATED', 'the engine stopped supplying', 5000);
    await net.until(
      () => net.updatesFor('req-1').filter((u) => u.status === 'failed').length === 2,
      'ticket',
    );
    await net.request('req-2', 'driver-b', 'CP-002');
    await net.until(() => terminal(net.updatesFor('req-2')) !== undefined, 'req-2 answered');
    expect(lastOf('req-2')?.reason).toBe('CP CP-002 is not available (DISCONNECTED)');

    await cp.monitor.node.stop().catch(() => undefined);
    await net.startMonitor(cp);
    await net.until(() => net.state('CP-002') === 'ACTIVATED', 'monitor back', 10_000);
  });

  it('stop ALL ends running supplies with tickets and blocks requests; resume ALL reopens', async () => {
    await startNetwork();
    await supplying('req-1', 'driver-a', 'CP-001');
    await supplying('req-2', 'driver-b', 'CP-002');
    expect(await net.central.plugin.stopCp('ALL')).toMatchObject({
      ok: true,
      affected: ['CP-001', 'CP-002'],
    });
    await net.until(
      () => ['req-1', 'req-2'].every((r) => terminal(net.updatesFor(r)) !== undefined),
      'both sessions ended',
    );
    for (const r of ['req-1', 'req-2']) {
      expect(terminal(net.updatesFor(r))).toMatchObject({
        status: 'completed',
        reason: 'stopped by operator',
      });
      expect(terminal(net.updatesFor(r))!.energy_kwh).toBeGreaterThan(0);
    }
    await net.until(
      () => [...net.cps.values()].every((cp) => cp.engine.plugin.state === 'STOPPED'),
      'engines STOPPED',
    );
    expect(net.central.plugin.registry.list().map((c) => c.state)).toEqual(['STOPPED', 'STOPPED']);
    await net.request('req-3', 'driver-c', 'CP-001');
    await net.until(() => terminal(net.updatesFor('req-3')) !== undefined, 'req-3 answered');
    expect(lastOf('req-3')?.reason).toBe('CP CP-001 is not available (STOPPED)');

    expect(await net.central.plugin.resumeCp('ALL')).toMatchObject({ ok: true });
    await net.until(
      () => net.state('CP-001') === 'ACTIVATED' && net.state('CP-002') === 'ACTIVATED',
      'CPs resumed',
    );
    await supplying('req-4', 'driver-c', 'CP-002', 5);
    await net.until(() => lastOf('req-4')?.status === 'completed', 'req-4 completed');
  });

  it('crash and restart on SQLite: the new Central has the registry, the open session and the tickets', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'central-crash-'));
    dirs.push(dir);
    const file = join(dir, 'central.db');
    await startNetwork({ store: new SqliteCentralStore(file) });
    await supplying('req-1', 'driver-a', 'CP-001', 5);
    await net.until(() => lastOf('req-1')?.status === 'completed', 'req-1 completed');
    const ticketSession = lastOf('req-1')!.session_id!;
    await supplying('req-2', 'driver-b', 'CP-002', 60);
    const openSession = lastOf('req-2')!.session_id!;

    await net.central.kill(); // no stop: the file is left as a crash leaves it
    await net.advance(20_000);
    expect(net.cp('CP-002').engine.plugin.state).toBe('SUPPLYING'); // CPs finish their supplies

    const store = new SqliteCentralStore(file);
    const central = await net.startCentral({ store });
    expect(central.registry.list().map((c) => [c.cp_id, c.location, c.price_eur_kwh])).toEqual([
      ['CP-001', CP1.location, CP1.price_eur_kwh],
      ['CP-002', CP2.location, CP2.price_eur_kwh],
    ]);
    expect(central.registry.get('CP-002')).toMatchObject({ session_id: openSession, driver_id: 'driver-b' });
    expect(central.service.session(openSession)).toMatchObject({ status: 'supplying', request_id: 'req-2' });
    expect(store.getTicket(ticketSession)).toMatchObject({ cp_id: 'CP-001', driver_id: 'driver-a' });
    expect(store.openSessions().map((s) => s.session_id)).toEqual([openSession]);

    await net.until(() => net.state('CP-001') === 'ACTIVATED', 'monitors heard again', 10_000);
    await net.until(() => lastOf('req-2')?.status === 'completed', 'the open session completes', 60_000);
    expect(lastOf('req-2')).toMatchObject({ session_id: openSession, energy_kwh: expect.any(Number) });
    expect(lastOf('req-2')!.energy_kwh).toBeCloseTo((CP2.kw * 60) / 3600, 3);
    expect(store.getTicket(openSession)).toBeDefined();
    await supplying('req-3', 'driver-a', 'CP-001', 5);
  });
});
