import ocppRpc from 'ocpp-rpc';
import type { OcppMetrics } from './ocpp-metrics.js';

/** What this package uses of an ocpp-rpc `RPCClient` / `RPCServerClient` (its own typings are loose). */
export interface RpcPeer {
  readonly identity: string | undefined;
  readonly protocol: string | undefined;
  call(method: string, params?: unknown, options?: { callTimeoutMs?: number }): Promise<unknown>;
  handle(method: string, handler: (call: { params: unknown; method: string }) => unknown): void;
  handle(handler: (call: { params: unknown; method: string }) => unknown): void;
  close(options?: { code?: number; reason?: string; force?: boolean }): Promise<unknown>;
  on(event: string, listener: (...args: never[]) => void): unknown;
  once(event: string, listener: (...args: never[]) => void): unknown;
  sendRaw(message: string): void;
}

// Spread into ocpp-rpc's CommonJS exports, so Node cannot see it as a named export.
const { TimeoutError } = ocppRpc as unknown as { TimeoutError: new () => Error };

/** Why an OCPP call did not get its CALLRESULT. */
export type CallFailureKind =
  /** The other side answered with a CALLERROR (`code` says which). */
  | 'callerror'
  /** No answer within the call timeout. */
  | 'timeout'
  /** The connection closed before the answer. */
  | 'closed'
  /** Our own payload failed the schema: the call was never sent (a bug on this side). */
  | 'invalid-request'
  /** The answer failed the schema (strict mode): a bug on the other side. */
  | 'invalid-response';

/** A failed OCPP call, with why in a field (never only in text). */
export class OcppCallError extends Error {
  override readonly name = 'OcppCallError';
  constructor(
    readonly action: string,
    readonly kind: CallFailureKind,
    readonly code: string | undefined,
    detail: string,
  ) {
    super(`${action}: ${kind}${code ? ` ${code}` : ''}: ${detail}`);
  }
}

/** An answer of the other side: a CALLERROR with its OCPP error code. */
export interface RpcErrorLike {
  rpcErrorCode?: string;
  message?: string;
  name?: string;
}

/**
 * One OCPP-J connection (either end) with its figures counted once in the shared
 * {@link OcppMetrics}: calls and answers per action, CALLERRORs both ways by code, malformed
 * frames, schema failures both ways, oversized messages (close code 1009), and the latency of
 * every CALL → CALLRESULT this side made.
 *
 * @example
 * const socket = new OcppSocket(rpcClient, metrics, () => performance.now());
 * const conf = await socket.call('Heartbeat', {}); // { currentTime: '...' }
 */
export class OcppSocket {
  /** Set by the strict-validation listener for the call in flight (ocpp-rpc sends one at a time). */
  private strictFailure: 'invalid-request' | 'invalid-response' | undefined;

  constructor(
    readonly peer: RpcPeer,
    private readonly metrics: OcppMetrics,
    private readonly now: () => number,
    private readonly callTimeoutMs?: number,
  ) {
    peer.on('badMessage', () => {
      metrics.badMessages++;
    });
    peer.on('strictValidationFailure', (event: { outbound: boolean; isCall: boolean }) => {
      if (event.outbound) metrics.strictValidationFailures.outbound++;
      else metrics.strictValidationFailures.inbound++;
      if (event.outbound && event.isCall) this.strictFailure = 'invalid-request';
      else if (!event.outbound && !event.isCall) this.strictFailure = 'invalid-response';
    });
    peer.on('call', (event: { outbound: boolean; payload: unknown[] }) => {
      if (!event.outbound) metrics.callReceived(String(event.payload[2]));
    });
    peer.on('response', (event: { outbound: boolean; payload: unknown[] }) => {
      const [type, , code] = event.payload;
      if (type !== 4) return;
      if (event.outbound) metrics.callErrorSent(String(code));
      else metrics.callErrorReceived(String(code));
    });
    peer.on('disconnect', (event: { code: number }) => {
      metrics.closed(event.code);
    });
    // A message over the size limit: ws drops the connection (1009 to the sender, 1006 here).
    peer.on('socketError', (error: { code?: string }) => {
      if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') metrics.oversizedMessages++;
    });
  }

  get identity(): string {
    return this.peer.identity ?? '';
  }

  /** Sends a CALL and resolves with the CALLRESULT's payload; rejects with an {@link OcppCallError}. */
  async call<R>(action: string, payload: object): Promise<R> {
    this.metrics.callSent(action);
    this.strictFailure = undefined;
    const started = this.now();
    try {
      const result = await this.peer.call(
        action,
        payload,
        this.callTimeoutMs !== undefined ? { callTimeoutMs: this.callTimeoutMs } : undefined,
      );
      this.metrics.callResultsReceived++;
      this.metrics.latency.record(this.now() - started);
      return result as R;
    } catch (error) {
      throw this.failure(action, error as RpcErrorLike);
    }
  }

  /** Answers calls of this action; a thrown {@link rpcError} becomes that CALLERROR. */
  handle(action: string, handler: (params: unknown) => unknown): void {
    this.peer.handle(action, ({ params }) => handler(params));
  }

  close(code = 1000, reason = ''): Promise<unknown> {
    return this.peer.close({ code, reason });
  }

  private failure(action: string, error: RpcErrorLike): OcppCallError {
    const detail = error.message ?? String(error);
    if (this.strictFailure) {
      const kind = this.strictFailure;
      this.strictFailure = undefined;
      return new OcppCallError(action, kind, error.rpcErrorCode, detail);
    }
    if (error instanceof TimeoutError) {
      this.metrics.callTimeouts++;
      return new OcppCallError(action, 'timeout', undefined, detail);
    }
    if (error.rpcErrorCode !== undefined) {
      return new OcppCallError(action, 'callerror', error.rpcErrorCode, detail);
    }
    return new OcppCallError(action, 'closed', undefined, detail);
  }
}
