import type { CpState, EventStream } from '@evcharging/core';
import type { AuditEntry, RequestRecord, SessionStatus, TelemetrySnapshot } from './store/central-store.js';

/**
 * A CP's registry entry changed: its state, session, liveness, operator stop or registration. A
 * telemetry reading alone is a `cp.reading` instead, so a listener that follows states is not called
 * once per reading (a city's day at 1 s telemetry has millions of them).
 */
export interface CpChangedEvent {
  cp_id: string;
  /** The state shown for it now. */
  state: CpState;
}

/** A CP's telemetry reading was applied: its figures as Central stores them now (a copy). */
export interface CpReadingEvent {
  cp_id: string;
  telemetry: TelemetrySnapshot;
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
  /** Built only while someone listens: Central sends one per telemetry message. */
  'cp.reading': CpReadingEvent;
  'session.changed': SessionChangedEvent;
  /** A driver request was decided, accepted or denied (a redelivered one is not decided again). */
  'request.decided': RequestRecord;
  /** An action entered the audit trail: operator commands, registrations, refusals. */
  audit: AuditEntry;
}

export type CentralEventStream = EventStream<CentralEvents>;
