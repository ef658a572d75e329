import { afterEach, describe, expect, it } from 'vitest';
import { type CpUnderTest, startCp, until } from '../__fixtures__/cp-harness.js';
import { type ReceivedCall, TestCsms } from '../__fixtures__/test-csms.js';

// Our simulated charge points against a CSMS built in the test with ocpp-rpc alone, strict schema
// validation of every message both ways, over real WebSockets on 127.0.0.1.

const running: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  for (const r of running.splice(0).reverse()) await r.stop();
});

async function csms(options?: ConstructorParameters<typeof TestCsms>[0]): Promise<TestCsms> {
  const server = await new TestCsms(options).start();
  running.push(server);
  return server;
}

async function cp(
  server: TestCsms,
  ...args: Parameters<typeof startCp> extends [string, ...infer R] ? R : never
) {
  const started = await startCp(server.url, ...args);
  running.push(started);
  return started;
}

const sampled = (call: ReceivedCall, measurand: string): number => {
  const values = call.params.meterValue as { sampledValue: { measurand?: string; value: string }[] }[];
  const v = values[0]?.sampledValue.find((s) => s.measurand === measurand);
  return v ? Number(v.value) : Number.NaN;
};

const statuses = (server: TestCsms, connectorId = 1): string[] =>
  server
    .callsOf('StatusNotification')
    .filter((c) => c.params.connectorId === connectorId)
    .map((c) => String(c.params.status));

function expectClean(server: TestCsms, under?: CpUnderTest): void {
  expect(server.strictFailures).toEqual([]);
  expect(server.badMessages).toBe(0);
  if (under) {
    const m = under.cp.metrics.figures();
    expect(m.strictValidationFailures).toEqual({ inbound: 0, outbound: 0 });
    expect(m.badMessages).toBe(0);
  }
}

describe('simulated OCPP 1.6 charge point against an independent strict CSMS', () => {
  it('boots, reports every connector Available, and sends heartbeats at the interval the CSMS gave', async () => {
    const server = await csms({ boot: { status: 'Accepted', interval: 1 } });
    const under = await cp(server);
    await until('two heartbeats', () => server.callsOf('Heartbeat').length >= 2, 5000);
    const boot = server.callsOf('BootNotification')[0]!;
    expect(boot.params).toMatchObject({ chargePointVendor: 'evcharging', chargePointModel: 'simulated-cp' });
    expect(statuses(server, 0)).toEqual(['Available']);
    expect(statuses(server, 1)).toEqual(['Available']);
    const [h1, h2] = server.callsOf('Heartbeat');
    expect(h2!.at - h1!.at).toBeGreaterThan(700);
    expect(under.cp.figures()).toMatchObject({ booted: true, status: 'Available' });
    expectClean(server, under);
  });

  it('retries BootNotification at the interval of a Pending answer', async () => {
    const server = await csms({ boot: { status: 'Pending', interval: 1 } });
    await cp(server);
    await until('a second boot', () => server.callsOf('BootNotification').length >= 2, 5000);
    const [b1, b2] = server.callsOf('BootNotification');
    expect(b2!.at - b1!.at).toBeGreaterThan(800);
    expect(server.callsOf('StatusNotification')).toEqual([]); // nothing else before Accepted
    expectClean(server);
  });

  it('runs a whole transaction: Authorize, StartTransaction, MeterValues in Wh and W, StopTransaction', async () => {
    const server = await csms();
    const under = await cp(server);
    await until('booted', () => under.cp.figures().booted);
    expect(
      under.cp.plugIn({ idTag: 'DRIVER-1', targetKwh: 0.25, vehicle: { batteryKwh: 50, initialSoc: 0.5 } }),
    ).toBe(true);
    await until('StopTransaction', () => server.callsOf('StopTransaction').length === 1);
    await until('Available again', () => statuses(server).at(-1) === 'Available');

    expect(server.callsOf('Authorize')[0]!.params).toEqual({ idTag: 'DRIVER-1' });
    const start = server.callsOf('StartTransaction')[0]!;
    expect(start.params).toMatchObject({ connectorId: 1, idTag: 'DRIVER-1', meterStart: 0 });
    const meters = server.callsOf('MeterValues');
    expect(meters.length).toBeGreaterThanOrEqual(1);
    for (const m of meters) expect(m.params.transactionId).toBe(1000);
    const registers = meters.map((m) => sampled(m, 'Energy.Active.Import.Register'));
    expect(registers).toEqual([...registers].sort((a, b) => a - b));
    expect(sampled(meters[0]!, 'Power.Active.Import')).toBe(360_000);
    expect(sampled(meters[0]!, 'SoC')).toBeGreaterThan(50);
    const stop = server.callsOf('StopTransaction')[0]!;
    expect(stop.params).toMatchObject({ transactionId: 1000, idTag: 'DRIVER-1', reason: 'Local' });
    expect(stop.params.meterStop).toBe(250);
    expect(statuses(server)).toEqual(['Available', 'Preparing', 'Charging', 'Finishing', 'Available']);
    // The calls of a transaction arrive in their order.
    const order = server.calls.map((c) => c.action).filter((a) => a !== 'StatusNotification');
    expect(order.indexOf('Authorize')).toBeLessThan(order.indexOf('StartTransaction'));
    expect(order.lastIndexOf('MeterValues')).toBeLessThan(order.indexOf('StopTransaction'));
    expect(under.cp.figures()).toMatchObject({
      transactionsStarted: 1,
      transactionsStopped: 1,
      energyKwh: 0.25,
    });
    expectClean(server, under);
  });

  it('is started and stopped remotely, and its next transaction starts at the last meter reading', async () => {
    const server = await csms();
    const under = await cp(server);
    await until('booted', () => under.cp.figures().booted);
    const started = await server.call('CP-001', 'RemoteStartTransaction', {
      idTag: 'APP-42',
      connectorId: 1,
    });
    expect(started).toEqual({ ok: true, result: { status: 'Accepted' } });
    await until('StartTransaction', () => server.callsOf('StartTransaction').length === 1);
    await until('a meter value', () => server.callsOf('MeterValues').length >= 1);
    expect(await server.call('CP-001', 'RemoteStartTransaction', { idTag: 'APP-43' })).toEqual({
      ok: true,
      result: { status: 'Rejected' },
    });
    expect(await server.call('CP-001', 'RemoteStopTransaction', { transactionId: 999 })).toEqual({
      ok: true,
      result: { status: 'Rejected' },
    });
    expect(await server.call('CP-001', 'RemoteStopTransaction', { transactionId: 1000 })).toEqual({
      ok: true,
      result: { status: 'Accepted' },
    });
    await until('StopTransaction', () => server.callsOf('StopTransaction').length === 1);
    const stop = server.callsOf('StopTransaction')[0]!;
    expect(stop.params).toMatchObject({ transactionId: 1000, idTag: 'APP-42', reason: 'Remote' });
    const meterStop = Number(stop.params.meterStop);
    expect(meterStop).toBeGreaterThan(50);

    await until('Available', () => statuses(server).at(-1) === 'Available');
    under.cp.plugIn({ idTag: 'DRIVER-2', targetKwh: 0.1 });
    await until('second transaction', () => server.callsOf('StopTransaction').length === 2);
    expect(server.callsOf('StartTransaction')[1]!.params.meterStart).toBe(meterStop);
    expect(server.callsOf('StopTransaction')[1]!.params.meterStop).toBe(meterStop + 100);
    expectClean(server, under);
  });

  it('lowers its power to a charging profile and goes back up when the profile is cleared', async () => {
    const server = await csms();
    const under = await cp(server);
    await until('booted', () => under.cp.figures().booted);
    await server.call('CP-001', 'RemoteStartTransaction', { idTag: 'FLEET-7' });
    await until('charging at full power', () =>
      server.callsOf('MeterValues').some((m) => sampled(m, 'Power.Active.Import') === 360_000),
    );
    const profile = {
      connectorId: 1,
      csChargingProfiles: {
        chargingProfileId: 1,
        transactionId: 1000,
        stackLevel: 0,
        chargingProfilePurpose: 'TxProfile',
        chargingProfileKind: 'Relative',
        chargingSchedule: {
          chargingRateUnit: 'W',
          chargingSchedulePeriod: [{ startPeriod: 0, limit: 90_000 }],
        },
      },
    };
    expect(await server.call('CP-001', 'SetChargingProfile', profile)).toEqual({
      ok: true,
      result: { status: 'Accepted' },
    });
    const setAt = server.calls.length;
    await until(
      'two meter values at the limit',
      () =>
        server.calls
          .slice(setAt)
          .filter((c) => c.action === 'MeterValues' && sampled(c, 'Power.Active.Import') === 90_000).length >=
        2,
    );
    // A limit in amperes: 16 A × 230 V × 3 phases = 11.04 kW.
    profile.csChargingProfiles.chargingSchedule = {
      chargingRateUnit: 'A',
      chargingSchedulePeriod: [{ startPeriod: 0, limit: 16 }],
    };
    await server.call('CP-001', 'SetChargingProfile', profile);
    const ampsAt = server.calls.length;
    await until('power at 16 A', () =>
      server.calls
        .slice(ampsAt)
        .some((c) => c.action === 'MeterValues' && sampled(c, 'Power.Active.Import') === 11_040),
    );
    const [a, b] = server.calls
      .slice(ampsAt)
      .filter((c) => c.action === 'MeterValues')
      .slice(-2);
    if (a && b && sampled(a, 'Power.Active.Import') === 11_040) {
      // Energy follows the power: about 11 kW over the interval between the two samples.
      const wh = sampled(b, 'Energy.Active.Import.Register') - sampled(a, 'Energy.Active.Import.Register');
      expect(wh).toBeLessThan(20);
    }
    expect(await server.call('CP-001', 'ClearChargingProfile', { id: 1 })).toEqual({
      ok: true,
      result: { status: 'Accepted' },
    });
    const clearedAt = server.calls.length;
    await until('full power again', () =>
      server.calls
        .slice(clearedAt)
        .some((c) => c.action === 'MeterValues' && sampled(c, 'Power.Active.Import') === 360_000),
    );
    // A TxProfile needs a transaction, a ChargePointMaxProfile connector 0.
    await server.call('CP-001', 'RemoteStopTransaction', { transactionId: 1000 });
    await until('stopped', () => server.callsOf('StopTransaction').length === 1);
    expect((await server.call('CP-001', 'SetChargingProfile', profile)).result).toEqual({
      status: 'Rejected',
    });
    expectClean(server, under);
  });

  it('queues its transaction messages while the CSMS is down and replays them in order after reconnecting', async () => {
    const server = await csms();
    const under = await cp(server, 'CP-001', { ocpp: { configuration: { MeterValueSampleInterval: '1' } } });
    await until('booted', () => under.cp.figures().booted);
    under.cp.plugIn({ idTag: 'DRIVER-9', targetKwh: 0.35 });
    await until('a meter value', () => server.callsOf('MeterValues').length >= 1);
    const seenBefore = server.callsOf('MeterValues').length;
    await server.stop(); // the CSMS goes away mid-transaction
    await until(
      'transaction over, messages queued',
      () => under.cp.figures().transactionsStopped === 1,
      10_000,
    );
    expect(under.cp.figures().queued).toBeGreaterThanOrEqual(2); // meter values + StopTransaction
    await server.start(); // back on the same port
    await until('StopTransaction replayed', () => server.callsOf('StopTransaction').length === 1, 10_000);
    // The CSMS logs a call when it arrives; the charge point counts it sent when the answer is back.
    await until('every queued message answered', () => {
      const { queued, sent, discarded } = under.cp.metrics.figures().transactionMessages;
      return sent + discarded === queued;
    });

    const replay = server.calls.filter(
      (c) => c.action !== 'StatusNotification' && c.action !== 'BootNotification',
    );
    const meters = replay.filter((c) => c.action === 'MeterValues');
    expect(meters.length).toBeGreaterThan(seenBefore);
    expect(meters.every((m) => m.params.transactionId === 1000)).toBe(true);
    const registers = meters.map((m) => sampled(m, 'Energy.Active.Import.Register'));
    expect(registers).toEqual([...registers].sort((a, b) => a - b)); // in order, nothing reordered
    expect(replay.at(-1)!.action).toBe('StopTransaction');
    expect(server.callsOf('StopTransaction')[0]!.params).toMatchObject({
      transactionId: 1000,
      meterStop: 350,
    });
    expect(server.callsOf('BootNotification').length).toBe(2);
    const m = under.cp.metrics.figures();
    expect(m.connects.opened).toBe(2);
    expect(m.transactionMessages.discarded).toBe(0);
    expect(m.transactionMessages.sent).toBe(m.transactionMessages.queued);
    expectClean(server, under);
  });
});
