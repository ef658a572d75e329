import { type CpTelemetry, SeededRandom, VirtualClock } from '@evcharging/core';
import { describe, expect, it } from 'vitest';
import { MemoryBroker, type TopicFaults } from './memory-broker.js';

const telemetry = (cpId: string, seq: number): CpTelemetry => ({ cp_id: cpId, kw: 22, euros: seq });

/** Publishes 200 telemetry messages over 5 CPs through a faulty broker; returns what arrived, when. */
async function run(seed: number, faults: TopicFaults, simulationLane = false) {
  const clock = new VirtualClock({ start: 0 });
  const broker = new MemoryBroker({
    partitions: 4,
    simulationLane,
    faults: { 'cp.telemetry': faults },
    random: new SeededRandom(seed).fork('faults'),
  });
  const t = broker.transport('n', { clock });
  const arrivals: string[] = [];
  const perKey = new Map<string, number[]>();
  await t.subscribe('cp.telemetry', { group: 'central' }, (v) => {
    arrivals.push(`${v.cp_id}/${v.euros}@${clock.now()}`);
    perKey.set(v.cp_id, [...(perKey.get(v.cp_id) ?? []), v.euros]);
  });
  // Other topics are not affected by the telemetry faults.
  const statuses: string[] = [];
  await t.subscribe('cp.status', { group: 'central' }, (v) => {
    statuses.push(v.cp_id);
  });
  for (let seq = 0; seq < 40; seq++) {
    for (let cp = 0; cp < 5; cp++) await t.publish('cp.telemetry', telemetry(`CP-${cp}`, seq));
    await clock.advance(10);
  }
  await t.publish('cp.status', { cp_id: 'CP-0', state: 'ACTIVATED' });
  await broker.drain();
  return { arrivals, perKey, statuses, stats: broker.stats() };
}

describe('seeded fault injection', () => {
  it('drops about dropRate of the messages, the same ones for the same seed', async () => {
    const a = await run(1, { dropRate: 0.2 });
    const b = await run(1, { dropRate: 0.2 });
    const c = await run(2, { dropRate: 0.2 });
    expect(a.arrivals).toEqual(b.arrivals);
    expect(a.arrivals).not.toEqual(c.arrivals);
    expect(a.stats.dropped).toBe(200 - a.arrivals.length);
    expect(a.stats.dropped).toBeGreaterThan(20);
    expect(a.stats.dropped).toBeLessThan(60);
    expect(a.statuses).toEqual(['CP-0']);
  });

  it('duplicates about duplicateRate of the messages, deterministically', async () => {
    const a = await run(3, { duplicateRate: 0.1 });
    const b = await run(3, { duplicateRate: 0.1 });
    expect(a.arrivals).toEqual(b.arrivals);
    expect(a.arrivals.length).toBe(200 + a.stats.duplicated);
    expect(a.stats.duplicated).toBeGreaterThan(5);
    expect(a.stats.duplicated).toBeLessThan(40);
    // A duplicate arrives right after its original: per-key order is otherwise intact.
    for (const [, seqs] of a.perKey) {
      expect([...new Set(seqs)]).toEqual(Array.from({ length: 40 }, (_, i) => i));
      for (let i = 1; i < seqs.length; i++) expect(seqs[i]!).toBeGreaterThanOrEqual(seqs[i - 1]!);
    }
  });

  it('delays messages within the range, deterministically, keeping order per key', async () => {
    const a = await run(4, { delayMs: [5, 50] });
    const b = await run(4, { delayMs: [5, 50] });
    const c = await run(5, { delayMs: [5, 50] });
    expect(a.arrivals).toEqual(b.arrivals);
    expect(a.arrivals).not.toEqual(c.arrivals);
    expect(a.arrivals).toHaveLength(200);
    for (const [, seqs] of a.perKey) expect(seqs).toEqual(Array.from({ length: 40 }, (_, i) => i));
    // Published at seq * 10 ms: without faults a message arrives then, with them 5 to 50 ms later.
    const lateness = (arrivals: string[]) =>
      arrivals.map((entry) => {
        const [, seq, at] = entry.match(/\/(\d+)@([\d.]+)$/)!;
        return Number(at) - Number(seq) * 10;
      });
    expect(Math.min(...lateness(a.arrivals))).toBeGreaterThanOrEqual(5);
    // Waiting behind an earlier message of the partition never pushes one past its own window.
    expect(Math.max(...lateness(a.arrivals))).toBeLessThanOrEqual(50);
    expect(new Set(lateness((await run(4, {})).arrivals))).toEqual(new Set([0]));
  });

  it('combines drop, duplicate and delay, still the same for the same seed', async () => {
    const faults: TopicFaults = { dropRate: 0.1, duplicateRate: 0.1, delayMs: [0, 30] };
    const a = await run(6, faults);
    const b = await run(6, faults);
    expect(a.arrivals).toEqual(b.arrivals);
    expect(a.stats).toEqual(b.stats);
    expect(a.arrivals.length).toBe(200 - a.stats.dropped + a.stats.duplicated);
  });

  it('gives the same arrivals, at the same times, in the simulation lane', async () => {
    const faults: TopicFaults = { dropRate: 0.1, duplicateRate: 0.1, delayMs: [0, 30] };
    const standard = await run(7, faults);
    const lane = await run(7, faults, true);
    expect(lane.arrivals).toEqual(standard.arrivals);
    expect(lane.stats).toEqual(standard.stats);
  });
});
