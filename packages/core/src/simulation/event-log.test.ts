import { describe, expect, it } from 'vitest';
import { EventLog } from './event-log.js';

const status = (state: string) => ({ cp_id: 'CP-1', state, ts: '2026-01-01T00:00:00.000Z' });

describe('EventLog', () => {
  it('hashes what a message was when captured, not what its publisher made of it afterwards', () => {
    const a = new EventLog();
    a.record(1, 'n', 'cp.status', 'CP-1', status('ACTIVATED'));
    const b = new EventLog();
    const message = status('ACTIVATED');
    const entry = b.capture(1, 'n', 'cp.status', 'CP-1', message);
    message.state = 'FAULT';
    b.commit(entry);
    expect(b.hash()).toBe(a.hash());
    expect(b.entries()[0]!.value).toEqual(status('ACTIVATED'));
  });

  it('records in commit order and skips discarded entries, however many wait between capture and commit', () => {
    const inOrder = new EventLog({ keep: 0 });
    const interleaved = new EventLog({ keep: 0 });
    const big = (i: number) => ({ ...status('ACTIVATED'), reason: `${i}`.repeat(3_000) });
    for (let i = 0; i < 200; i++) inOrder.record(i, 'n', 'cp.status', 'CP-1', big(i));
    // Capture 40 at a time with an extra one discarded in between, then commit them in order.
    for (let i = 0; i < 200; i += 40) {
      const pending = [];
      for (let j = i; j < i + 40; j++) {
        pending.push(interleaved.capture(j, 'n', 'cp.status', 'CP-1', big(j)));
        if (j % 7 === 0) interleaved.discard(interleaved.capture(-1, 'n', 'cp.status', 'CP-1', big(-1)));
      }
      for (const entry of pending) interleaved.commit(entry);
    }
    expect(interleaved.count).toBe(200);
    expect(interleaved.hash()).toBe(inOrder.hash());
    expect(interleaved.hash()).toBe(inOrder.hash()); // hashing twice changes nothing
    const other = new EventLog({ keep: 0 });
    for (let i = 0; i < 200; i++) other.record(i, 'n', 'cp.status', 'CP-1', big(i === 150 ? 151 : i));
    expect(other.hash()).not.toBe(inOrder.hash());
  });

  it('gives each field of an entry its own place in the hash', () => {
    const hashOf = (time: number, node: string, key: string, state = 'ACTIVATED') => {
      const log = new EventLog({ keep: 0 });
      log.record(time, node, 'cp.status', key, status(state));
      return log.hash();
    };
    const hashes = [
      hashOf(1, 'n', 'CP-1'),
      hashOf(2, 'n', 'CP-1'),
      hashOf(1, 'm', 'CP-1'),
      hashOf(1, 'n', 'CP-2'),
      hashOf(1, 'n', 'CP-1', 'FAULT'),
      hashOf(1, 'nC', 'P-1'),
    ];
    expect(new Set(hashes).size).toBe(hashes.length);
    expect(hashes[0]).toMatch(/^[0-9a-f]{64}$/);
  });

  it('keeps a frozen value itself, and a JSON copy of any other; both hash alike', () => {
    const frozen = Object.freeze(status('ACTIVATED'));
    const open = status('ACTIVATED');
    const a = new EventLog();
    const b = new EventLog();
    a.record(1, 'n', 'cp.status', 'CP-1', frozen, true);
    b.record(1, 'n', 'cp.status', 'CP-1', open);
    open.state = 'FAULT';
    expect(a.hash()).toBe(b.hash());
    expect(a.entries()[0]!.value).toBe(frozen);
    expect(b.entries()[0]!.value).toEqual(status('ACTIVATED'));
  });

  it('recordFrozen: records and freezes a message in one walk, to the hash record gives', () => {
    const freezeDeep = (value: unknown): string | undefined => {
      const command = value as { payload?: object };
      if (command.payload) Object.freeze(command.payload);
      Object.freeze(value);
      return undefined;
    };
    const flat = status('ACTIVATED');
    const nested = { cmd: 'stop_supply', cp_id: 'CP-1', payload: { session_id: 's-1' } };
    const sealed = new EventLog();
    expect(sealed.recordFrozen(1, 'n', 'cp.status', 'CP-1', flat, freezeDeep)).toBeUndefined();
    expect(sealed.recordFrozen(2, 'n', 'central.commands', 'CP-1', nested, freezeDeep)).toBeUndefined();
    const plain = new EventLog();
    plain.record(1, 'n', 'cp.status', 'CP-1', status('ACTIVATED'));
    plain.record(2, 'n', 'central.commands', 'CP-1', structuredClone(nested));
    expect(sealed.hash()).toBe(plain.hash());
    expect(Object.isFrozen(flat) && Object.isFrozen(nested) && Object.isFrozen(nested.payload)).toBe(true);
    expect(sealed.entries()[0]!.value).toBe(flat); // kept as it is, not as a JSON copy
  });

  it("recordFrozen: records nothing when the value's own check refuses it", () => {
    const log = new EventLog();
    const refuse = (): string => '/ratio: NaN is not a JSON number';
    const reading = { ...status('ACTIVATED'), ratio: Number.NaN };
    expect(log.recordFrozen(1, 'n', 'cp.status', 'CP-1', reading, refuse)).toBe(
      '/ratio: NaN is not a JSON number',
    );
    expect(log.count).toBe(0);
    expect(log.hash()).toBe(new EventLog().hash());
  });

  it('hashes in batches without losing or reordering an entry across a batch boundary', () => {
    const one = new EventLog({ keep: 0 });
    const other = new EventLog({ keep: 0 });
    for (let i = 0; i < 20_000; i++)
      one.record(i, 'n', 'cp.status', 'CP-1', status(i % 2 ? 'FAULT' : 'ACTIVATED'));
    for (let i = 0; i < 20_000; i++) {
      other.record(i, 'n', 'cp.status', 'CP-1', status(i % 2 ? 'FAULT' : 'ACTIVATED'));
      if (i === 9_000) expect(other.hash()).not.toBe(one.hash()); // reading mid-way changes nothing after
    }
    expect(other.hash()).toBe(one.hash());
    const swapped = new EventLog({ keep: 0 });
    for (let i = 0; i < 20_000; i++) {
      const j = i === 8_191 ? 8_192 : i === 8_192 ? 8_191 : i;
      swapped.record(j, 'n', 'cp.status', 'CP-1', status(j % 2 ? 'FAULT' : 'ACTIVATED'));
    }
    expect(swapped.count).toBe(20_000);
    expect(swapped.hash()).not.toBe(one.hash());
  });
});
