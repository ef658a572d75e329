import { afterEach, describe, expect, it } from 'vitest';
import { type CentralHarness, startCentral } from './__fixtures__/central-harness.js';
import type { CentralEvents } from './central-events.js';

// Central's one event stream: what the dashboard, the network helper and tests hear of Central.

let h: CentralHarness;
afterEach(async () => {
  await h?.stop();
});

function record(): Array<[keyof CentralEvents, string]> {
  const seen: Array<[keyof CentralEvents, string]> = [];
  const { events } = h.central;
  events.on('cp.changed', (e) => seen.push(['cp.changed', `${e.cp_id} ${e.state}`]));
  events.on('session.changed', (e) => seen.push(['session.changed', `${e.cp_id} ${e.status}`]));
  events.on('request.decided', (r) => seen.push(['request.decided', `${r.request_id} ${r.decision}`]));
  events.on('audit', (a) => seen.push(['audit', `${a.action} ${a.target} ${a.outcome}`]));
  return seen;
}

describe('Central events', () => {
  it('announces each change once: CPs, sessions, decided requests and audited actions', async () => {
    h = await startCentral();
    const seen = record();
    await h.central.api.register({ cp_id: 'CP-001', cp_e_host: 'engine', cp_e_port: 8001 });
    await h.publish('cp.status', { cp_id: 'CP-001', state: 'ACTIVATED' });
    await h.publish('driver.requests', { request_id: 'req-1', driver_id: 'd', cp_id: 'CP-001' });
    await h.publish('driver.requests', { request_id: 'req-2', driver_id: 'd', cp_id: 'CP-404' });
    await h.settle();
    await h.central.stopCp('CP-002');
    expect(seen.filter(([kind]) => kind !== 'cp.changed')).toEqual([
      ['audit', 'monitor.register CP-001 ok'],
      ['request.decided', 'req-1 accepted'],
      ['session.changed', 'CP-001 accepted'],
      ['request.decided', 'req-2 denied'],
      ['audit', 'cp.stop CP-002 ok'],
    ]);
    expect(seen).toContainEqual(['cp.changed', 'CP-001 ACTIVATED']);
    // CP-002's monitor never connected: it shows DISCONNECTED, stopped or not.
    expect(seen).toContainEqual(['cp.changed', 'CP-002 DISCONNECTED']);
  });

  it('a telemetry reading is a cp.reading with its figures, not a cp.changed', async () => {
    h = await startCentral();
    await h.central.api.register({ cp_id: 'CP-001', cp_e_host: 'engine', cp_e_port: 8001 });
    await h.publish('cp.status', { cp_id: 'CP-001', state: 'ACTIVATED' });
    await h.publish('driver.requests', { request_id: 'req-1', driver_id: 'd', cp_id: 'CP-001' });
    await h.settle();
    const session = h.updatesFor('req-1')[0]!.session_id!;
    await h.publish('cp.status', { cp_id: 'CP-001', state: 'SUPPLYING', session_id: session });
    await h.settle();
    const seen = record();
    const readings: string[] = [];
    h.central.events.on('cp.reading', (e) =>
      readings.push(`${e.cp_id} ${e.telemetry.kw} ${e.telemetry.kwh}`),
    );
    for (const kwh of [0.5, 1]) {
      await h.publish('cp.telemetry', {
        cp_id: 'CP-001',
        kw: 11,
        kwh,
        euros: kwh * 0.3,
        session_id: session,
        driver_id: 'd',
      });
    }
    await h.settle();
    expect(readings).toEqual(['CP-001 11 0.5', 'CP-001 11 1']);
    expect(seen.filter(([kind]) => kind === 'cp.changed')).toEqual([]);
    // The dashboard shows the figures the reading brought.
    expect(h.central.registry.get('CP-001')?.telemetry).toMatchObject({ kw: 11, kwh: 1 });
  });

  it('a redelivered request is not decided again', async () => {
    h = await startCentral();
    const seen = record();
    for (let i = 0; i < 2; i++) {
      await h.publish('driver.requests', { request_id: 'req-1', driver_id: 'd', cp_id: 'CP-404' });
      await h.settle();
    }
    expect(seen.filter(([kind]) => kind === 'request.decided')).toEqual([
      ['request.decided', 'req-1 denied'],
    ]);
    expect(h.updatesFor('req-1').map((u) => u.status)).toEqual(['denied', 'denied']);
  });

  it('a listener that throws hurts neither Central nor the listeners after it', async () => {
    h = await startCentral();
    h.central.events.on('request.decided', () => {
      throw new Error('a broken listener');
    });
    const seen = record();
    await h.publish('driver.requests', { request_id: 'req-1', driver_id: 'd', cp_id: 'CP-404' });
    await h.settle();
    expect(seen).toEqual([['request.decided', 'req-1 denied']]);
    expect(h.updatesFor('req-1').map((u) => u.status)).toEqual(['denied']);
    expect(h.central.report().requests).toMatchObject({ received: 1, denied: 1 });
  });

  it('stops telling a listener that stopped listening', async () => {
    h = await startCentral();
    const decided: string[] = [];
    const off = h.central.events.on('request.decided', (r) => decided.push(r.request_id));
    await h.publish('driver.requests', { request_id: 'req-1', driver_id: 'd', cp_id: 'CP-404' });
    await h.settle();
    off();
    await h.publish('driver.requests', { request_id: 'req-2', driver_id: 'd', cp_id: 'CP-404' });
    await h.settle();
    expect(decided).toEqual(['req-1']);
  });
});
