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
 * The memo's layout: place `i`'s string at `STRIDE * i`, its digest (high, low, as signed 32-bit
 * integers) at the next two indexes. One array per key, not three, so a message touches one block
 * of memory for its memo: the fleet's thousands of memos do not fit a CPU's cache. The general walk
 * takes places in the order it meets strings; a flat entry (see `EntryHasher.entry`) keeps its node,
 * topic and key at places 0 to 2, the lanes after them at {@link HEADER}, its value's shape at
 * {@link SHAPE}, and field `i`'s name and string value at places `5 + 2i` and `6 + 2i` ({@link FIELDS}).
 */
export const STRIDE = 3;

/**
 * Where a flat entry keeps the entry's two lanes after its node, topic and key, marked
 * {@link HEADER_KEPT}. The general walk clears the mark (and the shape's count): it puts its strings
 * at places of its own.
 */
export const HEADER = 3 * STRIDE;

/** The mark of lanes kept at {@link HEADER}: no string, nor the number of a place without one. */
export const HEADER_KEPT = -2;

/** Where a flat entry keeps its value's shape: its field count, then the shape's digest. */
export const SHAPE = 4 * STRIDE;

/** Where a flat entry's first field name is kept. */
export const FIELDS = 5 * STRIDE;

/** Keys remembered before the memos start again empty (a bound on their memory). */
const MAX_KEYS = 65_536;

/**
 * One {@link StringMemo} per message key, made at the key's second message (a key heard from once,
 * such as an idle CP's first status, costs its map entry only), at most 65,536 at a time: past that
 * (a run keying its messages by ever new ids), every memo is dropped and the next ones start empty.
 * Messages of several topics under one key share its memo: they only make each other's strings miss
 * it while they alternate.
 *
 * @example
 * const memos = new StringMemos();
 * hasher.reset(memos.of('CP-001')); // undefined the first time: nothing to repeat yet
 */
export class StringMemos {
  /** A key's memo, or null while the key was seen once. */
  private readonly byKey = new Map<string, StringMemo | null>();

  /** The memo of the messages keyed `key`; undefined at the key's first message. */
  of(key: string): StringMemo | undefined {
    const memo = this.byKey.get(key);
    if (memo) return memo;
    if (memo === null) {
      const made: StringMemo = [];
      this.byKey.set(key, made);
      return made;
    }
    if (this.byKey.size === MAX_KEYS) this.byKey.clear();
    this.byKey.set(key, null);
    return undefined;
  }
}
