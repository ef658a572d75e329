import {
  type CentralMonitorApi,
  createNode,
  type MonitorFaultReport,
  type SessionEnd,
  VirtualClock,
} from '@evcharging/core';
import { MemoryBroker } from '@evcharging/transport-memory';
import { describe, expect, it } from 'vitest';
import { chargingPoint } from './charging-point.js';
import { fixedDuration } from './engine/session-policy.js';
import { inProcessCentralLink } from './monitor/central-link.js';

describe('chargingPoint (engine + monitor as one plugin)', () => {
  it('many CPs in one node: supplies, faults reported by the monitor, clean stop', async () => {
    const clock = new VirtualClock();
    const broker = new MemoryBroker();
    const reports: MonitorFaultReport[] = [];
    let heartbeats = 0;
    const central: CentralMonitorApi = {
      register: async () => ({ ok: true }),
      heartbeat: async () => {
        heartbeats++;
        return { ok: true };
      },
      reportFault: async (r) => {
        reports.push(r);
        return { ok: true };
      },
    };
    const cps = ['CP-1', 'CP-2', 'CP-3'].map((cpId) =>
      chargingPoint({ cpId, kw: 11, policy: fixedDuration(60), central: inProcessCentralLink(central) }),
    );
    const node = createNode({
      id: 'fleet',
      transport: broker.transport('fleet', { clock }),
      clock,
      plugins: cps,
    });
    await node.start();
    expect(node.plugins).toEqual(['cp/CP-1', 'cp/CP-2', 'cp/CP-3']);
    const tickets: SessionEnd[] = [];
    const centralTransport = broker.transport('central', { clock });
    await centralTransport.subscribe('cp.session_end', { group: 'c' }, (t) => {
      tickets.push(t);
    });
    await centralTransport.publish('central.commands', {
      cmd: 'start_supply',
      cp_id: 'CP-2',
      payload: { driver_id: 'd', request_id: 'r', session_id: 'session-00000002' },
    });
    await clock.advance(60_000);
    expect(tickets).toEqual([
      expect.objectContaining({ cp_id: 'CP-2', energy_kwh: 0.1833, total_cost_eur: 0.05 }),
    ]);
    expect(heartbeats).toBe(180);
    await cps[0]!.engine.injectFault('contactor welded');
    await clock.advance(3_000);
    expect(reports).toEqual([expect.objectContaining({ cp_id: 'CP-1', status: 'FAULT' })]);
    expect(cps[0]!.monitor!.verdict).toBe('FAULT');
    expect(cps[1]!.report()).toMatchObject({
      cp_id: 'CP-2',
      sessionsEnded: 1,
      monitor: { verdict: 'HEALTHY' },
    });
    await node.stop();
    expect(cps.map((cp) => cp.engine.state)).toEqual(['DISCONNECTED', 'DISCONNECTED', 'DISCONNECTED']);
    const beats = heartbeats;
    await clock.advance(10_000);
    expect(heartbeats).toBe(beats);
  });

  it('without a Central it is an engine alone', async () => {
    const clock = new VirtualClock();
    const cp = chargingPoint({ cpId: 'CP-9' });
    await createNode({
      id: 'n',
      transport: new MemoryBroker().transport('n', { clock }),
      clock,
      plugins: [cp],
    }).start();
    expect(cp.monitor).toBeUndefined();
    expect(cp.engine.state).toBe('ACTIVATED');
  });
});
