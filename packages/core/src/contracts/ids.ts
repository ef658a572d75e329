/** Formats a time (ms since epoch) as the wire's ISO-8601 UTC timestamp. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}
