import { CP_STATES, type CpState } from '@evcharging/core';
import { describe, expect, it } from 'vitest';
import { type DisplayInputs, displayState } from './display-state.js';

const base: DisplayInputs = {
  monitorAlive: true,
  monitorHealth: 'HEALTHY',
  engineState: 'ACTIVATED',
  operatorStopped: false,
  requireMonitor: true,
};

describe('displayState: the monitor × engine matrix', () => {
  it('monitor down → DISCONNECTED whatever the engine', () => {
    for (const engineState of [...CP_STATES, null] as (CpState | null)[]) {
      expect(displayState({ ...base, monitorAlive: false, engineState })).toBe('DISCONNECTED');
      expect(displayState({ ...base, monitorAlive: false, monitorHealth: 'FAULT', engineState })).toBe(
        'DISCONNECTED',
      );
    }
  });

  it('monitor up, engine broken (monitor FAULT or engine FAULT) → FAULT', () => {
    expect(displayState({ ...base, monitorHealth: 'FAULT', engineState: 'SUPPLYING' })).toBe('FAULT');
    expect(displayState({ ...base, engineState: 'FAULT' })).toBe('FAULT');
    expect(displayState({ ...base, engineState: 'FAULT', operatorStopped: true })).toBe('FAULT');
  });

  it('monitor up, engine OK → the engine state; ACTIVATED before the engine said anything', () => {
    expect(displayState({ ...base, engineState: 'SUPPLYING' })).toBe('SUPPLYING');
    expect(displayState({ ...base, engineState: 'STOPPED' })).toBe('STOPPED');
    expect(displayState({ ...base, engineState: null })).toBe('ACTIVATED');
    expect(displayState({ ...base, engineState: 'DISCONNECTED' })).toBe('ACTIVATED');
  });

  it('an operator stop shows STOPPED before the engine confirms', () => {
    expect(displayState({ ...base, engineState: 'SUPPLYING', operatorStopped: true })).toBe('STOPPED');
  });

  it('without monitors the engine decides, and silence is DISCONNECTED', () => {
    const engineOnly = { ...base, requireMonitor: false, monitorAlive: false };
    expect(displayState({ ...engineOnly, engineState: null })).toBe('DISCONNECTED');
    expect(displayState({ ...engineOnly, engineState: 'SUPPLYING' })).toBe('SUPPLYING');
    expect(displayState({ ...engineOnly, engineState: 'DISCONNECTED' })).toBe('DISCONNECTED');
  });
});
