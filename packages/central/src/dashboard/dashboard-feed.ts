import { type Clock, CP_STATES, type CpState, type Logger, type TimerHandle } from '@evcharging/core';
import type {
  DashboardChange,
  DashboardCp,
  DashboardEvent,
  DashboardSource,
  DashboardTotals,
} from './dashboard-source.js';
import { type DashboardSiteDelta, type DashboardSiteSeries, SiteLoadHistory } from './site-load-history.js';

/** Figures the feed derives from the CPs it has sent, plus the source's closed-session totals. */
export interface DashboardFeedTotals {
  cps: number;
  by_state: Record<CpState, number>;
  active_sessions: number;
  power_kw: number;
  /** Closed sessions plus the running ones. */
  energy_kwh: number;
  revenue_eur: number;
  closed_sessions: number;
}

/** How often the feed talks; sent to the page in every snapshot. */
export interface DashboardFeedTiming {
  flush_interval_ms: number;
  sample_interval_ms: number;
  heartbeat_interval_ms: number;
}

/** First message to every client (`event: snapshot`). */
export interface DashboardSnapshotMessage {
  seq: number;
  /** Server time of the snapshot, ms since the epoch. */
  t: number;
  timing: DashboardFeedTiming;
  cps: DashboardCp[];
  totals: DashboardFeedTotals;
  /** Recent events, oldest first. */
  events: DashboardEvent[];
  /** Total power history as [t, kW] pairs, oldest first. */
  power: Array<[number, number]>;
  /** Each site's load and limit history, when Central has sites (absent otherwise). */
  sites?: DashboardSiteSeries[];
}

/** A CP change on the wire: its id and only the fields that changed (all of them for a new CP). */
export type DashboardCpDelta = Partial<DashboardCp> & { cp_id: string };

/** Every later message (`event: delta`): what changed since the previous one. */
export interface DashboardDeltaMessage {
  seq: number;
  t: number;
  cps: DashboardCpDelta[];
  removed: string[];
  totals: DashboardFeedTotals;
  /** New events, oldest first. */
  events: DashboardEvent[];
  /** Events that happened in this window but were left out to keep the message small. */
  dropped_events: number;
  /** Each site's load and limit now, when Central has sites (absent otherwise). */
  sites?: DashboardSiteDelta[];
}

export interface DashboardFeedOptions {
  source: DashboardSource;
  clock: Clock;
  logger: Logger;
  /** How often pending changes are sent, ms (default 500: at most 2 deltas a second per client). */
  flushIntervalMs?: number;
  /** A delta (with a power sample) goes out at least this often even when nothing changed (default 1000). */
  sampleIntervalMs?: number;
  /** SSE comment lines that keep proxies from closing an idle stream, ms (default 15000). */
  heartbeatIntervalMs?: number;
  /** Power samples kept for a new client's chart (default 600). */
  historyLength?: number;
  /** Events kept for a new client (default 200). */
  eventLimit?: number;
  /** Events per delta; older ones in the same window are counted as dropped (default 50). */
  maxEventsPerDelta?: number;
}

/** Where the feed writes one client's stream (an HTTP response in production, an array in tests). */
export interface DashboardFeedSink {
  /** Writes one chunk; `false` means the client is not keeping up: the feed waits for `resume()`. */
  write(chunk: string): boolean;
  end(): void;
}

export interface DashboardFeedClient {
  /** The sink drained: the client catches up with a fresh snapshot if it missed deltas. */
  resume(): void;
  /** The client went away. */
  close(): void;
}

export interface DashboardFeedStats {
  clients: number;
  messages: number;
  bytes: number;
  snapshots: number;
  resyncs: number;
}

interface ClientState {
  sink: DashboardFeedSink;
  congested: boolean;
  /** Missed at least one delta while congested. */
  stale: boolean;
}

const DEFAULTS = {
  flushIntervalMs: 500,
  sampleIntervalMs: 1000,
  heartbeatIntervalMs: 15_000,
  historyLength: 600,
  eventLimit: 200,
  maxEventsPerDelta: 50,
};

const CP_FIELDS = [
  'location',
  'price_eur_kwh',
  'max_kw',
  'state',
  'monitor',
  'reason',
  'driver_id',
  'session_id',
  'session_started_at',
  'kw',
  'kwh',
  'euros',
  'soc',
] as const satisfies ReadonlyArray<keyof DashboardCp>;

const round = (value: number, digits: number): number => {
  const f = 10 ** digits;
  return Math.round((Number.isFinite(value) ? value : 0) * f) / f;
};

// Fewer digits on the wire: smaller deltas, and a change below what the page shows is no change.
const normalise = (cp: DashboardCp): DashboardCp => ({
  ...cp,
  price_eur_kwh: round(cp.price_eur_kwh, 4),
  max_kw: round(cp.max_kw, 2),
  kw: round(cp.kw, 2),
  kwh: round(cp.kwh, 3),
  euros: round(cp.euros, 3),
  soc: cp.soc === undefined || cp.soc === null ? null : round(cp.soc, 1),
});

const diff = (prev: DashboardCp, next: DashboardCp): DashboardCpDelta | undefined => {
  const delta: Record<string, unknown> = { cp_id: next.cp_id };
  let changed = false;
  for (const field of CP_FIELDS) {
    if (prev[field] !== next[field]) {
      delta[field] = next[field];
      changed = true;
    }
  }
  return changed ? (delta as DashboardCpDelta) : undefined;
};

const sse = (event: string, data: unknown): string => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

/**
 * Turns a {@link DashboardSource}'s stream of changes into a few SSE messages a second per client,
 * whatever the fleet size: changes are coalesced per CP and sent as field diffs on a timer; a new
 * (or lagging) client first gets a snapshot of what was last sent, so deltas always apply to it.
 *
 * @example
 * const feed = new DashboardFeed({ source, clock, logger });
 * feed.start();
 * const client = feed.connect({ write: (s) => res.write(s), end: () => res.end() });
 */
export class DashboardFeed {
  private readonly options: Required<Omit<DashboardFeedOptions, 'source' | 'clock' | 'logger'>>;
  /** What the clients have been sent (the state a snapshot describes). */
  private readonly sent = new Map<string, DashboardCp>();
  private readonly pending = new Map<string, DashboardCp>();
  private readonly pendingRemovals = new Set<string>();
  private pendingEvents: DashboardEvent[] = [];
  private droppedEvents = 0;
  private sentTotals: DashboardTotals = { closed_energy_kwh: 0, closed_revenue_eur: 0, closed_sessions: 0 };
  private pendingTotals: DashboardTotals | undefined;
  private readonly events: DashboardEvent[] = [];
  private readonly power: Array<[number, number]> = [];
  private readonly siteHistory: SiteLoadHistory;
  /** The sites' samples taken with the last power sample, for the next delta. */
  private siteSamples: DashboardSiteDelta[] = [];
  private readonly clients = new Set<ClientState>();
  private seq = 0;
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private snapshotCache: string | undefined;
  private unsubscribe: (() => void) | undefined;
  private timers: TimerHandle[] = [];
  private readonly counters = { messages: 0, bytes: 0, snapshots: 0, resyncs: 0 };

  constructor(private readonly deps: DashboardFeedOptions) {
    const pick = <K extends keyof typeof DEFAULTS>(key: K): number => {
      const value = deps[key];
      if (value === undefined) return DEFAULTS[key];
      if (!Number.isFinite(value) || value <= 0) {
        throw new RangeError(`DashboardFeed option ${key} must be a positive number, got ${value}`);
      }
      return value;
    };
    this.options = {
      flushIntervalMs: pick('flushIntervalMs'),
      sampleIntervalMs: pick('sampleIntervalMs'),
      heartbeatIntervalMs: pick('heartbeatIntervalMs'),
      historyLength: pick('historyLength'),
      eventLimit: pick('eventLimit'),
      maxEventsPerDelta: pick('maxEventsPerDelta'),
    };
    this.siteHistory = new SiteLoadHistory(this.options.historyLength);
  }

  get started(): boolean {
    return this.unsubscribe !== undefined;
  }

  /** Reads the source's snapshot, subscribes to its changes and starts the flush timers. */
  start(): void {
    if (this.started) return;
    this.unsubscribe = this.deps.source.subscribe((change) => this.onChange(change));
    const snapshot = this.deps.source.snapshot();
    for (const cp of snapshot.cps) this.sent.set(cp.cp_id, normalise(cp));
    this.sentTotals = { ...snapshot.totals };
    this.events.push(...snapshot.events.slice(-this.options.eventLimit));
    this.samplePower();
    this.timers.push(this.deps.clock.setInterval(() => this.tick(), this.options.flushIntervalMs));
    this.timers.push(
      this.deps.clock.setInterval(() => this.broadcast(': heartbeat\n\n'), this.options.heartbeatIntervalMs),
    );
  }

  /** Stops the timers and ends every client's stream. */
  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    for (const timer of this.timers) timer.cancel();
    this.timers = [];
    for (const client of this.clients) this.endClient(client);
    this.clients.clear();
  }

  /** Adds a client: it gets a snapshot now and every delta after it. */
  connect(sink: DashboardFeedSink): DashboardFeedClient {
    if (!this.started) throw new Error('DashboardFeed.connect: the feed is not started');
    const client: ClientState = { sink, congested: false, stale: false };
    this.clients.add(client);
    this.sendSnapshot(client);
    return {
      resume: () => {
        if (!this.clients.has(client) || !client.congested) return;
        client.congested = false;
        if (client.stale) {
          client.stale = false;
          this.counters.resyncs++;
          this.sendSnapshot(client);
        }
      },
      close: () => {
        this.clients.delete(client);
      },
    };
  }

  stats(): DashboardFeedStats {
    return { clients: this.clients.size, ...this.counters };
  }

  /** The state a new client would be sent now. */
  snapshot(): DashboardSnapshotMessage {
    return {
      seq: this.seq,
      t: this.deps.clock.now(),
      timing: {
        flush_interval_ms: this.options.flushIntervalMs,
        sample_interval_ms: this.options.sampleIntervalMs,
        heartbeat_interval_ms: this.options.heartbeatIntervalMs,
      },
      cps: [...this.sent.values()],
      totals: this.totals(),
      events: [...this.events],
      power: [...this.power],
      ...(this.siteHistory.empty ? {} : { sites: this.siteHistory.series() }),
    };
  }

  /** Sends pending changes now if any (the timer calls it; exposed for hosts that want a final flush). */
  flush(): void {
    this.tick(true);
  }

  private onChange(change: DashboardChange): void {
    switch (change.type) {
      case 'cp':
        this.pendingRemovals.delete(change.cp.cp_id);
        this.pending.set(change.cp.cp_id, normalise(change.cp));
        break;
      case 'cp_removed':
        this.pending.delete(change.cp_id);
        this.pendingRemovals.add(change.cp_id);
        break;
      case 'event':
        this.pendingEvents.push(change.event);
        if (this.pendingEvents.length > this.options.maxEventsPerDelta) {
          this.pendingEvents.shift();
          this.droppedEvents++;
        }
        break;
      case 'totals':
        this.pendingTotals = { ...change.totals };
        break;
    }
  }

  private tick(force = false): void {
    const now = this.deps.clock.now();
    const hasChanges =
      this.pending.size > 0 ||
      this.pendingRemovals.size > 0 ||
      this.pendingEvents.length > 0 ||
      this.droppedEvents > 0 ||
      this.pendingTotals !== undefined;
    if (!hasChanges && !force && now - this.lastSentAt < this.options.sampleIntervalMs) return;

    const cps: DashboardCpDelta[] = [];
    for (const [id, next] of this.pending) {
      const prev = this.sent.get(id);
      const delta = prev ? diff(prev, next) : { ...next };
      this.sent.set(id, next);
      if (delta) cps.push(delta);
    }
    this.pending.clear();
    const removed: string[] = [];
    for (const id of this.pendingRemovals) if (this.sent.delete(id)) removed.push(id);
    this.pendingRemovals.clear();
    if (this.pendingTotals) this.sentTotals = this.pendingTotals;
    this.pendingTotals = undefined;
    const events = this.pendingEvents;
    const dropped = this.droppedEvents;
    this.pendingEvents = [];
    this.droppedEvents = 0;
    this.events.push(...events);
    if (this.events.length > this.options.eventLimit) {
      this.events.splice(0, this.events.length - this.options.eventLimit);
    }

    this.seq++;
    this.lastSentAt = now;
    this.snapshotCache = undefined;
    const totals = this.samplePower(totalsOf(this.sent.values(), this.sentTotals));
    if (this.clients.size === 0) return;
    const message: DashboardDeltaMessage = {
      seq: this.seq,
      t: now,
      cps,
      removed,
      totals,
      events,
      dropped_events: dropped,
    };
    if (this.siteSamples.length > 0) message.sites = this.siteSamples;
    this.broadcast(sse('delta', message));
  }

  /** One sample of the total power, and of each site's load and limit (at the same instant). */
  private samplePower(totals = totalsOf(this.sent.values(), this.sentTotals)): DashboardFeedTotals {
    const now = this.deps.clock.now();
    this.power.push([now, totals.power_kw]);
    if (this.power.length > this.options.historyLength) this.power.shift();
    const sites = this.deps.source.sites?.();
    this.siteSamples = sites && sites.length > 0 ? this.siteHistory.sample(now, sites) : [];
    return totals;
  }

  private totals(): DashboardFeedTotals {
    return totalsOf(this.sent.values(), this.sentTotals);
  }

  private sendSnapshot(client: ClientState): void {
    this.snapshotCache ??= `retry: 1000\n${sse('snapshot', this.snapshot())}`;
    this.counters.snapshots++;
    this.write(client, this.snapshotCache);
  }

  private broadcast(chunk: string): void {
    for (const client of this.clients) {
      if (client.congested) {
        client.stale = true;
        continue;
      }
      this.write(client, chunk);
    }
  }

  private write(client: ClientState, chunk: string): void {
    this.counters.messages++;
    this.counters.bytes += Buffer.byteLength(chunk);
    try {
      if (!client.sink.write(chunk)) client.congested = true;
    } catch (error) {
      this.deps.logger.warn({ err: error }, 'dashboard client write failed; dropping the client');
      this.clients.delete(client);
      this.endClient(client);
    }
  }

  private endClient(client: ClientState): void {
    try {
      client.sink.end();
    } catch (error) {
      this.deps.logger.debug({ err: error }, 'dashboard client end failed');
    }
  }
}

function totalsOf(cps: Iterable<DashboardCp>, closed: DashboardTotals): DashboardFeedTotals {
  const by_state = Object.fromEntries(CP_STATES.map((s) => [s, 0])) as Record<CpState, number>;
  let count = 0;
  let active = 0;
  let power = 0;
  let energy = 0;
  let revenue = 0;
  for (const cp of cps) {
    count++;
    by_state[cp.state]++;
    if (cp.session_id) {
      active++;
      energy += cp.kwh;
      revenue += cp.euros;
    }
    power += cp.kw;
  }
  return {
    cps: count,
    by_state,
    active_sessions: active,
    power_kw: round(power, 2),
    energy_kwh: round(closed.closed_energy_kwh + energy, 3),
    revenue_eur: round(closed.closed_revenue_eur + revenue, 3),
    closed_sessions: closed.closed_sessions,
  };
}
