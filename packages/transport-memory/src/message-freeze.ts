/** Nesting deeper than this is taken for a cycle (JSON.stringify throws on one). */
const MAX_DEPTH = 128;

/**
 * Freezes a message and everything in it (children first), for the simulation lane: every group
 * then gets the very object that was published, and a handler that tries to change it throws a
 * TypeError at the assignment. Because that lane skips the JSON round trip, the same walk rejects
 * what Kafka's JSON would not carry as it is (so what works in the lane works on Kafka): functions,
 * symbols, BigInts, NaN and ±Infinity, `undefined` in an array, objects that are not plain (a Date, a
 * Map, a class instance) and cycles. `undefined` as a field's value is allowed (JSON drops the field,
 * and a reader sees `undefined` either way).
 *
 * @returns undefined when the message was frozen, else the reason it cannot be sent, with its path
 *   (a rejected message may be left partly frozen).
 */
export function freezeMessage(value: unknown): string | undefined {
  return freeze(value, 0);
}

function freeze(value: unknown, depth: number): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
    case 'undefined':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : `: ${value} is not a JSON number`;
    case 'object': {
      if (value === null) return undefined;
      if (depth >= MAX_DEPTH) return `: nested deeper than ${MAX_DEPTH} levels (a cycle?)`;
      if (Array.isArray(value)) return freezeArray(value, depth);
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) {
        const kind = (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
        return `: a ${kind} is not plain JSON data (JSON would change it)`;
      }
      const record = value as Record<string, unknown>;
      for (const key in record) {
        const reason = freeze(record[key], depth + 1);
        if (reason !== undefined) return `/${key}${reason}`;
      }
      Object.freeze(value);
      return undefined;
    }
    default:
      return `: a ${typeof value} is not a JSON value`;
  }
}

function freezeArray(items: unknown[], depth: number): string | undefined {
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    const reason =
      item === undefined ? ': undefined in an array (JSON makes it null)' : freeze(item, depth + 1);
    if (reason !== undefined) return `/${i}${reason}`;
  }
  Object.freeze(items);
  return undefined;
}
