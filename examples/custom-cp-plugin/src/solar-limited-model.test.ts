import { createNode, SeededRandom, type SessionEnd, VirtualClock } from '@evcharging/core';
import { chargingPointEngine, fixedDuration } from '@evcharging/cp';
import { MemoryBroker } from '@evcharging/transport-memory';
import { describe, expect, it } from 'vitest';
import { solarLimitedModel } from './solar-limited-model.js';

const HOUR = 3_600_000;
// 2026-01-01T00:00Z, the VirtualClock's default start; with utcOffsetHours 0, local = UTC.
const MIDNIGHT = Date.UTC(2026, 0, 1);
const at = (hour: number) => ({ cpId: 'CP-S', nowMs: MIDNIGHT + hour * HOUR });

describe('solarLimitedModel', () => {
  const model = solarLimitedModel({
    chargerKw: 22,
    peakSolarKw: 12,
    gridKw: 3,
    sunriseHour: 6,
    sunsetHour: 18,
    utcOffsetHours: 0,
  });

  it('gives grid power only at night, grid + peak at solar noon, and a symmetric curve', () => {
    expect(model.power(0, 0, at(2))).toBe(3);
    expect(model.power(0, 0, at(6))).toBe(3);
    expect(model.power(0, 0, at(12))).toBeCloseTo(15, 9);
    expect(model.power(0, 0, at(9))).toBeCloseTo(model.power(0, 0, at(15)), 9);
    expect(model.power(0, 0, at(9))).toBeCloseTo(3 + 12 * Math.SQRT1_2, 9);
  });

  it('never exceeds the charger rating', () => {
    const big = solarLimitedModel({ chargerKw: 7.4, peakSolarKw: 30, utcOffsetHours: 0 });
    expect(big.power(0, 0, at(13))).toBe(7.4);
    expect(big.maxKw).toBe(7.4);
  });

  it('applies the UTC offset', () => {
    const cet = solarLimitedModel({
      peakSolarKw: 10,
      gridKw: 0,
      sunriseHour: 6,
      sunsetHour: 18,
      utcOffsetHours: 1,
    });
    expect(cet.solarKw(MIDNIGHT + 11 * HOUR)).toBeCloseTo(10, 9); // 12:00 local
  });

  it('rejects impossible options', () => {
    expect(() => solarLimitedModel({ sunriseHour: 20, sunsetHour: 6 })).toThrow(/sunriseHour < sunsetHour/);
    expect(() => solarLimitedModel({ gridKw: -1 })).toThrow(/grid must be a number >= 0/);
  });

  it('plugs into the engine: a noon session gets the integral of the daylight curve', async () => {
    const clock = new VirtualClock();
    const broker = new MemoryBroker();
    const engine = chargingPointEngine({
      cpId: 'CP-S',
      priceEurKwh: 0.2,
      policy: fixedDuration(2 * 3600),
      model,
    });
    const node = createNode({
      id: 'cp-s',
      transport: broker.transport('cp-s', { clock }),
      clock,
      random: new SeededRandom(1),
      plugins: [engine],
    });
    await node.start();
    const central = broker.transport('central', { clock });
    const tickets: SessionEnd[] = [];
    await central.subscribe('cp.session_end', { group: 'central' }, (t) => {
      tickets.push(t);
    });
    const start = (sessionId: string) =>
      central.publish('central.commands', {
        cmd: 'start_supply',
        cp_id: 'CP-S',
        payload: { driver_id: 'driver-sun', request_id: 'req-1', session_id: sessionId },
      });
    await start('session-night');
    await clock.advance(11 * HOUR); // the night session ends at 02:00; now 11:00
    await start('session-noon');
    await clock.advance(3 * HOUR);
    await node.stop();

    expect(tickets.map((t) => t.session_id)).toEqual(['session-night', 'session-noon']);
    expect(tickets[0]!.energy_kwh).toBeCloseTo(6, 3); // 3 kW from the grid for 2 h
    // 11:00 to 13:00: 3 kW × 2 h + ∫ 12·sin(π(h−6)/12) dh = 6 + (144/π)·(cos(5π/12) − cos(7π/12)).
    const exact = 6 + (144 / Math.PI) * (Math.cos((5 * Math.PI) / 12) - Math.cos((7 * Math.PI) / 12));
    expect(tickets[1]!.energy_kwh).toBeCloseTo(exact, 2);
    expect(tickets[1]!.total_cost_eur).toBeCloseTo(exact * 0.2, 2);
  });
});
