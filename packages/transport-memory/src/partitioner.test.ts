import { hashString } from '@evcharging/core';
import { describe, expect, it } from 'vitest';
import { partitionFor } from './partitioner.js';

describe('partitionFor', () => {
  it('maps a key to the same partition every time', () => {
    for (const key of ['CP-001', 'driver-alice', '', 'ünïcødé']) {
      expect(partitionFor(key, 16)).toBe(partitionFor(key, 16));
    }
  });

  it('is the FNV-1a hash of the key modulo the partition count (stable across releases)', () => {
    for (const key of ['CP-001', 'CP-002', 'driver-alice']) {
      expect(partitionFor(key, 16)).toBe(hashString(key) % 16);
      expect(partitionFor(key, 7)).toBe(hashString(key) % 7);
    }
    expect(partitionFor('a', 1_000_000)).toBe(0xe40c292c % 1_000_000);
  });

  it('stays within range and uses every partition for many keys', () => {
    const used = new Set<number>();
    for (let i = 0; i < 1_000; i++) {
      const p = partitionFor(`CP-${String(i).padStart(5, '0')}`, 16);
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThan(16);
      used.add(p);
    }
    expect(used.size).toBe(16);
  });

  it('puts everything on partition 0 when there is one partition', () => {
    expect(partitionFor('CP-001', 1)).toBe(0);
    expect(partitionFor('CP-999', 1)).toBe(0);
  });
});
