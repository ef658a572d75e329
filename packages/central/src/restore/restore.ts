import { type Clock, isoTime } from '@evcharging/core';
import type { CpDefinition } from '../config/cp-definitions.js';
import { type CpDefaults, type CpRegistry, newCpRecord } from '../domain/cp-registry.js';
import type { LivenessWatch } from '../liveness/liveness-watch.js';
import type { SessionBook } from '../sessions/session-book.js';
import type { CentralStore } from '../store/central-store.js';

export interface RestoreDeps {
  registry: CpRegistry;
  store: CentralStore;
  book: SessionBook;
  watch: LivenessWatch;
  clock: Clock;
  /** Monitors decide liveness: only then is a stored monitor presumed alive. */
  requireMonitor: boolean;
  defaults: CpDefaults;
}

/** What a restart restored, and the timers to arm once Central consumes again. */
export interface Restored {
  /** CPs whose monitor is presumed alive until one heartbeat timeout after consuming again. */
  readonly presumedAlive: number;
  readonly openSessions: number;
  /** Arms the restored timers: call once Central's subscriptions are in place. */
  resume(): void;
}

/**
 * Rebuilds Central from its store at start: the registry (the configured CPs win over what was
 * stored), the open sessions and the monitors' last known liveness. A first start finds an empty
 * store and every CP DISCONNECTED until its monitor connects.
 *
 * A restart picks up where the last run left off, so what waited in the broker while Central was
 * down is judged fairly:
 * - A CP whose monitor was last heard alive (its newest liveness event in the store) is presumed
 *   still alive: requests read from the backlog find it in its last known state. Its monitor has
 *   one heartbeat timeout, counted from when Central consumes again, to be heard; if it is not, the
 *   CP goes DISCONNECTED as for any silent monitor.
 * - A session still waiting for its engine to start gets the whole start timeout again, counted
 *   from when Central consumes again, not from its request: the engine's statuses and telemetry
 *   sent while Central was down arrive in the backlog, maybe after a slow group join.
 */
export function restore(deps: RestoreDeps, definitions: readonly CpDefinition[]): Restored {
  const { registry, store, book, watch } = deps;
  const ts = isoTime(deps.clock.now());
  for (const record of store.listCps()) registry.add(record);
  for (const def of definitions) {
    const entry =
      registry.entry(def.cp_id) ?? registry.add(newCpRecord(def.cp_id, 'config', def, deps.defaults, ts));
    entry.secret = def.secret;
    Object.assign(entry.record, {
      location: def.location,
      price_eur_kwh: def.price_eur_kwh,
      kw: def.kw,
      source: 'config',
    });
    registry.save(entry, ts);
  }
  book.restoreOpen();
  const presumed = deps.requireMonitor ? watch.presumeLastKnown(store) : [];
  for (const entry of registry.entriesInOrder()) {
    // A CP pointing at a session that is no longer open would look busy forever.
    const current = entry.record.current_session_id;
    if (current && !book.isOpen(current)) {
      entry.record.current_session_id = null;
      entry.record.current_driver_id = null;
      registry.save(entry, ts);
    }
  }
  return {
    presumedAlive: presumed.length,
    openSessions: book.openCount,
    resume() {
      // A handler may already have started a session's supply or heard a monitor from the backlog.
      book.armRestoredStartTimers();
      watch.watchPresumed(presumed);
    },
  };
}
