import type { CpState } from '@evcharging/core';

/** Events of the CP state machine (docs/wire-contract.md §4). */
export const CP_EVENTS = [
  'connect',
  'start_supply',
  'stop_supply',
  'stop_cp',
  'resume_cp',
  'fault_detected',
  'fault_cleared',
  'disconnect',
] as const;
export type CpEvent = (typeof CP_EVENTS)[number];

/** What a guard needs: the CP (for error messages) and whether a start is authorized. */
export interface TransitionContext {
  cpId: string;
  /** `start_supply` is legal only when authorized (valid request, no current driver). */
  authorized?: boolean;
}

/** Thrown for an event the state machine does not allow in the current state. */
export class IllegalTransitionError extends Error {
  override readonly name = 'IllegalTransitionError';
  constructor(
    readonly cpId: string,
    readonly state: CpState,
    readonly event: CpEvent,
    detail?: string,
  ) {
    super(`CP "${cpId}": event "${event}" is not allowed in state ${state}${detail ? ` (${detail})` : ''}`);
  }
}

const TABLE: Readonly<Record<CpState, Partial<Record<CpEvent, CpState>>>> = {
  DISCONNECTED: { connect: 'ACTIVATED' },
  ACTIVATED: {
    start_supply: 'SUPPLYING',
    stop_cp: 'STOPPED',
    fault_detected: 'FAULT',
    disconnect: 'DISCONNECTED',
  },
  SUPPLYING: {
    stop_supply: 'ACTIVATED',
    stop_cp: 'STOPPED',
    fault_detected: 'FAULT',
    disconnect: 'DISCONNECTED',
  },
  STOPPED: { resume_cp: 'ACTIVATED', fault_detected: 'FAULT', disconnect: 'DISCONNECTED' },
  FAULT: { fault_cleared: 'ACTIVATED', disconnect: 'DISCONNECTED' },
};

/** The next state, or undefined when the pair is not in the table (guards not applied). */
function target(state: CpState, event: CpEvent): CpState | undefined {
  return TABLE[state]?.[event];
}

/**
 * The CP state machine of docs/wire-contract.md §4 as a pure module: no I/O, no time.
 *
 * @example
 * cpStateMachine.transition('ACTIVATED', 'start_supply', { cpId: 'CP-001', authorized: true }); // 'SUPPLYING'
 * cpStateMachine.transition('FAULT', 'start_supply', { cpId: 'CP-001' }); // throws IllegalTransitionError
 */
export const cpStateMachine = {
  events: CP_EVENTS,

  /** The next state; throws {@link IllegalTransitionError} naming the CP, state and event. */
  transition(state: CpState, event: CpEvent, context: TransitionContext): CpState {
    const next = target(state, event);
    if (next === undefined) throw new IllegalTransitionError(context.cpId, state, event);
    if (event === 'start_supply' && context.authorized !== true) {
      throw new IllegalTransitionError(context.cpId, state, event, 'not authorized');
    }
    return next;
  },

  /** Whether `transition` would succeed. */
  can(state: CpState, event: CpEvent, context: Omit<TransitionContext, 'cpId'> = {}): boolean {
    const next = target(state, event);
    if (next === undefined) return false;
    return event !== 'start_supply' || context.authorized === true;
  },

  /** A CP takes a request only when ACTIVATED with no current driver. */
  canTakeRequest(state: CpState, hasDriver: boolean): boolean {
    return state === 'ACTIVATED' && !hasDriver;
  },
} as const;
