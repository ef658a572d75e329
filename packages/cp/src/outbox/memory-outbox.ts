import type { SessionEnd } from '@evcharging/core';
import type { InflightSession, OutboxContents, TicketOutbox } from './ticket-outbox.js';

/**
 * An outbox in memory, for simulations. It survives an engine, not the process: pass the same
 * instance to a restarted engine to model a crash and recovery.
 *
 * @example
 * const outbox = new MemoryOutbox();
 * chargingPointEngine({ cpId: 'CP-001', outbox });
 */
export class MemoryOutbox implements TicketOutbox {
  private tickets: SessionEnd[] = [];
  private inflight: InflightSession | undefined;

  async load(): Promise<OutboxContents> {
    return {
      tickets: [...this.tickets],
      ...(this.inflight ? { inflight: { ...this.inflight } } : {}),
    };
  }

  async add(ticket: SessionEnd): Promise<void> {
    if (!this.tickets.some((t) => t.session_id === ticket.session_id)) this.tickets.push(ticket);
    this.inflight = undefined;
  }

  async remove(sessionId: string): Promise<void> {
    const i = this.tickets.findIndex((t) => t.session_id === sessionId);
    if (i >= 0) this.tickets.splice(i, 1);
  }

  pending(): readonly SessionEnd[] {
    return this.tickets;
  }

  async saveInflight(session: InflightSession | undefined): Promise<void> {
    // Saved on every telemetry tick: the copy of the same session is updated in place (a new one
    // each second lived long enough to be promoted to the old generation).
    const current = this.inflight;
    if (
      session &&
      current &&
      current.session_id === session.session_id &&
      'request_id' in current === 'request_id' in session
    ) {
      Object.assign(current, session);
      return;
    }
    this.inflight = session ? { ...session } : undefined;
  }

  /** A copy of the saved in-flight session, for tests and reports. */
  get inflightSession(): InflightSession | undefined {
    return this.inflight ? { ...this.inflight } : undefined;
  }
}
