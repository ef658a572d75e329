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

/** A watched CP, linked in the order its monitor was last heard from. */
interface Watched {
  readonly cpId: string;
  /** When its monitor's silence makes it DISCONNECTED: the last sign of life plus the timeout, ms. */
  dueMs: number;
  prev: Watched | undefined;
  next: Watched | undefined;
}

/**
 * Monitor liveness: every sign of life (registration, heartbeat, report) keeps a CP's monitor
 * alive; one heartbeat timeout of silence makes the CP DISCONNECTED and fails its open session.
 *
 * Every CP has the same timeout, so the CP heard from longest ago is always the next one due: the
 * watched CPs sit in a list in the order they were last heard from (a heartbeat moves its CP to the
 * end), and one timer waits for the first. A heartbeat allocates nothing and touches no timer. (A
 * timer per CP, re-armed whenever it found its CP heard from since, made a timer, a closure and a
 * map update per CP and timeout: in a simulated city day, four fifths of what V8 promoted out of its
 * young generation.)
 */
export class LivenessWatch {
  /** One node per CP ever watched, kept while it is not (so a heartbeat never allocates). */
  private readonly nodes = new Map<string, Watched>();
  /** Due first. */
  private head: Watched | undefined;
  private tail: Watched | undefined;
  /** Waits for the first CP's due time (or fires early: a heartbeat moved that CP back since). */
  private timer: TimerHandle | undefined;

  constructor(private readonly deps: LivenessWatchDeps) {}

  /** Notes a sign of life; returns true when the monitor was down until now. */
  markAlive(entry: CpEntry, ts: string): boolean {
    const now = this.deps.clock.now();
    entry.lastHeartbeatMs = now;
    entry.record.last_heartbeat_at = ts;
    this.watch(entry.record.cp_id, now + this.deps.heartbeatTimeoutMs);
    if (entry.monitorAlive) return false;
    entry.monitorAlive = true;
    this.deps.faults.connected(entry.record.cp_id);
    return true;
  }

  /**
   * After a restart: marks alive each CP whose monitor was alive as far as the store knows (its
   * newest liveness event is not DISCONNECTED, and a monitor registered it once). They are watched
   * from {@link watchPresumed} on, once Central consumes.
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
      const node = this.nodes.get(entry.record.cp_id);
      if (!entry.monitorAlive || (node && this.listed(node))) continue;
      entry.lastHeartbeatMs = now;
      this.watch(entry.record.cp_id, now + this.deps.heartbeatTimeoutMs);
    }
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
    while (this.head) this.unlink(this.head);
  }

  /** Puts a CP last in the list with its new due time (the latest: every CP has the same timeout). */
  private watch(cpId: string, dueMs: number): void {
    let node = this.nodes.get(cpId);
    if (!node) {
      node = { cpId, dueMs, prev: undefined, next: undefined };
      this.nodes.set(cpId, node);
    } else if (this.listed(node)) {
      this.unlink(node);
    }
    node.dueMs = dueMs;
    node.prev = this.tail;
    if (this.tail) this.tail.next = node;
    else this.head = node;
    this.tail = node;
    // The list's first due time only ever moves later, so a pending timer is never late.
    if (!this.timer) this.arm(dueMs - this.deps.clock.now());
  }

  private listed(node: Watched): boolean {
    return node.prev !== undefined || this.head === node;
  }

  private unlink(node: Watched): void {
    if (node.prev) node.prev.next = node.next;
    else this.head = node.next;
    if (node.next) node.next.prev = node.prev;
    else this.tail = node.prev;
    node.prev = undefined;
    node.next = undefined;
  }

  private arm(delayMs: number): void {
    this.timer = this.deps.clock.setTimeout(() => this.fire(), delayMs);
  }

  /**
   * Disconnects the first CP if it is due, then waits for the next one. One CP per timer callback
   * (the next one due at the same instant gets a timer of its own, of delay 0), so each
   * disconnection's messages go out before the next begins, as with a timer per CP.
   */
  private fire(): void {
    this.timer = undefined;
    const node = this.head;
    if (!node) return;
    const now = this.deps.clock.now();
    if (node.dueMs <= now) {
      this.unlink(node);
      const entry = this.deps.registry.entry(node.cpId);
      if (entry?.monitorAlive) this.deps.background(this.disconnect(entry), 'heartbeat timeout');
    }
    if (this.head) this.arm(Math.max(0, this.head.dueMs - now));
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
