import { describe, expect, it } from 'vitest';
import { inProcessEngineLink } from '../monitor/engine-link.js';
import { describePolicy, fixedDuration, limitsFor, manualStop, targetEnergy } from './session-policy.js';

const payload = { driver_id: 'd', request_id: 'r', session_id: 's' };

describe('session policies', () => {
  it('fixed duration: the request’s duration wins; its target applies too', () => {
    expect(limitsFor(fixedDuration(10), payload)).toEqual({ durationMs: 10_000 });
    expect(limitsFor(fixedDuration(10), { ...payload, duration_s: 90 })).toEqual({ durationMs: 90_000 });
    expect(limitsFor(fixedDuration(10), { ...payload, target_kwh: 5 })).toEqual({
      durationMs: 10_000,
      targetKwh: 5,
    });
  });

  it('target energy: the request’s target wins, else the default, else no limit', () => {
    expect(limitsFor(targetEnergy(20), payload)).toEqual({ targetKwh: 20 });
    expect(limitsFor(targetEnergy(20), { ...payload, target_kwh: 7 })).toEqual({ targetKwh: 7 });
    expect(limitsFor(targetEnergy(), payload)).toEqual({});
    expect(limitsFor(targetEnergy(), { ...payload, duration_s: 60 })).toEqual({ durationMs: 60_000 });
  });

  it('manual stop ignores the request’s limits', () => {
    expect(limitsFor(manualStop(), { ...payload, target_kwh: 1, duration_s: 1 })).toEqual({});
  });

  it('rejects impossible values and describes itself', () => {
    expect(() => fixedDuration(0)).toThrow(/durationS must be a positive number, got 0/);
    expect(() => targetEnergy(Number.NaN)).toThrow(/kwh must be a positive number/);
    expect([fixedDuration(10), targetEnergy(), targetEnergy(30), manualStop()].map(describePolicy)).toEqual([
      'fixed duration 10 s',
      'target energy from the request',
      'target energy 30 kWh',
      'manual stop only',
    ]);
  });
});

describe('inProcessEngineLink', () => {
  it('reports an engine it cannot find or whose probe throws as a failure', async () => {
    let engine: { probe(): string } | undefined;
    const link = inProcessEngineLink(() => engine);
    expect(await link.probe()).toEqual({ ok: false, reason: 'engine unreachable' });
    engine = { probe: () => 'OK:STOPPED' };
    expect(await link.probe()).toEqual({ ok: true, state: 'STOPPED' });
    engine = {
      probe: () => {
        throw new Error('wedged');
      },
    };
    expect(await link.probe()).toEqual({ ok: false, reason: 'probe failed: wedged' });
  });
});
