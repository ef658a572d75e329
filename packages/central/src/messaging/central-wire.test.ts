import { isDone, type Transport, VirtualClock } from '@evcharging/core';
import { MemoryBroker } from '@evcharging/transport-memory';
import { describe, expect, it } from 'vitest';
import { CentralStats } from '../stats/central-stats.js';
import { CentralWire } from './central-wire.js';

const update = { request_id: 'req-1', driver_id: 'driver-1', cp_id: 'CP-1', status: 'accepted' } as const;

describe('CentralWire', () => {
  it('counts a message out once it is published, and not one the transport refused', async () => {
    const clock = new VirtualClock({ start: 0 });
    const stats = new CentralStats();
    const wire = new CentralWire(new MemoryBroker().transport('central', { clock }), clock, stats);
    await wire.publish('driver.updates', update);
    await expect(wire.publish('driver.updates', { ...update, cp_id: '' })).rejects.toThrow(/driver.updates/);
    expect(stats.messages.out).toEqual({ 'driver.updates': 1 });
  });

  it('counts a synchronous publish at once and hands on its DONE, so a handler returning it waits for nothing', () => {
    const clock = new VirtualClock({ start: 0 });
    const stats = new CentralStats();
    const wire = new CentralWire(new MemoryBroker().transport('central', { clock }), clock, stats);
    expect(isDone(wire.publish('driver.updates', update))).toBe(true);
    expect(stats.messages.out).toEqual({ 'driver.updates': 1 });
  });

  it('turns a transport that throws instead of rejecting into a rejection', async () => {
    const clock = new VirtualClock({ start: 0 });
    const stats = new CentralStats();
    const throwing = {
      publish: () => {
        throw new Error('broken transport');
      },
    } as unknown as Transport;
    const published = new CentralWire(throwing, clock, stats).publish('driver.updates', update);
    await expect(published).rejects.toThrow('broken transport');
    expect(stats.messages.out).toEqual({});
  });
});
