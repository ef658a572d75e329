import {
  type CpStatus,
  definePlugin,
  energyWantedKwh,
  isoTime,
  type Plugin,
  type PluginContext,
  type Random,
  type Subscription,
  type TimerHandle,
  type Vehicle,
} from '@evcharging/core';
import { type ArrivalModel, timeOfDayArrivals } from './arrival-model.js';
import { checkSchedule, type ScheduledArrival } from './arrival-schedule.js';
import { type CpChoicePolicy, type CpView, chooserFor } from './cp-choice.js';
import { checkLogNormal, type LogNormal, sampleLogNormal } from './distribution.js';
import { type FollowedOutcome, type OutcomeInfo, RequestFollower } from './request-follower.js';
import { type FleetVehicleOptions, type VehicleSampler, vehicleSampler } from './vehicle-catalogue.js';

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
  /**
   * Drivers arrive with a vehicle drawn from this mix: each request carries the vehicle (battery,
   * SoC now and wanted, limits, curve) and a departure time (arrival + dwell) instead of
   * `target_kwh` and `duration_s`. Default none: the original's requests.
   */
  vehicles?: FleetVehicleOptions;
  /**
   * Replays these arrivals instead of drawing them: each entry arrives at its time with its own
   * `duration_s` (and `target_kwh`, and CP when free), so recorded sessions (real arrival data, or
   * another run's sessions) can be driven through the network again. Replaces `arrivals`,
   * `sessionsPerDriverPerDay`, `energyKwh` and `dwellS`; does not go with `vehicles`. Entries whose
   * time has passed when the fleet starts arrive at once.
   */
  schedule?: readonly ScheduledArrival[];
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
  /** Energy asked for, kWh (absent for a scheduled arrival without one). */
  target_kwh?: number;
  duration_s: number;
  /** The vehicle's archetype and the SoC its driver wanted (fleets with vehicles). */
  vehicle_model?: string;
  target_soc?: number;
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
  targetKwh: number | undefined;
  durationS: number;
  vehicle?: Vehicle;
  /** The CP a scheduled arrival goes to first, when it is free. */
  preferredCp?: string;
  requestId?: string;
  cpId?: string;
  /** CPs already tried by this trip (a denied CP is not asked again). */
  tried: string[];
}

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
  if (options.schedule && options.vehicles) {
    throw new RangeError(
      'driverFleet: schedule and vehicles do not go together (a schedule replays requests without vehicles)',
    );
  }
  const schedule = options.schedule ? checkSchedule(options.schedule) : undefined;
  /** Index of the next scheduled arrival. */
  let nextPlanned = 0;
  const perDay = schedule ? schedule.length : population * (options.sessionsPerDriverPerDay ?? 1);
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
  const vehicles: VehicleSampler | undefined = options.vehicles
    ? vehicleSampler(options.vehicles)
    : undefined;
  const answerTimeoutMs = options.answerTimeoutMs ?? 30_000;
  const sessionGraceMs = options.sessionGraceMs ?? 600_000;
  const ticketGraceMs = options.ticketGraceMs ?? 5_000;
  const maxAttempts = options.maxAttempts ?? 3;
  const retryDelayMs = options.retryDelayMs ?? 60_000;
  const maxArrivals = options.maxArrivals ?? Number.POSITIVE_INFINITY;
  const tripLimit = options.tripLimit ?? 1_000_000;
  if (!(maxAttempts >= 1)) throw new RangeError(`driverFleet: maxAttempts must be >= 1, got ${maxAttempts}`);
  if (!(answerTimeoutMs > 0) || !Number.isFinite(answerTimeoutMs)) {
    throw new RangeError(`driverFleet: answerTimeoutMs must be a finite number > 0, got ${answerTimeoutMs}`);
  }
  if (!(ticketGraceMs >= 0) || !Number.isFinite(ticketGraceMs)) {
    throw new RangeError(`driverFleet: ticketGraceMs must be a finite number >= 0, got ${ticketGraceMs}`);
  }

  let ctx: PluginContext | undefined;
  let random: { arrivals: Random; drivers: Random; choice: Random; vehicles: Random } | undefined;
  const idle = [...driverIds];
  /** Follows the current request of every trip in flight. */
  let follower: RequestFollower<Trip> | undefined;
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
    const at = schedule
      ? (schedule[nextPlanned]?.at ?? Number.POSITIVE_INFINITY)
      : arrivals.nextArrival(c.clock.now(), random!.arrivals);
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
    const planned = schedule?.[nextPlanned++];
    if (idle.length === 0) {
      stats.no_idle_driver++;
      return;
    }
    const r = random!.drivers;
    const i = Math.floor(r.next() * idle.length);
    const driverId = idle[i]!;
    idle[i] = idle[idle.length - 1]!;
    idle.pop();
    // A scheduled arrival brings its own energy and stay; a drawn one draws them, energy first.
    const trip: Trip = {
      driverId,
      arrivedAt: ctx!.clock.now(),
      attempt: 0,
      targetKwh: planned ? planned.target_kwh : round(sampleLogNormal(r, energy), 3),
      durationS: planned ? planned.duration_s : Math.round(sampleLogNormal(r, dwell)),
      tried: [],
    };
    if (planned?.cp_id !== undefined) trip.preferredCp = planned.cp_id;
    if (vehicles) {
      trip.vehicle = vehicles.sample(random!.vehicles);
      trip.targetKwh = round(energyWantedKwh(trip.vehicle), 3);
    }
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
    const preferred =
      trip.attempt === 1 && trip.preferredCp !== undefined
        ? free.find((view) => view.cp_id === trip.preferredCp)
        : undefined;
    const cp = preferred ?? choose(free, random!.choice);
    if (!cp) {
      retryLater(trip, 'unserved', 'no free CP');
      return;
    }
    const requestId = c.random.id('req');
    trip.requestId = requestId;
    trip.cpId = cp.cp_id;
    trip.tried.push(cp.cp_id);
    claimed.add(cp.cp_id);
    follower!.follow(requestId, trip);
    stats.requests++;
    try {
      await c.transport.publish(
        'driver.requests',
        trip.vehicle
          ? {
              request_id: requestId,
              driver_id: trip.driverId,
              cp_id: cp.cp_id,
              ts: isoTime(c.clock.now()),
              vehicle: trip.vehicle,
              departure_time: isoTime(trip.arrivedAt + trip.durationS * 1000),
            }
          : {
              request_id: requestId,
              driver_id: trip.driverId,
              cp_id: cp.cp_id,
              ts: isoTime(c.clock.now()),
              // A scheduled arrival may have no energy target: its session lasts `duration_s`.
              ...(trip.targetKwh !== undefined ? { target_kwh: trip.targetKwh } : {}),
              duration_s: trip.durationS,
            },
      );
    } catch (error) {
      if (stopped) return;
      follower!.fail(
        requestId,
        `could not send the request: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  };

  /** The current request of a trip reached its outcome: the trip ends, or tries again when denied. */
  const onOutcome = (trip: Trip, { status, info, accepted }: FollowedOutcome): void => {
    claimed.delete(trip.cpId!);
    if (status === 'denied') {
      stats.denied++;
      retryLater(trip, 'denied', info.reason ?? 'denied');
    } else if (status === 'timeout') {
      end(
        trip,
        'timeout',
        accepted ? 'no outcome within the dwell time' : `no answer within ${answerTimeoutMs} ms`,
      );
    } else {
      end(trip, status, info.reason, info);
    }
  };

  const end = (trip: Trip, status: TripOutcome, reason: string | undefined, info?: OutcomeInfo): void => {
    const c = ctx!;
    stats.trips[status]++;
    stats.in_flight--;
    const record: FleetTrip = {
      driver_id: trip.driverId,
      status,
      arrived_at: isoTime(trip.arrivedAt),
      finished_at: isoTime(c.clock.now()),
      attempts: trip.attempt,
      ...(trip.targetKwh !== undefined ? { target_kwh: trip.targetKwh } : {}),
      duration_s: trip.durationS,
    };
    if (trip.vehicle) {
      record.vehicle_model = trip.vehicle.model ?? 'custom';
      record.target_soc = trip.vehicle.target_soc;
    }
    if (trip.requestId && status !== 'unserved') {
      record.request_id = trip.requestId;
      record.cp_id = trip.cpId!;
    }
    if (reason !== undefined) record.reason = reason;
    if (info && (status === 'completed' || status === 'failed')) {
      for (const field of ['session_id', 'start_time', 'end_time', 'energy_kwh', 'total_cost_eur'] as const) {
        const value = info[field];
        if (value !== undefined) (record as unknown as Record<string, unknown>)[field] = value;
      }
      stats.energy_kwh += info.energy_kwh ?? 0;
      stats.cost_eur += info.total_cost_eur ?? 0;
    }
    if (finished.length < tripLimit) finished.push(record);
    idle.push(trip.driverId);
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
        vehicles: context.random.fork('vehicles'),
      };
      const requests = new RequestFollower<Trip>({
        clock: context.clock,
        timeoutMs: answerTimeoutMs,
        ticketGraceMs,
        // Accepted: the session may last the whole dwell time.
        sessionWindowMs: (trip) => trip.durationS * 1000 + sessionGraceMs,
        onAccepted: () => {
          stats.accepted++;
        },
        onOutcome,
      });
      follower = requests;
      const group = options.group ?? `${context.nodeId}-fleet`;
      subscriptions.push(
        await context.transport.subscribe('driver.updates', { group }, (update) => {
          if (!stopped) requests.handle(update);
        }),
      );
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
      follower?.stop();
      for (const s of subscriptions) await s.unsubscribe();
      subscriptions = [];
    },
    report() {
      return { ...fleet.stats() };
    },
  });
  return fleet;
}
