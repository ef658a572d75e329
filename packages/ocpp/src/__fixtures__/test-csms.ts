import type { Server } from 'node:http';
import ocppRpc, { createRPCError, RPCServer } from 'ocpp-rpc';

// NOREPLY is spread into ocpp-rpc's exports, which Node cannot see as a named export.
const { NOREPLY } = ocppRpc as unknown as { NOREPLY: symbol };

/** One call a charge point made, as the test CSMS received it. */
export interface ReceivedCall {
  identity: string;
  messageId: string;
  action: string;
  params: Record<string, unknown>;
  at: number;
}

/** A CALL from the CSMS to a charge point, as the charge point answered it. */
export interface CallOutcome {
  ok: boolean;
  result?: Record<string, unknown>;
  code?: string;
}

type Behaviour = (call: ReceivedCall) => Record<string, unknown> | 'no-reply' | { error: string } | undefined;

export interface TestCsmsOptions {
  port?: number;
  /** Subprotocols offered (default ocpp1.6). */
  protocols?: string[];
  /** Per charge point password; a connection without the right one is refused with 401. */
  passwords?: Record<string, string>;
  /** Boot answer (default Accepted, heartbeat 300 s). */
  boot?: { status: 'Accepted' | 'Pending' | 'Rejected'; interval: number };
  /** Largest message accepted, bytes. */
  maxPayload?: number;
}

/**
 * An OCPP 1.6J CSMS written for the tests with ocpp-rpc alone (none of this package's code):
 * strict schema validation of every message in both directions, every call recorded in order,
 * its answers overridable per action, and every schema failure and malformed frame counted (a
 * test expects them to stay at zero for our charge points).
 */
export class TestCsms {
  readonly calls: ReceivedCall[] = [];
  readonly strictFailures: { identity: string; method: string; outbound: boolean; error: string }[] = [];
  badMessages = 0;
  readonly connections = new Map<string, RpcServerClient>();
  readonly behaviours = new Map<string, Behaviour>();
  readonly refusals: { identity: string; code: number }[] = [];
  private server: RPCServer;
  private http: Server | undefined;
  private nextTransactionId = 1000;
  port = 0;

  constructor(private readonly options: TestCsmsOptions = {}) {
    this.server = this.makeServer();
  }

  private makeServer(): RPCServer {
    const server = new RPCServer({
      protocols: this.options.protocols ?? ['ocpp1.6'],
      strictMode: true,
      pingIntervalMs: 0,
      ...(this.options.maxPayload ? { wssOptions: { maxPayload: this.options.maxPayload } } : {}),
    });
    server.auth((accept, reject, handshake) => {
      const wanted = this.options.passwords?.[handshake.identity];
      if (wanted !== undefined && handshake.password?.toString('utf8') !== wanted) {
        this.refusals.push({ identity: handshake.identity, code: 401 });
        reject(401, 'bad password');
        return;
      }
      accept({});
    });
    server.on('client', (client: RpcServerClient) => this.attach(client));
    return server;
  }

  async start(): Promise<this> {
    this.http = await this.server.listen(this.options.port ?? this.port, '127.0.0.1');
    const address = this.http.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
    return this;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}/ocpp`;
  }

  /** Closes every connection and stops listening; `start()` again serves on the same port. */
  async stop(): Promise<void> {
    await this.server.close({ code: 1001, force: true });
    this.connections.clear();
    this.server = this.makeServer();
  }

  callsOf(action: string, identity?: string): ReceivedCall[] {
    return this.calls.filter(
      (c) => c.action === action && (identity === undefined || c.identity === identity),
    );
  }

  /** Calls a charge point; resolves with its answer or the CALLERROR code. */
  async call(identity: string, action: string, params: unknown): Promise<CallOutcome> {
    const client = this.connections.get(identity);
    if (!client) throw new Error(`test CSMS: ${identity} is not connected`);
    try {
      const result = (await client.call(action, params)) as Record<string, unknown>;
      return { ok: true, result };
    } catch (error) {
      return { ok: false, code: (error as { rpcErrorCode?: string }).rpcErrorCode ?? 'none' };
    }
  }

  /** Sends a frame as it is, without waiting for anything. */
  send(identity: string, frame: string): void {
    this.connections.get(identity)?.sendRaw(frame);
  }

  /** Sends a raw frame (malformed or schema-invalid on purpose) and resolves with the raw answer. */
  async raw(identity: string, frame: string, messageId?: string): Promise<unknown[] | undefined> {
    const client = this.connections.get(identity);
    if (!client) throw new Error(`test CSMS: ${identity} is not connected`);
    const answer = new Promise<unknown[] | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), 3000);
      const listener = (event: { message: unknown; outbound: boolean }) => {
        if (event.outbound) return;
        const parsed = JSON.parse(String(event.message)) as unknown[];
        if (parsed[0] === 2) return; // a call of the charge point, not the answer
        if (messageId !== undefined && parsed[1] !== messageId && parsed[1] !== '-1') return;
        clearTimeout(timer);
        client.off('message', listener);
        resolve(parsed);
      };
      client.on('message', listener);
    });
    client.sendRaw(frame);
    return answer;
  }

  private attach(client: RpcServerClient): void {
    const identity = client.identity;
    this.connections.get(identity)?.close({ code: 1000 });
    this.connections.set(identity, client);
    client.on('close', () => {
      if (this.connections.get(identity) === client) this.connections.delete(identity);
    });
    client.on('badMessage', () => {
      this.badMessages++;
    });
    client.on('strictValidationFailure', (e: { method: string; outbound: boolean; error: Error }) => {
      this.strictFailures.push({ identity, method: e.method, outbound: e.outbound, error: e.error.message });
    });
    client.handle(({ method, params, messageId }) => {
      const call: ReceivedCall = { identity, messageId, action: method, params, at: Date.now() };
      this.calls.push(call);
      const custom = this.behaviours.get(method)?.(call);
      if (custom === 'no-reply') return NOREPLY;
      if (custom && 'error' in custom && typeof custom.error === 'string') {
        throw createRPCError(custom.error, 'test CSMS refuses this call');
      }
      if (custom) return custom;
      return this.standardAnswer(method);
    });
  }

  private standardAnswer(method: string): Record<string, unknown> {
    const now = new Date().toISOString();
    switch (method) {
      case 'BootNotification':
        return { currentTime: now, ...(this.options.boot ?? { status: 'Accepted', interval: 300 }) };
      case 'Heartbeat':
        return { currentTime: now };
      case 'Authorize':
        return { idTagInfo: { status: 'Accepted' } };
      case 'StartTransaction':
        return { transactionId: this.nextTransactionId++, idTagInfo: { status: 'Accepted' } };
      case 'StopTransaction':
        return { idTagInfo: { status: 'Accepted' } };
      case 'StatusNotification':
      case 'MeterValues':
        return {};
      default:
        throw createRPCError('NotImplemented', `test CSMS does not handle ${method}`);
    }
  }
}

/** What the tests use of ocpp-rpc's server-side client. */
interface RpcServerClient {
  identity: string;
  call(method: string, params: unknown): Promise<unknown>;
  close(options: { code: number }): Promise<unknown>;
  handle(
    handler: (call: { method: string; params: Record<string, unknown>; messageId: string }) => unknown,
  ): void;
  on(event: string, listener: (...args: never[]) => void): void;
  off(event: string, listener: (...args: never[]) => void): void;
  sendRaw(frame: string): void;
}
