import 'reflect-metadata';
import { centralController } from '@evcharging/central';
import { createNode, type DriverUpdate, RealClock, silentLogger } from '@evcharging/core';
import { MemoryBroker } from '@evcharging/transport-memory';
import { expect, it } from 'vitest';
import { until } from './__fixtures__/cp-harness.js';
import { ocppChargePoint, ocppGateway } from './index.js';

it('the README example: a simulated OCPP charger joins Central through the gateway and serves a driver', async () => {
  const clock = new RealClock();
  const wire = new MemoryBroker();
  const central = centralController({
    cps: [{ cp_id: 'CP-001', location: 'Depot', price_eur_kwh: 0.3, kw: 22 }],
  });
  const gateway = ocppGateway({ central: () => central.api, port: 0 });
  const centralNode = createNode({
    id: 'central',
    transport: wire.transport('central', { clock }),
    clock,
    logger: silentLogger(),
    plugins: [central, gateway],
  });
  await centralNode.start();
  const cp = ocppChargePoint({
    cpId: 'CP-001',
    csms: `ws://127.0.0.1:${gateway.address!.port}/ocpp`,
    kw: 22,
    ocpp: { configuration: { MeterValueSampleInterval: '1' } },
  });
  const cpNode = createNode({
    id: 'cp-001',
    transport: new MemoryBroker().transport('cp-001', { clock }),
    clock,
    logger: silentLogger(),
    plugins: [cp],
  });
  await cpNode.start();
  try {
    const driver = wire.transport('driver-alice', { clock });
    const seen: DriverUpdate[] = [];
    await driver.subscribe('driver.updates', { group: 'driver-alice' }, (u) => {
      seen.push(u);
    });
    await until('ACTIVATED', () => central.registry.get('CP-001')?.state === 'ACTIVATED');
    await driver.publish('driver.requests', {
      request_id: 'req-00000001',
      driver_id: 'driver-alice',
      cp_id: 'CP-001',
      target_kwh: 0.05,
    });
    await until('completed', () => seen.some((u) => u.status === 'completed'), 20_000);
    const statuses = seen.map((u) => u.status);
    expect(statuses[0]).toBe('accepted');
    expect(statuses.filter((s) => s === 'in_progress').length).toBeGreaterThanOrEqual(5);
    const done = seen.find((u) => u.status === 'completed')!;
    // 22 kW: 0.0061 kWh a second; stopped at the first reading past 0.05 kWh.
    expect(done.energy_kwh).toBeGreaterThanOrEqual(0.05);
    expect(done.energy_kwh).toBeLessThanOrEqual(0.0612);
    expect(seen.find((u) => u.status === 'in_progress')?.kwh).toBeCloseTo(0.0061, 3);
  } finally {
    await cpNode.stop();
    await centralNode.stop();
  }
});
