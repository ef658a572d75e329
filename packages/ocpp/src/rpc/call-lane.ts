import type { Clock, Logger } from '@evcharging/core';
import type { OcppMetrics } from './ocpp-metrics.js';
import { OcppCallError, type OcppSocket } from './ocpp-socket.js';

/** One outgoing call waiting its turn. */
export interface LaneCall {
  readonly action: string;
  /**
   * Builds the payload when the call is sent (a StopTransaction learns its transactionId from the
   * StartTransaction answered before it); undefined discards the call.
   */
  readonly payload: () => object | undefined;
  /**
   * Transaction messages (StartTransaction, StopTransaction, MeterValues of a transaction) are kept
   * while the connection is down and retried after a CALLERROR; others are dropped.
   */
  readonly transactional: boolean;
  /** Told the answer once the call succeeded. */
  readonly onResult?: (result: unknown) => void;
  /** Told why a call was given up (dropped offline, CALLERROR, discarded after its attempts). */
  readonly onFailure?: (error: OcppCallError) => void;
}

interface Pending extends LaneCall {
  attempts: number;
}

export interface CallLaneOptions {
  clock: Clock;
  metrics: OcppMetrics;
  logger: Logger;
  /** Whose calls these are, for logs. */
  owner: string;
  /** TransactionMessageAttempts and TransactionMessageRetryInterval (s), read at every failure. */
  retry: () => { attempts: number; intervalS: number };
  /** Most calls kept (default 1,000): past it, the oldest meter values are discarded first. */
  maxQueued?: number;
}

/**
 * A charge point's outgoing calls, one at a time and in order (OCPP-J allows one CALL in flight).
 * While the connection is down, transaction messages wait and the others are dropped; once the
 * connection is open again (after BootNotification) the waiting ones are replayed in their order.
 * A transaction message answered with a CALLERROR is tried again after `retryInterval × attempt`
 * and discarded after `attempts` (OCPP 1.6 §4.10); one that timed out stays first in line and is
 * sent again after the retry interval. Every outcome is counted in the metrics.
 *
 * @example
 * lane.push({ action: 'StartTransaction', transactional: true, payload: () => req, onResult: (c) => ... });
 * lane.open(socket); // sends, in order, everything waiting
 */
export class CallLane {
  private readonly queue: Pending[] = [];
  private socket: OcppSocket | undefined;
  private draining = false;
  private waitingRetry = false;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly options: CallLaneOptions) {}

  get length(): number {
    return this.queue.length;
  }

  get isOpen(): boolean {
    return this.socket !== undefined;
  }

  /** Starts sending through this socket: first `first` (e.g. the boot's status reports), then the queue. */
  open(socket: OcppSocket, first: readonly LaneCall[] = []): void {
    this.socket = socket;
    // A retry timer from the last connection must not hold back the replay on this one.
    this.waitingRetry = false;
    this.queue.unshift(...first.map((call) => ({ ...call, attempts: 0 })));
    this.kick();
  }

  /** The connection is gone: transaction messages wait for the next one, the others are dropped. */
  close(): void {
    this.socket = undefined;
    this.dropVolatile();
  }

  /** Adds a call at the end of the line; a non-transactional call while closed is dropped. */
  push(call: LaneCall): boolean {
    if (!this.socket && !call.transactional) {
      call.onFailure?.(new OcppCallError(call.action, 'closed', undefined, 'not connected'));
      return false;
    }
    if (call.transactional) {
      this.options.metrics.transactionMessages.queued++;
      this.bound();
    }
    this.queue.push({ ...call, attempts: 0 });
    this.kick();
    return true;
  }

  /** Resolves once nothing waits (or at once when closed: what waits stays queued). */
  whenIdle(): Promise<void> {
    if (this.queue.length === 0 || !this.socket) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private kick(): void {
    if (this.draining || this.waitingRetry || !this.socket) return;
    this.draining = true;
    void this.drain();
  }

  private async drain(): Promise<void> {
    try {
      await this.sendWaiting();
    } finally {
      this.draining = false;
    }
    // A call pushed between the loop's last check and here found the lane still draining.
    if (this.queue.length > 0 && this.socket && !this.waitingRetry) this.kick();
    else if (this.queue.length === 0 || !this.socket) this.notifyIdle();
  }

  private async sendWaiting(): Promise<void> {
    while (this.socket && !this.waitingRetry) {
      const call = this.queue[0];
      if (!call) break;
      const socket = this.socket;
      const payload = call.payload();
      if (payload === undefined) {
        this.queue.shift();
        if (call.transactional) this.options.metrics.transactionMessages.discarded++;
        continue;
      }
      try {
        const result = await socket.call(call.action, payload);
        if (this.queue[0] === call) this.queue.shift();
        if (call.transactional) this.options.metrics.transactionMessages.sent++;
        call.onResult?.(result);
      } catch (error) {
        if (!(error instanceof OcppCallError)) throw error;
        this.failed(call, error);
      }
    }
  }

  private failed(call: Pending, error: OcppCallError): void {
    const { metrics, logger, owner } = this.options;
    if (error.kind === 'closed' && this.socket === undefined) {
      // The connection went away with the call in flight: a transaction message is sent again.
      if (!call.transactional) this.remove(call, error);
      return;
    }
    if (!call.transactional || error.kind === 'invalid-request') {
      if (error.kind === 'invalid-request') {
        logger.error(
          { cp_id: owner, action: call.action, err: error.message },
          'our own call failed the schema',
        );
      }
      this.remove(call, error);
      return;
    }
    const retry = this.options.retry();
    if (error.kind !== 'timeout' && error.kind !== 'closed') call.attempts++;
    if (call.attempts >= Math.max(1, retry.attempts)) {
      metrics.transactionMessages.discarded++;
      logger.warn(
        { cp_id: owner, action: call.action, attempts: call.attempts, err: error.message },
        'transaction message discarded after its attempts',
      );
      this.remove(call, error);
      return;
    }
    metrics.transactionMessages.retried++;
    this.waitingRetry = true;
    const delayMs = Math.max(1, retry.intervalS) * 1000 * Math.max(1, call.attempts);
    this.options.clock.setTimeout(() => {
      this.waitingRetry = false;
      this.kick();
    }, delayMs);
  }

  private remove(call: Pending, error: OcppCallError): void {
    const index = this.queue.indexOf(call);
    if (index >= 0) this.queue.splice(index, 1);
    call.onFailure?.(error);
  }

  private dropVolatile(): void {
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const call = this.queue[i]!;
      if (call.transactional) continue;
      this.queue.splice(i, 1);
      call.onFailure?.(new OcppCallError(call.action, 'closed', undefined, 'connection lost'));
    }
    this.notifyIdle();
  }

  /** Keeps the queue bounded: the oldest meter values go first, then nothing (start/stop are kept). */
  private bound(): void {
    const max = this.options.maxQueued ?? 1000;
    if (this.queue.length < max) return;
    const index = this.queue.findIndex((c, i) => i > 0 && c.action === 'MeterValues');
    if (index < 0) return;
    this.queue.splice(index, 1);
    this.options.metrics.transactionMessages.discarded++;
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
