import type { CpState } from '@evcharging/core';
import type { SessionStatus } from './store/central-store.js';

/** A CP's registry entry changed (state, telemetry, liveness, ...). */
export interface CpChangedEvent {
  cp_id: string;
  state: CpState;
}

/** A session was created or changed status. */
export interface SessionChangedEvent {
  session_id: string;
  cp_id: string;
  driver_id: string;
  status: SessionStatus;
}

// Central's events on its node's local bus, for dashboards and SSE streams.
declare module '@evcharging/core' {
  interface LocalBusEvents {
    'central.cp.changed': CpChangedEvent;
    'central.session.changed': SessionChangedEvent;
  }
}
