import type { SessionEnd } from '@evcharging/core';

/**
 * A supply in progress, as last saved (every telemetry interval). A killed engine restarted on the
 * same outbox turns it into the interrupted session's ticket, so no supplied energy is lost beyond
 * the last interval.
 */
export interface InflightSession {
  cp_id: string;
  session_id: string;
  driver_id: string;
  request_id?: string;
  /** Session start, ms since the epoch. */
  start_ms: number;
  /** When `energy_kwh` was measured, ms since the epoch. */
  updated_ms: number;
  energy_kwh: number;
  /** €/kWh the session is billed at. */
  price_eur_kwh: number;
  /** Under a time-of-use tariff: the cost so far, € (otherwise energy × price). */
  cost_eur?: number;
  /** The vehicle's state of charge, % (sessions with a vehicle). */
  soc?: number;
}

/** What an outbox holds after a restart. */
export interface OutboxContents {
  /** Tickets written but not yet confirmed published, oldest first. */
  tickets: SessionEnd[];
  inflight?: InflightSession;
}

/**
 * Where tickets wait between "session ended" and "published". A ticket is written durably before it
 * is published and removed only once the publish succeeded, so a crash in between publishes it
 * again on restart (Central treats a repeated ticket as the same session).
 */
export interface TicketOutbox {
  /** Reads what a previous run left. Called once, at engine start. */
  load(): Promise<OutboxContents>;
  /** Adds a ticket and clears the in-flight session in one durable write. */
  add(ticket: SessionEnd): Promise<void>;
  /** Removes a published ticket (no-op when absent). */
  remove(sessionId: string): Promise<void>;
  /** Tickets not yet published, oldest first. */
  pending(): readonly SessionEnd[];
  /**
   * Saves (or clears, with undefined) the supply in progress: on every telemetry tick. An outbox
   * that saved synchronously returns core's `DONE`, so the engine's tick waits for nothing.
   */
  saveInflight(session: InflightSession | undefined): Promise<void>;
}
