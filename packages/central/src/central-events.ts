import type { CpState, EventStream } from '@evcharging/core';
import type { AuditEntry, RequestRecord, SessionStatus } from './store/central-store.js';

/** A CP's registry entry changed (state, telemetry, liveness, operator stop). */
export interface CpChangedEvent {
  cp_id: string;
  /** The state shown for it now. */
  state: CpState;
}

/** A session was created or changed status. */
export interface SessionChangedEvent {
  session_id: string;
  cp_id: string;
  driver_id: string;
  status: SessionStatus;
}

/**
 * Everything Central announces, on one typed stream (`central.events`): the dashboard, the
 * network helper and tests listen here; nothing listens to Central any other way.
 *
 * @example
 * central.events.on('session.changed', ({ session_id, status }) => console.log(session_id, status));
 * central.events.on('request.decided', (r) => { if (r.decision === 'denied') console.log(r.reason); });
 */
export interface CentralEvents {
  'cp.changed': CpChangedEvent;
  'session.changed': SessionChangedEvent;
  /** A driver request was decided, accepted or denied (a redelivered one is not decided again). */
  'request.decided': RequestRecord;
  /** An action entered the audit trail: operator commands, registrations, refusals. */
  audit: AuditEntry;
}

export type CentralEventStream = EventStream<CentralEvents>;
