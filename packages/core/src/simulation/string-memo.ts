/**
 * The strings last digested at each position of the entries of one key (one CP's telemetry, one
 * driver's updates), with their digests. A key's messages repeat most of their strings: the field
 * names, the ids, the node and topic; reading a string's characters costs a few nanoseconds each,
 * comparing it with the one at the same position last time costs one, so `EntryHasher` reads the
 * digest from here when the string is equal. The memo only saves work: a digest is the same with
 * it, without it, or after it was cleared.
 */
export type StringMemo = (string | number)[];

/**
 * The memo's layout: position `i`'s string at `STRIDE * i`, its digest (high, low, as signed 32-bit
 * integers) at the next two indexes. One array per key, not three, so a message touches one block
 * of memory for its memo: the fleet's thousands of memos do not fit a CPU's cache.
 */
export const STRIDE = 3;

/** Keys remembered before the memos start again empty (a bound on their memory). */
const MAX_KEYS = 65_536;

/**
 * One {@link StringMemo} per message key, at most 65,536 at a time: past that (a run keying its
 * messages by ever new ids), every memo is dropped and the next ones start empty. Messages of
 * several topics under one key share its memo: they only make each other's strings miss it while
 * they alternate.
 *
 * @example
 * const memos = new StringMemos();
 * hasher.reset(memos.of('CP-001'));
 */
export class StringMemos {
  private readonly byKey = new Map<string, StringMemo>();

  /** The memo of the messages keyed `key`. */
  of(key: string): StringMemo {
    let memo = this.byKey.get(key);
    if (memo === undefined) {
      if (this.byKey.size === MAX_KEYS) this.byKey.clear();
      memo = [];
      this.byKey.set(key, memo);
    }
    return memo;
  }
}
