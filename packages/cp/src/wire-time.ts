import { isoTime } from '@evcharging/core';

let lastMs = Number.NaN;
let lastText = '';

/**
 * `isoTime` with a one-entry memo: a fleet stamps thousands of heartbeats and probes with the same
 * clock instant, and formatting a Date is the costliest part of a heartbeat.
 */
export function wireTime(ms: number): string {
  if (ms !== lastMs) {
    lastMs = ms;
    lastText = isoTime(ms);
  }
  return lastText;
}
