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

    // Record 2 is handled while the dead letter of record 1 is on its way: wait for both.
    expect(
      await bed.waitFor(() => got.length >= 2 && (t.stats().deadLettered['cp.telemetry'] ?? 0) >= 1),
    ).toBe(true);
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

  it('does not stall on a poison record too large to dead-letter with its headers', async () => {
    const t = await bed.transport('central');
    const got: number[] = [];
    await t.subscribe('cp.telemetry', { group: 'huge' }, (v) => {
      got.push(v.euros);
    });
    const producer = bed.raw.producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
    await producer.connect();
    // Just under the broker's default message.max.bytes (1,048,588 per record batch): the broker
    // takes it, but not again with the dead-letter headers added.
    await producer.send({
      topic: `${bed.prefix}cp.telemetry`,
      messages: [{ key: 'CP-001', value: Buffer.alloc(1_048_450, 0x41) }],
    });
    await producer.disconnect();
    await t.publish('cp.telemetry', telemetry('CP-001', 7));

    expect(await bed.waitFor(() => got.length >= 1)).toBe(true);
    expect(got).toEqual([7]);
    const [dead] = await readTopic(bed.raw, `${bed.prefix}cp.telemetry.dlq`, 1);
    expect(dead!.value).toBeNull();
    expect(header(dead!.headers, DLQ_HEADERS.valueDropped)).toMatch(/^1048450 bytes dropped: /);
    expect(header(dead!.headers, DLQ_HEADERS.reason)).toMatch(/^invalid JSON: /);
  });

  it('refuses a message over producer.maxMessageBytes at publish, without failing its neighbours', async () => {
    const t = await bed.transportWith('engine', { producer: { maxMessageBytes: 10_000 } });
    const got: string[] = [];
    await t.subscribe('cp.status', { group: 'sizes' }, (v) => {
      got.push(v.cp_id);
    });
    const huge = { cp_id: 'CP-BIG', state: 'ACTIVATED' as const, note: 'x'.repeat(20_000) };
    const results = await Promise.allSettled([
      t.publish('cp.status', { cp_id: 'CP-001', state: 'ACTIVATED' }),
      t.publish('cp.status', huge),
      t.publish('cp.status', { cp_id: 'CP-002', state: 'ACTIVATED' }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(
      /message for "cp.status" \(key "CP-BIG"\) is 200\d\d bytes, over producer.maxMessageBytes \(10000\)/,
    );
    expect(await bed.waitFor(() => got.length >= 2)).toBe(true);
    expect(got.sort()).toEqual(['CP-001', 'CP-002']);
    expect(t.stats().rejected['cp.status']).toBe(1);
  });
});
