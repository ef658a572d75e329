import 'reflect-metadata';
import { centralController } from '@evcharging/central';
import {
  createNode,
  type DriverUpdate,
  type EvNode,
  RealClock,
  SeededRandom,
  silentLogger,
} from '@evcharging/core';
import { MemoryBroker } from '@evcharging/transport-memory';
import { RPCClient } from 'ocpp-rpc';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../__fixtures__/cp-harness.js';
import { type OcppGatewayPlugin, ocppGateway } from './ocpp-gateway.js';

// Our gateway against an independent OCPP 1.6 client (ocpp-rpc alone, strict schema validation
// of every message both ways), with a real Central behind it, over real WebSockets on 127.0.0.1.

interface Charger {
  client: RPCClient;
  calls: { action: string; params: Record<string, unknown> }[];
  strictFailures: string[];
  call(action: string, params: object): Promise<Record<string, unknown>>;
  status(connectorId: number, status: string, errorCode?: string, info?: string): Promise<unknown>;
}

const stops: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

async function network(options: { secret?: string } = {}) {
  const clock = new RealClock();
  const broker = new MemoryBroker();
  const central = centralController({
    cps: [
      { cp_id: 'CP-OCPP-1', location: 'Depot', price_eur_kwh: 0.4, kw: 22 },
      {
        cp_id: 'CP-OCPP-2',
        location: 'Yard',
        price_eur_kwh: 0.3,
        kw: 11,
        ...(options.secret ? { secret: options.secret } : {}),
      },
    ],
    allowUnregisteredCps: false,
    heartbeatTimeoutMs: 1500,
  });
  const gateway: OcppGatewayPlugin = ocppGateway({
    central: () => central.api,
    port: 0,
    priceEurKwh: (id) => central.registry.get(id)?.price_eur_kwh,
    centralHeartbeatMs: 200,
  });
  const node: EvNode = createNode({
    id: 'central',
    transport: broker.transport('central', { clock }),
    clock,
    random: new SeededRandom(3),
    logger: silentLogger(),
    plugins: [central, gateway],
  });
  await node.start();
  stops.push(() => node.stop());
  const driver = broker.transport('driver-alice', { clock });
  await driver.connect();
  const updates: DriverUpdate[] = [];
  await driver.subscribe('driver.updates', { group: 'driver-alice' }, (u) => {
    updates.push(u);
  });
  stops.push(() => driver.close());
  const url = `ws://127.0.0.1:${gateway.address!.port}/ocpp`;
  return { central, gateway, driver, updates, url };
}

async function charger(url: string, identity: string, extra: Record<string, unknown> = {}): Promise<Charger> {
  const client = new RPCClient({
    endpoint: url,
    identity,
    protocols: ['ocpp1.6'],
    strictMode: true,
    reconnect: false,
    ...extra,
  } as ConstructorParameters<typeof RPCClient>[0]);
  const calls: Charger['calls'] = [];
  const strictFailures: string[] = [];
  client.on('strictValidationFailure', (e: { method: string; error: Error }) => {
    strictFailures.push(`${e.method}: ${e.error.message}`);
  });
  client.handle(async ({ method = '', params = {} }) => {
    calls.push({ action: method, params });
    switch (method) {
      case 'RemoteStartTransaction':
      case 'RemoteStopTransaction':
      case 'ChangeAvailability':
        return { status: 'Accepted' };
      default:
        return { status: 'Rejected' };
    }
  });
  await client.connect();
  stops.push(() => client.close({ force: true }));
  const call = async (action: string, params: object) =>
    (await client.call(action, params)) as Record<string, unknown>;
  return {
    client,
    calls,
    strictFailures,
    call,
    status: (connectorId, status, errorCode = 'NoError', info) =>
      call('StatusNotification', { connectorId, status, errorCode, ...(info ? { info } : {}) }),
  };
}

const meter = (wh: number, w: number) => [
  {
    timestamp: new Date().toISOString(),
    sampledValue: [
      { value: String(wh), measurand: 'Energy.Active.Import.Register', unit: 'Wh' },
      { value: String(w), measurand: 'Power.Active.Import', unit: 'W' },
    ],
  },
];

describe('OCPP gateway: an OCPP 1.6 charger joins Central', () => {
  it('boots into the registry, takes a driver request as RemoteStart, bills its StopTransaction, faults and stops like any CP', async () => {
    const net = await network();
    const cp = await charger(net.url, 'CP-OCPP-1');
    const boot = await cp.call('BootNotification', {
      chargePointVendor: 'Acme',
      chargePointModel: 'Wallbox',
    });
    expect(boot).toMatchObject({ status: 'Accepted', interval: 300 });
    expect(net.central.registry.get('CP-OCPP-1')?.state).toBe('STOPPED'); // connected, status unknown yet
    await cp.status(0, 'Available');
    await cp.status(1, 'Available');
    await until('ACTIVATED in Central', () => net.central.registry.get('CP-OCPP-1')?.state === 'ACTIVATED');
    expect(net.central.registry.get('CP-OCPP-1')).toMatchObject({ monitor_alive: true, location: 'Depot' });

    // A driver asks Central; the gateway starts the charger remotely.
    await net.driver.publish('driver.requests', {
      request_id: 'req-00000001',
      driver_id: 'driver-alice',
      cp_id: 'CP-OCPP-1',
      target_kwh: 0.5,
    });
    await until('RemoteStartTransaction', () => cp.calls.some((c) => c.action === 'RemoteStartTransaction'));
    expect(cp.calls[0]).toEqual({
      action: 'RemoteStartTransaction',
      params: { connectorId: 1, idTag: 'driver-alice' },
    });
    expect(await cp.call('Authorize', { idTag: 'driver-alice' })).toEqual({
      idTagInfo: { status: 'Accepted' },
    });
    expect(await cp.call('Authorize', { idTag: 'stranger' })).toEqual({ idTagInfo: { status: 'Invalid' } });
    await cp.status(1, 'Preparing');
    const started = await cp.call('StartTransaction', {
      connectorId: 1,
      idTag: 'driver-alice',
      meterStart: 1000,
      timestamp: new Date().toISOString(),
    });
    expect(started.idTagInfo).toEqual({ status: 'Accepted' });
    const transactionId = Number(started.transactionId);
    await cp.status(1, 'Charging');
    await until('SUPPLYING in Central', () => net.central.registry.get('CP-OCPP-1')?.state === 'SUPPLYING');
    await cp.call('MeterValues', { connectorId: 1, transactionId, meterValue: meter(1200, 22_000) });
    await until('in_progress', () => net.updates.some((u) => u.status === 'in_progress'));
    expect(net.updates.find((u) => u.status === 'in_progress')).toMatchObject({
      kw: 22,
      kwh: 0.2,
      euros: 0.08,
    });
    expect(net.central.registry.get('CP-OCPP-1')?.telemetry).toMatchObject({ kw: 22, kwh: 0.2 });
    // The driver's target energy is reached: the gateway stops the charger remotely.
    await cp.call('MeterValues', { connectorId: 1, transactionId, meterValue: meter(1600, 22_000) });
    await until('RemoteStopTransaction', () => cp.calls.some((c) => c.action === 'RemoteStopTransaction'));
    expect(cp.calls.find((c) => c.action === 'RemoteStopTransaction')?.params).toEqual({ transactionId });
    expect(
      await cp.call('StopTransaction', {
        transactionId,
        meterStop: 1600,
        timestamp: new Date().toISOString(),
        reason: 'Remote',
      }),
    ).toEqual({ idTagInfo: { status: 'Accepted' } });
    await cp.status(1, 'Finishing');
    await cp.status(1, 'Available');
    await until('completed', () => net.updates.some((u) => u.status === 'completed'));
    expect(net.updates.find((u) => u.status === 'completed')).toMatchObject({
      energy_kwh: 0.6,
      total_cost_eur: 0.24,
      cp_id: 'CP-OCPP-1',
    });
    await until('ACTIVATED again', () => net.central.registry.get('CP-OCPP-1')?.state === 'ACTIVATED');

    // A fault during a second session: Central fails it at once, the ticket brings the figures.
    await net.driver.publish('driver.requests', {
      request_id: 'req-00000002',
      driver_id: 'driver-alice',
      cp_id: 'CP-OCPP-1',
    });
    await until(
      'second remote start',
      () => cp.calls.filter((c) => c.action === 'RemoteStartTransaction').length === 2,
    );
    const second = await cp.call('StartTransaction', {
      connectorId: 1,
      idTag: 'driver-alice',
      meterStart: 1600,
      timestamp: new Date().toISOString(),
    });
    await cp.status(1, 'Charging');
    await until('supplying', () => net.central.registry.get('CP-OCPP-1')?.state === 'SUPPLYING');
    await cp.status(1, 'Faulted', 'GroundFailure', 'RCD tripped');
    await until('FAULT in Central', () => net.central.registry.get('CP-OCPP-1')?.state === 'FAULT');
    // The gateway's heartbeats carry the verdict, so the dashboard shows why.
    await until(
      'fault reason',
      () => net.central.registry.get('CP-OCPP-1')?.fault_reason === 'GroundFailure: RCD tripped',
    );
    await until('failed', () =>
      net.updates.some((u) => u.request_id === 'req-00000002' && u.status === 'failed'),
    );
    await cp.call('StopTransaction', {
      transactionId: Number(second.transactionId),
      meterStop: 1700,
      timestamp: new Date().toISOString(),
      reason: 'EmergencyStop',
    });
    await until('the failed session gets its figures', () =>
      net.updates.some(
        (u) => u.request_id === 'req-00000002' && u.status === 'failed' && u.energy_kwh === 0.1,
      ),
    );
    await cp.status(1, 'Available');
    await until('recovered', () => net.central.registry.get('CP-OCPP-1')?.state === 'ACTIVATED');

    // The operator stops and resumes the CP: ChangeAvailability both ways.
    await net.central.stopCp('CP-OCPP-1');
    await until('ChangeAvailability Inoperative', () =>
      cp.calls.some((c) => c.action === 'ChangeAvailability' && c.params.type === 'Inoperative'),
    );
    await cp.status(0, 'Unavailable');
    await cp.status(1, 'Unavailable');
    await until('STOPPED', () => net.central.registry.get('CP-OCPP-1')?.engine_state === 'STOPPED');
    await net.central.resumeCp('CP-OCPP-1');
    await until('ChangeAvailability Operative', () =>
      cp.calls.some((c) => c.action === 'ChangeAvailability' && c.params.type === 'Operative'),
    );
    await cp.status(0, 'Available');
    await cp.status(1, 'Available');
    await until('ACTIVATED after resume', () => net.central.registry.get('CP-OCPP-1')?.state === 'ACTIVATED');

    const report = net.central.report();
    expect(report.sessions).toMatchObject({ started: 2, completed: 1, failed: 1 });
    expect(cp.strictFailures).toEqual([]);
    const m = net.gateway.metrics.figures();
    expect(m.strictValidationFailures).toEqual({ inbound: 0, outbound: 0 });
    expect(m.callErrorsSent).toEqual({});
    expect(net.gateway.counters).toMatchObject({
      chargersBooted: 1,
      transactionsStarted: 2,
      transactionsStopped: 2,
    });

    // The charger goes away: Central marks it DISCONNECTED when the gateway's heartbeats stop.
    await cp.client.close({ code: 1000 });
    await until('DISCONNECTED', () => net.central.registry.get('CP-OCPP-1')?.state === 'DISCONNECTED', 5000);
  });

  it('refuses unknown ids, a wrong password and a wrong subprotocol at the upgrade, and answers bad frames', async () => {
    const net = await network({ secret: 's3cret' });
    const refused = async (identity: string, extra: Record<string, unknown> = {}) => {
      try {
        await charger(net.url, identity, extra);
        return 'connected';
      } catch (error) {
        const e = error as { code?: unknown; message: string };
        return typeof e.code === 'number' ? e.code : e.message;
      }
    };
    expect(await refused('CP-NOPE')).toBe(404);
    expect(await refused('CP-OCPP-2')).toBe(401); // no password for a CP with a secret
    expect(await refused('CP-OCPP-2', { password: 'guess' })).toBe(401);
    expect(await refused('CP-OCPP-1', { protocols: ['ocpp2.0.1'] })).toMatch(/subprotocol/);
    const good = await charger(net.url, 'CP-OCPP-2', { password: 's3cret' });
    expect(net.gateway.metrics.connects.refused).toEqual({
      'unknown-cp': 1,
      'bad-password': 2,
      subprotocol: 1,
    });

    // Bad frames from a connected charger: answered, counted, the connection stays.
    const raw = (frame: string) =>
      new Promise<unknown[]>((resolve) => {
        const listener = (e: { message: unknown; outbound: boolean }) => {
          if (e.outbound) return;
          good.client.off('message', listener);
          resolve(JSON.parse(String(e.message)) as unknown[]);
        };
        good.client.on('message', listener);
        good.client.sendRaw(frame);
      });
    expect((await raw('{oops'))[2]).toBe('RpcFrameworkError');
    expect((await raw(JSON.stringify([2, 'x1', 'Teleport', {}])))[2]).toBe('NotImplemented');
    expect((await raw(JSON.stringify([2, 'x2', 'StartTransaction', { connectorId: 1 }])))[2]).toBe(
      'OccurrenceConstraintViolation',
    );
    expect(
      (
        await raw(
          JSON.stringify([
            2,
            'x3',
            'StatusNotification',
            { connectorId: 1, errorCode: 'NoError', status: 'Sleepy' },
          ]),
        )
      )[2],
    ).toBe('FormationViolation');
    expect(
      (
        await raw(
          JSON.stringify([
            2,
            'x4',
            'SecurityEventNotification',
            { type: 'x', timestamp: new Date().toISOString() },
          ]),
        )
      )[2],
    ).toBe('NotSupported');
    const m = net.gateway.metrics.figures();
    expect(m.badMessages).toBe(1);
    expect(m.callErrorsSent).toMatchObject({ NotImplemented: 1, NotSupported: 1 }); // the bad frame: badMessages
    expect(await good.call('Heartbeat', {})).toHaveProperty('currentTime');
  });
});
