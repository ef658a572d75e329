import { afterEach, describe, expect, it } from 'vitest';
import { startCp, until } from '../__fixtures__/cp-harness.js';
import { TestCsms } from '../__fixtures__/test-csms.js';

// Bad input from a CSMS, and a CSMS that misbehaves: each answered as OCPP says, counted, never a
// crash, and no transaction lost.

const running: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  for (const r of running.splice(0).reverse()) await r.stop();
});

async function csms(options?: ConstructorParameters<typeof TestCsms>[0]): Promise<TestCsms> {
  const server = await new TestCsms(options).start();
  running.push(server);
  return server;
}

async function cp(url: string, ...rest: Parameters<typeof startCp> extends [string, ...infer R] ? R : never) {
  const started = await startCp(url, ...rest);
  running.push(started);
  return started;
}

describe('a simulated charge point given bad input', () => {
  it('answers malformed frames, unknown actions and schema-invalid calls with the OCPP error, and carries on', async () => {
    const server = await csms();
    const under = await cp(server.url);
    await until('booted', () => under.cp.figures().booted);

    expect(await server.raw('CP-001', 'this is not JSON')).toEqual([
      4,
      '-1',
      'RpcFrameworkError',
      'Message must be a JSON structure',
      {},
    ]);
    const answer = async (id: string, action: string, payload: unknown) =>
      (await server.raw('CP-001', JSON.stringify([2, id, action, payload]), id))?.[2];
    expect(await answer('m1', 'FlyToTheMoon', {})).toBe('NotImplemented');
    expect(await answer('m2', 'RemoteStartTransaction', {})).toBe('OccurrenceConstraintViolation');
    expect(await answer('m3', 'ChangeAvailability', { connectorId: 0, type: 'Sideways' })).toBe(
      'FormationViolation',
    );
    expect(await answer('m4', 'Reset', { type: 'Soft', extra: 1 })).toBe('PropertyConstraintViolation');
    expect(await answer('m5', 'RemoteStopTransaction', { transactionId: 'seven' })).toBe(
      'TypeConstraintViolation',
    );
    expect(
      await answer('m6', 'ReserveNow', {
        connectorId: 1,
        expiryDate: new Date().toISOString(),
        idTag: 'A',
        reservationId: 1,
      }),
    ).toBe('NotSupported');

    const m = under.cp.metrics.figures();
    expect(m.badMessages).toBe(1);
    expect(m.strictValidationFailures.inbound).toBe(4);
    expect(m.callErrorsSent).toMatchObject({
      NotImplemented: 1,
      OccurrenceConstraintViolation: 1,
      FormationViolation: 1,
      PropertyConstraintViolation: 1,
      TypeConstraintViolation: 1,
      NotSupported: 1,
    });
    // Still connected and answering.
    const config = await server.call('CP-001', 'GetConfiguration', {
      key: ['MeterValueSampleInterval', 'Nope'],
    });
    expect(config.result).toEqual({
      configurationKey: [{ key: 'MeterValueSampleInterval', readonly: false, value: '1' }],
      unknownKey: ['Nope'],
    });
    expect(
      (await server.call('CP-001', 'ChangeConfiguration', { key: 'HeartbeatInterval', value: 'soon' }))
        .result,
    ).toEqual({ status: 'Rejected' });
    expect(
      (await server.call('CP-001', 'ChangeConfiguration', { key: 'NumberOfConnectors', value: '2' })).result,
    ).toEqual({ status: 'Rejected' });
    expect(
      (await server.call('CP-001', 'ChangeConfiguration', { key: 'Made-Up', value: '2' })).result,
    ).toEqual({
      status: 'NotSupported',
    });
    expect(m.connects.opened).toBe(1);
    expect(server.strictFailures).toEqual([]);
  });

  it('retries a transaction message the CSMS answered with a CALLERROR, a wrong answer, or no answer', async () => {
    const server = await csms();
    let starts = 0;
    server.behaviours.set('StartTransaction', () =>
      ++starts === 1 ? { error: 'InternalError' } : undefined,
    );
    let meterCalls = 0;
    server.behaviours.set('MeterValues', (call) => {
      meterCalls++;
      if (meterCalls === 1) return 'no-reply'; // the CSMS never answers
      if (meterCalls === 2) {
        // An answer that breaks the schema (MeterValues.conf has no properties).
        setTimeout(
          () => server.send(call.identity, JSON.stringify([3, call.messageId, { bogus: true }])),
          10,
        );
        return 'no-reply';
      }
      return undefined;
    });
    const under = await cp(server.url, 'CP-001', { connection: { callTimeoutMs: 800 } });
    await until('booted', () => under.cp.figures().booted);
    under.cp.plugIn({ idTag: 'DRIVER-1', targetKwh: 0.3 });
    await until('StopTransaction', () => server.callsOf('StopTransaction').length === 1, 20_000);

    expect(server.callsOf('StartTransaction')).toHaveLength(2); // first refused, sent again
    const m = under.cp.metrics.figures();
    expect(m.callErrorsReceived).toEqual({ InternalError: 1 });
    expect(m.callTimeouts).toBeGreaterThanOrEqual(1);
    expect(m.strictValidationFailures.inbound).toBe(1);
    expect(m.transactionMessages.retried).toBeGreaterThanOrEqual(3);
    expect(m.transactionMessages.discarded).toBe(0);
    // The meter values that went unanswered were sent again: their readings reach the CSMS.
    const meters = server.callsOf('MeterValues');
    expect(meters.length).toBeGreaterThanOrEqual(3);
    expect(server.callsOf('StopTransaction')[0]!.params).toMatchObject({
      transactionId: 1000,
      meterStop: 300,
    });
  });

  it('drops a connection that sends an oversized message and connects again', async () => {
    const server = await csms();
    const under = await cp(server.url, 'CP-001', {
      connection: { maxPayloadBytes: 64 * 1024, backoff: { initialMs: 100 } },
    });
    await until('booted', () => under.cp.figures().booted);
    server.send(
      'CP-001',
      JSON.stringify([2, 'big', 'DataTransfer', { vendorId: 'x', data: 'y'.repeat(100_000) }]),
    );
    await until('reconnected', () => under.cp.metrics.connects.opened === 2 && under.cp.figures().booted);
    expect(under.cp.metrics.oversizedMessages).toBe(1);
    expect(under.cp.metrics.connects.closed).toMatchObject({ 1006: 1 });
  });

  it('is refused for a wrong subprotocol and a wrong password, counts why, and keeps trying', async () => {
    const v201 = await csms({ protocols: ['ocpp2.0.1'] });
    const wrongProtocol = await cp(v201.url, 'CP-001');
    const secured = await csms({ passwords: { 'CP-002': 'right' } });
    const wrongPassword = await cp(secured.url, 'CP-002', { password: 'wrong' });
    const rightPassword = await cp(secured.url, 'CP-003', { password: 'anything' });
    const good = await cp(secured.url, 'CP-002', { password: 'right', name: 'ocpp-cp/good' });
    await until(
      'refusals counted',
      () =>
        (wrongProtocol.cp.metrics.connects.refused.subprotocol ?? 0) >= 2 &&
        (wrongPassword.cp.metrics.connects.refused['http-401'] ?? 0) >= 2,
    );
    await until(
      'the right password boots',
      () => good.cp.figures().booted && rightPassword.cp.figures().booted,
    );
    expect(wrongProtocol.cp.figures().booted).toBe(false);
    expect(wrongPassword.cp.figures().booted).toBe(false);
    expect(v201.calls).toEqual([]);
    expect(secured.refusals.every((r) => r.identity === 'CP-002' && r.code === 401)).toBe(true);
  });

  it('charges offline when no CSMS answers, and delivers the transaction once one is there', async () => {
    const server = new TestCsms();
    await server.start();
    const url = server.url;
    await server.stop(); // nobody listens on the port now
    const under = await cp(url);
    await until('a refused attempt', () => (under.cp.metrics.connects.refused.unreachable ?? 0) >= 1);
    expect(under.cp.plugIn({ idTag: 'OFFLINE-1', targetKwh: 0.2 })).toBe(true); // LocalAuthorizeOffline
    await until('transaction over', () => under.cp.figures().transactionsStopped === 1);
    await server.start();
    running.push(server);
    await until('delivered', () => server.callsOf('StopTransaction').length === 1);
    const start = server.callsOf('StartTransaction')[0]!;
    const stop = server.callsOf('StopTransaction')[0]!;
    expect(start.params).toMatchObject({ idTag: 'OFFLINE-1', meterStart: 0 });
    expect(stop.params).toMatchObject({ transactionId: 1000, meterStop: 200 });
    expect(Date.parse(String(stop.params.timestamp))).toBeLessThan(stop.at); // the time it happened
    expect(server.calls.findIndex((c) => c.action === 'StartTransaction')).toBeLessThan(
      server.calls.findIndex((c) => c.action === 'StopTransaction'),
    );
  });
});
