import { type Clock, isoTime } from '@evcharging/core';
import type { CentralStats } from '../stats/central-stats.js';
import type { CentralStore, FaultEvent } from '../store/central-store.js';

/**
 * The CP fault history (`GET /api/v1/faults`, the restart's liveness evidence): faults of the
 * engine or reported by the monitor, recoveries, and the monitor's connections and losses.
 * Faults and losses are counted in Central's figures as they are recorded.
 */
export class FaultLog {
  constructor(
    private readonly store: CentralStore,
    private readonly stats: CentralStats,
    private readonly clock: Clock,
  ) {}

  /** A fault of the CP: its engine reported FAULT, or its monitor judged it broken. */
  fault(cpId: string, kind: 'ENGINE_FAULT' | 'FAULT', reason: string): void {
    this.stats.fault(cpId, kind === 'ENGINE_FAULT' ? 'engine' : 'monitor');
    this.write(cpId, kind, kind === 'ENGINE_FAULT' ? 'engine' : 'monitor', reason);
  }

  /** The monitor judges its CP healthy again. */
  healthy(cpId: string, reason: string | null): void {
    this.write(cpId, 'HEALTHY', 'monitor', reason);
  }

  /** The monitor was heard after being down (or never heard). */
  connected(cpId: string): void {
    this.write(cpId, 'CONNECTED', 'liveness', null);
  }

  /** The monitor fell silent: its CP is DISCONNECTED. */
  disconnected(cpId: string, reason: string): void {
    this.stats.fault(cpId, 'disconnected');
    this.write(cpId, 'DISCONNECTED', 'liveness', reason);
  }

  private write(
    cpId: string,
    kind: FaultEvent['kind'],
    source: FaultEvent['source'],
    reason: string | null,
  ): void {
    this.store.recordFault({ cp_id: cpId, ts: isoTime(this.clock.now()), kind, source, reason });
  }
}
