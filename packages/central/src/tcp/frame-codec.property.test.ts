import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type DecodedItem, ETX, encodeFrame, FrameDecoder, STX } from './frame-codec.js';

/** Text without lone surrogates (they do not survive UTF-8). */
const wellFormed = (s: string) => Buffer.from(s, 'utf8').toString('utf8') === s;

// Property-based checks of the STX/ETX/LRC codec (docs/wire-contract.md §7), beyond the example tests in
// frame-codec.test.ts: identity for any text split anywhere, the size limit exactly, any single
// corrupted byte caught, and arbitrary noise neither throwing nor growing the buffer.

const RUNS = 400;

const frames = (items: DecodedItem[]) => items.flatMap((i) => (i.type === 'frame' ? [i.data] : []));

/** Any well-formed Unicode text without the two framing bytes (the only text a frame can carry). */
const payload = (maxLength = 200) =>
  fc
    .string({ unit: 'binary', maxLength })
    .filter((s) => wellFormed(s) && !s.includes('\u0002') && !s.includes('\u0003'));

/** Feeds `bytes` to the decoder in pieces cut at `cuts` (positions, any order, repeats allowed). */
function feed(decoder: FrameDecoder, bytes: Buffer, cuts: number[]): DecodedItem[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: DecodedItem[] = [];
  let last = 0;
  for (const p of [...points, bytes.length]) {
    out.push(...decoder.push(bytes.subarray(last, p)));
    expect(decoder.buffered).toBeLessThanOrEqual(decoder.maxFrameBytes);
    last = p;
  }
  return out;
}

describe('frame codec (property-based)', () => {
  it('decode(encode(x)) = x for any text, any number of frames, split at any points', () => {
    fc.assert(
      fc.property(
        fc.array(payload(), { maxLength: 10 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (texts, cuts) => {
          const bytes = Buffer.concat(texts.map((t) => encodeFrame(t)));
          const decoder = new FrameDecoder({ maxFrameBytes: 4096 });
          const out = feed(decoder, bytes, cuts);
          expect(out).toEqual(texts.map((data) => ({ type: 'frame', data })));
          expect(decoder.buffered).toBe(0);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('accepts data of exactly the size limit and drops one byte more as oversized, then goes on', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 4, max: 300 }),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 6 }),
        (max, over, cuts) => {
          const data = 'a'.repeat(over ? max + 1 : max);
          const decoder = new FrameDecoder({ maxFrameBytes: max });
          const out = feed(decoder, Buffer.concat([encodeFrame(data), encodeFrame('PING')]), cuts);
          expect(out).toEqual([
            over ? { type: 'error', problem: 'oversized' } : { type: 'frame', data },
            { type: 'frame', data: 'PING' },
          ]);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('catches any one corrupted data or LRC byte (bad LRC), and a corrupted ETX; the next frame still decodes', () => {
    fc.assert(
      fc.property(payload(100), fc.nat(), fc.integer({ min: 0, max: 255 }), (text, at, value) => {
        const frame = encodeFrame(text);
        // One byte after STX: a data byte, the ETX or the LRC, set to any other non-framing value.
        const index = 1 + (at % (frame.length - 1));
        fc.pre(value !== frame[index] && value !== STX && value !== ETX);
        frame[index] = value;
        const etx = index === frame.length - 2;
        const lrcIsFraming = frame.at(-1) === STX || frame.at(-1) === ETX;
        const list = encodeFrame('LIST');
        const out = new FrameDecoder().push(Buffer.concat([frame, list, list]));
        expect(frames(out)).not.toContain(text);
        expect(frames(out).at(-1)).toBe('LIST');
        // With the ETX gone, an LRC byte that is itself STX or ETX reframes what follows.
        if (!(etx && lrcIsFraming))
          expect(out).toEqual([
            { type: 'error', problem: etx ? 'unterminated' : 'bad-lrc' },
            { type: 'frame', data: 'LIST' },
            { type: 'frame', data: 'LIST' },
          ]);
      }),
      { numRuns: RUNS },
    );
  });

  it('a data byte turned into STX or ETX never delivers the original data (an XOR LRC lets a shorter frame through 1 time in 256)', () => {
    fc.assert(
      fc.property(
        payload(100).filter((t) => t.length > 0),
        fc.nat(),
        fc.constantFrom(STX, ETX),
        (text, at, value) => {
          const frame = encodeFrame(text);
          const index = 1 + (at % (frame.length - 3));
          frame[index] = value;
          const out = new FrameDecoder().push(
            Buffer.concat([frame, encodeFrame('LIST'), encodeFrame('LIST')]),
          );
          const got = frames(out);
          expect(got).not.toContain(text);
          expect(got.at(-1)).toBe('LIST');
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('arbitrary noise never throws, never buffers beyond the limit, and yields at most one item per byte', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 64 }),
        fc.array(fc.uint8Array({ maxLength: 512 }), { maxLength: 20 }),
        (max, chunks) => {
          const decoder = new FrameDecoder({ maxFrameBytes: max });
          let bytes = 0;
          let items = 0;
          for (const chunk of chunks) {
            items += decoder.push(chunk).length;
            bytes += chunk.length;
            expect(decoder.buffered).toBeLessThanOrEqual(max);
          }
          expect(items).toBeLessThanOrEqual(bytes);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('after any noise, the second of two frames always decodes, and the first unless the noise ended on an ETX', () => {
    // Noise ending on STX..ETX leaves the decoder waiting for an LRC, and any byte is an LRC: the
    // next frame's STX is taken as one. The sender sees that frame NACKed and sends it again.
    const tail = fc.constantFrom([], [STX], [ETX], [STX, 0x41, ETX], [STX, 0x41]);
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 2048 }),
        tail,
        payload(60),
        payload(60),
        (random, end, first, second) => {
          const noise = Buffer.concat([random, Buffer.from(end)]);
          const decoder = new FrameDecoder({ maxFrameBytes: 256 });
          decoder.push(noise);
          const got = frames(decoder.push(Buffer.concat([encodeFrame(first), encodeFrame(second)])));
          if (got.length === 2) expect(got).toEqual([first, second]);
          else {
            expect(got).toEqual([second]);
            expect(noise.at(-1)).toBe(ETX);
          }
        },
      ),
      { numRuns: RUNS },
    );
  });
});
