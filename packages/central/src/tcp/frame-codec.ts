/** Control bytes of the original's TCP framing (ORIGINAL.md §2). */
export const STX = 0x02;
export const ETX = 0x03;
export const ACK = 0x06;
export const NACK = 0x15;

/** LRC: the XOR of the data bytes. */
export function lrc(data: Uint8Array): number {
  let x = 0;
  for (const byte of data) x ^= byte;
  return x;
}

/**
 * Frames a payload: `<STX><UTF-8 data><ETX><LRC>`.
 *
 * @example
 * socket.write(encodeFrame('HEARTBEAT#CP-001'));
 */
export function encodeFrame(data: string): Buffer {
  const body = Buffer.from(data, 'utf8');
  if (body.includes(STX) || body.includes(ETX)) {
    throw new RangeError('frame data must not contain STX (0x02) or ETX (0x03)');
  }
  const frame = Buffer.allocUnsafe(body.length + 3);
  frame[0] = STX;
  body.copy(frame, 1);
  frame[body.length + 1] = ETX;
  frame[body.length + 2] = lrc(body);
  return frame;
}

export type FrameProblem = 'bad-lrc' | 'oversized' | 'garbage' | 'unterminated' | 'invalid-utf8';

export type DecodedItem =
  | { type: 'frame'; data: string }
  | { type: 'ack' }
  | { type: 'nack' }
  | { type: 'error'; problem: FrameProblem };

export interface FrameDecoderOptions {
  /** Largest data part accepted, bytes (default 4096): a longer frame is dropped and reported. */
  maxFrameBytes?: number;
  /** Report ACK/NACK bytes found between frames (a client's view); otherwise they are garbage. */
  acceptReplies?: boolean;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Streaming decoder: feed it chunks as they arrive; frames split across chunks and several frames
 * in one chunk both come out whole. Bytes outside a frame are one `garbage` item per run; a frame
 * longer than the limit is dropped as `oversized` and the decoder hunts for the next STX. Memory
 * is bounded by the limit whatever the input.
 *
 * @example
 * const decoder = new FrameDecoder();
 * socket.on('data', (chunk) => { for (const item of decoder.push(chunk)) handle(item); });
 */
export class FrameDecoder {
  readonly maxFrameBytes: number;
  private readonly acceptReplies: boolean;
  private readonly buffer: Buffer;
  private length = 0;
  private state: 'hunt' | 'data' | 'skip' | 'skip-lrc' | 'lrc' = 'hunt';
  private inGarbage = false;

  constructor(options: FrameDecoderOptions = {}) {
    this.maxFrameBytes = options.maxFrameBytes ?? 4096;
    if (!(this.maxFrameBytes >= 1)) throw new RangeError('maxFrameBytes must be >= 1');
    this.acceptReplies = options.acceptReplies ?? false;
    this.buffer = Buffer.alloc(this.maxFrameBytes);
  }

  /** Bytes held for an unfinished frame. */
  get buffered(): number {
    return this.length;
  }

  push(chunk: Uint8Array): DecodedItem[] {
    const out: DecodedItem[] = [];
    for (const byte of chunk) {
      switch (this.state) {
        case 'hunt':
          if (byte === STX) {
            this.inGarbage = false;
            this.startFrame();
          } else if (this.acceptReplies && (byte === ACK || byte === NACK)) {
            this.inGarbage = false;
            out.push({ type: byte === ACK ? 'ack' : 'nack' });
          } else if (!this.inGarbage) {
            this.inGarbage = true;
            out.push({ type: 'error', problem: 'garbage' });
          }
          break;
        case 'data':
          if (byte === ETX) this.state = 'lrc';
          else if (byte === STX) {
            // A new frame began before this one ended: report it and resynchronise on the new one.
            out.push({ type: 'error', problem: 'unterminated' });
            this.startFrame();
          } else if (this.length >= this.maxFrameBytes) {
            out.push({ type: 'error', problem: 'oversized' });
            this.length = 0;
            this.state = 'skip';
          } else this.buffer[this.length++] = byte;
          break;
        case 'skip':
          // Drop the rest of an oversized frame up to its ETX (and its LRC), or a new STX.
          if (byte === ETX) this.state = 'skip-lrc';
          else if (byte === STX) this.startFrame();
          break;
        case 'skip-lrc':
          this.state = 'hunt';
          break;
        case 'lrc': {
          const data = this.buffer.subarray(0, this.length);
          this.state = 'hunt';
          this.length = 0;
          if (lrc(data) !== byte) {
            out.push({ type: 'error', problem: 'bad-lrc' });
            break;
          }
          try {
            out.push({ type: 'frame', data: utf8.decode(data) });
          } catch {
            out.push({ type: 'error', problem: 'invalid-utf8' });
          }
          break;
        }
      }
    }
    return out;
  }

  private startFrame(): void {
    this.length = 0;
    this.state = 'data';
  }
}
