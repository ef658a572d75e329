import { type CentralMonitorApi, createNode, SeededRandom, VirtualClock } from '@evcharging/core';
import { MemoryBroker } from '@evcharging/transport-memory';
import { expect, it } from 'vitest';
import {
  chargingPointEngine,
  chargingPointMonitor,
  fixedDuration,
  inProcessCentralLink,
  inProcessEngineLink,
} from './index.js';

// The README's first example, with its console output captured.
it('README example: one session, a fault, the monitor reports it', async () => {
  const out: string[] = [];
  const clock = new VirtualClock();
  const broker = new MemoryBroker();
  const engine = chargingPointEngine({ cpId: 'CP-001', kw: 22, priceEurKwh: 0.3, policy: fixedDuration(60) });
  const central: CentralMonitorApi = {
    register: async () => ({ ok: true }),
    heartbeat: async () => ({ ok: true }),
    reportFault: async (report) => {
      out.push(`monitor reports ${report.status}`);
      return { ok: true };
    },
  };
  const monitor = chargingPointMonitor({
    cpId: 'CP-001',
    engine: inProcessEngineLink(engine),
    central: inProcessCentralLink(central),
  });
  const node = createNode({
    id: 'cp-001',
    transport: broker.transport('cp-001', { clock }),
    clock,
    random: new SeededRandom(1),
    plugins: [engine, monitor],
  });
  await node.start();

  const wire = broker.transport('central', { clock });
  await wire.subscribe('cp.session_end', { group: 'central' }, (t) => {
    out.push(`${t.energy_kwh} kWh ${t.total_cost_eur} €`);
  });
  await wire.publish('central.commands', {
    cmd: 'start_supply',
    cp_id: 'CP-001',
    payload: { driver_id: 'driver-alice', request_id: 'req-1a2b3c4d', session_id: 'session-1a2b3c4d' },
  });
  await clock.advance(60_000);
  expect(out).toEqual(['0.3667 kWh 0.11 €']);
  await engine.injectFault('overheating');
  expect(engine.probe()).toBe('KO:overheating');
  await clock.advance(3_000);
  expect(out).toEqual(['0.3667 kWh 0.11 €', 'monitor reports FAULT']);
  await node.stop();
  expect(engine.state).toBe('DISCONNECTED');
});
