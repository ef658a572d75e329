import { type Clock, isoTime, type Logger, type TimerHandle } from '@evcharging/core';
import type { CpEntry, CpRegistry } from '../domain/cp-registry.js';
import type { SessionBook } from '../sessions/session-book.js';
import type { CentralStore } from '../store/central-store.js';
import type { FaultLog } from './fault-log.js';

export interface LivenessWatchDeps {
  registry: CpRegistry;
  book: SessionBook;
  faults: FaultLog;
  clock: Clock;
  logger: Logger;
  /** A monitor silent this long makes its CP DISCONNECTED. */
  heartbeatTimeoutMs: number;
  background(work: Promise<void>, what: string): void;
}

/**
 * Monitor liveness: every sign of life (registration, heartbeat, report) keeps a CP's monitor
 * alive; one heartbeat timeout of silence makes the CP DISCONNECTED and fails its open session.
 * One timer per CP, re-armed only when it fires early, so heartbeats cost no timer churn.
 */
export class LivenessWatch {
  private readonly timers = new Map<string, TimerHandle>();

  constructor(private readonly deps: LivenessWatchDeps) {}

  /** Notes a sign of life; returns true when the monitor was down until now. */
  markAlive(entry: CpEntry, ts: string): boolean {
    entry.lastHeartbeatMs = this.deps.clock.now();
    entry.record.last_heartbeat_at = ts;
    if (!this.timers.has(entry.record.cp_id)) this.arm(entry.record.cp_id, this.deps.heartbeatTimeoutMs);
    if (entry.monitorAlive) return false;
    entry.monitorAlive = true;
    this.deps.faults.connected(entry.record.cp_id);
    return true;
  }

  /**
   * After a restart: marks alive each CP whose monitor was alive as far as the store knows (its
   * newest liveness event is not DISCONNECTED, and a monitor registered it once). Their timers are
   * armed by {@link watchPresumed} once Central consumes.
   */
  presumeLastKnown(store: CentralStore): CpEntry[] {
    const presumed: CpEntry[] = [];
    for (const [cpId, alive] of store.lastMonitorLiveness()) {
      const entry = this.deps.registry.entry(cpId);
      if (!alive || !entry || entry.record.registered_at === null || entry.monitorAlive) continue;
      entry.monitorAlive = true;
      presumed.push(entry);
    }
    return presumed;
  }

  /** Gives each presumed-alive monitor one heartbeat timeout from now to be heard. */
  watchPresumed(entries: readonly CpEntry[]): void {
    const now = this.deps.clock.now();
    for (const entry of entries) {
      if (!entry.monitorAlive || this.timers.has(entry.record.cp_id)) continue;
      entry.lastHeartbeatMs = now;
      this.arm(entry.record.cp_id, this.deps.heartbeatTimeoutMs);
    }
  }

  stop(): void {
    for (const timer of this.timers.values()) timer.cancel();
    this.timers.clear();
  }

  private arm(cpId: string, delayMs: number): void {
    const { clock, heartbeatTimeoutMs } = this.deps;
    this.timers.set(
      cpId,
      clock.setTimeout(() => {
        this.timers.delete(cpId);
        const entry = this.deps.registry.entry(cpId);
        if (!entry?.monitorAlive || entry.lastHeartbeatMs === undefined) return;
        const due = entry.lastHeartbeatMs + heartbeatTimeoutMs;
        if (clock.now() < due) {
          this.arm(cpId, due - clock.now());
          return;
        }
        this.deps.background(this.disconnect(entry), 'heartbeat timeout');
      }, delayMs),
    );
  }

  private async disconnect(entry: CpEntry): Promise<void> {
    const { book, registry, clock } = this.deps;
    const seconds = this.deps.heartbeatTimeoutMs / 1000;
    entry.monitorAlive = false;
    this.deps.faults.disconnected(entry.record.cp_id, `no monitor heartbeat for ${seconds} s`);
    this.deps.logger.warn({ cp_id: entry.record.cp_id }, 'monitor heartbeat lost: CP disconnected');
    const session = book.openOf(entry);
    registry.save(entry, isoTime(clock.now()));
    if (session) await book.interrupt(session, `CP disconnected: no monitor heartbeat for ${seconds} s`);
  }
}
