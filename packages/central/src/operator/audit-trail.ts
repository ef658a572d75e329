import { type Clock, isoTime, type Logger } from '@evcharging/core';
import type { CentralEventStream } from '../central-events.js';
import type { AuditEntry, CentralStore } from '../store/central-store.js';

/** Who asked for something, for the audit log. */
export interface Actor {
  who: string;
  /** Remote address, or `in-process`. */
  source: string;
}

export const IN_PROCESS: Actor = { who: 'in-process', source: 'in-process' };

/** What an audited action came to: `ok`, or why it was refused. */
export type AuditOutcome = 'ok' | 'unauthorized' | 'not_found';

/**
 * The audit trail: operator commands, monitor registrations and fault reports, and every refusal,
 * written to the store and announced on Central's events. A store that fails to write is logged,
 * never thrown into the action being audited.
 */
export class AuditTrail {
  constructor(
    private readonly store: CentralStore,
    private readonly events: CentralEventStream,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  record(actor: Actor, action: string, target: string | null, outcome: AuditOutcome, detail?: string): void {
    const entry: AuditEntry = {
      ts: isoTime(this.clock.now()),
      who: actor.who,
      source_address: actor.source,
      action,
      target,
      outcome,
      detail: detail ?? null,
    };
    try {
      this.store.appendAudit(entry);
    } catch (error) {
      this.logger.error({ err: error, action }, 'audit log write failed');
    }
    this.events.emit('audit', entry);
  }
}
