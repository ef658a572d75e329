import type { Clock, DriverUpdate, TimerHandle } from '@evcharging/core';
import { type DriverOutcome, hasTicket, TERMINAL_STATUSES } from './driver-result.js';

/** Fields of a request's updates a driver keeps for its record: the reason and the ticket. */
export const OUTCOME_FIELDS = [
  'reason',
  'session_id',
  'start_time',
  'end_time',
  'energy_kwh',
  'total_cost_eur',
] as const;

/** The reason and ticket fields gathered from every update of one request (later ones win). */
export type OutcomeInfo = Partial<Pick<DriverUpdate, (typeof OUTCOME_FIELDS)[number]>>;

/** How one followed request ended. */
export interface FollowedOutcome {
  /** `timeout`: no update within the timeout (or, once accepted, within the session window). */
  status: DriverOutcome;
  info: OutcomeInfo;
  /** True when a non-terminal update (accepted, in progress) arrived before the outcome. */
  accepted: boolean;
}

export interface RequestFollowerOptions<R> {
  clock: Clock;
  /** A request times out when no update for it arrives for this long, ms (> 0). */
  timeoutMs: number;
  /** After `completed` without a ticket, wait this long for the ticket, ms (0: do not wait). */
  ticketGraceMs: number;
  /**
   * Once accepted, how long the request may go on before it times out, ms from acceptance (an
   * update still gives it at least `timeoutMs` more). Default: only the timeout counts.
   */
  sessionWindowMs?: (request: R) => number;
  /** Called once per request with its outcome, after the request stopped being followed. */
  onOutcome(request: R, outcome: FollowedOutcome): void;
  /** Called on the first non-terminal update of a request. */
  onAccepted?(request: R): void;
  /** Called on every non-terminal update of a request that is not waiting for its ticket. */
  onProgress?(request: R, update: DriverUpdate): void;
  /**
   * A terminal update for a request that timed out. Setting it makes the follower remember the
   * `lateLimit` most recent timed-out requests; its result is what {@link RequestFollower.handle}
   * returns (a promise the transport may wait for).
   */
  onLateOutcome?(request: R, update: DriverUpdate): void | Promise<void>;
  /** Timed-out requests remembered for {@link onLateOutcome} (default 100). */
  lateLimit?: number;
  /** Any other update for a request not followed (or no longer); its result is returned likewise. */
  onUnfollowed?(update: DriverUpdate): void | Promise<void>;
}

interface Followed<R> {
  readonly id: string;
  readonly request: R;
  accepted: boolean;
  /** A `completed` without a ticket arrived: the follower waits `ticketGraceMs` for the ticket. */
  awaitingTicket: boolean;
  info: OutcomeInfo;
  /** Give up at this time unless an update moves it. */
  deadline: number;
  timer: TimerHandle | undefined;
  /** When the timer fires; it is re-armed only when the deadline comes earlier than this. */
  timerAt: number;
}

/**
 * Follows requests a driver sent through `driver.updates` to their outcome: a terminal status ends
 * a request (`completed` without a ticket first waits `ticketGraceMs` for the ticket); silence for
 * `timeoutMs` times it out; a terminal update for a request that timed out is handed over as a late
 * outcome. One timer per request in flight, moved lazily (re-armed only when a deadline comes
 * earlier), so progress updates cost no timer churn. The owner sends requests and passes every
 * update of `driver.updates` to {@link handle}; time comes only from the given clock.
 *
 * @example
 * const follower = new RequestFollower<Trip>({
 *   clock: ctx.clock,
 *   timeoutMs: 30_000,
 *   ticketGraceMs: 5_000,
 *   onOutcome: (trip, { status, info }) => record(trip, status, info.energy_kwh),
 * });
 * follower.follow(requestId, trip); // before publishing the request
 * await ctx.transport.subscribe('driver.updates', { group }, (update) => follower.handle(update));
 */
export class RequestFollower<R> {
  private readonly followed = new Map<string, Followed<R>>();
  /** Timed-out requests whose outcome may still arrive, oldest first (only with `onLateOutcome`). */
  private readonly late: Map<string, R> | undefined;
  private readonly lateLimit: number;

  constructor(private readonly options: RequestFollowerOptions<R>) {
    const { timeoutMs, ticketGraceMs } = options;
    if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) {
      throw new RangeError(`RequestFollower: timeoutMs must be a finite number > 0, got ${timeoutMs}`);
    }
    if (!(ticketGraceMs >= 0) || !Number.isFinite(ticketGraceMs)) {
      throw new RangeError(
        `RequestFollower: ticketGraceMs must be a finite number >= 0, got ${ticketGraceMs}`,
      );
    }
    this.lateLimit = options.lateLimit ?? 100;
    if (!Number.isInteger(this.lateLimit) || this.lateLimit < 0) {
      throw new RangeError(`RequestFollower: lateLimit must be an integer >= 0, got ${this.lateLimit}`);
    }
    this.late = options.onLateOutcome ? new Map() : undefined;
  }

  /** Requests being followed. */
  get size(): number {
    return this.followed.size;
  }

  /** Starts following a request: it times out unless an update for it arrives within `timeoutMs`. */
  follow(requestId: string, request: R): void {
    if (this.followed.has(requestId)) {
      throw new Error(`RequestFollower: request "${requestId}" is already being followed`);
    }
    const entry: Followed<R> = {
      id: requestId,
      request,
      accepted: false,
      awaitingTicket: false,
      info: {},
      deadline: this.options.clock.now() + this.options.timeoutMs,
      timer: undefined,
      timerAt: 0,
    };
    this.followed.set(requestId, entry);
    this.arm(entry);
  }

  /**
   * Takes one update of `driver.updates`. Returns what `onLateOutcome` or `onUnfollowed` returned
   * when the update is not for a followed request, so an asynchronous owner can wait for it.
   */
  handle(update: DriverUpdate): void | Promise<void> {
    const entry = this.followed.get(update.request_id);
    if (entry === undefined) return this.unfollowed(update);
    gatherOutcome(entry.info, update);
    const now = this.options.clock.now();
    if (TERMINAL_STATUSES.has(update.status)) {
      const status = update.status as Exclude<DriverOutcome, 'timeout'>;
      if (status === 'completed' && this.options.ticketGraceMs > 0 && !hasTicket(update)) {
        entry.awaitingTicket = true;
        this.setDeadline(entry, now + this.options.ticketGraceMs);
      } else {
        this.finish(entry, status);
      }
      return;
    }
    if (entry.awaitingTicket) {
      if (hasTicket(update)) this.finish(entry, 'completed');
      return;
    }
    if (!entry.accepted) {
      entry.accepted = true;
      this.options.onAccepted?.(entry.request);
      const window = this.options.sessionWindowMs;
      if (window) this.setDeadline(entry, Math.max(entry.deadline, now + window(entry.request)));
    }
    this.options.onProgress?.(entry.request, update);
    if (now + this.options.timeoutMs > entry.deadline) this.setDeadline(entry, now + this.options.timeoutMs);
  }

  /**
   * Ends a followed request as `failed` with this reason (for example when the request could not
   * be sent). Returns false, and does nothing, when the request is not being followed.
   */
  fail(requestId: string, reason: string): boolean {
    const entry = this.followed.get(requestId);
    if (entry === undefined) return false;
    entry.info.reason = reason;
    this.finish(entry, 'failed');
    return true;
  }

  /** Stops following every request, without outcomes; returns them. Late outcomes are still handled. */
  stop(): R[] {
    const requests: R[] = [];
    for (const entry of this.followed.values()) {
      entry.timer?.cancel();
      entry.timer = undefined;
      requests.push(entry.request);
    }
    this.followed.clear();
    return requests;
  }

  private unfollowed(update: DriverUpdate): void | Promise<void> {
    if (this.late !== undefined && TERMINAL_STATUSES.has(update.status)) {
      const request = this.late.get(update.request_id);
      if (request !== undefined) {
        this.late.delete(update.request_id);
        return this.options.onLateOutcome!(request, update);
      }
    }
    return this.options.onUnfollowed?.(update);
  }

  private setDeadline(entry: Followed<R>, at: number): void {
    entry.deadline = at;
    if (entry.timer !== undefined && entry.timerAt <= at) return;
    entry.timer?.cancel();
    this.arm(entry);
  }

  private arm(entry: Followed<R>): void {
    const clock = this.options.clock;
    entry.timerAt = entry.deadline;
    entry.timer = clock.setTimeout(() => this.expire(entry), Math.max(0, entry.deadline - clock.now()));
  }

  private expire(entry: Followed<R>): void {
    entry.timer = undefined;
    if (this.followed.get(entry.id) !== entry) return;
    if (this.options.clock.now() < entry.deadline) {
      this.arm(entry);
      return;
    }
    this.finish(entry, entry.awaitingTicket ? 'completed' : 'timeout');
  }

  private finish(entry: Followed<R>, status: DriverOutcome): void {
    entry.timer?.cancel();
    entry.timer = undefined;
    this.followed.delete(entry.id);
    if (status === 'timeout' && this.late !== undefined && this.lateLimit > 0) {
      this.late.set(entry.id, entry.request);
      if (this.late.size > this.lateLimit) this.late.delete(this.late.keys().next().value!);
    }
    this.options.onOutcome(entry.request, { status, info: entry.info, accepted: entry.accepted });
  }
}

/**
 * Copies an update's {@link OUTCOME_FIELDS} that are set into `info`, field by field: named
 * accesses, cheaper than a loop over the names on every in-progress update of every driver.
 */
function gatherOutcome(info: OutcomeInfo, update: DriverUpdate): void {
  if (update.reason !== undefined) info.reason = update.reason;
  if (update.session_id !== undefined) info.session_id = update.session_id;
  if (update.start_time !== undefined) info.start_time = update.start_time;
  if (update.end_time !== undefined) info.end_time = update.end_time;
  if (update.energy_kwh !== undefined) info.energy_kwh = update.energy_kwh;
  if (update.total_cost_eur !== undefined) info.total_cost_eur = update.total_cost_eur;
}
