import { isoTime } from '@evcharging/core';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CentralHarness,
  CP1,
  CP2,
  type HarnessOptions,
  startCentral,
} from './__fixtures__/central-harness.js';

// Central driven directly through the wire contract: the test plays engines (cp.status,
// cp.telemetry, cp.session_end), drivers (driver.requests) and monitors (the in-process api).

let h: CentralHarness;
afterEach(async () => {
  await h?.stop();
});

async function start(options: HarnessOptions = {}): Promise<CentralHarness> {
  h = await startCentral(options);
  return h;
}

async function connect(cpId: string): Promise<void> {
  expect(await h.central.api.register({ cp_id: cpId, cp_e_host: 'engine', cp_e_port: 8001 })).toEqual({
    ok: true,
  });
  await h.publish('cp.status', { cp_id: cpId, state: 'ACTIVATED' });
  await h.settle();
}

/** Keeps a monitor alive for `ms` of virtual time (a heartbeat every second). */
async function heartbeatsFor(cpId: string, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 1000) {
    await h.central.api.heartbeat({ cp_id: cpId });
    await h.clock.advance(1000);
  }
}

async function request(requestId: string, cpId: string, driverId = 'driver-a'): Promise<void> {
  await h.publish('driver.requests', { request_id: requestId, driver_id: driverId, cp_id: cpId });
  await h.settle();
}

function statuses(requestId: string): string[] {
  return h.updatesFor(requestId).map((u) => u.status);
}

function sessionOf(requestId: string): string {
  const accepted = h.updatesFor(requestId).find((u) => u.status === 'accepted');
  expect(accepted?.session_id).toMatch(/^session-[0-9a-f]{8}$/);
  return accepted!.session_id!;
}

describe('registry', () => {
  it('shows every configured CP DISCONNECTED until its monitor connects, then follows the engine', async () => {
    await start();
    expect(h.central.registry.list().map((c) => [c.cp_id, c.state, c.location, c.price_eur_kwh])).toEqual([
      ['CP-001', 'DISCONNECTED', 'Main St 1', 0.3],
      ['CP-002', 'DISCONNECTED', 'Harbour 2', 0.35],
    ]);
    await connect('CP-001');
    expect(h.central.registry.get('CP-001')).toMatchObject({
      state: 'ACTIVATED',
      monitor_alive: true,
      cp_e_host: 'engine',
      cp_e_port: 8001,
    });
    await h.publish('cp.status', { cp_id: 'CP-001', state: 'STOPPED' });
    await h.settle();
    expect(h.central.registry.get('CP-001')?.state).toBe('STOPPED');
    expect(h.central.registry.countByState()).toMatchObject({ STOPPED: 1, DISCONNECTED: 1 });
  });

  it('adds CPs that register without being configured, with their figures or the defaults', async () => {
    await start({ cps: [] });
    await h.central.api.register({
      cp_id: 'CP-NEW',
      cp_e_host: 'h',
      cp_e_port: 1,
      location: 'Depot',
      price_eur_kwh: 0.5,
      kw: 11,
    });
    await h.central.api.register({ cp_id: 'CP-BARE', cp_e_host: 'h', cp_e_port: 2 });
    expect(h.central.registry.get('CP-NEW')).toMatchObject({ location: 'Depot', price_eur_kwh: 0.5, kw: 11 });
    expect(h.central.registry.get('CP-BARE')).toMatchObject({
      location: 'unknown',
      price_eur_kwh: 0.3,
      kw: 22,
    });
    expect(h.central.store.getCp('CP-NEW')?.source).toBe('registration');
  });

  it('refuses unconfigured CPs when asked to, and wrong or missing per-CP secrets', async () => {
    await start({ cps: [{ ...CP1, secret: 's3cret' }], allowUnregisteredCps: false });
    expect(await h.central.api.register({ cp_id: 'CP-X', cp_e_host: 'h', cp_e_port: 1 })).toMatchObject({
      ok: false,
      reason: 'unknown CP "CP-X"',
    });
    expect(await h.central.api.register({ cp_id: 'CP-001', cp_e_host: 'h', cp_e_port: 1 })).toMatchObject({
      ok: false,
      code: 'unauthorized',
    });
    expect(
      await h.central.api.register({ cp_id: 'CP-001', cp_e_host: 'h', cp_e_port: 1, secret: 'nope' }),
    ).toMatchObject({ ok: false, reason: 'wrong secret' });
    expect(await h.central.api.heartbeat({ cp_id: 'CP-001' })).toMatchObject({ ok: false });
    expect(h.central.registry.get('CP-001')?.state).toBe('DISCONNECTED');
    expect(
      await h.central.api.register({ cp_id: 'CP-001', cp_e_host: 'h', cp_e_port: 1, secret: 's3cret' }),
    ).toEqual({ ok: true });
    expect(await h.central.api.heartbeat({ cp_id: 'CP-001', secret: 's3cret' })).toEqual({ ok: true });
    const audit = h.central.store.listAudit({ action: 'monitor.register' }).items.map((a) => a.outcome);
    expect(audit).toEqual(['ok', 'unauthorized', 'unauthorized', 'not_found']);
  });

  it('answers a heartbeat of an unknown CP with a refusal that asks to register', async () => {
    await start();
    expect(await h.central.api.heartbeat({ cp_id: 'CP-404' })).toMatchObject({
      ok: false,
      code: 'unknown_cp',
      reason: 'unknown CP "CP-404": register first',
    });
    expect(await h.central.api.heartbeat({ cp_id: '' })).toMatchObject({ ok: false, code: 'invalid' });
  });

  it('at start, frees a stored CP whose session is no longer open', async () => {
    const { MemoryCentralStore } = await import('./store/memory-central-store.js');
    const store = new MemoryCentralStore();
    await start({ store });
    await connect('CP-001');
    await request('req-1', 'CP-001');
    const sessionId = sessionOf('req-1');
    await h.stop();
    // As if the session ended while the CP record kept pointing at it.
    store.saveSession({ ...store.getSession(sessionId)!, status: 'completed', ticket_received: true });
    await start({ store });
    expect(h.central.registry.get('CP-001')).toMatchObject({ session_id: null, driver_id: null });
    await connect('CP-001');
    await request('req-2', 'CP-001');
    expect(statuses('req-2')).toEqual(['accepted']);
  });

  it('without monitors, shows the engine state (engine-only simulations)', async () => {
    await start({ requireMonitor: false });
    expect(h.central.registry.get('CP-001')?.state).toBe('DISCONNECTED');
    await h.publish('cp.status', { cp_id: 'CP-001', state: 'ACTIVATED' });
    await h.settle();
    expect(h.central.registry.get('CP-001')?.state).toBe('ACTIVATED');
  });
});

describe('requests and sessions', () => {
  it('accepts, starts supply, reports progress and completes with the ticket', async () => {
    await start();
    await connect('CP-001');
    await request('req-00000001', 'CP-001');
    const sessionId = sessionOf('req-00000001');
    expect(h.commands).toEqual([
      {
        cmd: 'start_supply',
        cp_id: 'CP-001',
        payload: { driver_id: 'driver-a', request_id: 'req-00000001', session_id: sessionId },
        ts: expect.any(String),
      },
    ]);
    expect(h.central.registry.get('CP-001')).toMatchObject({ driver_id: 'driver-a', session_id: sessionId });

    await h.publish('cp.status', { cp_id: 'CP-001', state: 'SUPPLYING', session_id: sessionId });
    await h.publish('cp.telemetry', {
      cp_id: 'CP-001',
      kw: 22,
      kwh: 0.0061,
      euros: 0.0018,
      driver_id: 'driver-a',
      session_id: sessionId,
    });
    await h.settle();
    expect(h.central.registry.get('CP-001')?.state).toBe('SUPPLYING');
    expect(h.updatesFor('req-00000001').at(-1)).toMatchObject({
      status: 'in_progress',
      kw: 22,
      kwh: 0.0061,
      euros: 0.0018,
      session_id: sessionId,
    });

    await h.publish('cp.session_end', {
      cp_id: 'CP-001',
      driver_id: 'driver-a',
      request_id: 'req-00000001',
      session_id: sessionId,
      start_time: '2026-01-01T00:00:00.000Z',
      end_time: '2026-01-01T00:00:10.000Z',
      energy_kwh: 0.0611,
      total_cost_eur: 0.0183,
      reason: 'duration reached',
    });
    await h.publish('cp.status', { cp_id: 'CP-001', state: 'ACTIVATED' });
    await h.settle();
    expect(statuses('req-00000001')).toEqual(['accepted', 'in_progress', 'completed']);
    expect(h.updatesFor('req-00000001').at(-1)).toMatchObject({
      status: 'completed',
      session_id: sessionId,
      energy_kwh: 0.0611,
      total_cost_eur: 0.0183,
      start_time: '2026-01-01T00:00:00.000Z',
      end_time: '2026-01-01T00:00:10.000Z',
    });
    expect(h.central.service.session(sessionId)).toMatchObject({
      status: 'completed',
      ticket_received: true,
      ticket: { energy_kwh: 0.0611 },
    });
    expect(h.central.registry.get('CP-001')).toMatchObject({ state: 'ACTIVATED', session_id: null });
    const report = h.central.report();
    expect(report.sessions).toMatchObject({ started: 1, completed: 1, failed: 0, open: 0 });
    expect(report.energy_kwh).toBeCloseTo(0.0611);
    expect(report.revenue_eur).toBeCloseTo(0.0183);
  });

  it('denies with a reason: unknown CP, not available (with the state), busy, shutting down', async () => {
    await start();
    await request('req-unknown', 'CP-404');
    await request('req-discon', 'CP-002');
    await connect('CP-001');
    await request('req-first', 'CP-001');
    await request('req-busy', 'CP-001', 'driver-b');
    await h.publish('cp.status', { cp_id: 'CP-001', state: 'SUPPLYING' });
    await h.settle();
    await request('req-busy2', 'CP-001', 'driver-b');
    const reasonOf = (id: string) => h.updatesFor(id).map((u) => `${u.status}: ${u.reason ?? ''}`);
    expect(reasonOf('req-unknown')).toEqual(['denied: unknown CP "CP-404"']);
    expect(reasonOf('req-discon')).toEqual(['denied: CP CP-002 is not available (DISCONNECTED)']);
    expect(reasonOf('req-busy')).toEqual(['denied: CP CP-001 is busy']);
    expect(reasonOf('req-busy2')).toEqual(['denied: CP CP-001 is busy']);
    h.central.beginShutdown();
    await request('req-late', 'CP-002');
    expect(reasonOf('req-late')).toEqual(['denied: Central is shutting down']);
    expect(h.central.report().requests.denied_by_reason).toEqual({
      unknown_cp: 1,
      not_available: 1,
      busy: 2,
      shutting_down: 1,
      invalid_request: 0,
    });
  });

  it('does not accept a request for a CP in FAULT or STOPPED', async () => {
    await start();
    await connect('CP-001');
    await connect('CP-002');
    await h.central.api.reportFault({ cp_id: 'CP-001', status: 'FAULT', reason: 'probe failed' });
    await h.publish('cp.status', { cp_id: 'CP-002', state: 'STOPPED' });
    await h.settle();
    await request('req-f', 'CP-001');
    await request('req-s', 'CP-002');
    expect(h.updatesFor('req-f')[0]?.reason).toBe('CP CP-001 is not available (FAULT)');
    expect(h.updatesFor('req-s')[0]?.reason).toBe('CP CP-002 is not available (STOPPED)');
    expect(h.commands).toEqual([]);
  });

  it('answers a redelivered request the same way, without a second session', async () => {
    await start();
    await connect('CP-001');
    await request('req-dup', 'CP-001');
    await request('req-dup', 'CP-001');
    // Its session still waits for the engine: the same start goes again (the first may be lost),
    // for the same session, which an engine that has it ignores.
    const starts = h.commands.filter((c) => c.cmd === 'start_supply');
    expect(starts).toHaveLength(2);
    expect(starts[1]).toEqual(starts[0]);
    expect(statuses('req-dup')).toEqual(['accepted', 'accepted']);
    expect(new Set(h.updatesFor('req-dup').map((u) => u.session_id)).size).toBe(1);
    expect(h.central.store.listSessions({ cp_id: 'CP-001' }).total).toBe(1);
    // Once it supplies, a redelivered request sends no start.
    const sessionId = h.updatesFor('req-dup')[0]!.session_id!;
    await h.publish('cp.status', { cp_id: 'CP-001', state: 'SUPPLYING', session_id: sessionId });
    await h.settle();
    await request('req-dup', 'CP-001');
    expect(h.commands.filter((c) => c.cmd === 'start_supply')).toHaveLength(2);
    expect(statuses('req-dup')).toEqual(['accepted', 'accepted', 'in_progress']);

    // A denied request stays denied, even once the reason is gone.
    await request('req-denied', 'CP-002');
    await connect('CP-002');
    await request('req-denied', 'CP-002');
    expect(statuses('req-denied')).toEqual(['denied', 'denied']);
    expect(h.central.store.listSessions({ cp_id: 'CP-002' }).total).toBe(0);
    expect(h.central.report().requests.duplicates).toBe(3);
  });

  it("starts a session only on the engine's SUPPLYING status; telemetry read first carries figures, not the start", async () => {
    await start();
    await connect('CP-001');
    await request('req-t', 'CP-001');
    const sessionId = sessionOf('req-t');
    // Kafka keeps order per topic, not across topics: telemetry may be read before the status.
    await h.publish('cp.telemetry', {
      cp_id: 'CP-001',
      kw: 22,
      kwh: 0.1,
      euros: 0.03,
      session_id: sessionId,
    });
    await h.settle();
    expect(h.central.service.session(sessionId)).toMatchObject({
      status: 'accepted',
      energy_kwh: 0.1,
      start_time: null,
    });
    expect(h.updatesFor('req-t').at(-1)).toMatchObject({ status: 'in_progress', kwh: 0.1 });
    await h.publish('cp.status', { cp_id: 'CP-001', state: 'SUPPLYING', session_id: sessionId });
    await h.settle();
    expect(h.central.service.session(sessionId)?.status).toBe('supplying');
    expect(h.central.service.session(sessionId)?.start_time).not.toBeNull();
  });

  it('fails a session whose CP never starts supplying, and stops the engine in case', async () => {
    await start({ startTimeoutMs: 3000 });
    await connect('CP-001');
    await request('req-slow', 'CP-001');
    const sessionId = sessionOf('req-slow');
    await heartbeatsFor('CP-001', 2000);
    expect(statuses('req-slow')).toEqual(['accepted']);
    await heartbeatsFor('CP-001', 2000);
    await h.settle();
    expect(h.updatesFor('req-slow').at(-1)).toMatchObject({
      status: 'failed',
      reason: 'CP did not start supplying within 3 s',
      session_id: sessionId,
      energy_kwh: 0,
    });
    expect(h.commands.at(-1)).toMatchObject({ cmd: 'stop_supply', payload: { session_id: sessionId } });
    expect(h.central.registry.get('CP-001')).toMatchObject({ state: 'ACTIVATED', session_id: null });
  });

  it('counts an engine ticket ended by a fault as a failed session, even before the FAULT status', async () => {
    await start();
    await connect('CP-001');
    await request('req-f', 'CP-001');
    const sessionId = sessionOf('req-f');
    await h.publish('cp.status', { cp_id: 'CP-001', state: 'SUPPLYING', session_id: sessionId });
    await h.publish('cp.session_end', {
      cp_id: 'CP-001',
      driver_id: 'driver-a',
      session_id: sessionId,
      start_time: isoTime(h.clock.now()),
      end_time: isoTime(h.clock.now()),
      energy_kwh: 0.5,
      total_cost_eur: 0.15,
      ended_by: 'fault',
      reason: 'fault: overheating',
    });
    await h.publish('cp.status', { cp_id: 'CP-001', state: 'FAULT', reason: 'overheating' });
    await h.settle();
    expect(statuses('req-f')).toEqual(['accepted', 'failed']);
    expect(h.updatesFor('req-f').at(-1)).toMatchObject({ reason: 'fault: overheating', energy_kwh: 0.5 });
    expect(h.central.registry.get('CP-001')?.state).toBe('FAULT');
    expect(h.central.store.listFaults({ cp_id: 'CP-001' }).items[0]).toMatchObject({
      kind: 'ENGINE_FAULT',
      reason: 'overheating',
    });
    expect(h.central.report().sessions).toMatchObject({ completed: 0, failed: 1 });
  });

  it.each([
    ['target_energy', 'completed'],
    ['duration', 'completed'],
    ['vehicle_full', 'completed'],
    ['central', 'completed'],
    ['fault', 'failed'],
    ['shutdown', 'failed'],
    ['interrupted', 'failed'],
  ] as const)(
    'decides the outcome of a ticket ended by %s from ended_by alone: %s',
    async (cause, outcome) => {
      await start();
      await connect('CP-001');
      await request('req-e', 'CP-001');
      const sessionId = sessionOf('req-e');
      await h.publish('cp.status', { cp_id: 'CP-001', state: 'SUPPLYING', session_id: sessionId });
      await h.publish('cp.session_end', {
        cp_id: 'CP-001',
        driver_id: 'driver-a',
        session_id: sessionId,
        start_time: isoTime(h.clock.now()),
        end_time: isoTime(h.clock.now()),
        energy_kwh: 1,
        total_cost_eur: 0.3,
        ended_by: cause,
        // The text says nothing Central could match: only ended_by decides.
        reason: 'see ended_by',
      });
      await h.settle();
      expect(statuses('req-e')).toEqual(['accepted', outcome]);
      expect(h.central.service.session(sessionId)?.status).toBe(outcome);
    },
  );

  it("completes an original engine's ticket (no ended_by), whatever its free-text reason says", async () => {
    await start();
    await connect('CP-001');
    await request('req-o', 'CP-001');
    const sessionId = sessionOf('req-o');
    await h.publish('cp.status', { cp_id: 'CP-001', state: 'SUPPLYING' });
    await h.publish('cp.session_end', {
      cp_id: 'CP-001',
      driver_id: 'driver-a',
      session_id: sessionId,
      start_time: isoTime(h.clock.now()),
      end_time: isoTime(h.clock.now()),
      energy_kwh: 2,
      total_cost_eur: 0.6,
      reason: 'fault: the words do not decide',
    });
    await h.settle();
    expect(statuses('req-o')).toEqual(['accepted', 'completed']);
  });

  it('never sees an invalid message: the transport rejects it at the boundary with its reasons', async () => {
    await start();
    await connect('CP-001');
    await expect(h.wire.publish('driver.requests', { request_id: 'req-x' } as never)).rejects.toThrow(
      /\/driver_id.*\/cp_id|\/cp_id.*\/driver_id/,
    );
    await expect(
      h.wire.publish('cp.telemetry', { cp_id: 'CP-001', kw: -5, euros: 'a lot' } as never),
    ).rejects.toThrow(/\/kw.*\/euros/);
    await h.settle();
    expect(h.central.report().messages.in['driver.requests']).toBeUndefined();
    expect(h.updates).toEqual([]);
    await request('req-ok', 'CP-404');
    expect(statuses('req-ok')).toEqual(['denied']);
  });

  it("reports what its transport rejected on its behalf (a Kafka consumer's dead letters)", async () => {
    await start();
    const rejected = { 'cp.telemetry': 3 };
    const transport = h.node.transport;
    const stats = transport.stats.bind(transport);
    transport.stats = () => ({ ...stats(), rejected });
    expect(h.central.report().messages.rejected).toEqual(rejected);
    const metrics = await h.central.metrics.registry.metrics();
    expect(metrics).toContain(
      'evcharging_central_messages_total{topic="cp.telemetry",direction="rejected"} 3',
    );
  });
});

describe('faults and liveness', () => {
  async function supplying(requestId: string): Promise<string> {
    await connect('CP-001');
    await request(requestId, 'CP-001');
    const sessionId = sessionOf(requestId);
    await h.publish('cp.status', { cp_id: 'CP-001', state: 'SUPPLYING', session_id: sessionId });
    await h.publish('cp.telemetry', {
      cp_id: 'CP-001',
      kw: 22,
      kwh: 1.2,
      euros: 0.36,
      session_id: sessionId,
    });
    await h.settle();
    return sessionId;
  }

  it('a monitor FAULT ends the running session at once with the energy so far; HEALTHY reactivates', async () => {
    await start();
    const sessionId = await supplying('req-1');
    expect(
      await h.central.api.reportFault({ cp_id: 'CP-001', status: 'FAULT', reason: 'engine silent' }),
    ).toEqual({
      ok: true,
    });
    await h.settle();
    expect(h.central.registry.get('CP-001')).toMatchObject({ state: 'FAULT', fault_reason: 'engine silent' });
    expect(h.updatesFor('req-1').at(-1)).toMatchObject({
      status: 'failed',
      reason: 'CP fault: engine silent',
      energy_kwh: 1.2,
      total_cost_eur: 0.36,
    });
    expect(h.commands.at(-1)).toMatchObject({ cmd: 'stop_supply', payload: { session_id: sessionId } });

    // The engine's ticket arrives later: the driver gets the final figures.
    await h.publish('cp.session_end', {
      cp_id: 'CP-001',
      driver_id: 'driver-a',
      session_id: sessionId,
      start_time: '2026-01-01T00:00:00.000Z',
      end_time: '2026-01-01T00:03:00.000Z',
      energy_kwh: 1.25,
      total_cost_eur: 0.375,
      reason: 'stop_supply',
    });
    await h.settle();
    expect(statuses('req-1')).toEqual(['accepted', 'in_progress', 'failed', 'failed']);
    expect(h.updatesFor('req-1').at(-1)).toMatchObject({
      energy_kwh: 1.25,
      total_cost_eur: 0.375,
      reason: 'CP fault: engine silent',
    });
    expect(h.central.service.session(sessionId)).toMatchObject({ status: 'failed', ticket_received: true });

    await h.central.api.reportFault({ cp_id: 'CP-001', status: 'HEALTHY' });
    await h.publish('cp.status', { cp_id: 'CP-001', state: 'ACTIVATED' });
    await h.settle();
    expect(h.central.registry.get('CP-001')).toMatchObject({ state: 'ACTIVATED', fault_reason: null });
    expect(h.central.store.listFaults({ cp_id: 'CP-001' }).items.map((f) => f.kind)).toEqual([
      'HEALTHY',
      'FAULT',
      'CONNECTED',
    ]);
  });

  it('no heartbeat for 5 s: DISCONNECTED, the supply is stopped and the driver told', async () => {
    await start();
    const sessionId = await supplying('req-hb');
    await heartbeatsFor('CP-001', 10_000); // the last one was 1 s ago
    expect(h.central.registry.get('CP-001')?.state).toBe('SUPPLYING');
    await h.clock.advance(3900);
    expect(h.central.registry.get('CP-001')?.state).toBe('SUPPLYING');
    await h.clock.advance(200);
    await h.settle();
    expect(h.central.registry.get('CP-001')).toMatchObject({ state: 'DISCONNECTED', monitor_alive: false });
    expect(h.updatesFor('req-hb').at(-1)).toMatchObject({
      status: 'failed',
      reason: 'CP disconnected: no monitor heartbeat for 5 s',
    });
    expect(h.commands.at(-1)).toMatchObject({ cmd: 'stop_supply', payload: { session_id: sessionId } });
    await request('req-after', 'CP-001');
    expect(h.updatesFor('req-after')[0]?.reason).toBe('CP CP-001 is not available (DISCONNECTED)');
    // It comes back with the next heartbeat.
    await h.central.api.heartbeat({ cp_id: 'CP-001' });
    expect(h.central.registry.get('CP-001')?.state).toBe('SUPPLYING');
    expect(h.central.report().disconnections).toBe(1);
  });

  it('takes the heartbeat timeout from its options', async () => {
    await start({ heartbeatTimeoutMs: 1500 });
    await connect('CP-001');
    await h.clock.advance(1400);
    expect(h.central.registry.get('CP-001')?.state).toBe('ACTIVATED');
    await h.clock.advance(200);
    expect(h.central.registry.get('CP-001')?.state).toBe('DISCONNECTED');
  });
});

describe('operator', () => {
  it('stop ALL ends running supplies with their tickets and blocks requests; resume ALL undoes it', async () => {
    await start();
    await connect('CP-001');
    await connect('CP-002');
    await request('req-1', 'CP-001');
    const sessionId = sessionOf('req-1');
    await h.publish('cp.status', { cp_id: 'CP-001', state: 'SUPPLYING', session_id: sessionId });
    await h.settle();
    h.commands.length = 0;

    const stopped = await h.central.stopCp('ALL');
    expect(stopped).toEqual({ ok: true, command: 'stop', target: 'ALL', affected: ['CP-001', 'CP-002'] });
    await h.settle();
    expect(h.commands.map((c) => `${c.cmd} ${c.cp_id}`)).toEqual([
      'stop_supply CP-001',
      'stop_cp CP-001',
      'stop_cp CP-002',
    ]);
    expect(h.central.registry.list().map((c) => c.state)).toEqual(['STOPPED', 'STOPPED']);
    await request('req-2', 'CP-002');
    expect(h.updatesFor('req-2')[0]?.reason).toBe('CP CP-002 is not available (STOPPED)');

    await h.publish('cp.session_end', {
      cp_id: 'CP-001',
      driver_id: 'driver-a',
      session_id: sessionId,
      start_time: '2026-01-01T00:00:00.000Z',
      end_time: '2026-01-01T00:00:05.000Z',
      energy_kwh: 0.03,
      total_cost_eur: 0.009,
      reason: 'stop_supply',
    });
    await h.settle();
    expect(h.updatesFor('req-1').at(-1)).toMatchObject({
      status: 'completed',
      reason: 'stopped by operator',
      energy_kwh: 0.03,
    });

    h.commands.length = 0;
    expect(await h.central.resumeCp('ALL')).toMatchObject({ ok: true, affected: ['CP-001', 'CP-002'] });
    await h.settle();
    expect(h.commands.map((c) => `${c.cmd} ${c.cp_id}`)).toEqual(['resume_cp CP-001', 'resume_cp CP-002']);
    await h.publish('cp.status', { cp_id: 'CP-002', state: 'ACTIVATED' });
    await h.settle();
    await request('req-3', 'CP-002');
    expect(statuses('req-3')).toEqual(['accepted']);
    expect(h.central.store.listAudit({ action: 'cp.stop' }).items[0]).toMatchObject({
      who: 'in-process',
      target: 'ALL',
      outcome: 'ok',
    });
  });

  it('an unknown target is refused; a stopped CP that comes back is stopped again', async () => {
    await start();
    expect(await h.central.stopCp('CP-404')).toMatchObject({ ok: false, reason: 'unknown CP "CP-404"' });
    await h.central.stopCp('CP-001');
    await h.settle();
    h.commands.length = 0;
    await connect('CP-001'); // the engine (re)connects as ACTIVATED
    expect(h.commands.map((c) => c.cmd)).toEqual(['stop_cp']);
    expect(h.central.registry.get('CP-001')?.state).toBe('STOPPED');
  });
});

describe('report', () => {
  it('gives per-CP utilisation from the time spent supplying', async () => {
    await start();
    await connect('CP-001');
    await request('req-u', 'CP-001');
    const sessionId = sessionOf('req-u');
    await h.publish('cp.status', { cp_id: 'CP-001', state: 'SUPPLYING', session_id: sessionId });
    await h.settle();
    await heartbeatsFor('CP-001', 10_000);
    await h.publish('cp.session_end', {
      cp_id: 'CP-001',
      driver_id: 'driver-a',
      session_id: sessionId,
      start_time: 'a',
      end_time: 'b',
      energy_kwh: 0.06,
      total_cost_eur: 0.018,
    });
    await h.settle();
    await heartbeatsFor('CP-001', 10_000);
    const report = h.central.report();
    const cp1 = report.cps.find((c) => c.cp_id === 'CP-001')!;
    expect(cp1.busy_ms).toBe(10_000);
    expect(cp1.utilisation).toBeCloseTo(10_000 / report.elapsed_ms);
    expect(cp1).toMatchObject({ sessions: 1, completed: 1, energy_kwh: 0.06 });
    expect(report.cps.find((c) => c.cp_id === CP2.cp_id)?.utilisation).toBe(0);
    expect(report.messages.out['driver.updates']).toBe(2);
    expect(CP1.cp_id).toBe(cp1.cp_id);
  });
});

describe('a request for a CP whose supply has just ended', () => {
  /** CP-001's session ended with its ticket; the engine's ACTIVATED status not read yet. */
  async function supplyEnded(): Promise<void> {
    await start();
    await connect('CP-001');
    await request('req-1', 'CP-001');
    const sessionId = sessionOf('req-1');
    await h.publish('cp.status', { cp_id: 'CP-001', state: 'SUPPLYING', session_id: sessionId });
    await h.publish('cp.session_end', {
      cp_id: 'CP-001',
      driver_id: 'driver-a',
      request_id: 'req-1',
      session_id: sessionId,
      start_time: '2026-01-01T00:00:00.000Z',
      end_time: '2026-01-01T00:00:10.000Z',
      energy_kwh: 0.0611,
      total_cost_eur: 0.0183,
      ended_by: 'duration',
    });
    await h.settle();
    expect(statuses('req-1').at(-1)).toBe('completed');
    expect(h.central.registry.get('CP-001')?.state).toBe('SUPPLYING');
  }

  /** Publishes a request and lets it be read, without waiting for it to be decided. */
  async function requestWaiting(requestId: string): Promise<void> {
    await h.publish('driver.requests', { request_id: requestId, driver_id: 'driver-b', cp_id: 'CP-001' });
    for (let i = 0; i < 10; i++) await h.clock.advance(0);
  }

  it('waits for the engine’s next status, and is accepted once the CP is ACTIVATED', async () => {
    await supplyEnded();
    await requestWaiting('req-2');
    await heartbeatsFor('CP-001', 2000);
    expect(statuses('req-2')).toEqual([]);
    await h.publish('cp.status', { cp_id: 'CP-001', state: 'ACTIVATED' });
    await h.settle();
    expect(statuses('req-2')).toEqual(['accepted']);
    expect(h.commands.filter((c) => c.cmd === 'start_supply')).toHaveLength(2);
  });

  it('is denied as the next status says: FAULT', async () => {
    await supplyEnded();
    await requestWaiting('req-2');
    expect(statuses('req-2')).toEqual([]);
    await h.publish('cp.status', { cp_id: 'CP-001', state: 'FAULT', reason: 'overheating' });
    await h.settle();
    expect(h.updatesFor('req-2')).toMatchObject([
      { status: 'denied', reason: 'CP CP-001 is not available (FAULT)' },
    ]);
  });

  it('is denied busy when no status comes within settleTimeoutMs (5 s)', async () => {
    await supplyEnded();
    await requestWaiting('req-2');
    await heartbeatsFor('CP-001', 4000);
    await h.central.api.heartbeat({ cp_id: 'CP-001' });
    await h.clock.advance(900);
    expect(statuses('req-2')).toEqual([]);
    await h.clock.advance(200);
    await h.settle();
    expect(h.updatesFor('req-2')).toMatchObject([{ status: 'denied', reason: 'CP CP-001 is busy' }]);
  });

  it('is denied when Central stops meanwhile, and does not hold the stop up', async () => {
    await supplyEnded();
    await requestWaiting('req-2');
    await h.central.service.stop(); // resolves without advancing the clock: the request is not waited for
    for (let i = 0; i < 10; i++) await h.clock.advance(0);
    expect(h.updatesFor('req-2')).toMatchObject([{ status: 'denied', reason: 'Central is shutting down' }]);
  });

  it('is denied at once while the CP supplies an open session', async () => {
    await start();
    await connect('CP-001');
    await request('req-1', 'CP-001');
    await h.publish('cp.status', { cp_id: 'CP-001', state: 'SUPPLYING', session_id: sessionOf('req-1') });
    await h.settle();
    await request('req-2', 'CP-001', 'driver-b');
    expect(h.updatesFor('req-2')).toMatchObject([{ status: 'denied', reason: 'CP CP-001 is busy' }]);
  });
});
