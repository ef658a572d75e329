import { VIRTUAL_EPOCH, VirtualClock } from '@evcharging/core';
import type { TopicMessages } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { ProduceBatcher } from './produce-batcher.js';

interface SendCall {
  batch: TopicMessages[];
  finish: (error?: Error) => void;
}

/** A send function whose requests stay in flight until the test finishes them. */
function fakeProducer() {
  const calls: SendCall[] = [];
  const send = (batch: TopicMessages[]) =>
    new Promise<void>((resolve, reject) => {
      calls.push({ batch, finish: (error) => (error ? reject(error) : resolve()) });
    });
  return { calls, send };
}

const values = (call: SendCall | undefined) =>
  (call?.batch ?? []).flatMap((t) => t.messages.map((m) => `${t.topic}:${String(m.value)}`));

const flushMicrotasks = () => new Promise<void>((resolve) => setImmediate(resolve));

const settings = {
  maxBatchMessages: 1_000,
  maxBatchBytes: 1_000_000,
  lingerMs: 0,
  deliveryTimeoutMs: 10_000,
};

describe('ProduceBatcher', () => {
  it('sends a burst of publishes as one request and settles each when it is acknowledged', async () => {
    const producer = fakeProducer();
    const batcher = new ProduceBatcher(producer.send, settings, new VirtualClock());
    const settled: string[] = [];
    const sends = ['a', 'b', 'c'].map((v) =>
      batcher.enqueue(v === 'b' ? 'status' : 'telemetry', { value: v }, 1).then(() => settled.push(v)),
    );
    await flushMicrotasks();
    expect(producer.calls).toHaveLength(1);
    expect(producer.calls[0]!.batch).toEqual([
      { topic: 'telemetry', messages: [{ value: 'a' }, { value: 'c' }] },
      { topic: 'status', messages: [{ value: 'b' }] },
    ]);
    expect(settled).toEqual([]);
    producer.calls[0]!.finish();
    await Promise.all(sends);
    expect(settled).toEqual(['a', 'b', 'c']);
  });

  it('keeps one request in flight and gathers what arrives meanwhile into the next, in order', async () => {
    const producer = fakeProducer();
    const batcher = new ProduceBatcher(producer.send, settings, new VirtualClock());
    const first = batcher.enqueue('t', { value: '1' }, 1);
    await flushMicrotasks();
    const later = ['2', '3', '4'].map((v) => batcher.enqueue('t', { value: v }, 1));
    await flushMicrotasks();
    expect(producer.calls).toHaveLength(1);
    producer.calls[0]!.finish();
    await first;
    await flushMicrotasks();
    expect(producer.calls).toHaveLength(2);
    expect(values(producer.calls[1])).toEqual(['t:2', 't:3', 't:4']);
    producer.calls[1]!.finish();
    await Promise.all(later);
    expect(batcher.pending).toBe(0);
  });

  it('splits batches at the message and byte limits', async () => {
    const producer = fakeProducer();
    const batcher = new ProduceBatcher(
      producer.send,
      { ...settings, maxBatchMessages: 3, maxBatchBytes: 250 },
      new VirtualClock(),
    );
    const sends = Array.from({ length: 7 }, (_, i) =>
      batcher.enqueue('t', { value: String(i) }, i === 4 ? 240 : 10),
    );
    const sizes: string[][] = [];
    for (let i = 0; i < 4; i++) {
      await flushMicrotasks();
      const call = producer.calls[i];
      if (!call) break;
      sizes.push(values(call));
      call.finish();
    }
    await Promise.all(sends);
    // 3 by count; then 10 + 240 bytes fill 250, so the next record waits; then the rest.
    expect(sizes).toEqual([
      ['t:0', 't:1', 't:2'],
      ['t:3', 't:4'],
      ['t:5', 't:6'],
    ]);
  });

  it('retries a transiently failed request with backoff on the clock, keeping later records behind it', async () => {
    const clock = new VirtualClock();
    const producer = fakeProducer();
    const transient = new Error('connection refused');
    const batcher = new ProduceBatcher(producer.send, settings, clock, {
      isTransient: (e) => e === transient,
    });
    const a = batcher.enqueue('t', { value: 'a' }, 1);
    await flushMicrotasks();
    const b = batcher.enqueue('t', { value: 'b' }, 1);
    producer.calls[0]!.finish(transient);
    await flushMicrotasks();
    expect(producer.calls).toHaveLength(1);
    await clock.advance(250);
    expect(values(producer.calls[1])).toEqual(['t:a']);
    producer.calls[1]!.finish(transient);
    await flushMicrotasks();
    await clock.advance(499);
    expect(producer.calls).toHaveLength(2);
    await clock.advance(1);
    expect(values(producer.calls[2])).toEqual(['t:a']);
    producer.calls[2]!.finish();
    await a;
    await flushMicrotasks();
    expect(values(producer.calls[3])).toEqual(['t:b']);
    producer.calls[3]!.finish();
    await b;
  });

  it('gives up on a transient failure at the delivery timeout', async () => {
    const clock = new VirtualClock();
    const producer = fakeProducer();
    const transient = new Error('connection refused');
    const batcher = new ProduceBatcher(producer.send, { ...settings, deliveryTimeoutMs: 1_000 }, clock, {
      isTransient: () => true,
    });
    const a = batcher.enqueue('t', { value: 'a' }, 1);
    const outcome = a.then(
      () => 'sent',
      (e: unknown) => e,
    );
    for (const wait of [250, 500, 1_000]) {
      await flushMicrotasks();
      producer.calls.at(-1)?.finish(transient);
      await flushMicrotasks();
      await clock.advance(wait);
    }
    expect(await outcome).toBe(transient);
    // Sent at 0, 250 and 750 ms; the next wait (1 s) would pass the 1 s deadline.
    expect(producer.calls).toHaveLength(3);
  });

  it('counts what each acknowledged request carried, by label, and wraps the error of a failed one', async () => {
    const producer = fakeProducer();
    const sent: [string, number][][] = [];
    const batcher = new ProduceBatcher(producer.send, settings, new VirtualClock(), {
      onSent: (counts) => sent.push([...counts]),
      wrapError: (error, topics) => new Error(`publish to ${topics.join(', ')} failed: ${String(error)}`),
    });
    const ok = [batcher.enqueue('p.cp.status', { value: 'a' }, 1, 'cp.status')];
    ok.push(batcher.enqueue('p.cp.status', { value: 'b' }, 1, 'cp.status'));
    ok.push(batcher.enqueue('p.cp.telemetry', { value: 'c' }, 1, 'cp.telemetry'));
    await flushMicrotasks();
    producer.calls[0]!.finish();
    await Promise.all(ok);
    expect(sent).toEqual([
      [
        ['cp.status', 2],
        ['cp.telemetry', 1],
      ],
    ]);
    const failed = batcher.enqueue('p.cp.status', { value: 'd' }, 1, 'cp.status');
    await flushMicrotasks();
    producer.calls[1]!.finish(new Error('MESSAGE_TOO_LARGE'));
    await expect(failed).rejects.toThrow('publish to p.cp.status failed: Error: MESSAGE_TOO_LARGE');
    expect(sent).toHaveLength(1);
  });

  it('fails only the records of a failed request, and keeps going', async () => {
    const producer = fakeProducer();
    const batcher = new ProduceBatcher(producer.send, settings, new VirtualClock());
    const a = batcher.enqueue('t', { value: 'a' }, 1);
    await flushMicrotasks();
    const b = batcher.enqueue('t', { value: 'b' }, 1);
    producer.calls[0]!.finish(new Error('broker said no'));
    await expect(a).rejects.toThrow('broker said no');
    await flushMicrotasks();
    producer.calls[1]!.finish();
    await expect(b).resolves.toBeUndefined();
  });

  it('waits lingerMs on the clock before sending a batch that is not full', async () => {
    const clock = new VirtualClock();
    const producer = fakeProducer();
    const batcher = new ProduceBatcher(producer.send, { ...settings, lingerMs: 20 }, clock);
    void batcher.enqueue('t', { value: 'a' }, 1);
    await flushMicrotasks();
    await clock.advance(19);
    expect(producer.calls).toHaveLength(0);
    void batcher.enqueue('t', { value: 'b' }, 1);
    await clock.advance(1);
    expect(values(producer.calls[0])).toEqual(['t:a', 't:b']);
  });

  it('sends a full batch at once, without waiting out the linger', async () => {
    const clock = new VirtualClock();
    const producer = fakeProducer();
    const batcher = new ProduceBatcher(
      producer.send,
      { ...settings, maxBatchMessages: 2, lingerMs: 1_000 },
      clock,
    );
    for (const v of ['a', 'b', 'c']) void batcher.enqueue('t', { value: v }, 1);
    await flushMicrotasks();
    expect(values(producer.calls[0])).toEqual(['t:a', 't:b']);
    expect(clock.now() - VIRTUAL_EPOCH).toBe(0);
  });

  it('reports idle only after the last request settled, and fails what is still queued on demand', async () => {
    const producer = fakeProducer();
    const batcher = new ProduceBatcher(producer.send, settings, new VirtualClock());
    const inFlight = batcher.enqueue('t', { value: 'a' }, 1);
    await flushMicrotasks();
    const queued = batcher.enqueue('t', { value: 'b' }, 1);
    let idle = false;
    const idlePromise = batcher.idle().then(() => {
      idle = true;
    });
    batcher.stop(new Error('closing'));
    await expect(queued).rejects.toThrow('closing');
    await flushMicrotasks();
    expect(idle).toBe(false);
    producer.calls[0]!.finish();
    await inFlight;
    await idlePromise;
    expect(idle).toBe(true);
    expect(producer.calls).toHaveLength(1);
  });
});
