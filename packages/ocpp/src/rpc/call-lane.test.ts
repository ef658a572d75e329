import { silentLogger, VirtualClock } from '@evcharging/core';
import { describe, expect, it } from 'vitest';
import { CallLane } from './call-lane.js';
import { OcppMetrics } from './ocpp-metrics.js';
import { OcppCallError, type OcppSocket } from './ocpp-socket.js';

/** A socket whose answers the test decides: by default every call succeeds with `{}`. */
function fakeSocket(answer: (action: string, payload: object) => Promise<unknown> = async () => ({})) {
  const sent: { action: string; payload: object }[] = [];
  const socket = {
    call: (action: string, payload: object) => {
      sent.push({ action, payload });
      return answer(action, payload);
    },
  } as unknown as OcppSocket;
  return { socket, sent };
}

function lane(clock: VirtualClock, metrics = new OcppMetrics(), attempts = 3, intervalS = 10) {
  return new CallLane({
    clock,
    metrics,
    logger: silentLogger(),
    owner: 'CP-1',
    retry: () => ({ attempts, intervalS }),
  });
}

const tx = (action: string, n: number) => ({ action, transactional: true, payload: () => ({ n }) });
const settle = async (clock: VirtualClock, ms = 0) => {
  await clock.advance(ms);
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('CallLane', () => {
  it('keeps transaction messages while closed, drops the others, and replays in order after the boot calls', async () => {
    const clock = new VirtualClock();
    const metrics = new OcppMetrics();
    const l = lane(clock, metrics);
    const dropped: string[] = [];
    l.push(tx('StartTransaction', 1));
    expect(
      l.push({
        action: 'Heartbeat',
        transactional: false,
        payload: () => ({}),
        onFailure: (e) => dropped.push(e.kind),
      }),
    ).toBe(false);
    l.push(tx('MeterValues', 2));
    l.push(tx('StopTransaction', 3));
    const { socket, sent } = fakeSocket();
    l.open(socket, [{ action: 'StatusNotification', transactional: false, payload: () => ({ n: 0 }) }]);
    await settle(clock);
    expect(sent.map((s) => `${s.action}:${(s.payload as { n: number }).n}`)).toEqual([
      'StatusNotification:0',
      'StartTransaction:1',
      'MeterValues:2',
      'StopTransaction:3',
    ]);
    expect(dropped).toEqual(['closed']);
    expect(metrics.transactionMessages).toEqual({ queued: 3, sent: 3, retried: 0, discarded: 0 });
  });

  it('retries a transaction message after a CALLERROR at interval × attempt, then discards it after its attempts', async () => {
    const clock = new VirtualClock();
    const metrics = new OcppMetrics();
    const l = lane(clock, metrics, 3, 10);
    const { socket, sent } = fakeSocket(async (action) => {
      if (action === 'StartTransaction') throw new OcppCallError(action, 'callerror', 'InternalError', 'no');
      return {};
    });
    l.open(socket);
    l.push(tx('StartTransaction', 1));
    l.push(tx('StopTransaction', 2));
    await settle(clock);
    expect(sent.map((s) => s.action)).toEqual(['StartTransaction']);
    await settle(clock, 9_999);
    expect(sent).toHaveLength(1); // first retry after 10 s × 1
    await settle(clock, 1);
    expect(sent).toHaveLength(2);
    await settle(clock, 19_999);
    expect(sent).toHaveLength(2); // second retry after 10 s × 2
    await settle(clock, 1);
    // Third failure: discarded, and the next message goes out.
    expect(sent.map((s) => s.action)).toEqual([
      'StartTransaction',
      'StartTransaction',
      'StartTransaction',
      'StopTransaction',
    ]);
    expect(metrics.transactionMessages).toMatchObject({ retried: 2, discarded: 1, sent: 1 });
  });

  it('resends a message that timed out, without counting an attempt, and keeps it across a reconnect', async () => {
    const clock = new VirtualClock();
    const metrics = new OcppMetrics();
    const l = lane(clock, metrics, 1, 5);
    let calls = 0;
    const { socket, sent } = fakeSocket(async (action) => {
      calls++;
      if (calls <= 2) throw new OcppCallError(action, 'timeout', undefined, 'no answer');
      return {};
    });
    l.open(socket);
    l.push(tx('MeterValues', 1));
    await settle(clock);
    await settle(clock, 5_000);
    l.close();
    l.open(socket);
    await settle(clock);
    expect(sent.length).toBe(3); // two timeouts, then answered: never discarded with attempts = 1
    expect(metrics.transactionMessages).toMatchObject({ discarded: 0, sent: 1 });
  });
});
