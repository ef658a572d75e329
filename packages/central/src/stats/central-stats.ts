import { isoTime, TopicCounts } from '@evcharging/core';
import type { CentralReport, CpReport } from '../domain/central-report.js';
import type { CpRegistry } from '../domain/cp-registry.js';

/** Why a request was denied, as a report field and a metric label. */
export type DenialKind = 'unknown_cp' | 'not_available' | 'busy' | 'shutting_down' | 'invalid_request';

/** What a fault is charged to. */
export type FaultOrigin = 'engine' | 'monitor' | 'disconnected';

/** Messages by direction, then by topic: running totals since start. */
export interface MessageCounts {
  in: Readonly<Record<string, number>>;
  out: Readonly<Record<string, number>>;
  rejected: Readonly<Record<string, number>>;
}

/** One CP's figures over Central's run. */
export interface CpFigures {
  sessions: number;
  completed: number;
  failed: number;
  energyKwh: number;
  revenueEur: number;
  faults: number;
  /** Time spent supplying before the current supply, ms. */
  busyMs: number;
  /** When the current supply started (Central's clock), if one runs. */
  supplyingSinceMs: number | undefined;
}

const newFigures = (): CpFigures => ({
  sessions: 0,
  completed: 0,
  failed: 0,
  energyKwh: 0,
  revenueEur: 0,
  faults: 0,
  busyMs: 0,
  supplyingSinceMs: undefined,
});

/**
 * Central's figures, kept once: the modules count here as things happen, and the report, the
 * Prometheus metrics and the dashboard's totals all read these same numbers.
 *
 * @example
 * const stats = new CentralStats();
 * stats.requestReceived();
 * stats.denied('busy');
 * stats.requests.denied_by_reason.busy; // 1
 */
export class CentralStats {
  readonly requests = {
    received: 0,
    accepted: 0,
    denied: 0,
    duplicates: 0,
    denied_by_reason: {
      unknown_cp: 0,
      not_available: 0,
      busy: 0,
      shutting_down: 0,
      invalid_request: 0,
    } as Record<DenialKind, number>,
  };
  readonly sessions = { completed: 0, failed: 0 };
  energyKwh = 0;
  revenueEur = 0;
  readonly faultsBy: Record<FaultOrigin, number> = { engine: 0, monitor: 0, disconnected: 0 };
  /** Messages Central handled (in) and sent (out), by topic (counted by `TopicCounts`). */
  private readonly counted = { in: new TopicCounts(), out: new TopicCounts() };
  private readonly perCp = new Map<string, CpFigures>();

  /** A CP's figures (zero until something happens to it). */
  cp(cpId: string): CpFigures {
    let figures = this.perCp.get(cpId);
    if (!figures) {
      figures = newFigures();
      this.perCp.set(cpId, figures);
    }
    return figures;
  }

  requestReceived(): void {
    this.requests.received++;
  }

  duplicateRequest(): void {
    this.requests.duplicates++;
  }

  denied(kind: DenialKind): void {
    this.requests.denied++;
    this.requests.denied_by_reason[kind]++;
  }

  accepted(cpId: string): void {
    this.requests.accepted++;
    this.cp(cpId).sessions++;
  }

  supplyStarted(cpId: string, nowMs: number): void {
    this.cp(cpId).supplyingSinceMs = nowMs;
  }

  /** The CP's supply (if one ran) stopped counting as busy. */
  supplyEnded(cpId: string, nowMs: number): void {
    const figures = this.cp(cpId);
    if (figures.supplyingSinceMs === undefined) return;
    figures.busyMs += nowMs - figures.supplyingSinceMs;
    figures.supplyingSinceMs = undefined;
  }

  sessionEnded(cpId: string, outcome: 'completed' | 'failed'): void {
    this.sessions[outcome]++;
    this.cp(cpId)[outcome]++;
  }

  ticket(cpId: string, energyKwh: number, revenueEur: number): void {
    this.energyKwh += energyKwh;
    this.revenueEur += revenueEur;
    const figures = this.cp(cpId);
    figures.energyKwh += energyKwh;
    figures.revenueEur += revenueEur;
  }

  /** A fault of the engine or reported by the monitor (a CP fault), or a lost monitor. */
  fault(cpId: string, origin: FaultOrigin): void {
    this.faultsBy[origin]++;
    if (origin !== 'disconnected') this.cp(cpId).faults++;
  }

  /** CP faults (engine and monitor), without disconnections. */
  get faults(): number {
    return this.faultsBy.engine + this.faultsBy.monitor;
  }

  messageIn(topic: string): void {
    this.counted.in.add(topic);
  }

  messageOut(topic: string): void {
    this.counted.out.add(topic);
  }

  /** Messages Central handled (in) and sent (out) so far, by topic: copies. */
  get messages(): { in: Record<string, number>; out: Record<string, number> } {
    return { in: this.counted.in.snapshot(), out: this.counted.out.snapshot() };
  }

  /**
   * The report of a run: these figures, the CPs as the registry shows them, and what the transport
   * rejected on Central's behalf (messages that failed the contract never reach Central).
   */
  report(input: {
    registry: CpRegistry;
    startedAtMs: number;
    nowMs: number;
    openSessions: number;
    rejected: Readonly<Record<string, number>>;
  }): CentralReport {
    const { registry, startedAtMs, nowMs } = input;
    const elapsed = Math.max(0, nowMs - startedAtMs);
    return {
      since: isoTime(startedAtMs),
      until: isoTime(nowMs),
      elapsed_ms: elapsed,
      requests: { ...this.requests, denied_by_reason: { ...this.requests.denied_by_reason } },
      sessions: {
        started: this.requests.accepted,
        completed: this.sessions.completed,
        failed: this.sessions.failed,
        open: input.openSessions,
      },
      energy_kwh: this.energyKwh,
      revenue_eur: this.revenueEur,
      faults: this.faults,
      disconnections: this.faultsBy.disconnected,
      messages: {
        ...this.messages,
        rejected: { ...input.rejected },
      },
      cps: registry.entriesInOrder().map((entry): CpReport => {
        const f = this.cp(entry.record.cp_id);
        const busy = f.busyMs + (f.supplyingSinceMs !== undefined ? nowMs - f.supplyingSinceMs : 0);
        return {
          cp_id: entry.record.cp_id,
          state: registry.stateOf(entry),
          sessions: f.sessions,
          completed: f.completed,
          failed: f.failed,
          energy_kwh: f.energyKwh,
          revenue_eur: f.revenueEur,
          busy_ms: busy,
          utilisation: elapsed > 0 ? Math.min(1, busy / elapsed) : 0,
          faults: f.faults,
        };
      }),
    };
  }
}
