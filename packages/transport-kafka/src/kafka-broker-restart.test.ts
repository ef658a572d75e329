import type { CpTelemetry } from '@evcharging/core';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { kafkaScriptAsync } from './test-support/kafka-broker.js';
import { type KafkaTestbed, kafkaTestbed } from './test-support/kafka-testbed.js';

const kafka = inject('kafka');

const telemetry = (seq: number): CpTelemetry => ({ cp_id: `CP-${seq % 8}`, kw: 22, euros: seq });
const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe.skipIf(kafka.scriptPort === null)('KafkaTransport across a broker restart', () => {
  let bed: KafkaTestbed;
  beforeEach(() => {
    bed = kafkaTestbed(kafka.bootstrap!);
  });
  afterEach(async () => {
    await bed.teardown();
  }, 60_000);

  it('delivers every message published before, during and after the outage to every group', async () => {
    const total = 400;
    const sender = await bed.transport('sender');
    const receiver = await bed.transport('receiver');
    const groups = ['central', 'archive'].map((name) => ({ name, seen: new Map<number, number>() }));
    for (const group of groups) {
      await receiver.subscribe('cp.telemetry', { group: group.name }, (v) => {
        group.seen.set(v.euros, (group.seen.get(v.euros) ?? 0) + 1);
      });
    }

    const port = kafka.scriptPort!;
    const failures: unknown[] = [];
    const sends: Promise<void>[] = [];
    let restart: Promise<{ stopMs: number; startMs: number; ok: boolean; output: string }> | undefined;
    const started = performance.now();
    for (let i = 0; i < total; i++) {
      sends.push(
        sender.publish('cp.telemetry', telemetry(i)).catch((error: unknown) => void failures.push(error)),
      );
      if (i === total / 4) {
        restart = (async () => {
          const stop = await kafkaScriptAsync('stop', port);
          const start = await kafkaScriptAsync('start', port);
          return {
            stopMs: stop.ms,
            startMs: start.ms,
            ok: stop.ok && start.ok,
            output: `${stop.output}\n${start.output}`,
          };
        })();
      }
      await pause(15);
    }
    const outage = await restart!;
    expect(outage.ok, outage.output).toBe(true);
    await Promise.all(sends);
    expect(failures).toEqual([]);

    const complete = () => groups.every((g) => g.seen.size === total);
    expect(await bed.waitFor(complete, 90_000)).toBe(true);
    const elapsed = performance.now() - started;
    const duplicates = groups.map((g) => [...g.seen.values()].reduce((n, c) => n + c - 1, 0));
    process.stderr.write(
      `transport-kafka: broker restart (stop ${(outage.stopMs / 1000).toFixed(1)} s, start ${(outage.startMs / 1000).toFixed(1)} s): ` +
        `${total} messages, all delivered to ${groups.length} groups in ${(elapsed / 1000).toFixed(1)} s; duplicates ${groups
          .map((g, i) => `${g.name}=${duplicates[i]}`)
          .join(', ')}\n`,
    );
    for (const group of groups)
      expect([...group.seen.keys()].sort((a, b) => a - b)).toEqual([...Array(total).keys()]);
  }, 300_000);
});
