import {
  type DriverUpdate,
  definePlugin,
  isoTime,
  type Plugin,
  type PluginContext,
  type Random,
  type Subscription,
  type TimerHandle,
} from '@evcharging/core';
import {
  type DriverOutcome,
  type DriverResult,
  type DriverSummary,
  hasTicket,
  summarize,
  TERMINAL_STATUSES,
} from './driver-result.js';
import {
  type DriverState,
  type DriverStateStore,
  MemoryDriverStateStore,
  type PendingRequest,
} from './driver-state-store.js';
import './driver-events.js';
import { type FollowedOutcome, RequestFollower } from './request-follower.js';
import { type DriverRequestSpec, loadRequestsFile } from './requests-file.js';

export interface DriverClientOptions {
  /** The driver's id: the key of its requests and of the updates it follows. */
  driverId: string;
  /** The list of requests, or the path of a requests file (see `parseRequests` for the format). */
  requests: readonly DriverRequestSpec[] | string;
  /** Wait between the end of one request and the next, ms (default 4,000). */
  intervalMs?: number;
  /** A request times out when no update for it arrives for this long, ms (default 30,000). */
  timeoutMs?: number;
  /** After `completed` without a ticket, wait this long for the ticket, ms (default 5,000). */
  ticketGraceMs?: number;
  /** Go through the list again and again until stopped (default false). */
  loop?: boolean;
  /** Wait before the first request, ms (default 0). */
  startDelayMs?: number;
  /** Where pending request ids and results are kept across restarts (default: in memory). */
  store?: DriverStateStore;
  /** Consumer group for `driver.updates` (default `driver-<driverId>`). Keep it across restarts. */
  group?: string;
  /**
   * On restart, send each pending request again with its request id (default true). Central
   * answers a known request id with its current status, so an outcome is not lost even when the
   * update itself is gone; an unknown one is a new request.
   */
  resendPending?: boolean;
  /** Results kept (the most recent), for loop mode (default 1,000). */
  resultLimit?: number;
  /** Plugin name, to run several drivers on one node (default `driver`). */
  name?: string;
}

/** The driver plugin, with its outcome. */
export interface DriverClient extends Plugin {
  readonly driverId: string;
  /**
   * Resolves with the results once the list is done, or with the results so far when the node
   * stops first (loop mode: only then). Never rejects.
   */
  readonly done: Promise<DriverResult[]>;
  /** Results so far (including those of earlier runs kept in the store). */
  results(): readonly DriverResult[];
  summary(): DriverSummary;
}

/** A request the driver follows, with what it needs to report the outcome. */
interface Followed {
  readonly pending: PendingRequest;
  /** Sent by an earlier run of this driver: its outcome is reported as late. */
  readonly resume: boolean;
  resolve(result: DriverResult | undefined): void;
}

/** Requests given up on by timeout whose outcome is still taken when it arrives. */
const LATE_LIMIT = 100;

/**
 * A driver: sends each request of its list to `driver.requests`, follows `driver.updates` (its own
 * key) to a terminal status or the timeout, waits, sends the next, and reports tickets as it goes.
 * Pending request ids are saved before each request is sent, so a restarted driver with the same
 * store and group still matches the outcome of a service that ran while it was down.
 *
 * @example
 * const driver = driverClient({ driverId: 'driver-alice', requests: 'examples/quickstart/requests.txt' });
 * const node = createNode({ id: 'driver-alice', transport, clock, plugins: [driver] });
 * await node.start();
 * const results = await driver.done; // [{ cp_id: 'CP-001', status: 'completed', energy_kwh: 7.33, ... }, ...]
 */
export function driverClient(options: DriverClientOptions): DriverClient {
  const driverId = options.driverId;
  if (typeof driverId !== 'string' || driverId.trim() === '') {
    throw new TypeError('driverClient: driverId must be a non-empty string');
  }
  const intervalMs = options.intervalMs ?? 4_000;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const ticketGraceMs = options.ticketGraceMs ?? 5_000;
  const resultLimit = options.resultLimit ?? 1_000;
  const store = options.store ?? new MemoryDriverStateStore();
  const group = options.group ?? `driver-${driverId}`;
  for (const [name, value] of Object.entries({ intervalMs, timeoutMs, ticketGraceMs })) {
    if (!(value >= 0) || !Number.isFinite(value)) {
      throw new RangeError(`driverClient "${driverId}": ${name} must be a finite number >= 0, got ${value}`);
    }
  }
  if (!(timeoutMs > 0)) throw new RangeError(`driverClient "${driverId}": timeoutMs must be > 0`);

  let resolveDone!: (results: DriverResult[]) => void;
  const done = new Promise<DriverResult[]>((resolve) => {
    resolveDone = resolve;
  });

  let ctx: PluginContext | undefined;
  let requests: readonly DriverRequestSpec[] = [];
  let state: DriverState = { version: 1, driver_id: driverId, cursor: 0, round: 0, pending: [], results: [] };
  let follower: RequestFollower<Followed> | undefined;
  let subscription: Subscription | undefined;
  let stopped = false;
  let loopDone: Promise<void> = Promise.resolve();
  let wake: { timer: TimerHandle; resolve(): void } | undefined;
  let resumed: Promise<DriverResult | undefined>[] = [];
  /** Request ids: a stream per run, so a restarted driver never reuses an id of an earlier run. */
  let ids: Random | undefined;

  const save = async (): Promise<void> => {
    if (state.results.length > resultLimit) state.results.splice(0, state.results.length - resultLimit);
    await store.save(state);
  };

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      if (stopped || ms <= 0) return resolve();
      const timer = ctx!.clock.setTimeout(() => {
        wake = undefined;
        resolve();
      }, ms);
      wake = { timer, resolve };
    });

  const resultOf = (
    pending: PendingRequest,
    status: DriverOutcome,
    info: Partial<DriverUpdate>,
  ): DriverResult => {
    const result: DriverResult = {
      request_id: pending.request_id,
      driver_id: driverId,
      cp_id: pending.cp_id,
      status,
      requested_at: pending.requested_at,
      finished_at: isoTime(ctx!.clock.now()),
    };
    if (status === 'timeout') result.reason = `no update for ${timeoutMs} ms`;
    else if (info.reason !== undefined) result.reason = info.reason;
    for (const field of ['session_id', 'start_time', 'end_time', 'energy_kwh', 'total_cost_eur'] as const) {
      if (info[field] !== undefined) (result as unknown as Record<string, unknown>)[field] = info[field];
    }
    return result;
  };

  const describe = (r: DriverResult): string =>
    r.status === 'completed' && r.energy_kwh !== undefined
      ? `${r.cp_id} completed: ${r.energy_kwh.toFixed(2)} kWh, €${(r.total_cost_eur ?? 0).toFixed(2)}`
      : `${r.cp_id} ${r.status}${r.reason ? `: ${r.reason}` : ''}`;

  const follow = (pending: PendingRequest, resume: boolean): Promise<DriverResult | undefined> =>
    new Promise((resolve) => follower!.follow(pending.request_id, { pending, resume, resolve }));

  const onOutcome = ({ pending, resume, resolve }: Followed, outcome: FollowedOutcome): void => {
    const result = resultOf(pending, outcome.status, outcome.info);
    if (resume) result.late = true;
    resolve(result);
  };

  const record = async (result: DriverResult): Promise<void> => {
    state.pending = state.pending.filter((p) => p.request_id !== result.request_id);
    state.results.push(result);
    await save();
    const total = options.loop ? state.results.length : requests.length;
    const finished = options.loop ? state.results.length : Math.min(state.results.length, total);
    ctx!.logger.info({ result, finished, total }, `${describe(result)} (${finished} of ${total})`);
    ctx!.bus.emit('driver.result', { driverId, result, finished, total });
  };

  /** A terminal update for a request given up on by timeout: it replaces the timeout's result. */
  const lateOutcome = async (pending: PendingRequest, update: DriverUpdate): Promise<void> => {
    const result = resultOf(pending, update.status as DriverOutcome, update);
    result.late = true;
    const i = state.results.findIndex((r) => r.request_id === pending.request_id);
    if (i >= 0) state.results[i] = result;
    else state.results.push(result);
    await save();
    ctx!.logger.info({ result }, `late outcome: ${describe(result)}`);
    ctx!.bus.emit('driver.result', {
      driverId,
      result,
      finished: state.results.length,
      total: options.loop ? state.results.length : requests.length,
    });
  };

  /**
   * An update for a request this driver no longer follows (nor took as a late outcome). It may be a
   * ticket for a request already reported: Central sends one more terminal update when a session's
   * ticket reaches it after the outcome (it gave up on a CP that then supplied, during a broker
   * outage or after its own restart). The result of that request (same session) takes the ticket's
   * figures; the same ticket again changes nothing, so no session is ever counted twice. Any other
   * update is only logged.
   */
  const ticketAfterOutcome = async (update: DriverUpdate): Promise<void> => {
    const i =
      TERMINAL_STATUSES.has(update.status) && hasTicket(update) && update.session_id !== undefined
        ? state.results.findIndex((r) => r.request_id === update.request_id)
        : -1;
    const old = state.results[i];
    if (!old || (old.session_id !== undefined && old.session_id !== update.session_id)) {
      ctx!.logger.debug({ update }, 'update for a request this driver is not following');
      return;
    }
    const status = update.status as DriverOutcome;
    if (
      old.status === status &&
      old.session_id === update.session_id &&
      old.energy_kwh === update.energy_kwh &&
      old.total_cost_eur === update.total_cost_eur
    ) {
      return; // the same ticket again
    }
    const result: DriverResult = { ...old, status, finished_at: isoTime(ctx!.clock.now()), late: true };
    if (update.reason !== undefined) result.reason = update.reason;
    for (const field of ['session_id', 'start_time', 'end_time', 'energy_kwh', 'total_cost_eur'] as const) {
      if (update[field] !== undefined) (result as unknown as Record<string, unknown>)[field] = update[field];
    }
    state.results[i] = result;
    await save();
    ctx!.logger.info({ result, previous: old }, `ticket after the outcome: ${describe(result)}`);
    ctx!.bus.emit('driver.result', {
      driverId,
      result,
      finished: state.results.length,
      total: options.loop ? state.results.length : requests.length,
    });
  };

  const onUpdate = async (update: DriverUpdate): Promise<void> => {
    if (update.driver_id !== driverId) return;
    ctx!.bus.emit('driver.update', { driverId, update });
    const late = follower!.handle(update);
    if (late) await late;
  };

  const publishRequest = (pending: PendingRequest): Promise<void> =>
    ctx!.transport.publish('driver.requests', {
      request_id: pending.request_id,
      driver_id: driverId,
      cp_id: pending.cp_id,
      ts: isoTime(ctx!.clock.now()),
      ...(pending.target_kwh !== undefined ? { target_kwh: pending.target_kwh } : {}),
      ...(pending.duration_s !== undefined ? { duration_s: pending.duration_s } : {}),
    });

  const send = async (spec: DriverRequestSpec, index: number): Promise<DriverResult | undefined> => {
    const c = ctx!;
    const pending: PendingRequest = {
      request_id: ids!.id('req'),
      cp_id: spec.cp_id,
      index,
      requested_at: isoTime(c.clock.now()),
      ...(spec.target_kwh !== undefined ? { target_kwh: spec.target_kwh } : {}),
      ...(spec.duration_s !== undefined ? { duration_s: spec.duration_s } : {}),
    };
    state.pending.push(pending);
    state.cursor = index + 1;
    await save();
    const outcome = follow(pending, false);
    try {
      await publishRequest(pending);
    } catch (error) {
      const reason = `could not send the request: ${error instanceof Error ? error.message : String(error)}`;
      if (stopped || !follower!.fail(pending.request_id, reason)) return undefined;
    }
    c.logger.debug({ request_id: pending.request_id, cp_id: spec.cp_id }, 'request sent');
    c.bus.emit('driver.request_sent', {
      driverId,
      request_id: pending.request_id,
      cp_id: spec.cp_id,
      index,
      total: requests.length,
    });
    return outcome;
  };

  const run = async (): Promise<void> => {
    const c = ctx!;
    // Outcomes of requests sent by an earlier run of this driver.
    if (options.resendPending ?? true) {
      for (const pending of [...state.pending]) {
        try {
          await publishRequest(pending);
        } catch (error) {
          c.logger.warn(
            { err: error, request_id: pending.request_id },
            'could not re-send a pending request',
          );
        }
      }
    }
    const outcomes = await Promise.all(resumed);
    for (const result of outcomes) if (result) await record(result);
    if (stopped) return;
    await sleep(options.startDelayMs ?? 0);
    let first = true;
    while (!stopped) {
      if (state.cursor >= requests.length) {
        if (!options.loop) break;
        state.cursor = 0;
        state.round++;
      }
      if (!first) await sleep(intervalMs);
      first = false;
      if (stopped) return;
      const result = await send(requests[state.cursor]!, state.cursor);
      if (!result) return;
      await record(result);
    }
    if (stopped) return;
    const summary = summarize(state.results);
    c.logger.info(
      { summary },
      `${summary.completed} of ${requests.length} requests completed; ${summary.energy_kwh} kWh, €${summary.cost_eur.toFixed(2)}`,
    );
    c.bus.emit('driver.finished', { driverId, summary });
    resolveDone([...state.results]);
  };

  const plugin: DriverClient = definePlugin({
    name: options.name ?? 'driver',
    driverId,
    done,
    results: () => state.results,
    summary: () => summarize(state.results),
    async start(context: PluginContext) {
      ctx = context;
      if (typeof options.requests === 'string') {
        requests = await loadRequestsFile(options.requests);
      } else {
        requests = [...options.requests];
        if (requests.length === 0) throw new Error(`driver "${driverId}": the request list is empty`);
      }
      const saved = await store.load();
      if (saved) {
        if (saved.driver_id !== driverId) {
          throw new Error(
            `driver "${driverId}": its state store holds the state of driver "${saved.driver_id}"`,
          );
        }
        state = saved;
        state.cursor = Math.min(state.cursor, requests.length);
      }
      // Follow what an earlier run left pending before any update can arrive.
      state.runs = (state.runs ?? 0) + 1;
      ids = context.random.fork(`run-${state.runs}`);
      follower = new RequestFollower<Followed>({
        clock: context.clock,
        timeoutMs,
        ticketGraceMs,
        onOutcome,
        onProgress: (_, update) => {
          if (update.status === 'in_progress' && update.kwh !== undefined) {
            context.logger.debug(
              { request_id: update.request_id, kw: update.kw, kwh: update.kwh },
              'charging',
            );
          }
        },
        onLateOutcome: ({ pending }, update) => lateOutcome(pending, update),
        lateLimit: LATE_LIMIT,
        onUnfollowed: ticketAfterOutcome,
      });
      await save();
      resumed = state.pending.map((pending) => follow(pending, true));
      if (state.pending.length > 0) {
        context.logger.info(
          { pending: state.pending.map((p) => p.request_id) },
          `resuming: ${state.pending.length} request(s) pending from an earlier run`,
        );
      }
      subscription = await context.transport.subscribe('driver.updates', { group, key: driverId }, (update) =>
        onUpdate(update),
      );
      loopDone = run().catch((error: unknown) => {
        context.logger.error({ err: error }, 'driver stopped on an error');
      });
    },
    async stop() {
      stopped = true;
      if (wake) {
        wake.timer.cancel();
        wake.resolve();
        wake = undefined;
      }
      for (const followed of follower?.stop() ?? []) followed.resolve(undefined);
      await loopDone;
      await subscription?.unsubscribe();
      resolveDone([...state.results]);
    },
    report() {
      return { driver_id: driverId, ...summarize(state.results), pending: state.pending.length };
    },
  });
  return plugin;
}
