import { SeededRandom } from '@evcharging/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ACK, type DecodedItem, ETX, encodeFrame, FrameDecoder, lrc, NACK, STX } from './frame-codec.js';

const frames = (items: DecodedItem[]) => items.filter((i) => i.type === 'frame').map((i) => i.data);
const problems = (items: DecodedItem[]) => items.flatMap((i) => (i.type === 'error' ? [i.problem] : []));

describe('encodeFrame', () => {
  it('frames data as STX, UTF-8, ETX, LRC (XOR of the data bytes)', () => {
    const frame = encodeFrame('AB');
    expect([...frame]).toEqual([STX, 0x41, 0x42, ETX, 0x41 ^ 0x42]);
    expect(lrc(Buffer.of(0x01, 0x02, 0x04, 0x80))).toBe(0x87);
    expect(lrc(Buffer.of())).toBe(0);
    expect(() => encodeFrame('bad\u0003data')).toThrow(RangeError);
  });
});

describe('FrameDecoder', () => {
  it('keeps a leading byte order mark: the frame carries the text as sent', () => {
    const decoder = new FrameDecoder();
    const texts = ['\ufeff', '\ufeff{"a":1}', 'x\ufeff'];
    expect(frames(decoder.push(Buffer.concat(texts.map((t) => encodeFrame(t)))))).toEqual(texts);
  });

  it('decodes frames split byte by byte and several frames in one chunk', () => {
    const decoder = new FrameDecoder();
    const bytes = Buffer.concat([encodeFrame('STATUS#CP-001#KO#engine silent'), encodeFrame('LIST')]);
    const out: DecodedItem[] = [];
    for (const byte of bytes) out.push(...decoder.push(Buffer.of(byte)));
    expect(out).toEqual([
      { type: 'frame', data: 'STATUS#CP-001#KO#engine silent' },
      { type: 'frame', data: 'LIST' },
    ]);
    const many = decoder.push(Buffer.concat([encodeFrame('A'), encodeFrame('B'), encodeFrame('ÄÖ€')]));
    expect(frames(many)).toEqual(['A', 'B', 'ÄÖ€']);
  });

  it('reports a bad LRC and goes on with the next frame', () => {
    const bad = encodeFrame('STOP#ALL');
    bad[bad.length - 1]! ^= 0xff;
    const out = new FrameDecoder().push(Buffer.concat([bad, encodeFrame('LIST')]));
    expect(out).toEqual([
      { type: 'error', problem: 'bad-lrc' },
      { type: 'frame', data: 'LIST' },
    ]);
  });

  it('reports one garbage item per run of bytes outside frames, then resynchronises', () => {
    const decoder = new FrameDecoder();
    const out = decoder.push(
      Buffer.concat([
        Buffer.from('hello world'),
        encodeFrame('PING'),
        Buffer.from('\n\n'),
        encodeFrame('LIST'),
      ]),
    );
    expect(out).toEqual([
      { type: 'error', problem: 'garbage' },
      { type: 'frame', data: 'PING' },
      { type: 'error', problem: 'garbage' },
      { type: 'frame', data: 'LIST' },
    ]);
  });

  it('drops an oversized frame without buffering it, and keeps the next one', () => {
    const decoder = new FrameDecoder({ maxFrameBytes: 16 });
    const big = Buffer.concat([Buffer.of(STX), Buffer.alloc(10_000, 0x41), Buffer.of(ETX, 0x00)]);
    const out: DecodedItem[] = [];
    for (let i = 0; i < big.length; i += 1000) {
      out.push(...decoder.push(big.subarray(i, i + 1000)));
      expect(decoder.buffered).toBeLessThanOrEqual(16);
    }
    out.push(...decoder.push(encodeFrame('PING')));
    expect(out).toEqual([
      { type: 'error', problem: 'oversized' },
      { type: 'frame', data: 'PING' },
    ]);
  });

  it('a new STX inside a frame reports the broken one and starts over', () => {
    const out = new FrameDecoder().push(Buffer.concat([Buffer.from([STX, 0x41, 0x42]), encodeFrame('LIST')]));
    expect(out).toEqual([
      { type: 'error', problem: 'unterminated' },
      { type: 'frame', data: 'LIST' },
    ]);
  });

  it('rejects data that is not UTF-8', () => {
    const data = Buffer.of(0xc3, 0x28);
    const frame = Buffer.concat([Buffer.of(STX), data, Buffer.of(ETX, lrc(data))]);
    expect(new FrameDecoder().push(frame)).toEqual([{ type: 'error', problem: 'invalid-utf8' }]);
  });

  it('reads ACK and NACK between frames on the client side', () => {
    const out = new FrameDecoder({ acceptReplies: true }).push(
      Buffer.concat([Buffer.of(ACK), encodeFrame('OK#PONG'), Buffer.of(NACK), encodeFrame('ERR#bad-lrc')]),
    );
    expect(out).toEqual([
      { type: 'ack' },
      { type: 'frame', data: 'OK#PONG' },
      { type: 'nack' },
      { type: 'frame', data: 'ERR#bad-lrc' },
    ]);
  });

  it('survives 1 MB of random bytes with a bounded buffer, then decodes a frame', () => {
    const random = new SeededRandom(42);
    const noise = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < noise.length; i++) noise[i] = random.int(0, 255);
    const decoder = new FrameDecoder({ maxFrameBytes: 4096 });
    let items = 0;
    for (let i = 0; i < noise.length; i += 65_536) {
      items += decoder.push(noise.subarray(i, i + 65_536)).length;
      expect(decoder.buffered).toBeLessThanOrEqual(4096);
    }
    expect(items).toBeGreaterThan(0);
    expect(items).toBeLessThan(noise.length / 16);
    // Whatever state the noise left, a frame after it comes out (possibly after one error item).
    const after = decoder.push(encodeFrame('PING'));
    expect(frames(after)).toEqual(['PING']);
    expect(after.length).toBeLessThanOrEqual(2);
  });

  it('property: valid frames among STX-free garbage, split anywhere, all come out in order', () => {
    const text = fc.string({ maxLength: 40 }).filter((s) => !s.includes('\u0002') && !s.includes('\u0003'));
    const garbage = fc.uint8Array({ maxLength: 20 }).map((a) => a.filter((b) => b !== STX));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(garbage, text), { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (parts, cuts) => {
          const bytes = Buffer.concat(parts.flatMap(([g, t]) => [Buffer.from(g), encodeFrame(t)]));
          const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
          const decoder = new FrameDecoder();
          const out: DecodedItem[] = [];
          let last = 0;
          for (const p of [...points, bytes.length]) {
            out.push(...decoder.push(bytes.subarray(last, p)));
            last = p;
          }
          expect(frames(out)).toEqual(parts.map(([, t]) => t));
          expect(problems(out).every((p) => p === 'garbage')).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});
