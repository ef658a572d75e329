import type { CpTelemetry } from '@evcharging/core';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { type KafkaTestbed, kafkaTestbed } from './test-support/kafka-testbed.js';

const kafka = inject('kafka');

const telemetry = (seq: number): CpTelemetry => ({ cp_id: `CP-${seq % 3}`, kw: 22, euros: seq });

describe.skipIf(kafka.bootstrap === null)('KafkaTransport close() and group membership', () => {
  let bed: KafkaTestbed;
  beforeEach(() => {
    bed = kafkaTestbed(kafka.bootstrap!);
  });
  afterEach(async () => {
    await bed.teardown();
  });

  it('leaves the group on close: the next member joins at once and resumes at the committed offsets', async () => {
    // A ghost member would hold the next join for the whole session timeout (20 s here).
    const slowSessions = {
      consumer: { sessionTimeoutMs: 20_000, heartbeatIntervalMs: 1_000, maxWaitTimeMs: 100 },
    };
    const sender = await bed.transport('sender');
    const first = await bed.transportWith('member-a', slowSessions);
    const gotA: number[] = [];
    await first.subscribe('cp.telemetry', { group: 'billing' }, (v) => {
      gotA.push(v.euros);
    });
    for (let i = 0; i < 5; i++) await sender.publish('cp.telemetry', telemetry(i));
    expect(await bed.waitFor(() => gotA.length >= 5)).toBe(true);
    await first.close();

    for (let i = 5; i < 10; i++) await sender.publish('cp.telemetry', telemetry(i));
    const second = await bed.transportWith('member-b', slowSessions);
    const gotB: number[] = [];
    const joinStarted = performance.now();
    await second.subscribe('cp.telemetry', { group: 'billing' }, (v) => {
      gotB.push(v.euros);
    });
    const joinMs = performance.now() - joinStarted;
    process.stderr.write(
      `transport-kafka: next member joined ${joinMs.toFixed(0)} ms after close (session timeout 20000 ms)\n`,
    );
    expect(joinMs).toBeLessThan(5_000);

    expect(await bed.waitFor(() => gotB.length >= 5)).toBe(true);
    await bed.settle(500);
    expect([...gotA].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4]);
    expect([...gotB].sort((a, b) => a - b)).toEqual([5, 6, 7, 8, 9]);
  });

  it('refuses a second key filter in one group, and accepts it once the first subscription is gone', async () => {
    const t = await bed.transport('engine-host');
    const first = await t.subscribe('central.commands', { group: 'engines', key: 'CP-001' }, () => undefined);
    await expect(
      t.subscribe('central.commands', { group: 'engines', key: 'CP-002' }, () => undefined),
    ).rejects.toThrow(/group "engines" on "central.commands" already subscribes with key "CP-001"/);
    await first.unsubscribe();
    const got: string[] = [];
    await t.subscribe('central.commands', { group: 'engines', key: 'CP-002' }, (c) => {
      got.push(c.cp_id);
    });
    await t.publish('central.commands', { cmd: 'stop_cp', cp_id: 'CP-001' });
    await t.publish('central.commands', { cmd: 'stop_cp', cp_id: 'CP-002' });
    expect(await bed.waitFor(() => got.length >= 1)).toBe(true);
    await bed.settle(300);
    expect(got).toEqual(['CP-002']);
  });
});
