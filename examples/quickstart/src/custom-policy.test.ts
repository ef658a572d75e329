import { describe, expect, it } from 'vitest';
import { leavingFirst, runEvening } from './custom-policy.js';

describe('the custom-policy example (docs/smart-charging.md)', () => {
  it('runs its policy at a 60 kW site within the limit, and decides otherwise than equal share', async () => {
    const mine = await runEvening(leavingFirst);
    const equal = await runEvening('equal-share');
    expect(mine.allocation_errors).toBe(0);
    expect(mine.sessions).toBeGreaterThan(5);
    // Telemetry rounds each CP's power to the watt: ten CPs may add up to 10 W over.
    expect(mine.peak_kw).toBeLessThanOrEqual(60.01);
    expect(mine.energy_delivered_kwh).toBeGreaterThan(0);
    expect(mine.energy_delivered_kwh).toBeLessThanOrEqual(mine.energy_requested_kwh);
    expect(mine.limit_commands).not.toBe(equal.limit_commands);
  });
});
