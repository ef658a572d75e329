import { LatencyHistogram, type LatencySummary } from './latency-histogram.js';

/** Counters per name (action, error code, reason). */
export type Tally = Record<string, number>;

function bump(tally: Tally, key: string, n = 1): void {
  tally[key] = (tally[key] ?? 0) + n;
}

/** A plain copy of every figure of {@link OcppMetrics}, for reports and JSON. */
export interface OcppFigures {
  connected: number;
  connects: { attempts: number; opened: number; refused: Tally; closed: Tally };
  callsSent: Tally;
  callResultsReceived: number;
  callErrorsReceived: Tally;
  callTimeouts: number;
  callsReceived: Tally;
  callErrorsSent: Tally;
  badMessages: number;
  strictValidationFailures: { inbound: number; outbound: number };
  oversizedMessages: number;
  transactionMessages: { queued: number; sent: number; retried: number; discarded: number };
  latencyMs: LatencySummary;
}

/**
 * One set of OCPP figures shared by every connection of a fleet or a gateway: one source of truth
 * that the fleet's progress line, its summary, the bench and the tests all read. Counting costs a
 * property increment; nothing is kept per call except its latency bucket.
 *
 * @example
 * const metrics = new OcppMetrics();
 * metrics.callSent('Heartbeat');
 * metrics.figures().callsSent; // { Heartbeat: 1 }
 */
export class OcppMetrics {
  connected = 0;
  readonly connects = { attempts: 0, opened: 0, refused: {} as Tally, closed: {} as Tally };
  readonly callsSent: Tally = {};
  callResultsReceived = 0;
  readonly callErrorsReceived: Tally = {};
  callTimeouts = 0;
  readonly callsReceived: Tally = {};
  readonly callErrorsSent: Tally = {};
  badMessages = 0;
  readonly strictValidationFailures = { inbound: 0, outbound: 0 };
  oversizedMessages = 0;
  readonly transactionMessages = { queued: 0, sent: 0, retried: 0, discarded: 0 };
  /** CALL → CALLRESULT of the calls this side made, ms. */
  readonly latency = new LatencyHistogram();

  callSent(action: string): void {
    bump(this.callsSent, action);
  }

  callErrorReceived(code: string): void {
    bump(this.callErrorsReceived, code);
  }

  callReceived(action: string): void {
    bump(this.callsReceived, action);
  }

  callErrorSent(code: string): void {
    bump(this.callErrorsSent, code);
  }

  refused(reason: string): void {
    bump(this.connects.refused, reason);
  }

  closed(code: number | string): void {
    bump(this.connects.closed, String(code));
  }

  /** Total CALLERRORs received, whatever their code. */
  get callErrorsReceivedTotal(): number {
    return Object.values(this.callErrorsReceived).reduce((a, b) => a + b, 0);
  }

  figures(): OcppFigures {
    return {
      connected: this.connected,
      connects: {
        attempts: this.connects.attempts,
        opened: this.connects.opened,
        refused: { ...this.connects.refused },
        closed: { ...this.connects.closed },
      },
      callsSent: { ...this.callsSent },
      callResultsReceived: this.callResultsReceived,
      callErrorsReceived: { ...this.callErrorsReceived },
      callTimeouts: this.callTimeouts,
      callsReceived: { ...this.callsReceived },
      callErrorsSent: { ...this.callErrorsSent },
      badMessages: this.badMessages,
      strictValidationFailures: { ...this.strictValidationFailures },
      oversizedMessages: this.oversizedMessages,
      transactionMessages: { ...this.transactionMessages },
      latencyMs: this.latency.summary(),
    };
  }
}
