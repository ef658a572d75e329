import { CP_STATES, type CpState } from '@evcharging/core';
import { describe, expect, it } from 'vitest';
import { CP_EVENTS, type CpEvent, cpStateMachine, IllegalTransitionError } from './cp-state-machine.js';

// docs/wire-contract.md §4, written out independently of the implementation's table.
const EXPECTED: Record<string, CpState> = {
  'DISCONNECTED connect': 'ACTIVATED',
  'ACTIVATED start_supply': 'SUPPLYING',
  'ACTIVATED stop_cp': 'STOPPED',
  'ACTIVATED fault_detected': 'FAULT',
  'ACTIVATED disconnect': 'DISCONNECTED',
  'SUPPLYING stop_supply': 'ACTIVATED',
  'SUPPLYING stop_cp': 'STOPPED',
  'SUPPLYING fault_detected': 'FAULT',
  'SUPPLYING disconnect': 'DISCONNECTED',
  'STOPPED resume_cp': 'ACTIVATED',
  'STOPPED fault_detected': 'FAULT',
  'STOPPED disconnect': 'DISCONNECTED',
  'FAULT fault_cleared': 'ACTIVATED',
  'FAULT disconnect': 'DISCONNECTED',
};

const pairs = CP_STATES.flatMap((state) => CP_EVENTS.map((event) => [state, event] as [CpState, CpEvent]));

describe('cpStateMachine', () => {
  it('covers 5 states × 8 events', () => {
    expect(pairs).toHaveLength(40);
  });

  it.each(pairs)('%s + %s', (state, event) => {
    const expected = EXPECTED[`${state} ${event}`];
    const ctx = { cpId: 'CP-042', authorized: true };
    if (expected) {
      expect(cpStateMachine.transition(state, event, ctx)).toBe(expected);
      expect(cpStateMachine.can(state, event, { authorized: true })).toBe(true);
    } else {
      expect(cpStateMachine.can(state, event, { authorized: true })).toBe(false);
      let error: unknown;
      try {
        cpStateMachine.transition(state, event, ctx);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(IllegalTransitionError);
      const illegal = error as IllegalTransitionError;
      expect(illegal.message).toContain('CP-042');
      expect(illegal.message).toContain(state);
      expect(illegal.message).toContain(event);
      expect(illegal).toMatchObject({ cpId: 'CP-042', state, event });
    }
  });

  it('start_supply needs authorization (the guard)', () => {
    expect(() => cpStateMachine.transition('ACTIVATED', 'start_supply', { cpId: 'CP-1' })).toThrow(
      /CP "CP-1": event "start_supply" is not allowed in state ACTIVATED \(not authorized\)/,
    );
    expect(() =>
      cpStateMachine.transition('ACTIVATED', 'start_supply', { cpId: 'CP-1', authorized: false }),
    ).toThrow(IllegalTransitionError);
    expect(cpStateMachine.can('ACTIVATED', 'start_supply')).toBe(false);
  });

  it('a CP takes a request only when ACTIVATED with no current driver', () => {
    for (const state of CP_STATES) {
      expect(cpStateMachine.canTakeRequest(state, false)).toBe(state === 'ACTIVATED');
      expect(cpStateMachine.canTakeRequest(state, true)).toBe(false);
    }
  });
});
