import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '@evcharging/core';
import {
  type ControlContext,
  type ControlReply,
  type ControlSession,
  runControlFrame,
} from './control-commands.js';
import { ACK, type DecodedItem, encodeFrame, FrameDecoder, NACK } from './frame-codec.js';

export interface ControlPlaneOptions {
  port: number;
  /** Default 127.0.0.1; a deployment passes 0.0.0.0. */
  host?: string;
  /** Further connections are refused (default 64). */
  maxConnections?: number;
  /** A connection silent this long is closed (default 60 s). */
  idleTimeoutMs?: number;
  /** Largest frame data accepted, bytes (default 4096). */
  maxFrameBytes?: number;
  /** A peer that lets this many reply bytes pile up unread is dropped (default 256 KiB). */
  maxUnsentBytes?: number;
}

/** NACK replies to framing problems never change: each is encoded once. */
const problemReplies = new Map<string, Buffer>();
function problemReply(data: string): Buffer {
  let encoded = problemReplies.get(data);
  if (!encoded) {
    encoded = Buffer.concat([Buffer.of(NACK), encodeFrame(data)]);
    problemReplies.set(data, encoded);
  }
  return encoded;
}

/** Frames decoded but not yet answered, per connection, before the socket stops reading. */
const HIGH_WATER = 64;
/** Frames answered in a row before the connection yields to the event loop. */
const YIELD_EVERY = 16;

/**
 * Central's TCP control plane (port 9999): STX/ETX/LRC frames, each answered with ACK or NACK and
 * one reply frame, in order. Every buffer is bounded: frame size, unanswered frames (the socket
 * pauses), unsent replies (the peer is dropped), connections, and idle time.
 *
 * @example
 * const server = new ControlPlaneServer({ central, apiToken }, { port: 9999, host: '0.0.0.0' }, logger);
 * await server.listen();
 */
export class ControlPlaneServer {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly options: Required<Omit<ControlPlaneOptions, 'host'>> & { host: string };

  constructor(
    private readonly context: ControlContext,
    options: ControlPlaneOptions,
    private readonly logger?: Logger,
  ) {
    this.options = {
      port: options.port,
      host: options.host ?? '127.0.0.1',
      maxConnections: options.maxConnections ?? 64,
      idleTimeoutMs: options.idleTimeoutMs ?? 60_000,
      maxFrameBytes: options.maxFrameBytes ?? 4096,
      maxUnsentBytes: options.maxUnsentBytes ?? 256 * 1024,
    };
    this.server = createServer((socket) => this.accept(socket));
    this.server.maxConnections = this.options.maxConnections;
    this.server.on('error', (error) => this.logger?.error({ err: error }, 'control plane server error'));
  }

  /** Open connections. */
  get connections(): number {
    return this.sockets.size;
  }

  address(): AddressInfo | undefined {
    const address = this.server.address();
    return address && typeof address === 'object' ? address : undefined;
  }

  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      this.server.once('error', onError);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', onError);
        resolve(this.address()!);
      });
    });
  }

  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    return new Promise((resolve) => {
      if (!this.server.listening) resolve();
      else this.server.close(() => resolve());
    });
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    const remote = `${socket.remoteAddress ?? 'unknown'}:${socket.remotePort ?? 0}`;
    const session: ControlSession = {
      remote: socket.remoteAddress ?? 'unknown',
      cps: new Map(),
      operator: false,
    };
    const decoder = new FrameDecoder({ maxFrameBytes: this.options.maxFrameBytes });
    // Decoded frames waiting for their answer, answered one at a time, in order.
    let queue: DecodedItem[] = [];
    let head = 0;
    let pumping = false;

    const reply = (answer: ControlReply, encoded?: Buffer) => {
      if (socket.destroyed) return;
      socket.write(encoded ?? Buffer.concat([Buffer.of(answer.ack ? ACK : NACK), encodeFrame(answer.data)]));
      if (socket.writableLength > this.options.maxUnsentBytes) {
        this.logger?.warn({ remote }, 'control plane peer does not read its replies: dropped');
        socket.destroy();
      }
    };
    const handle = async (item: DecodedItem): Promise<void> => {
      if (item.type === 'frame') {
        try {
          reply(await runControlFrame(item.data, session, this.context));
        } catch (error) {
          this.logger?.error({ err: error, remote }, 'control plane command failed');
          reply({ ack: false, data: 'ERR#internal error' });
        }
      } else if (item.type === 'error') {
        const data = `ERR#${item.problem}`;
        reply({ ack: false, data }, problemReply(data));
      } else reply({ ack: false, data: 'ERR#unexpected reply byte' });
    };
    const pump = async (): Promise<void> => {
      if (pumping) return;
      pumping = true;
      // Replies of one run go out in one write (a flood of bad frames costs one syscall, not one each).
      socket.cork();
      try {
        let answered = 0;
        while (head < queue.length && !socket.destroyed) {
          await handle(queue[head++]!);
          // Let I/O and other connections run: a flood on one socket must not starve the process.
          if (++answered % YIELD_EVERY === 0) {
            socket.uncork();
            await new Promise((resolve) => setImmediate(resolve));
            socket.cork();
          }
        }
      } finally {
        socket.uncork();
        queue = [];
        head = 0;
        pumping = false;
      }
      if (!socket.destroyed && socket.isPaused()) socket.resume();
    };

    socket.setTimeout(this.options.idleTimeoutMs, () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      for (const item of decoder.push(chunk)) queue.push(item);
      if (queue.length - head > HIGH_WATER) socket.pause();
      void pump();
    });
    socket.on('error', (error) => this.logger?.debug({ err: error, remote }, 'control plane socket error'));
    socket.on('close', () => this.sockets.delete(socket));
  }
}
