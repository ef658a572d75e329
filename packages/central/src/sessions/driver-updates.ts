import type { CpTelemetry, DriverRequest, DriverUpdate } from '@evcharging/core';
import type { SessionRecord } from '../store/central-store.js';

/** An update about an open session (`accepted`, or `in_progress` without figures). */
export function updateFor(session: SessionRecord, status: DriverUpdate['status'], ts: string): DriverUpdate {
  return {
    request_id: session.request_id,
    driver_id: session.driver_id,
    cp_id: session.cp_id,
    status,
    session_id: session.session_id,
    ts,
  };
}

/** A request Central will not serve, and why. */
export function deniedUpdate(
  request: Pick<DriverRequest, 'request_id' | 'driver_id' | 'cp_id'>,
  reason: string,
  ts: string,
): DriverUpdate {
  return {
    request_id: request.request_id,
    driver_id: request.driver_id,
    cp_id: request.cp_id,
    status: 'denied',
    reason,
    ts,
  };
}

/**
 * The figures of a supply in progress, one per telemetry message. One object literal of a fixed
 * shape: a spread copy of {@link updateFor}'s object made every schema check of it ten times
 * slower and cost a second allocation.
 */
export function inProgressUpdate(
  session: SessionRecord,
  telemetry: CpTelemetry,
  kwh: number,
  ts: string,
): DriverUpdate {
  const update: DriverUpdate = {
    request_id: session.request_id,
    driver_id: session.driver_id,
    cp_id: session.cp_id,
    status: 'in_progress',
    session_id: session.session_id,
    ts,
    kw: telemetry.kw,
    kwh,
    euros: telemetry.euros,
  };
  // Added, not spread: a conditional spread builds a second object on every telemetry message.
  if (telemetry.soc !== undefined) update.soc = telemetry.soc;
  return update;
}

/** The outcome of a closed session with its ticket figures (final once the ticket arrived). */
export function terminalUpdate(session: SessionRecord, ts: string): DriverUpdate {
  const update = updateFor(session, session.status === 'completed' ? 'completed' : 'failed', ts);
  update.energy_kwh = session.energy_kwh;
  update.total_cost_eur = session.total_cost_eur;
  if (session.reason) update.reason = session.reason;
  if (session.start_time) update.start_time = session.start_time;
  if (session.end_time) update.end_time = session.end_time;
  return update;
}
