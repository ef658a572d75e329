import type { CpEntry, CpRegistry } from '../domain/cp-registry.js';
import type { DenialKind } from '../stats/central-stats.js';

/** Why a request is denied, for the driver and for the figures. */
export interface Denial {
  kind: DenialKind;
  reason: string;
}

/** A request may go ahead at this CP, or is denied. */
export type Authorization = { ok: true; entry: CpEntry } | ({ ok: false } & Denial);

/**
 * Whether a CP can take a new request now: only an ACTIVATED CP holding no session, and never while
 * Central shuts down.
 */
export function authorize(cpId: string, registry: CpRegistry, shuttingDown: boolean): Authorization {
  if (shuttingDown) return { ok: false, kind: 'shutting_down', reason: 'Central is shutting down' };
  const entry = registry.entry(cpId);
  if (!entry) return { ok: false, kind: 'unknown_cp', reason: `unknown CP "${cpId}"` };
  const state = registry.stateOf(entry);
  if (state === 'SUPPLYING' || (state === 'ACTIVATED' && entry.record.current_session_id)) {
    return { ok: false, kind: 'busy', reason: `CP ${cpId} is busy` };
  }
  if (state !== 'ACTIVATED') {
    return { ok: false, kind: 'not_available', reason: `CP ${cpId} is not available (${state})` };
  }
  return { ok: true, entry };
}
