import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { type Clock, type Logger, RealClock, type TimerHandle } from '@evcharging/core';
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
  /**
   * Connections one address may hold at once; its next one gets `NACK ERR#too many connections`
   * and is closed (default 16), so one host cannot take every slot.
   */
  maxConnectionsPerAddress?: number;
  /**
   * An unfinished frame is NACKed (`ERR#frame not finished in time`) and its connection closed
   * this long after its STX (default 10 s): a peer trickling bytes is not idle, but is bounded.
   */
  frameDeadlineMs?: number;
  /** Times the frame deadline (default: a real clock). */
  clock?: Clock;
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
  private readonly options: Required<Omit<ControlPlaneOptions, 'host' | 'clock'>> & { host: string };
  private readonly clock: Clock;
  /** Open connections per remote address. */
  private readonly perAddress = new Map<string, number>();
  /** Addresses whose refusal was already logged at warn since they last dropped below the cap. */
  private readonly refusing = new Set<string>();
  /** Connections refused for their address, and frames cut by the deadline, since start. */
  readonly refusals = { perAddress: 0, frameDeadline: 0 };

  constructor(
    private readonly context: ControlContext,
    options: ControlPlaneOptions,
    private readonly logger?: Logger,
  ) {
    this.options = {
      port: options.port,
      host: options.host ?? '127.0.0.1',
      maxConnections: options.maxConnections ?? 64,
      maxConnectionsPerAddress: options.maxConnectionsPerAddress ?? 16,
      frameDeadlineMs: options.frameDeadlineMs ?? 10_000,
      idleTimeoutMs: options.idleTimeoutMs ?? 60_000,
      maxFrameBytes: options.maxFrameBytes ?? 4096,
      maxUnsentBytes: options.maxUnsentBytes ?? 256 * 1024,
    };
    for (const field of ['maxConnections', 'maxConnectionsPerAddress', 'frameDeadlineMs'] as const) {
      const value = this.options[field];
      if (!(Number.isFinite(value) && value >= 1)) {
        throw new RangeError(`ControlPlaneServer: ${field} must be a number >= 1, got ${value}`);
      }
    }
    this.clock = options.clock ?? new RealClock();
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

  /** Refuses what one address may not add, audited once per refusal and logged once per burst. */
  private refuse(socket: Socket, address: string, action: string, reason: string): void {
    this.context.central.auditRefusal({ who: 'anonymous', source: address }, action, 'control-plane', reason);
    socket.end(problemReply(`ERR#${reason}`));
    // A peer that does not read its NACK must not keep the socket: a second later it is destroyed.
    socket.setTimeout(1_000, () => socket.destroy());
  }

  private accept(socket: Socket): void {
    // An IPv4 peer of a dual-stack listener shows as ::ffff:a.b.c.d: count it as a.b.c.d.
    const address = (socket.remoteAddress ?? 'unknown').replace(/^::ffff:(?=\d+\.)/, '');
    const held = this.perAddress.get(address) ?? 0;
    socket.on('error', (error) => this.logger?.debug({ err: error, address }, 'control plane socket error'));
    if (held >= this.options.maxConnectionsPerAddress) {
      this.refusals.perAddress++;
      const limit = this.options.maxConnectionsPerAddress;
      if (!this.refusing.has(address)) {
        this.refusing.add(address);
        this.logger?.warn({ address, limit }, 'control plane: connection refused, address holds its maximum');
      } else this.logger?.debug({ address, limit }, 'control plane: connection refused');
      this.refuse(socket, address, 'tcp.connect', `too many connections from this address (${limit})`);
      return;
    }
    this.perAddress.set(address, held + 1);
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

    // The deadline of the frame in progress, and which frame it times (decoder.framesStarted).
    let deadline: TimerHandle | undefined;
    let deadlineFrame = -1;
    const frameOverdue = () => {
      deadline = undefined;
      if (socket.destroyed) return;
      this.refusals.frameDeadline++;
      const seconds = this.options.frameDeadlineMs / 1000;
      this.logger?.warn(
        { remote, buffered: decoder.buffered, deadline_ms: this.options.frameDeadlineMs },
        'control plane: frame not finished in time, connection closed',
      );
      this.refuse(socket, address, 'tcp.frame', `frame not finished within ${seconds} s`);
    };

    socket.setTimeout(this.options.idleTimeoutMs, () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      for (const item of decoder.push(chunk)) queue.push(item);
      if (!decoder.inFrame) {
        deadline?.cancel();
        deadline = undefined;
      } else if (deadlineFrame !== decoder.framesStarted) {
        // A new frame began in this chunk: its own deadline, from (about) its STX.
        deadline?.cancel();
        deadlineFrame = decoder.framesStarted;
        deadline = this.clock.setTimeout(frameOverdue, this.options.frameDeadlineMs);
      }
      if (queue.length - head > HIGH_WATER) socket.pause();
      void pump();
    });
    socket.on('close', () => {
      deadline?.cancel();
      this.sockets.delete(socket);
      const left = (this.perAddress.get(address) ?? 1) - 1;
      if (left > 0) this.perAddress.set(address, left);
      else this.perAddress.delete(address);
      if (left < this.options.maxConnectionsPerAddress) this.refusing.delete(address);
    });
  }
}
