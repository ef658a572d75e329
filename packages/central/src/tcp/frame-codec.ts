/** Control bytes of the original's TCP framing (docs/wire-contract.md §7). */
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

// ignoreBOM: a frame's text is the sender's text, a leading U+FEFF included (TextDecoder strips it
// by default, so a frame of just a BOM arrived empty).
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const GARBAGE: DecodedItem = Object.freeze({ type: 'error', problem: 'garbage' });
const ACK_ITEM: DecodedItem = Object.freeze({ type: 'ack' });
const NACK_ITEM: DecodedItem = Object.freeze({ type: 'nack' });

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
  private started = 0;

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

  /** True between a frame's STX and its LRC (an unfinished frame, oversized ones included). */
  get inFrame(): boolean {
    return this.state !== 'hunt';
  }

  /** STX bytes that began a frame so far: tells one unfinished frame from the next. */
  get framesStarted(): number {
    return this.started;
  }

  push(chunk: Uint8Array): DecodedItem[] {
    const out: DecodedItem[] = [];
    const n = chunk.length;
    let i = 0;
    // Runs of bytes that need no decision (garbage between frames, frame data) are found with
    // indexOf/copy rather than byte by byte: a flood of noise costs the process far less.
    while (i < n) {
      switch (this.state) {
        case 'hunt': {
          if (this.acceptReplies) {
            const byte = chunk[i++]!;
            if (byte === STX) {
              this.inGarbage = false;
              this.startFrame();
            } else if (byte === ACK || byte === NACK) {
              this.inGarbage = false;
              out.push(byte === ACK ? ACK_ITEM : NACK_ITEM);
            } else if (!this.inGarbage) {
              this.inGarbage = true;
              out.push(GARBAGE);
            }
            break;
          }
          const next = chunk.indexOf(STX, i);
          const end = next === -1 ? n : next;
          if (end > i && !this.inGarbage) {
            this.inGarbage = true;
            out.push(GARBAGE);
          }
          i = end;
          if (next !== -1) {
            this.inGarbage = false;
            this.startFrame();
            i++;
          }
          break;
        }
        case 'data': {
          // Copy up to the next STX or ETX, or up to the limit, in one go.
          let j = i;
          const room = this.maxFrameBytes - this.length;
          const stop = Math.min(n, i + room);
          while (j < stop) {
            const byte = chunk[j]!;
            if (byte === ETX || byte === STX) break;
            j++;
          }
          if (j > i) {
            this.buffer.set(chunk.subarray(i, j), this.length);
            this.length += j - i;
            i = j;
          }
          if (i >= n) break;
          const byte = chunk[i]!;
          if (byte === ETX) {
            this.state = 'lrc';
            i++;
          } else if (byte === STX) {
            // A new frame began before this one ended: report it and resynchronise on the new one.
            out.push({ type: 'error', problem: 'unterminated' });
            this.startFrame();
            i++;
          } else {
            // The limit is reached and the frame goes on: drop it.
            out.push({ type: 'error', problem: 'oversized' });
            this.length = 0;
            this.state = 'skip';
          }
          break;
        }
        case 'skip': {
          // Drop the rest of an oversized frame up to its ETX (and its LRC), or a new STX.
          let j = i;
          while (j < n && chunk[j] !== ETX && chunk[j] !== STX) j++;
          i = j;
          if (i >= n) break;
          if (chunk[i] === ETX) this.state = 'skip-lrc';
          else this.startFrame();
          i++;
          break;
        }
        case 'skip-lrc':
          this.state = 'hunt';
          i++;
          break;
        case 'lrc': {
          const byte = chunk[i++]!;
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
    this.started++;
    this.length = 0;
    this.state = 'data';
  }
}
