import { connect, type Socket } from 'node:net';
import { type Clock, RealClock, type TimerHandle } from '@evcharging/core';
import type { ControlReply } from './control-commands.js';
import { encodeFrame, FrameDecoder } from './frame-codec.js';

export interface ControlPlaneClientOptions {
  host?: string;
  port: number;
  /** A reply slower than this fails the call (default 5 s). */
  timeoutMs?: number;
  clock?: Clock;
  /** Largest reply frame accepted, bytes (default 1 MiB: a LIST of many CPs). */
  maxFrameBytes?: number;
}

interface Waiter {
  resolve: (reply: ControlReply) => void;
  reject: (error: Error) => void;
  timer: TimerHandle;
}

/**
 * A client of Central's TCP control plane: sends one frame at a time and resolves with the
 * ACK/NACK and the reply frame.
 *
 * @example
 * const client = await ControlPlaneClient.connect({ host: 'central', port: 9999 });
 * await client.send('STOP#ALL'); // { ack: true, data: 'OK#STOP#ALL#2' }
 * client.close();
 */
export class ControlPlaneClient {
  private readonly decoder: FrameDecoder;
  private readonly waiters: Waiter[] = [];
  private ack: boolean | undefined;
  private closedError: Error | undefined;

  private constructor(
    private readonly socket: Socket,
    private readonly clock: Clock,
    private readonly timeoutMs: number,
    maxFrameBytes: number,
  ) {
    this.decoder = new FrameDecoder({ maxFrameBytes, acceptReplies: true });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('close', () => this.fail(new Error('control plane connection closed')));
    socket.on('error', (error) => this.fail(error));
  }

  static connect(options: ControlPlaneClientOptions): Promise<ControlPlaneClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: options.host ?? '127.0.0.1', port: options.port });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(
          new ControlPlaneClient(
            socket,
            options.clock ?? new RealClock(),
            options.timeoutMs ?? 5000,
            options.maxFrameBytes ?? 1024 * 1024,
          ),
        );
      });
    });
  }

  /** Sends `OpCode#field#...` and waits for its answer. */
  send(data: string): Promise<ControlReply> {
    return this.sendRaw(encodeFrame(data));
  }

  /** Sends raw bytes (tests: split frames, garbage) and waits for the next answer. */
  sendRaw(bytes: Uint8Array): Promise<ControlReply> {
    const answer = this.expect();
    this.socket.write(bytes);
    return answer;
  }

  /** Waits for the next answer without sending anything. */
  expect(): Promise<ControlReply> {
    if (this.closedError) return Promise.reject(this.closedError);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: this.clock.setTimeout(() => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(new Error(`no control plane reply within ${this.timeoutMs} ms`));
        }, this.timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  write(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    for (const item of this.decoder.push(chunk)) {
      if (item.type === 'ack' || item.type === 'nack') this.ack = item.type === 'ack';
      else if (item.type === 'frame' && this.ack !== undefined) {
        const waiter = this.waiters.shift();
        const reply = { ack: this.ack, data: item.data };
        this.ack = undefined;
        if (waiter) {
          waiter.timer.cancel();
          waiter.resolve(reply);
        }
      }
    }
  }

  private fail(error: Error): void {
    this.closedError ??= error;
    for (const waiter of this.waiters.splice(0)) {
      waiter.timer.cancel();
      waiter.reject(error);
    }
  }
}
