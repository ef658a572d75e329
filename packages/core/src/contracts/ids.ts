import { flatText } from '../text/flat-text.js';

const DAY_MS = 86_400_000;
/** 9999-12-31T23:59:59.999Z + 1 ms: later times need more than four year digits. */
const END_MS = 2_932_897 * DAY_MS;

const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);
const pad3 = (n: number) => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`);

/** `.000Z` … `.999Z`. */
const MILLIS = Array.from({ length: 1000 }, (_, i) => `.${pad3(i)}Z`);

// Two direct-mapped caches: the text of recent times (a simulation stamps many messages with the
// same now()) and the `YYYY-MM-DDTHH:MM:SS` of recent seconds (a slot per second, so the few
// distinct seconds a message mixes — now, a session's start — do not evict each other).
const TIME_SLOTS = 4096;
const timeKey = new Float64Array(TIME_SLOTS).fill(-1);
const timeText: string[] = new Array<string>(TIME_SLOTS).fill('');
const SECOND_SLOTS = 1024;
const secondKey = new Float64Array(SECOND_SLOTS).fill(-1);
const secondText: string[] = new Array<string>(SECOND_SLOTS).fill('');
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
 * lookup, a new millisecond one join into a flat string. Callers need no memo of their own.
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
  let prefix: string;
  if (secondKey[s] === second) prefix = secondText[s]!;
  else {
    prefix = secondPrefix(second);
    secondKey[s] = second;
    secondText[s] = prefix;
  }
  const text = flatText(prefix, MILLIS[ms - second * 1000]!);
  timeKey[slot] = ms;
  timeText[slot] = text;
  lastTime = time;
  lastText = text;
  return text;
}
