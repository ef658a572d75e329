import { DONE, type SessionEnd } from '@evcharging/core';
import type { InflightSession, OutboxContents, TicketOutbox } from './ticket-outbox.js';

/** Whether two in-flight copies of one session carry the same optional fields. */
function sameOptionalFields(a: InflightSession, b: InflightSession): boolean {
  return (
    'request_id' in a === 'request_id' in b &&
    'cost_eur' in a === 'cost_eur' in b &&
    'soc' in a === 'soc' in b
  );
}

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

  saveInflight(session: InflightSession | undefined): Promise<void> {
    // Saved on every telemetry tick: the copy of the same session is updated in place, field by
    // field (a new copy each second lived long enough to be promoted to the old generation, and
    // Object.assign costs ten times these stores). A session whose optional fields differ gets a
    // new copy, so none of them outlives its source.
    const current = this.inflight;
    if (
      session &&
      current &&
      current.session_id === session.session_id &&
      sameOptionalFields(current, session)
    ) {
      current.updated_ms = session.updated_ms;
      current.energy_kwh = session.energy_kwh;
      current.price_eur_kwh = session.price_eur_kwh;
      if (session.cost_eur !== undefined) current.cost_eur = session.cost_eur;
      if (session.soc !== undefined) current.soc = session.soc;
      return DONE;
    }
    this.inflight = session ? { ...session } : undefined;
    return DONE;
  }

  /** A copy of the saved in-flight session, for tests and reports. */
  get inflightSession(): InflightSession | undefined {
    return this.inflight ? { ...this.inflight } : undefined;
  }
}
