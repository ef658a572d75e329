import {
  type CpStatus,
  type DriverUpdate,
  definePlugin,
  isoTime,
  type Plugin,
  type PluginContext,
  type Random,
  type Subscription,
  type TimerHandle,
} from '@evcharging/core';
import { type ArrivalModel, timeOfDayArrivals } from './arrival-model.js';
import { type CpChoicePolicy, type CpView, chooserFor } from './cp-choice.js';
import { checkLogNormal, type LogNormal, sampleLogNormal } from './distribution.js';
import { hasTicket, TERMINAL_STATUSES } from './driver-result.js';

/** Session energy drivers ask for, kWh: median 18, most between 11 and 30. */
export const DEFAULT_ENERGY_KWH: LogNormal = Object.freeze({ median: 18, sigma: 0.5, min: 3, max: 75 });
/** How long drivers stay plugged in at most, s: median 90 min, most between 50 min and 2 h 45. */
export const DEFAULT_DWELL_S: LogNormal = Object.freeze({ median: 5_400, sigma: 0.6, min: 600, max: 36_000 });

export interface DriverFleetOptions {
  /** Drivers in the population (default 100). Ids are `<idPrefix><n>`, zero-padded. */
  drivers?: number;
  /** Prefix of driver ids (default `driver-`). */
  idPrefix?: string;
  /** Charging sessions per driver per day, on average (default 1). */
  sessionsPerDriverPerDay?: number;
  /** 24 relative hourly weights of the default arrival model (default: morning and evening peaks). */
  profile?: readonly number[];
  /** Offset of local time from UTC for the profile, hours (default 0). */
  utcOffsetHours?: number;
  /** Replaces the default time-of-day Poisson arrivals. */
  arrivals?: ArrivalModel;
  /** Energy each driver asks for, kWh (`target_kwh`). */
  energyKwh?: LogNormal;
  /** Longest a driver stays, s (`duration_s`): the session ends at the energy or this, whichever first. */
  dwellS?: LogNormal;
  /** How a driver picks a free CP (default `random-available`). */
  policy?: CpChoicePolicy;
  /**
   * What the fleet sees of the CPs (for example Central's registry). Without it, the fleet follows
   * `cp.status` itself and knows no prices (`cheapest` then picks at random).
   */
  catalog?: () => Iterable<CpView>;
  /** A request without any answer for this long times out, ms (default 30,000). */
  answerTimeoutMs?: number;
  /** After acceptance, give up when no outcome came within the dwell time plus this, ms (default 10 min). */
  sessionGraceMs?: number;
  /** After `completed` without a ticket, wait this long for the ticket, ms (default 5,000). */
  ticketGraceMs?: number;
  /** Attempts per arrival when denied or when no CP is free (default 3). */
  maxAttempts?: number;
  /** Wait before trying again, ms (default 60,000). */
  retryDelayMs?: number;
  /** Stop generating arrivals after this many (default: no limit). */
  maxArrivals?: number;
  /** Consumer group for `driver.updates` (default `<node id>-fleet`). */
  group?: string;
  /** Trips kept for {@link DriverFleet.trips} (default 1,000,000; counters are always complete). */
  tripLimit?: number;
  /** Plugin name (default `driver-fleet`). */
  name?: string;
}

/** How one arrival ended. `unserved`: no free CP on every attempt. `denied`: denied on every attempt. */
export type TripOutcome = 'completed' | 'failed' | 'timeout' | 'denied' | 'unserved';

/** One arrival of one driver, from arrival to outcome (possibly over several requests). */
export interface FleetTrip {
  driver_id: string;
  status: TripOutcome;
  arrived_at: string;
  finished_at: string;
  attempts: number;
  target_kwh: number;
  duration_s: number;
  request_id?: string;
  cp_id?: string;
  reason?: string;
  session_id?: string;
  start_time?: string;
  end_time?: string;
  energy_kwh?: number;
  total_cost_eur?: number;
}

export interface FleetStats {
  drivers: number;
  arrivals: number;
  /** Arrivals lost because every driver was already out charging. */
  no_idle_driver: number;
  requests: number;
  accepted: number;
  denied: number;
  trips: Record<TripOutcome, number>;
  in_flight: number;
  energy_kwh: number;
  cost_eur: number;
}

/** The fleet plugin, with its figures. */
export interface DriverFleet extends Plugin {
  stats(): FleetStats;
  /** Finished trips, oldest first (bounded by `tripLimit`). */
  trips(): readonly FleetTrip[];
  /** Driver ids of the population. */
  readonly driverIds: readonly string[];
}

interface Trip {
  driverId: string;
  arrivedAt: number;
  attempt: number;
  targetKwh: number;
  durationS: number;
  requestId?: string;
  cpId?: string;
  /** CPs already tried by this trip (a denied CP is not asked again). */
  tried: string[];
  accepted: boolean;
  terminal?: 'completed' | 'failed' | 'denied';
  info: Partial<DriverUpdate>;
  /** Give up at this time unless an update moves it. */
  deadline: number;
  timer?: TimerHandle;
  timerAt: number;
}

/** Fields of an update worth keeping for the trip's record. */
const OUTCOME_FIELDS = [
  'reason',
  'session_id',
  'start_time',
  'end_time',
  'energy_kwh',
  'total_cost_eur',
] as const;

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * Many drivers on one node, generated from a seeded arrival model: arrivals follow a 24-hour
 * time-of-day profile (non-homogeneous Poisson), each arriving driver draws the energy it wants and
 * how long it can stay, picks a free CP by policy, sends a request and follows it to its outcome,
 * trying another CP when denied. Costs O(1) timers per driver in flight, so thousands of drivers
 * over a simulated day stay cheap.
 *
 * @example
 * const fleet = driverFleet({ drivers: 3000, policy: 'cheapest', catalog: () => central.registry.list() });
 * sim.addNode('fleet', [fleet]);
 * await sim.run({ for: 24 * 3_600_000 });
 * fleet.stats(); // { arrivals: 2987, trips: { completed: 2890, ... }, energy_kwh: 51234.5, ... }
 */
export function driverFleet(options: DriverFleetOptions = {}): DriverFleet {
  const population = options.drivers ?? 100;
  if (!Number.isInteger(population) || population < 0) {
    throw new RangeError(`driverFleet: drivers must be an integer >= 0, got ${population}`);
  }
  const prefix = options.idPrefix ?? 'driver-';
  const width = Math.max(4, String(population).length);
  const driverIds = Array.from(
    { length: population },
    (_, i) => `${prefix}${String(i + 1).padStart(width, '0')}`,
  );
  const perDay = population * (options.sessionsPerDriverPerDay ?? 1);
  const arrivals =
    options.arrivals ??
    timeOfDayArrivals({
      perDay,
      ...(options.profile ? { profile: options.profile } : {}),
      ...(options.utcOffsetHours !== undefined ? { utcOffsetHours: options.utcOffsetHours } : {}),
    });
  const energy = options.energyKwh ?? DEFAULT_ENERGY_KWH;
  const dwell = options.dwellS ?? DEFAULT_DWELL_S;
  checkLogNormal('driverFleet energyKwh', energy);
  checkLogNormal('driverFleet dwellS', dwell);
  const choose = chooserFor(options.policy ?? 'random-available');
  const answerTimeoutMs = options.answerTimeoutMs ?? 30_000;
  const sessionGraceMs = options.sessionGraceMs ?? 600_000;
  const ticketGraceMs = options.ticketGraceMs ?? 5_000;
  const maxAttempts = options.maxAttempts ?? 3;
  const retryDelayMs = options.retryDelayMs ?? 60_000;
  const maxArrivals = options.maxArrivals ?? Number.POSITIVE_INFINITY;
  const tripLimit = options.tripLimit ?? 1_000_000;
  if (!(maxAttempts >= 1)) throw new RangeError(`driverFleet: maxAttempts must be >= 1, got ${maxAttempts}`);

  let ctx: PluginContext | undefined;
  let random: { arrivals: Random; drivers: Random; choice: Random } | undefined;
  const idle = [...driverIds];
  const inFlight = new Map<string, Trip>();
  const waiting = new Set<TimerHandle>();
  /** CPs this fleet has a request on: never sent a second driver. */
  const claimed = new Set<string>();
  /** CP states seen on `cp.status` when there is no catalog. */
  const observed = new Map<string, string>();
  const finished: FleetTrip[] = [];
  let arrivalTimer: TimerHandle | undefined;
  let subscriptions: Subscription[] = [];
  let stopped = false;
  const stats: FleetStats = {
    drivers: population,
    arrivals: 0,
    no_idle_driver: 0,
    requests: 0,
    accepted: 0,
    denied: 0,
    trips: { completed: 0, failed: 0, timeout: 0, denied: 0, unserved: 0 },
    in_flight: 0,
    energy_kwh: 0,
    cost_eur: 0,
  };

  const freeCps = (): CpView[] => {
    const free: CpView[] = [];
    if (options.catalog) {
      for (const cp of options.catalog())
        if (cp.state === 'ACTIVATED' && !claimed.has(cp.cp_id)) free.push(cp);
    } else {
      for (const [cp_id, state] of observed)
        if (state === 'ACTIVATED' && !claimed.has(cp_id)) free.push({ cp_id, state });
    }
    return free;
  };

  const scheduleArrival = (): void => {
    if (stopped || stats.arrivals >= maxArrivals) return;
    const c = ctx!;
    const at = arrivals.nextArrival(c.clock.now(), random!.arrivals);
    if (!Number.isFinite(at)) return;
    arrivalTimer = c.clock.setTimeout(
      () => {
        arrivalTimer = undefined;
        arrive();
        scheduleArrival();
      },
      Math.max(0, at - c.clock.now()),
    );
  };

  const arrive = (): void => {
    stats.arrivals++;
    if (idle.length === 0) {
      stats.no_idle_driver++;
      return;
    }
    const r = random!.drivers;
    const i = Math.floor(r.next() * idle.length);
    const driverId = idle[i]!;
    idle[i] = idle[idle.length - 1]!;
    idle.pop();
    const trip: Trip = {
      driverId,
      arrivedAt: ctx!.clock.now(),
      attempt: 0,
      targetKwh: round(sampleLogNormal(r, energy), 3),
      durationS: Math.round(sampleLogNormal(r, dwell)),
      tried: [],
      accepted: false,
      info: {},
      deadline: 0,
      timerAt: 0,
    };
    stats.in_flight++;
    void attempt(trip);
  };

  const retryLater = (trip: Trip, outcome: 'denied' | 'unserved', reason: string): void => {
    if (trip.attempt >= maxAttempts) {
      end(trip, outcome, reason);
      return;
    }
    const timer = ctx!.clock.setTimeout(() => {
      waiting.delete(timer);
      void attempt(trip);
    }, retryDelayMs);
    waiting.add(timer);
  };

  const attempt = async (trip: Trip): Promise<void> => {
    if (stopped) return;
    const c = ctx!;
    trip.attempt++;
    let free = freeCps();
    if (trip.tried.length > 0) free = free.filter((cp) => !trip.tried.includes(cp.cp_id));
    const cp = choose(free, random!.choice);
    if (!cp) {
      retryLater(trip, 'unserved', 'no free CP');
      return;
    }
    const requestId = c.random.id('req');
    trip.requestId = requestId;
    trip.cpId = cp.cp_id;
    trip.tried.push(cp.cp_id);
    trip.accepted = false;
    trip.terminal = undefined;
    trip.info = {};
    claimed.add(cp.cp_id);
    inFlight.set(requestId, trip);
    stats.requests++;
    setDeadline(trip, c.clock.now() + answerTimeoutMs);
    try {
      await c.transport.publish('driver.requests', {
        request_id: requestId,
        driver_id: trip.driverId,
        cp_id: cp.cp_id,
        ts: isoTime(c.clock.now()),
        target_kwh: trip.targetKwh,
        duration_s: trip.durationS,
      });
    } catch (error) {
      if (stopped) return;
      release(trip);
      end(
        trip,
        'failed',
        `could not send the request: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  };

  /** Moves the trip's deadline; the timer is only re-armed when the deadline comes earlier. */
  const setDeadline = (trip: Trip, at: number): void => {
    trip.deadline = at;
    if (trip.timer && trip.timerAt <= at) return;
    trip.timer?.cancel();
    armTimer(trip);
  };

  const armTimer = (trip: Trip): void => {
    const c = ctx!;
    trip.timerAt = trip.deadline;
    trip.timer = c.clock.setTimeout(
      () => {
        trip.timer = undefined;
        if (stopped || !trip.requestId || inFlight.get(trip.requestId) !== trip) return;
        if (c.clock.now() < trip.deadline) {
          armTimer(trip);
          return;
        }
        release(trip);
        if (trip.terminal) settle(trip, trip.terminal);
        else
          end(
            trip,
            'timeout',
            trip.accepted ? 'no outcome within the dwell time' : `no answer within ${answerTimeoutMs} ms`,
          );
      },
      Math.max(0, trip.deadline - c.clock.now()),
    );
  };

  const release = (trip: Trip): void => {
    trip.timer?.cancel();
    trip.timer = undefined;
    if (trip.requestId) inFlight.delete(trip.requestId);
    if (trip.cpId) claimed.delete(trip.cpId);
  };

  const settle = (trip: Trip, status: 'completed' | 'failed' | 'denied'): void => {
    if (status === 'denied') {
      stats.denied++;
      retryLater(trip, 'denied', trip.info.reason ?? 'denied');
    } else {
      end(trip, status, trip.info.reason);
    }
  };

  const end = (trip: Trip, status: TripOutcome, reason: string | undefined): void => {
    const c = ctx!;
    stats.trips[status]++;
    stats.in_flight--;
    const record: FleetTrip = {
      driver_id: trip.driverId,
      status,
      arrived_at: isoTime(trip.arrivedAt),
      finished_at: isoTime(c.clock.now()),
      attempts: trip.attempt,
      target_kwh: trip.targetKwh,
      duration_s: trip.durationS,
    };
    if (trip.requestId && status !== 'unserved') {
      record.request_id = trip.requestId;
      record.cp_id = trip.cpId!;
    }
    if (reason !== undefined) record.reason = reason;
    if (status === 'completed' || status === 'failed') {
      for (const field of ['session_id', 'start_time', 'end_time', 'energy_kwh', 'total_cost_eur'] as const) {
        const value = trip.info[field];
        if (value !== undefined) (record as unknown as Record<string, unknown>)[field] = value;
      }
      stats.energy_kwh += trip.info.energy_kwh ?? 0;
      stats.cost_eur += trip.info.total_cost_eur ?? 0;
    }
    if (finished.length < tripLimit) finished.push(record);
    idle.push(trip.driverId);
  };

  const onUpdate = (update: DriverUpdate): void => {
    const trip = inFlight.get(update.request_id);
    if (!trip || stopped) return;
    const now = ctx!.clock.now();
    for (const field of OUTCOME_FIELDS) {
      const value = update[field];
      if (value !== undefined) (trip.info as Record<string, unknown>)[field] = value;
    }
    if (TERMINAL_STATUSES.has(update.status)) {
      const status = update.status as 'completed' | 'failed' | 'denied';
      if (status === 'completed' && !hasTicket(update) && ticketGraceMs > 0) {
        trip.terminal = status;
        setDeadline(trip, now + ticketGraceMs);
        return;
      }
      release(trip);
      settle(trip, status);
      return;
    }
    if (trip.terminal) {
      if (hasTicket(update)) {
        release(trip);
        settle(trip, trip.terminal);
      }
      return;
    }
    if (!trip.accepted) {
      // Accepted (or already in progress): the session may last the whole dwell time.
      trip.accepted = true;
      stats.accepted++;
      setDeadline(trip, Math.max(trip.deadline, now + trip.durationS * 1000 + sessionGraceMs));
    }
    // Progress: the deadline is the later of the session's and "no news for answerTimeoutMs".
    if (now + answerTimeoutMs > trip.deadline) setDeadline(trip, now + answerTimeoutMs);
  };

  const fleet: DriverFleet = definePlugin({
    name: options.name ?? 'driver-fleet',
    driverIds,
    stats: (): FleetStats => ({
      ...stats,
      trips: { ...stats.trips },
      energy_kwh: round(stats.energy_kwh, 3),
      cost_eur: round(stats.cost_eur, 2),
    }),
    trips: () => finished,
    async start(context: PluginContext) {
      ctx = context;
      random = {
        arrivals: context.random.fork('arrivals'),
        drivers: context.random.fork('drivers'),
        choice: context.random.fork('choice'),
      };
      const group = options.group ?? `${context.nodeId}-fleet`;
      subscriptions.push(await context.transport.subscribe('driver.updates', { group }, onUpdate));
      if (!options.catalog) {
        subscriptions.push(
          await context.transport.subscribe(
            'cp.status',
            { group: `${group}-cp-status` },
            (status: CpStatus) => {
              observed.set(status.cp_id, status.state);
            },
          ),
        );
        if (options.policy === 'cheapest') {
          context.logger.warn(
            'cheapest policy without a catalog: prices are unknown, CPs are picked at random',
          );
        }
      }
      context.logger.info(
        {
          drivers: population,
          perDay,
          policy: typeof options.policy === 'function' ? 'custom' : (options.policy ?? 'random-available'),
        },
        `fleet of ${population} drivers, ${perDay} arrivals a day expected`,
      );
      scheduleArrival();
    },
    async stop() {
      stopped = true;
      arrivalTimer?.cancel();
      for (const timer of waiting) timer.cancel();
      waiting.clear();
      for (const trip of inFlight.values()) trip.timer?.cancel();
      for (const s of subscriptions) await s.unsubscribe();
      subscriptions = [];
    },
    report() {
      return { ...fleet.stats() };
    },
  });
  return fleet;
}
