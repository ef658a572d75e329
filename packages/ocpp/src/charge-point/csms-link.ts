import type { Clock, Logger, Random, TimerHandle } from '@evcharging/core';
import { RPCClient } from 'ocpp-rpc';
import { type BackoffOptions, backoffDelay } from '../rpc/backoff.js';
import type { OcppMetrics } from '../rpc/ocpp-metrics.js';
import { OcppSocket, type RpcPeer } from '../rpc/ocpp-socket.js';

/** TLS settings of a `wss://` CSMS. */
export interface CsmsTlsOptions {
  /** CA certificate(s) to trust, PEM (a self-signed test CSMS). */
  ca?: string | Buffer | (string | Buffer)[];
  /** Check the CSMS certificate (default true). */
  rejectUnauthorized?: boolean;
}

export interface CsmsLinkOptions {
  /** The CSMS endpoint, `ws://` or `wss://`, without the charge point id (it is appended). */
  url: string;
  /** The charge point id, the last segment of the URL. */
  identity: string;
  /** Security profile 1: HTTP Basic password (user name = the identity). */
  password?: string;
  subprotocols: readonly string[];
  tls?: CsmsTlsOptions;
  /** An unanswered call fails after this, ms (default 30,000). */
  callTimeoutMs?: number;
  /** WebSocket ping interval, ms; a missing pong drops the connection (default 30,000; 0: none). */
  pingIntervalMs?: number;
  /** Largest message accepted, bytes; a larger one closes the connection with 1009 (default 1 MiB). */
  maxPayloadBytes?: number;
  /** Reconnect back-off (default 1 s doubling to 60 s, 25 % jitter). */
  backoff?: BackoffOptions;
  clock: Clock;
  random: Random;
  metrics: OcppMetrics;
  logger: Logger;
  /** Time source for call latencies, ms (default the clock). */
  now?: () => number;
}

export type CallHandler = (params: unknown) => unknown;

/** Why the last connection attempt failed, as a short code for the metrics. */
function refusalOf(error: { code?: unknown; message?: string }): string {
  if (typeof error.code === 'number') return `http-${error.code}`;
  const message = error.message ?? '';
  if (message.includes('subprotocol')) return 'subprotocol';
  if (error.code === 'ECONNREFUSED') return 'unreachable';
  return typeof error.code === 'string' ? error.code.toLowerCase() : 'error';
}

/**
 * A charge point's connection to its CSMS: it connects, and after every loss (or refusal)
 * connects again with exponential back-off on the injected clock and random stream, until
 * stopped. Call handlers are kept across connections. Every attempt, refusal and close is counted.
 *
 * @example
 * const link = new CsmsLink({ url: 'ws://127.0.0.1:9000/ocpp', identity: 'CP-001', subprotocols: ['ocpp1.6'], clock, random, metrics, logger });
 * link.handle('Reset', () => ({ status: 'Accepted' }));
 * link.onOpen = (socket) => socket.call('BootNotification', { chargePointVendor: 'x', chargePointModel: 'y' });
 * link.start();
 */
export class CsmsLink {
  onOpen: (socket: OcppSocket) => void = () => {};
  onClose: () => void = () => {};
  private readonly handlers = new Map<string, CallHandler>();
  private current: OcppSocket | undefined;
  private client: RpcPeer | undefined;
  private timer: TimerHandle | undefined;
  private attempt = 0;
  private running = false;

  constructor(private readonly options: CsmsLinkOptions) {}

  get socket(): OcppSocket | undefined {
    return this.current;
  }

  handle(action: string, handler: CallHandler): void {
    this.handlers.set(action, handler);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.connect();
  }

  /** Drops the connection and connects again at once (a simulated reboot). */
  async restart(): Promise<void> {
    const client = this.client;
    if (!client) return;
    await client.close({ code: 1012, reason: 'charge point restarting' });
  }

  async stop(): Promise<void> {
    this.running = false;
    this.timer?.cancel();
    this.timer = undefined;
    const client = this.client;
    this.client = undefined;
    await client?.close({ code: 1001, reason: 'charge point stopping' });
  }

  private connect(): void {
    this.timer = undefined;
    if (!this.running) return;
    const o = this.options;
    o.metrics.connects.attempts++;
    const client = new RPCClient({
      endpoint: o.url,
      identity: o.identity,
      protocols: [...o.subprotocols],
      strictMode: true,
      reconnect: false,
      callTimeoutMs: o.callTimeoutMs ?? 30_000,
      pingIntervalMs: o.pingIntervalMs ?? 30_000,
      ...(o.password !== undefined ? { password: o.password } : {}),
      wsOpts: {
        maxPayload: o.maxPayloadBytes ?? 1024 * 1024,
        handshakeTimeout: o.callTimeoutMs ?? 30_000,
        ...(o.tls?.ca !== undefined ? { ca: o.tls.ca } : {}),
        ...(o.tls?.rejectUnauthorized !== undefined ? { rejectUnauthorized: o.tls.rejectUnauthorized } : {}),
      },
    } as unknown as ConstructorParameters<typeof RPCClient>[0]) as unknown as RpcPeer;
    this.client = client;
    const socket = new OcppSocket(client, o.metrics, o.now ?? (() => o.clock.now()), o.callTimeoutMs);
    for (const [action, handler] of this.handlers) socket.handle(action, handler);
    (client as unknown as { connect(): Promise<unknown> }).connect().then(
      () => {
        if (this.client !== client) return;
        this.attempt = 0;
        o.metrics.connects.opened++;
        o.metrics.connected++;
        this.current = socket;
        client.once('close', () => this.closed(client));
        this.onOpen(socket);
      },
      (error: { code?: unknown; message?: string }) => {
        if (this.client !== client) return;
        const reason = refusalOf(error);
        o.metrics.refused(reason);
        o.logger.debug({ cp_id: o.identity, reason, err: error.message }, 'CSMS connection failed');
        this.client = undefined;
        this.scheduleReconnect();
      },
    );
  }

  private closed(client: RpcPeer): void {
    this.options.metrics.connected--;
    if (this.client === client) this.client = undefined;
    if (this.current?.peer === client) this.current = undefined;
    this.onClose();
    if (this.running) this.scheduleReconnect(true);
  }

  private scheduleReconnect(afterOpen = false): void {
    if (!this.running || this.timer) return;
    // A connection that had opened reconnects after the first back-off step; refusals grow it.
    this.attempt = afterOpen ? 1 : this.attempt + 1;
    const delay = backoffDelay(this.attempt, this.options.backoff ?? {}, this.options.random);
    this.timer = this.options.clock.setTimeout(() => this.connect(), delay);
  }
}
