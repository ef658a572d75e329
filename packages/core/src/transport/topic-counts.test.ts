import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TopicCounts } from './topic-counts.js';

describe('TopicCounts', () => {
  it('counts every message by topic, in the order topics first came, however they alternate', () => {
    const topics = fc.array(
      fc.constantFrom('cp.telemetry', 'cp.status', 'driver.updates', 'central.commands'),
      {
        maxLength: 60,
      },
    );
    fc.assert(
      fc.property(topics, fc.integer({ min: 0, max: 60 }), (list, readAt) => {
        const counts = new TopicCounts();
        const expected: Record<string, number> = {};
        list.forEach((topic, i) => {
          if (i === readAt) expect(counts.snapshot()).toEqual(expected); // reading mid-way changes nothing
          counts.add(topic);
          expected[topic] = (expected[topic] ?? 0) + 1;
        });
        const snapshot = counts.snapshot();
        expect(snapshot).toEqual(expected);
        expect(Object.keys(snapshot)).toEqual(Object.keys(expected));
      }),
    );
  });

  it('hands out copies: later counts do not change a snapshot', () => {
    const counts = new TopicCounts();
    counts.add('cp.status');
    const before = counts.snapshot();
    counts.add('cp.status');
    expect(before).toEqual({ 'cp.status': 1 });
    expect(counts.snapshot()).toEqual({ 'cp.status': 2 });
  });
});
