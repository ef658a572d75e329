import type { Clock, Logger, SessionEnd, TimerHandle } from '@evcharging/core';
import type { TicketOutbox } from '../outbox/ticket-outbox.js';
import type { EngineStats } from './engine-types.js';

const MAX_RETRY_MS = 60_000;

export interface TicketPublisherDeps {
  cpId: string;
  outbox: TicketOutbox;
  clock: Clock;
  logger: Logger;
  /** The engine's counters: tickets published and failed publishes. */
  counters: Pick<EngineStats, 'ticketsPublished' | 'publishFailures'>;
  /** First retry delay after a failed publish, ms; doubles up to a minute. */
  retryMs: number;
  /** Sends one ticket on `cp.session_end`. */
  publish(ticket: SessionEnd): Promise<void>;
  /** Runs a task after every publish queued before it (the engine's per-CP order). */
  enqueue(task: () => Promise<void>): void;
}

/**
 * The engine's tickets from "session ended" to "published": each is written to the outbox first,
 * then every pending ticket is published in order; a failed publish keeps it in the outbox and is
 * retried with a doubling back-off, so a ticket outlives a broker outage and an engine restart.
 */
export class TicketPublisher {
  private retryTimer: TimerHandle | undefined;
  private retryDelay: number;
  private running = false;

  constructor(private readonly deps: TicketPublisherDeps) {
    this.retryDelay = deps.retryMs;
  }

  start(): void {
    this.running = true;
  }

  stop(): void {
    this.running = false;
    this.retryTimer?.cancel();
    this.retryTimer = undefined;
  }

  /** Makes the ticket durable, then publishes every pending ticket. */
  async write(ticket: SessionEnd): Promise<void> {
    const { deps } = this;
    try {
      await deps.outbox.add(ticket);
    } catch (error) {
      // Could not make it durable; publishing it now is still better than losing it.
      deps.logger.error({ err: error, cp_id: deps.cpId }, 'ticket outbox write failed');
      await deps.publish(ticket);
      deps.counters.ticketsPublished++;
      return;
    }
    await this.flush();
  }

  /** Publishes every pending ticket in order; on failure retries later with back-off. */
  async flush(): Promise<void> {
    const { deps } = this;
    for (const ticket of [...deps.outbox.pending()]) {
      try {
        await deps.publish(ticket);
      } catch (error) {
        deps.counters.publishFailures++;
        deps.logger.warn(
          { err: error, cp_id: deps.cpId, session_id: ticket.session_id, retry_ms: this.retryDelay },
          'ticket publish failed; kept in the outbox',
        );
        this.scheduleRetry();
        return;
      }
      deps.counters.ticketsPublished++;
      this.retryDelay = deps.retryMs;
      await deps.outbox.remove(ticket.session_id);
    }
  }

  private scheduleRetry(): void {
    if (this.retryTimer || !this.running) return;
    const delay = this.retryDelay;
    this.retryDelay = Math.min(MAX_RETRY_MS, this.retryDelay * 2);
    this.retryTimer = this.deps.clock.setTimeout(() => {
      this.retryTimer = undefined;
      this.deps.enqueue(() => this.flush());
    }, delay);
  }
}
