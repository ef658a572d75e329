import type { CpState } from '@evcharging/core';

/** A transition of one engine, emitted on the node's local bus as `cp.state`. */
export interface CpStateChange {
  cpId: string;
  previous: CpState;
  state: CpState;
  reason: string;
  /** Clock time of the transition, ms since the epoch. */
  ts: number;
}

declare module '@evcharging/core' {
  interface LocalBusEvents {
    'cp.state': CpStateChange;
  }
}
