import { CP_STATES, type CpState } from '@evcharging/core';

/** What a health probe learned: the engine answered OK with its state, or it did not. */
export type ProbeResult =
  | { readonly ok: true; readonly state: CpState }
  | { readonly ok: false; readonly reason: string };

/** The request line of the health protocol. */
export const HEALTH_PING = 'PING';

/** Longest answer or reason accepted on the wire, characters. */
export const MAX_HEALTH_LINE = 256;

const STATES = new Set<string>(CP_STATES);

/** A reason on one line, bounded, so it can never break the line protocol. */
export function oneLine(text: string, max = MAX_HEALTH_LINE - 3): string {
  const flat = text.replace(/[\r\n]+/g, ' ').trim();
  return flat.length > max ? flat.slice(0, max) : flat;
}

/** `OK:<STATE>` or `KO:<reason>` (without the newline). */
export function formatHealthAnswer(result: ProbeResult): string {
  return result.ok ? `OK:${result.state}` : `KO:${oneLine(result.reason) || 'unknown'}`;
}

/**
 * Reads one answer line of the health protocol. `OK:<STATE>` with a known state is healthy;
 * `KO:<reason>`, `ERR:<reason>` and anything else are failures with a reason saying which.
 */
export function parseHealthAnswer(line: string): ProbeResult {
  const text = line.replace(/\r$/, '');
  if (text.startsWith('OK:')) {
    const state = text.slice(3).trim();
    if (STATES.has(state)) return { ok: true, state: state as CpState };
    return { ok: false, reason: `unexpected answer ${JSON.stringify(oneLine(text, 64))}` };
  }
  if (text.startsWith('KO:')) return { ok: false, reason: oneLine(text.slice(3)) || 'KO' };
  if (text.startsWith('ERR:')) return { ok: false, reason: `engine error: ${oneLine(text.slice(4))}` };
  return { ok: false, reason: `unexpected answer ${JSON.stringify(oneLine(text, 64))}` };
}
