/** One active session as a policy sees it. */
export interface SessionDemand {
  readonly session_id: string;
  readonly cp_id: string;
  /** When the session was accepted, ms since the epoch. */
  readonly arrived_ms: number;
  /** When its driver leaves, ms since the epoch (undefined: not said). */
  readonly departure_ms: number | undefined;
  /** The most it can draw now: min(CP rating, the vehicle's acceptance at its last SoC), kW. */
  readonly max_kw: number;
  /** Energy it still wants, kWh (Infinity when the request names no target). */
  readonly energy_needed_kwh: number;
}

/** What a policy is asked at each control interval and at every arrival and departure. */
export interface AllocationInput {
  readonly site_id: string;
  readonly now_ms: number;
  /** Power the site can give out until the next decision, kW (its limit, or the curve's lowest). */
  readonly available_kw: number;
  /** Active sessions, oldest first. */
  readonly sessions: readonly SessionDemand[];
}

/** kW per session id; a session left out gets 0. */
export type Allocation = ReadonlyMap<string, number> | Readonly<Record<string, number>>;

/**
 * Divides a site's available power among its active sessions. Central checks every answer: more
 * than the site has, a negative, NaN or infinite figure, or an unknown session is refused with an
 * error naming the site, the session and the field.
 *
 * @example
 * // Fill the sessions whose drivers leave first, then share what is left equally.
 * const leavingFirst: AllocationPolicy = {
 *   name: 'leaving-first',
 *   allocate({ available_kw, sessions, now_ms }) {
 *     const soon = sessions.filter((s) => (s.departure_ms ?? Infinity) - now_ms < 3_600_000);
 *     const out = new Map<string, number>();
 *     let left = available_kw;
 *     for (const s of soon) { const kw = Math.min(s.max_kw, left); out.set(s.session_id, kw); left -= kw; }
 *     const rest = sessions.filter((s) => !out.has(s.session_id));
 *     for (const s of rest) out.set(s.session_id, Math.min(s.max_kw, left / rest.length));
 *     return out;
 *   },
 * };
 * centralController({ cps, sites, smartCharging: { policy: leavingFirst } });
 */
export interface AllocationPolicy {
  readonly name: string;
  allocate(input: AllocationInput): Allocation;
}

/** The most a session should get: its acceptance, nothing once it needs nothing. */
function useful(session: SessionDemand): number {
  return session.energy_needed_kwh > 0 ? Math.max(0, session.max_kw) : 0;
}

/** Gives each session in `order` as much as it can take until the power runs out. */
function greedy(order: readonly SessionDemand[], available: number): Map<string, number> {
  const out = new Map<string, number>();
  let left = available;
  for (const session of order) {
    const kw = Math.min(useful(session), left);
    out.set(session.session_id, kw);
    left -= kw;
  }
  return out;
}

/** First come, first served, each up to what it can take: what a site without control does. */
export const uncontrolled: AllocationPolicy = {
  name: 'uncontrolled',
  allocate: ({ available_kw, sessions }) => greedy(sessions, available_kw),
};

/** The same share for every session, a session that takes less leaving the rest to the others. */
export const equalShare: AllocationPolicy = {
  name: 'equal-share',
  allocate({ available_kw, sessions }) {
    const out = new Map<string, number>();
    const open = [...sessions].sort((a, b) => useful(a) - useful(b));
    let left = available_kw;
    for (let i = 0; i < open.length; i++) {
      const session = open[i]!;
      const kw = Math.min(useful(session), left / (open.length - i));
      out.set(session.session_id, kw);
      left -= kw;
    }
    return out;
  },
};

const departureOf = (s: SessionDemand) => s.departure_ms ?? Number.POSITIVE_INFINITY;

/** Earliest deadline first: the drivers who leave first are served first. */
export const earliestDeadlineFirst: AllocationPolicy = {
  name: 'edf',
  allocate: ({ available_kw, sessions }) =>
    greedy(
      [...sessions].sort((a, b) => departureOf(a) - departureOf(b) || a.arrived_ms - b.arrived_ms),
      available_kw,
    ),
};

/**
 * Least laxity first: the sessions with the least slack (time left minus the time they need at
 * their own full power) are served first.
 */
export const leastLaxityFirst: AllocationPolicy = {
  name: 'llf',
  allocate({ available_kw, sessions, now_ms }) {
    const laxity = (s: SessionDemand) => {
      const hoursLeft = (departureOf(s) - now_ms) / 3_600_000;
      const hoursNeeded = s.max_kw > 0 ? s.energy_needed_kwh / s.max_kw : Number.POSITIVE_INFINITY;
      const slack = hoursLeft - hoursNeeded;
      return Number.isNaN(slack) ? Number.POSITIVE_INFINITY : slack;
    };
    return greedy(
      [...sessions].sort((a, b) => laxity(a) - laxity(b) || a.arrived_ms - b.arrived_ms),
      available_kw,
    );
  },
};

/** The built-in policies by name. */
export const ALLOCATION_POLICIES: Readonly<Record<string, AllocationPolicy>> = Object.freeze({
  uncontrolled,
  'equal-share': equalShare,
  edf: earliestDeadlineFirst,
  llf: leastLaxityFirst,
});

/** A built-in policy by name; an unknown name throws, listing the known ones. */
export function allocationPolicy(name: string): AllocationPolicy {
  const policy = Object.hasOwn(ALLOCATION_POLICIES, name) ? ALLOCATION_POLICIES[name] : undefined;
  if (!policy) {
    throw new RangeError(
      `unknown allocation policy "${name}" (known: ${Object.keys(ALLOCATION_POLICIES).join(', ')})`,
    );
  }
  return policy;
}

/** Thrown for a policy answer Central refuses; names the policy, site, session and field. */
export class AllocationError extends Error {
  override readonly name = 'AllocationError';
}

/**
 * Checks a policy's answer and returns it as a map with every session (0 when left out), in the
 * answer's order and then the sessions left out in input order: the policy's own map when it
 * answers every session. Throws an {@link AllocationError} naming the site, the session and the
 * field.
 */
export function checkAllocation(
  policy: string,
  input: AllocationInput,
  allocation: Allocation,
): ReadonlyMap<string, number> {
  // Runs at every control interval for every site: one pass checks the answer, and only an answer
  // with a fault goes through explainRefusal, which finds the first fault in order and names it.
  let answer: ReadonlyMap<string, number>;
  /** A record answer's own copy (a map the policy returned is never changed). */
  let copy: Map<string, number> | undefined;
  let total = 0;
  let valid = true;
  if (allocation instanceof Map) {
    answer = allocation as ReadonlyMap<string, number>;
    for (const kw of answer.values()) {
      if (!isLimit(kw)) valid = false;
      total += kw;
    }
  } else {
    const record = allocation as Readonly<Record<string, number>>;
    copy = new Map<string, number>();
    for (const sessionId in record) {
      if (!Object.hasOwn(record, sessionId)) continue;
      const kw = record[sessionId]!;
      if (!isLimit(kw)) valid = false;
      copy.set(sessionId, kw);
      total += kw;
    }
    answer = copy;
  }
  // Every answered session is active when as many active sessions are found in the answer as it
  // has entries (ids are distinct on both sides).
  let found = 0;
  for (const session of input.sessions) if (answer.has(session.session_id)) found++;
  if (!valid || found !== answer.size || total > input.available_kw * (1 + 1e-9) + 1e-9) {
    explainRefusal(policy, input, allocation);
  }
  if (found === input.sessions.length) return answer;
  // The sessions left out get 0: in the copy of a record, or in a copy of the policy's own map.
  const out = copy ?? new Map(answer);
  for (const session of input.sessions) if (!out.has(session.session_id)) out.set(session.session_id, 0);
  return out;
}

function isLimit(kw: unknown): kw is number {
  return typeof kw === 'number' && Number.isFinite(kw) && kw >= 0;
}

/** Throws the AllocationError for the first fault of an answer, entry by entry. */
function explainRefusal(policy: string, input: AllocationInput, allocation: Allocation): never {
  const where = `policy "${policy}" at site "${input.site_id}"`;
  const entries: [string, number][] =
    allocation instanceof Map ? [...allocation.entries()] : Object.entries(allocation);
  const known = new Set(input.sessions.map((s) => s.session_id));
  let total = 0;
  for (const [sessionId, kw] of entries) {
    if (!known.has(sessionId)) {
      throw new AllocationError(
        `${where}: session "${sessionId}" is not active at the site (limit_kw ${kw})`,
      );
    }
    if (!isLimit(kw)) {
      throw new AllocationError(
        `${where}: session "${sessionId}" field limit_kw must be a finite number >= 0, got ${String(kw)}`,
      );
    }
    total += kw;
  }
  if (total > input.available_kw * (1 + 1e-9) + 1e-9) {
    throw new AllocationError(
      `${where}: field available_kw exceeded: ${total} kW allocated, ${input.available_kw} kW available`,
    );
  }
  // Nothing wrong with the answer: the input itself names a session twice.
  const twice = input.sessions.find(
    (s, i) => input.sessions.findIndex((t) => t.session_id === s.session_id) < i,
  );
  throw new AllocationError(`${where}: field sessions lists session "${twice?.session_id}" more than once`);
}
