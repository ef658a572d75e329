import {
  type Clock,
  type CpTelemetry,
  FAILING_END_CAUSES,
  isoTime,
  type Logger,
  type Random,
  type SessionEnd,
  type TimerHandle,
} from '@evcharging/core';
import type { CentralEventStream } from '../central-events.js';
import type { CpEntry, CpRegistry } from '../domain/cp-registry.js';
import type { CentralWire } from '../messaging/central-wire.js';
import type { SmartCharging } from '../smart-charging/smart-charging.js';
import type { CentralStats } from '../stats/central-stats.js';
import {
  type CentralStore,
  listAll,
  type SessionRecord,
  type TelemetrySnapshot,
  type TicketRecord,
} from '../store/central-store.js';
import { inProgressUpdate, terminalUpdate } from './driver-updates.js';

/** A session with its engine ticket, when it has arrived. */
export interface SessionView extends SessionRecord {
  ticket: TicketRecord | null;
}

export interface SessionBookDeps {
  registry: CpRegistry;
  store: CentralStore;
  clock: Clock;
  random: Random;
  wire: CentralWire;
  stats: CentralStats;
  events: CentralEventStream;
  logger: Logger;
  /** An accepted session whose CP has not started supplying after this long fails. */
  startTimeoutMs: number;
  /** Runs work started by a timer; its failure is logged, never thrown into the clock. */
  background(work: Promise<void>, what: string): void;
  /** The sites' smart charging: told of every closed session and ticket. */
  charging?: SmartCharging | undefined;
}

const isOpen = (s: SessionRecord) => s.status === 'accepted' || s.status === 'supplying';

/** How far back a restart looks for failures it sends again (see `resendRecentFailures`). */
const FAILURE_LOOKBACK_MS = 2 * 24 * 3_600_000;

/**
 * Central's sessions, from acceptance to ticket: the open ones, their start timers, the engine's
 * reports that move them (supplying, telemetry, ticket) and Central's own endings (fault, lost
 * monitor, no start, operator stop). Every change is written to the store in the same turn and
 * announced once as `session.changed`.
 */
export class SessionBook {
  private readonly open = new Map<string, SessionRecord>();
  private readonly startTimers = new Map<string, TimerHandle>();
  /** Why Central ends a supplying session, until its ticket arrives. */
  private readonly endReasons = new Map<string, string>();

  constructor(private readonly deps: SessionBookDeps) {}

  get openCount(): number {
    return this.open.size;
  }

  /** The open sessions, in the order they were opened (or restored). */
  openSessions(): IterableIterator<SessionRecord> {
    return this.open.values();
  }

  isOpen(sessionId: string): boolean {
    return this.open.has(sessionId);
  }

  /** The CP's current session, when it is open. */
  openOf(entry: CpEntry): SessionRecord | undefined {
    const id = entry.record.current_session_id;
    return id ? this.open.get(id) : undefined;
  }

  /** A session, open or closed. */
  find(sessionId: string): SessionRecord | undefined {
    return this.open.get(sessionId) ?? this.deps.store.getSession(sessionId);
  }

  view(sessionId: string): SessionView | undefined {
    const session = this.find(sessionId);
    if (!session) return undefined;
    return { ...session, ticket: this.deps.store.getTicket(sessionId) ?? null };
  }

  // ---------------------------------------------------------------- opening

  /**
   * Opens a session for an accepted request at a CP that can take it: the CP is held for it, the
   * request and the session are stored together, and its start timer runs.
   */
  openFor(
    entry: CpEntry,
    request: { request_id: string; driver_id: string; target_kwh?: number; duration_s?: number },
    ts: string,
  ): SessionRecord {
    const { store, registry, stats } = this.deps;
    const session: SessionRecord = {
      session_id: this.newSessionId(),
      request_id: request.request_id,
      driver_id: request.driver_id,
      cp_id: entry.record.cp_id,
      status: 'accepted',
      requested_at: ts,
      start_time: null,
      end_time: null,
      kw: 0,
      energy_kwh: 0,
      total_cost_eur: 0,
      reason: null,
      ticket_received: false,
      target_kwh: request.target_kwh ?? null,
      duration_s: request.duration_s ?? null,
      updated_at: ts,
    };
    entry.record.current_session_id = session.session_id;
    entry.record.current_driver_id = session.driver_id;
    this.open.set(session.session_id, session);
    const decision = {
      request_id: request.request_id,
      driver_id: request.driver_id,
      cp_id: session.cp_id,
      received_at: ts,
      decision: 'accepted' as const,
      reason: null,
      session_id: session.session_id,
    };
    store.transaction(() => {
      store.saveRequest(decision);
      store.saveSession(session);
      registry.save(entry, ts);
    });
    stats.accepted(session.cp_id);
    this.deps.events.emit('request.decided', decision);
    this.changed(session);
    this.armStartTimer(session.session_id, this.deps.startTimeoutMs);
    return session;
  }

  // ---------------------------------------------------------------- the engine's reports

  /** The engine says it supplies (`cp.status` SUPPLYING): the CP's accepted session starts. */
  supplying(entry: CpEntry, sessionId: string | undefined, ts: string): void {
    const session = this.openOf(entry);
    if (session?.status !== 'accepted') return;
    // An original engine's status names no session: it can only be the CP's current one.
    if (sessionId !== undefined && sessionId !== session.session_id) return;
    this.cancelStartTimer(session.session_id);
    session.status = 'supplying';
    session.start_time ??= ts;
    session.updated_at = ts;
    this.deps.stats.supplyStarted(session.cp_id, this.deps.clock.now());
    this.deps.store.saveSession(session);
    this.changed(session);
  }

  /**
   * A telemetry reading: the CP's last figures, and the open session's energy and cost with an
   * `in_progress` update to its driver. A reading for no open session only updates the CP.
   */
  telemetry(entry: CpEntry, telemetry: CpTelemetry, ts: string): Promise<void> | undefined {
    const { store, registry } = this.deps;
    const record = entry.record;
    const kwh = telemetry.kwh ?? (record.price_eur_kwh > 0 ? telemetry.euros / record.price_eur_kwh : 0);
    record.last_telemetry = snapshotOf(record.last_telemetry, telemetry, kwh, ts);
    const sessionId = telemetry.session_id ?? record.current_session_id;
    const session = sessionId ? this.open.get(sessionId) : undefined;
    if (!session || session.cp_id !== telemetry.cp_id) {
      registry.saveReading(entry, ts);
      return undefined;
    }
    session.kw = telemetry.kw;
    session.energy_kwh = kwh;
    session.total_cost_eur = telemetry.euros;
    session.updated_at = ts;
    store.transaction(() => {
      store.saveSession(session);
      registry.saveReading(entry, ts);
    });
    return this.deps.wire.publish('driver.updates', inProgressUpdate(session, telemetry, kwh, ts));
  }

  /**
   * The engine's ticket (`cp.session_end`): the session's final figures. An open session closes,
   * failed when the ticket's `ended_by` says the supply ended against the driver's wish (unless
   * Central itself asked for the end); a session Central had already failed gets its figures. A
   * ticket read again changes nothing and sends the driver the outcome again.
   */
  async ticket(end: SessionEnd, ts: string): Promise<void> {
    const { store, registry, stats } = this.deps;
    if (store.getTicket(end.session_id)) return this.resendOutcome(end.session_id, ts);
    this.deps.charging?.ticket(end);
    const ticket: TicketRecord = {
      session_id: end.session_id,
      cp_id: end.cp_id,
      driver_id: end.driver_id,
      request_id: end.request_id ?? null,
      start_time: end.start_time,
      end_time: end.end_time,
      energy_kwh: end.energy_kwh,
      total_cost_eur: end.total_cost_eur,
      reason: end.reason ?? null,
      received_at: ts,
    };
    stats.ticket(end.cp_id, ticket.energy_kwh, ticket.total_cost_eur);
    const session = this.find(end.session_id);
    if (!session || session.ticket_received) {
      store.saveTicket(ticket);
      if (!session) {
        this.deps.logger.warn(
          { session_id: end.session_id, cp_id: end.cp_id },
          'ticket for an unknown session kept',
        );
      }
      return;
    }
    const entry = registry.entry(end.cp_id);
    const wasOpen = isOpen(session);
    session.start_time = end.start_time;
    session.end_time = end.end_time;
    session.energy_kwh = end.energy_kwh;
    session.total_cost_eur = end.total_cost_eur;
    session.ticket_received = true;
    session.updated_at = ts;
    if (wasOpen) {
      const asked = this.endReasons.get(session.session_id);
      const failed =
        asked === undefined && end.ended_by !== undefined && FAILING_END_CAUSES.has(end.ended_by);
      session.status = failed ? 'failed' : 'completed';
      session.reason = asked ?? end.reason ?? null;
      session.kw = 0;
      this.close(session, entry);
      stats.sessionEnded(session.cp_id, session.status);
    }
    store.transaction(() => {
      store.saveTicket(ticket);
      store.saveSession(session);
      if (entry) registry.save(entry, ts);
    });
    this.changed(session);
    // A session that already failed (fault, disconnection) gets its final figures in a second update.
    await this.deps.wire.publish('driver.updates', terminalUpdate(session, ts));
  }

  /**
   * A ticket that comes back was applied, but its driver update may never have gone out: Central
   * killed between the store write and the broker's acknowledgement, so the ticket's record was
   * not acknowledged either. The driver gets the outcome again; a driver takes the same ticket
   * twice as once.
   */
  private async resendOutcome(sessionId: string, ts: string): Promise<void> {
    const session = this.find(sessionId);
    if (session?.ticket_received) {
      await this.deps.wire.publish('driver.updates', terminalUpdate(session, ts));
    }
  }

  // ---------------------------------------------------------------- Central's endings

  /**
   * Ends an open session at once as failed (fault, disconnection, no start), tells the driver with
   * the energy so far, and (unless the engine ended it itself) asks the engine to stop; the
   * engine's ticket follows later with the final figures.
   */
  async interrupt(session: SessionRecord, reason: string, stopEngine = true): Promise<void> {
    if (!isOpen(session)) return;
    const { store, registry, clock } = this.deps;
    const ts = isoTime(clock.now());
    const entry = registry.entry(session.cp_id);
    session.status = 'failed';
    session.reason = reason;
    session.end_time = ts;
    session.kw = 0;
    session.updated_at = ts;
    this.close(session, entry);
    this.deps.stats.sessionEnded(session.cp_id, 'failed');
    store.transaction(() => {
      store.saveSession(session);
      if (entry) registry.save(entry, ts);
    });
    this.changed(session);
    this.deps.logger.info({ session_id: session.session_id, cp_id: session.cp_id, reason }, 'session failed');
    if (stopEngine) {
      await this.deps.wire.command({
        cmd: 'stop_supply',
        cp_id: session.cp_id,
        payload: { session_id: session.session_id, reason },
      });
    }
    await this.deps.wire.publish('driver.updates', terminalUpdate(session, ts));
  }

  /**
   * Central asks for the end of a session (an operator stop): one not started yet fails at once; a
   * supplying one is stopped and completes with its ticket, under this reason.
   */
  endOnRequest(session: SessionRecord, reason: string): Promise<void> {
    if (session.status === 'accepted') return this.interrupt(session, reason);
    this.endReasons.set(session.session_id, reason);
    return this.deps.wire.command({
      cmd: 'stop_supply',
      cp_id: session.cp_id,
      payload: { session_id: session.session_id },
    });
  }

  // ---------------------------------------------------------------- restart

  /** Loads the open sessions of the last run; a supplying one counts as busy from now. */
  restoreOpen(): void {
    const now = this.deps.clock.now();
    for (const session of this.deps.store.openSessions()) {
      this.open.set(session.session_id, session);
      const entry = this.deps.registry.entry(session.cp_id);
      if (entry?.record.current_session_id === session.session_id && session.status === 'supplying') {
        this.deps.stats.supplyStarted(session.cp_id, now);
      }
    }
  }

  /**
   * Sends their outcome again to the drivers of sessions Central failed on its own (no start, a
   * fault, a lost monitor) within the last `windowMs` and that no ticket has reached since. Such an
   * outcome is stored before it is sent, and no engine record comes back to send it again as a
   * ticket does, so a Central killed in between left the driver to its request timeout. Call it at
   * start, before consuming: a ticket read afterwards is forwarded after this update, so the
   * ticket's figures stay the last the driver hears. At least once: a driver may get the same
   * outcome twice and takes it as once. A publish that fails is logged, not thrown.
   *
   * @returns the sessions whose outcome was sent again.
   */
  async resendRecentFailures(windowMs: number): Promise<number> {
    const { store, clock, wire, logger } = this.deps;
    const now = clock.now();
    const since = isoTime(now - windowMs);
    const from = isoTime(now - FAILURE_LOOKBACK_MS);
    const failed = listAll((page) => store.listSessions({ ...page, status: 'failed', from })).filter(
      (session) => !session.ticket_received && session.end_time !== null && session.end_time >= since,
    );
    const ts = isoTime(now);
    let sent = 0;
    for (const session of failed) {
      try {
        await wire.publish('driver.updates', terminalUpdate(session, ts));
        sent++;
      } catch (error) {
        logger.warn(
          { session_id: session.session_id, driver_id: session.driver_id, err: error },
          "could not send a failed session's outcome again after the restart",
        );
      }
    }
    return sent;
  }

  /** Each restored session still waiting for its engine gets the whole start timeout from now. */
  armRestoredStartTimers(): void {
    for (const session of this.open.values()) {
      if (session.status === 'accepted' && !this.startTimers.has(session.session_id)) {
        this.armStartTimer(session.session_id, this.deps.startTimeoutMs);
      }
    }
  }

  stop(): void {
    for (const timer of this.startTimers.values()) timer.cancel();
    this.startTimers.clear();
  }

  // ---------------------------------------------------------------- internals

  /** Removes a session from its CP and from the open set, and counts the CP's busy time. */
  private close(session: SessionRecord, entry: CpEntry | undefined): void {
    this.cancelStartTimer(session.session_id);
    this.open.delete(session.session_id);
    this.endReasons.delete(session.session_id);
    if (this.deps.charging) this.deps.background(this.deps.charging.release(session.session_id), 'release');
    if (!entry) return;
    if (entry.record.current_session_id === session.session_id) {
      entry.record.current_session_id = null;
      entry.record.current_driver_id = null;
    }
    this.deps.stats.supplyEnded(entry.record.cp_id, this.deps.clock.now());
  }

  private armStartTimer(sessionId: string, delayMs: number): void {
    this.cancelStartTimer(sessionId);
    this.startTimers.set(
      sessionId,
      this.deps.clock.setTimeout(() => {
        this.startTimers.delete(sessionId);
        const session = this.open.get(sessionId);
        if (session?.status !== 'accepted') return;
        const seconds = this.deps.startTimeoutMs / 1000;
        this.deps.background(
          this.interrupt(session, `CP did not start supplying within ${seconds} s`),
          'start timeout',
        );
      }, delayMs),
    );
  }

  private cancelStartTimer(sessionId: string): void {
    this.startTimers.get(sessionId)?.cancel();
    this.startTimers.delete(sessionId);
  }

  private newSessionId(): string {
    // 32-bit ids collide within a long simulation: draw again until the id is new.
    for (;;) {
      const id = this.deps.random.id('session');
      if (!this.open.has(id) && !this.deps.store.getSession(id)) return id;
    }
  }

  private changed(session: SessionRecord): void {
    this.deps.events.emit('session.changed', {
      session_id: session.session_id,
      cp_id: session.cp_id,
      driver_id: session.driver_id,
      status: session.status,
    });
  }
}

/**
 * A telemetry message as Central keeps it: a fixed shape, the optional ids only when sent. The
 * previous snapshot is updated in place when it has the same ids: a new one on every message lived
 * about a second (until the next), long enough to be promoted to the old generation. Readers get
 * copies (registry views, the stores), never this object.
 */
function snapshotOf(
  previous: TelemetrySnapshot | null,
  telemetry: CpTelemetry,
  kwh: number,
  receivedAt: string,
): TelemetrySnapshot {
  const ts = telemetry.ts ?? receivedAt;
  if (
    previous !== null &&
    'session_id' in previous === (telemetry.session_id !== undefined) &&
    'driver_id' in previous === (telemetry.driver_id !== undefined) &&
    'soc' in previous === (telemetry.soc !== undefined)
  ) {
    previous.kw = telemetry.kw;
    previous.kwh = kwh;
    previous.euros = telemetry.euros;
    previous.ts = ts;
    if (telemetry.session_id !== undefined) previous.session_id = telemetry.session_id;
    if (telemetry.driver_id !== undefined) previous.driver_id = telemetry.driver_id;
    if (telemetry.soc !== undefined) previous.soc = telemetry.soc;
    return previous;
  }
  const snapshot: TelemetrySnapshot = { kw: telemetry.kw, kwh, euros: telemetry.euros, ts };
  if (telemetry.session_id !== undefined) snapshot.session_id = telemetry.session_id;
  if (telemetry.driver_id !== undefined) snapshot.driver_id = telemetry.driver_id;
  if (telemetry.soc !== undefined) snapshot.soc = telemetry.soc;
  return snapshot;
}
