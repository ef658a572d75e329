import type { CpTelemetry } from '@evcharging/core';
import kafkajs from 'kafkajs';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { DLQ_HEADERS } from './dead-letter.js';
import { type KafkaTestbed, kafkaTestbed } from './test-support/kafka-testbed.js';
import { readTopic } from './test-support/read-topic.js';

const kafka = inject('kafka');

const telemetry = (cpId: string, seq: number): CpTelemetry => ({ cp_id: cpId, kw: 22, euros: seq });
const header = (headers: Record<string, unknown> | undefined, name: string) => String(headers?.[name] ?? '');

describe.skipIf(kafka.bootstrap === null)('KafkaTransport dead-letter topics', () => {
  let bed: KafkaTestbed;
  beforeEach(() => {
    bed = kafkaTestbed(kafka.bootstrap!);
  });
  afterEach(async () => {
    await bed.teardown();
  });

  it('sends raw malformed records to <topic>.dlq with the reason, and keeps consuming after them', async () => {
    const t = await bed.transport('central');
    const got: number[] = [];
    await t.subscribe('cp.telemetry', { group: 'poison' }, (v) => {
      got.push(v.euros);
    });
    const producer = bed.raw.producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
    await producer.connect();
    // Same key as the valid messages below, so they sit behind the poison on one partition.
    const poison = [
      { key: 'CP-001', value: Buffer.from([0xff, 0x00, 0x7b, 0x22]) },
      { key: 'CP-001', value: Buffer.from('{"cp_id":"CP-001","kw":') },
      { key: 'CP-001', value: Buffer.from('{"cp_id":"CP-001","kw":"fast","euros":1}') },
      { key: 'CP-001', value: null },
    ];
    await producer.send({ topic: `${bed.prefix}cp.telemetry`, messages: poison });
    await producer.disconnect();
    await t.publish('cp.telemetry', telemetry('CP-001', 1));
    await t.publish('cp.telemetry', telemetry('CP-001', 2));

    expect(await bed.waitFor(() => got.length >= 2)).toBe(true);
    expect(got).toEqual([1, 2]);
    expect(t.stats().rejected['cp.telemetry']).toBe(4);
    expect(t.stats().delivered['cp.telemetry']).toBe(2);

    const dead = await readTopic(bed.raw, `${bed.prefix}cp.telemetry.dlq`, 4);
    expect(dead).toHaveLength(4);
    expect(dead.map((m) => m.value?.toString('base64') ?? null)).toEqual(
      poison.map((p) => p.value?.toString('base64') ?? null),
    );
    expect(dead.map((m) => header(m.headers, DLQ_HEADERS.reason))).toEqual([
      expect.stringMatching(/^invalid JSON: /),
      expect.stringMatching(/^invalid JSON: /),
      expect.stringMatching(/^schema: \/kw: /),
      'empty value',
    ]);
    for (const record of dead) {
      expect(record.key?.toString()).toBe('CP-001');
      expect(header(record.headers, DLQ_HEADERS.topic)).toBe(`${bed.prefix}cp.telemetry`);
      expect(header(record.headers, DLQ_HEADERS.group)).toBe(`${bed.prefix}poison.cp.telemetry`);
      expect(header(record.headers, DLQ_HEADERS.attempts)).toBe('0');
      expect(header(record.headers, DLQ_HEADERS.partition)).toMatch(/^[01]$/);
    }
    expect(dead.map((m) => Number(header(m.headers, DLQ_HEADERS.offset)))).toEqual([0, 1, 2, 3]);
  });

  it('dead-letters a message whose handler keeps failing after the bounded retries, then moves on', async () => {
    const t = await bed.transportWith('central', {
      handlerRetry: { maxAttempts: 3, initialBackoffMs: 20, maxBackoffMs: 100 },
    });
    const got: number[] = [];
    const attempts: number[] = [];
    await t.subscribe('cp.telemetry', { group: 'stubborn' }, (v, envelope) => {
      if (v.euros === 1) {
        attempts.push(envelope.attempt ?? 0);
        throw new Error('boom');
      }
      got.push(v.euros);
    });
    for (let i = 0; i < 3; i++) await t.publish('cp.telemetry', telemetry('CP-001', i));

    expect(await bed.waitFor(() => got.length >= 2)).toBe(true);
    expect(got).toEqual([0, 2]);
    expect(attempts).toEqual([1, 2, 3]);
    expect(t.stats().deadLettered['cp.telemetry']).toBe(1);
    expect(t.stats().rejected['cp.telemetry'] ?? 0).toBe(0);

    const [dead] = await readTopic(bed.raw, `${bed.prefix}cp.telemetry.dlq`, 1);
    expect(JSON.parse(dead!.value!.toString())).toEqual(telemetry('CP-001', 1));
    expect(header(dead!.headers, DLQ_HEADERS.reason)).toBe('handler failed after 3 attempts: boom');
    expect(header(dead!.headers, DLQ_HEADERS.attempts)).toBe('3');
    expect(header(dead!.headers, DLQ_HEADERS.offset)).toBe('1');
  });
});
