import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { CpTelemetry, Transport } from '@evcharging/core';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { type KafkaTestbed, kafkaTestbed, testOptions } from './test-support/kafka-testbed.js';

const kafka = inject('kafka');

/** Records in the flood; the consumer handles about 50 a second while slow. */
const FLOOD = 20_000;
/** How long the consumer stays slow (20 ms per record), from the start of the flood. */
const SLOW_MS = 10_000;
const HANDLER_MS = 20;

/** A telemetry reading the size a CP sends (about 150 bytes of JSON). */
const reading = (seq: number): CpTelemetry => ({
  cp_id: `CP-${String(seq % 500).padStart(4, '0')}`,
  kw: 22 + (seq % 7),
  kwh: seq / 1_000,
  euros: seq / 3_000,
  session_id: `session-${seq % 97}-0000-0000-000000000000`,
});

const lagOf = (t: Transport) =>
  (t.stats().backlog ?? []).filter((b) => b.group === 'central').reduce((n, b) => n + b.lag, 0);

const mb = (bytes: number) => bytes / 1_048_576;

/** Heap still in use after a full collection (what the process holds, not garbage not yet collected). */
function retainedHeap(): number {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  return process.memoryUsage().heapUsed;
}

describe.skipIf(kafka.bootstrap === null)('KafkaTransport with a slow consumer', () => {
  let bed: KafkaTestbed;
  beforeEach(() => {
    bed = kafkaTestbed(kafka.bootstrap!);
  });
  afterEach(async () => {
    await bed.teardown();
  });

  it('keeps the backlog in Kafka (bounded heap) and shows it as consumer lag that rises, then falls to 0', async () => {
    const producer = await bed.transport('flooder');
    const central = await bed.transportWith('slow-central', {
      // The log end is read every second, so the lag sees the flood while the batch in hand is old.
      consumer: { ...testOptions(bed.bootstrap, bed.prefix, 'slow-central').consumer, lagRefreshMs: 1_000 },
    });
    const seen = new Set<number>();
    let slow = true;
    await central.subscribe('cp.telemetry', { group: 'central' }, async (v) => {
      if (slow) await new Promise((resolve) => setTimeout(resolve, HANDLER_MS));
      seen.add(Math.round(v.euros * 3_000));
    });
    expect(lagOf(central)).toBe(0);

    const heap = () => process.memoryUsage().heapUsed;
    await bed.settle(500);
    const baseline = retainedHeap();
    let peakHeap = baseline;
    let peakLag = 0;
    let handledAtPeak = 0;
    const sampler = setInterval(() => {
      peakHeap = Math.max(peakHeap, heap());
      const lag = lagOf(central);
      if (lag > peakLag) {
        peakLag = lag;
        handledAtPeak = seen.size;
      }
    }, 100);
    const started = performance.now();
    try {
      // Awaited in chunks: the producer's own queue holds at most one chunk.
      for (let i = 0; i < FLOOD; i += 1_000) {
        await Promise.all(
          Array.from({ length: 1_000 }, (_, j) => producer.publish('cp.telemetry', reading(i + j))),
        );
      }
      const floodMs = performance.now() - started;
      await bed.settle(Math.max(0, SLOW_MS - (performance.now() - started)));
      const slowHeap = peakHeap;
      // Still slow, with the whole flood published: what the process holds of it.
      const slowRetained = retainedHeap();
      const slowLag = lagOf(central);
      const handledSlow = seen.size;
      slow = false;
      const drained = await bed.waitFor(() => seen.size >= FLOOD && lagOf(central) === 0, 25_000);
      const totalMs = performance.now() - started;
      process.stderr.write(
        `transport-kafka slow consumer: ${FLOOD} records flooded in ${floodMs.toFixed(0)} ms; ` +
          `after ${SLOW_MS} ms at ${HANDLER_MS} ms/record: ${handledSlow} handled, lag ${slowLag} ` +
          `(peak ${peakLag} with ${handledAtPeak} handled); heap baseline ${mb(baseline).toFixed(1)} MB, ` +
          `peak while slow +${mb(slowHeap - baseline).toFixed(1)} MB (garbage included), ` +
          `retained after a full GC +${mb(slowRetained - baseline).toFixed(1)} MB; drained: ${drained} ` +
          `(${seen.size} distinct, lag ${lagOf(central)}) at ${totalMs.toFixed(0)} ms\n`,
      );
      // The backlog stayed in Kafka: the lag counted nearly the whole flood while the process
      // had handled a few hundred records, and the heap did not grow with it.
      expect(peakLag).toBeGreaterThan(FLOOD * 0.8);
      expect(handledAtPeak).toBeLessThan(FLOOD * 0.1);
      expect(slowLag).toBeGreaterThan(FLOOD * 0.8);
      expect(mb(slowRetained - baseline)).toBeLessThan(8);
      expect(mb(slowHeap - baseline)).toBeLessThan(64);
      // Then it fell: every record handled, the lag back to 0.
      expect(drained).toBe(true);
      expect(lagOf(central)).toBe(0);
    } finally {
      clearInterval(sampler);
      slow = false;
    }
  }, 60_000);
});
