import { type ConsumerBacklog, CP_STATES, type CpState } from '@evcharging/core';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Messages by direction, then by topic: running totals since start. */
export interface MessageCounts {
  in: Readonly<Record<string, number>>;
  out: Readonly<Record<string, number>>;
  rejected: Readonly<Record<string, number>>;
}

/** Why a request was denied, as a metric label. */
export type DenialKind = 'unknown_cp' | 'not_available' | 'busy' | 'shutting_down';

/**
 * Central's Prometheus metrics, in a registry of its own (never prom-client's global one), so two
 * Centrals in one process (tests, simulations) never share or clash on metrics.
 *
 * @example
 * const metrics = new CentralMetrics();
 * metrics.sessionStarted();
 * await metrics.registry.metrics(); // Prometheus text format
 */
export class CentralMetrics {
  readonly registry = new Registry();
  private cpStates: () => Record<CpState, number> = () =>
    Object.fromEntries(CP_STATES.map((s) => [s, 0])) as Record<CpState, number>;

  private readonly cps = new Gauge({
    name: 'evcharging_central_cps',
    help: 'Charging points by displayed state',
    labelNames: ['state'] as const,
    registers: [this.registry],
    collect: () => {
      const counts = this.cpStates();
      for (const state of CP_STATES) this.cps.set({ state }, counts[state]);
    },
  });
  private readonly started = new Counter({
    name: 'evcharging_central_sessions_started_total',
    help: 'Sessions accepted (start_supply sent)',
    registers: [this.registry],
  });
  private readonly completed = new Counter({
    name: 'evcharging_central_sessions_completed_total',
    help: 'Sessions completed with a ticket',
    registers: [this.registry],
  });
  private readonly failed = new Counter({
    name: 'evcharging_central_sessions_failed_total',
    help: 'Sessions failed (fault, disconnection, no start)',
    registers: [this.registry],
  });
  private readonly denied = new Counter({
    name: 'evcharging_central_requests_denied_total',
    help: 'Driver requests denied, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  private readonly energy = new Counter({
    name: 'evcharging_central_energy_kwh_total',
    help: 'Energy supplied, from tickets, kWh',
    registers: [this.registry],
  });
  private readonly revenue = new Counter({
    name: 'evcharging_central_revenue_eur_total',
    help: 'Revenue, from tickets, EUR',
    registers: [this.registry],
  });
  private readonly faults = new Counter({
    name: 'evcharging_central_faults_total',
    help: 'CP faults and disconnections, by kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  /** Message counts Central keeps itself, read at scrape time (see {@link countMessagesWith}). */
  private messageCounts: (() => MessageCounts) | undefined;
  private readonly reported = new Map<string, number>();
  private readonly messages = new Counter({
    name: 'evcharging_central_messages_total',
    help: 'Messages by topic and direction (in, out, rejected)',
    labelNames: ['topic', 'direction'] as const,
    registers: [this.registry],
    collect: () => {
      const counts = this.messageCounts?.();
      if (!counts) return;
      for (const direction of ['in', 'out', 'rejected'] as const) {
        for (const [topic, total] of Object.entries(counts[direction])) {
          const key = `${direction} ${topic}`;
          const delta = total - (this.reported.get(key) ?? 0);
          if (delta <= 0) continue;
          this.reported.set(key, total);
          this.messages.inc({ topic, direction }, delta);
        }
      }
    },
  });
  /** Where the backlog gauges read the transport's consumer backlog at scrape time. */
  private backlog: () => readonly ConsumerBacklog[] = () => [];
  private readonly consumerLag = new Gauge({
    name: 'evcharging_transport_consumer_lag',
    help: 'Messages published and not yet handled by a consumer group of this process (Kafka: consumer lag), by topic and group',
    labelNames: ['topic', 'group'] as const,
    registers: [this.registry],
    collect: () => {
      this.consumerLag.reset();
      for (const { topic, group, lag } of this.backlog()) this.consumerLag.set({ topic, group }, lag);
    },
  });
  private readonly consumerDropped = new Gauge({
    name: 'evcharging_transport_consumer_dropped',
    help: 'Messages the transport discarded before a consumer group handled them (memory transport retention while the group had no member), total, by topic and group',
    labelNames: ['topic', 'group'] as const,
    registers: [this.registry],
    collect: () => {
      this.consumerDropped.reset();
      for (const { topic, group, dropped } of this.backlog())
        this.consumerDropped.set({ topic, group }, dropped);
    },
  });
  readonly httpDuration = new Histogram({
    name: 'evcharging_central_http_request_duration_seconds',
    help: 'HTTP request latency by method, route and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  /**
   * Where the message counter reads Central's own per-topic totals at scrape time. Central counts
   * every message anyway; reading the totals when scraped costs nothing per message, where a
   * labelled `inc` per message cost about 2 % of a 10,000-CP fleet's CPU.
   */
  countMessagesWith(counts: () => MessageCounts): void {
    this.messageCounts = counts;
  }

  /**
   * Where the consumer backlog gauges read the transport's backlog at scrape time (the transport's
   * `stats().backlog`), so a slow Central shows as a rising lag before it shows as memory or latency.
   */
  countBacklogWith(backlog: () => readonly ConsumerBacklog[] | undefined): void {
    // Read at scrape time; each gauge resets first, so a group this process left stops reporting.
    this.backlog = () => backlog() ?? [];
  }

  /** Where the CP-by-state gauge reads its figures at scrape time. */
  countCpsWith(counter: () => Record<CpState, number>): void {
    this.cpStates = counter;
  }

  sessionStarted(): void {
    this.started.inc();
  }
  sessionCompleted(): void {
    this.completed.inc();
  }
  sessionFailed(): void {
    this.failed.inc();
  }
  requestDenied(kind: DenialKind): void {
    this.denied.inc({ reason: kind });
  }
  ticket(energyKwh: number, revenueEur: number): void {
    if (energyKwh > 0) this.energy.inc(energyKwh);
    if (revenueEur > 0) this.revenue.inc(revenueEur);
  }
  fault(kind: string): void {
    this.faults.inc({ kind });
  }
  messageIn(topic: string): void {
    this.messages.inc({ topic, direction: 'in' });
  }
  messageOut(topic: string): void {
    this.messages.inc({ topic, direction: 'out' });
  }
  messageRejected(topic: string): void {
    this.messages.inc({ topic, direction: 'rejected' });
  }
}
