import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '@evcharging/core';
import { HEALTH_PING, MAX_HEALTH_LINE } from './health-answer.js';

export interface HealthServerOptions {
  /** TCP port; 0 picks a free one (see `address`). */
  port: number;
  /** Interface to listen on (default 0.0.0.0, as the original). */
  host?: string;
  /** Longest request line accepted, bytes (default 256); a longer one gets `ERR:` and is closed. */
  maxLineBytes?: number;
  /** A connection silent this long is closed, ms (default 30,000). */
  idleTimeoutMs?: number;
  /** Simultaneous connections (default 64); more are refused by the OS backlog. */
  maxConnections?: number;
}

/**
 * The engine's TCP health endpoint: each `PING\n` gets the probe's answer (`OK:<STATE>\n` or
 * `KO:<reason>\n`), any other line gets `ERR:<reason>\n`; it never crashes on input and never
 * buffers more than one bounded line per connection.
 *
 * @example
 * const server = new HealthServer(() => engine.probe(), { port: 8001 }, logger);
 * await server.listen();
 */
export class HealthServer {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly answer: () => string,
    private readonly options: HealthServerOptions,
    private readonly logger?: Logger,
  ) {}

  /** The bound address once listening. */
  get address(): { host: string; port: number } | undefined {
    const address = this.server?.address();
    if (!address || typeof address === 'string') return undefined;
    return { host: address.address, port: address.port };
  }

  listen(): Promise<{ host: string; port: number }> {
    if (this.server) return Promise.reject(new Error('health server is already listening'));
    const server = createServer((socket) => this.accept(socket));
    server.maxConnections = this.options.maxConnections ?? 64;
    this.server = server;
    const host = this.options.host ?? '0.0.0.0';
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => {
        this.server = undefined;
        reject(new Error(`health server cannot listen on ${host}:${this.options.port}: ${error.message}`));
      };
      server.once('error', onError);
      server.listen(this.options.port, host, () => {
        server.off('error', onError);
        server.on('error', (error) => this.logger?.error({ err: error }, 'health server error'));
        resolve(this.address!);
      });
    });
  }

  close(): Promise<void> {
    const server = this.server;
    if (!server) return Promise.resolve();
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    const maxLine = this.options.maxLineBytes ?? MAX_HEALTH_LINE;
    this.sockets.add(socket);
    socket.setNoDelay(true);
    socket.setTimeout(this.options.idleTimeoutMs ?? 30_000, () => socket.destroy());
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', (error) => this.logger?.debug({ err: error }, 'health connection error'));
    let buffer = '';
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const line = buffer.slice(0, nl).replace(/\r$/, '');
        buffer = buffer.slice(nl + 1);
        if (line.length > maxLine) {
          this.refuse(socket, 'line too long');
          return;
        }
        if (line.trim() === '') continue;
        if (line.trim().toUpperCase() === HEALTH_PING) socket.write(`${this.safeAnswer()}\n`);
        else socket.write('ERR:unknown command, expected PING\n');
      }
      if (buffer.length > maxLine) this.refuse(socket, 'line too long');
    });
  }

  private refuse(socket: Socket, reason: string): void {
    socket.removeAllListeners('data');
    socket.end(`ERR:${reason}\n`, () => socket.destroy());
  }

  private safeAnswer(): string {
    try {
      return this.answer();
    } catch (error) {
      this.logger?.error({ err: error }, 'health probe failed');
      return 'KO:health probe failed';
    }
  }
}
