import { VIRTUAL_EPOCH } from '@evcharging/core';
import { describe, expect, it } from 'vitest';
import { simStart } from './sim-run.js';

describe('simStart', () => {
  it('starts at the start hour of the virtual epoch, or of the first replayed arrival’s day', () => {
    expect(simStart({ startHour: 6 })).toBe(VIRTUAL_EPOCH + 6 * 3_600_000);
    const schedule = [
      { at: Date.UTC(2019, 9, 2, 7, 30), duration_s: 600 },
      { at: Date.UTC(2019, 9, 1, 18, 5), duration_s: 600 },
    ];
    expect(simStart({ startHour: 0, schedule })).toBe(Date.UTC(2019, 9, 1));
    expect(simStart({ startHour: 16.5, schedule })).toBe(Date.UTC(2019, 9, 1, 16, 30));
  });
});
