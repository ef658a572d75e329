const DAY_MS = 86_400_000;
/** 9999-12-31T23:59:59.999Z + 1 ms: later times need more than four year digits. */
const END_MS = 2_932_897 * DAY_MS;

const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);
/** `YYYY-MM-DDTHH:MM:SS`, the part of a timestamp before its milliseconds. */
const PREFIX_LENGTH = 19;
const DIGIT_0 = 48;
const DOT = 46;
const LETTER_Z = 90;
const char = String.fromCharCode;

// Two direct-mapped caches: the text of recent times (a simulation stamps many messages with the
// same now()) and the `YYYY-MM-DDTHH:MM:SS` of recent seconds, as character codes (a slot per
// second, so the few distinct seconds a message mixes — now, a session's start — do not evict each
// other).
const TIME_SLOTS = 4096;
const timeKey = new Float64Array(TIME_SLOTS).fill(-1);
const timeText: string[] = new Array<string>(TIME_SLOTS).fill('');
const SECOND_SLOTS = 1024;
const secondKey = new Float64Array(SECOND_SLOTS).fill(-1);
const secondCodes = new Uint16Array(SECOND_SLOTS * PREFIX_LENGTH);
let cachedDay = -1;
let cachedDayPrefix = '';
// The last time asked for: thousands of messages of one virtual instant share it.
let lastTime = Number.NaN;
let lastText = '';

function secondPrefix(second: number): string {
  const day = Math.floor(second / 86_400);
  if (day !== cachedDay) {
    cachedDay = day;
    cachedDayPrefix = new Date(day * DAY_MS).toISOString().slice(0, 11);
  }
  let rest = second - day * 86_400;
  const h = Math.floor(rest / 3_600);
  rest -= h * 3_600;
  const m = Math.floor(rest / 60);
  return `${cachedDayPrefix}${pad2(h)}:${pad2(m)}:${pad2(rest - m * 60)}`;
}

/**
 * Formats a time (ms since epoch) as the wire's ISO-8601 UTC timestamp, exactly as
 * `Date#toISOString` does. Every message carries one or more, so recent results and the text of
 * recent seconds are cached: the same time as the last call costs one comparison, a recent time a
 * lookup, a new millisecond one `String.fromCharCode` of its 24 characters. That makes a flat
 * string at once, at about two thirds the cost of joining the second's text and the milliseconds':
 * `a + b` would make a rope, copied into a flat string by its first reader (the event log's digest
 * reads every character). Callers need no memo of their own.
 */
export function isoTime(time: number): string {
  if (time === lastTime) return lastText;
  if (!(time >= 0 && time < END_MS)) return new Date(time).toISOString(); // outside years 1970-9999, or NaN
  // A Date drops the fraction of a millisecond; virtual time has them (timers at fractional delays).
  const ms = Math.floor(time);
  const slot = ms % TIME_SLOTS;
  if (timeKey[slot] === ms) {
    lastTime = time;
    lastText = timeText[slot]!;
    return lastText;
  }
  const second = Math.floor(ms / 1000);
  const s = second % SECOND_SLOTS;
  const c = secondCodes;
  const at = s * PREFIX_LENGTH;
  if (secondKey[s] !== second) {
    const prefix = secondPrefix(second);
    for (let i = 0; i < PREFIX_LENGTH; i++) c[at + i] = prefix.charCodeAt(i);
    secondKey[s] = second;
  }
  const milli = ms - second * 1000;
  const tens = Math.floor(milli / 10);
  // biome-ignore format: the 24 characters, one argument each
  const text = char(
    c[at]!, c[at + 1]!, c[at + 2]!, c[at + 3]!, c[at + 4]!, c[at + 5]!, c[at + 6]!, c[at + 7]!,
    c[at + 8]!, c[at + 9]!, c[at + 10]!, c[at + 11]!, c[at + 12]!, c[at + 13]!, c[at + 14]!,
    c[at + 15]!, c[at + 16]!, c[at + 17]!, c[at + 18]!,
    DOT, DIGIT_0 + Math.floor(tens / 10), DIGIT_0 + (tens % 10), DIGIT_0 + (milli - tens * 10), LETTER_Z,
  );
  timeKey[slot] = ms;
  timeText[slot] = text;
  lastTime = time;
  lastText = text;
  return text;
}
