import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CpTelemetry } from '../contracts/schemas.js';
import { ContractViolationError } from '../contracts/validate.js';
import type { Envelope, Transport } from '../transport/transport.js';

/** What the contract suite needs from one back-end, fresh for every test. */
export interface TransportTestbed {
  /** A new connected transport, as one node would have (all share one namespace per test). */
  transport(nodeId: string): Promise<Transport>;
  /** Lets deliveries happen until `predicate` holds or the timeout passes; resolves to whether it held. */
  waitFor(predicate: () => boolean, timeoutMs?: number): Promise<boolean>;
  /** Lets `ms` pass, to show that nothing more arrives. */
  settle(ms: number): Promise<void>;
  /** Closes everything the testbed made. */
  teardown(): Promise<void>;
}

export interface TransportContractOptions {
  /** Per-test timeout, ms (default 20,000; raise it for a real broker). */
  timeoutMs?: number;
  /** How long "nothing more arrives" is watched, ms (default 200). */
  quietMs?: number;
}

const telemetry = (cpId: string, seq: number): CpTelemetry => ({
  cp_id: cpId,
  kw: 22,
  kwh: seq / 1000,
  euros: seq,
  driver_id: 'driver-test',
  session_id: 'session-00000001',
  ts: '2026-01-01T00:00:00.000Z',
});

let groupSeq = 0;
const uniqueGroup = (name: string) => `${name}-${process.pid}-${++groupSeq}`;

/**
 * The transport contract: the Kafka semantics every transport must meet. Each back-end runs it with
 * a factory (the abstract-level pattern); a back-end is done when this suite passes.
 *
 * @example
 * describeTransportContract('memory (virtual clock)', async () => memoryTestbed());
 */
export function describeTransportContract(
  name: string,
  factory: () => Promise<TransportTestbed>,
  options: TransportContractOptions = {},
): void {
  const timeout = options.timeoutMs ?? 20_000;
  const quietMs = options.quietMs ?? 200;

  describe(`transport contract: ${name}`, () => {
    let bed: TransportTestbed;
    beforeEach(async () => {
      bed = await factory();
    }, timeout);
    afterEach(async () => {
      await bed?.teardown();
    }, timeout);

    it(
      'delivers a published message with its topic and contract key',
      async () => {
        const t = await bed.transport('node-a');
        const got: Envelope<'cp.telemetry'>[] = [];
        await t.subscribe('cp.telemetry', { group: uniqueGroup('delivery') }, (_v, env) => {
          got.push(env);
        });
        await t.publish('cp.telemetry', telemetry('CP-001', 1));
        expect(await bed.waitFor(() => got.length === 1)).toBe(true);
        expect(got[0]!.topic).toBe('cp.telemetry');
        expect(got[0]!.key).toBe('CP-001');
        expect(got[0]!.value).toEqual(telemetry('CP-001', 1));
        await bed.settle(quietMs);
        expect(got).toHaveLength(1);
      },
      timeout,
    );

    it(
      'delivers asynchronously, never inside publish',
      async () => {
        const t = await bed.transport('node-a');
        let publishing = false;
        const seenDuringPublish: boolean[] = [];
        await t.subscribe('cp.telemetry', { group: uniqueGroup('async') }, () => {
          seenDuringPublish.push(publishing);
        });
        publishing = true;
        const sent = t.publish('cp.telemetry', telemetry('CP-001', 1));
        publishing = false;
        await sent;
        expect(await bed.waitFor(() => seenDuringPublish.length === 1)).toBe(true);
        expect(seenDuringPublish).toEqual([false]);
      },
      timeout,
    );

    it(
      'keeps order per key across many interleaved keys',
      async () => {
        const t = await bed.transport('node-a');
        const keys = ['CP-A', 'CP-B', 'CP-C', 'CP-D', 'CP-E', 'CP-F'];
        const perKey = 30;
        const got = new Map<string, number[]>();
        await t.subscribe('cp.telemetry', { group: uniqueGroup('order') }, (v) => {
          const list = got.get(v.cp_id) ?? [];
          list.push(v.euros);
          got.set(v.cp_id, list);
        });
        const sends: Promise<void>[] = [];
        for (let seq = 0; seq < perKey; seq++)
          for (const key of keys) sends.push(t.publish('cp.telemetry', telemetry(key, seq)));
        await Promise.all(sends);
        const total = () => [...got.values()].reduce((n, l) => n + l.length, 0);
        expect(await bed.waitFor(() => total() >= keys.length * perKey)).toBe(true);
        for (const key of keys) {
          // At-least-once allows a redelivered suffix; the first pass must be in order.
          const seqs = got.get(key)!;
          expect(seqs.slice(0, perKey)).toEqual(Array.from({ length: perKey }, (_, i) => i));
        }
      },
      timeout,
    );

    it(
      'gives every message to each of two groups',
      async () => {
        const t = await bed.transport('node-a');
        const a: number[] = [];
        const b: number[] = [];
        await t.subscribe('cp.telemetry', { group: uniqueGroup('group-a') }, (v) => {
          a.push(v.euros);
        });
        await t.subscribe('cp.telemetry', { group: uniqueGroup('group-b') }, (v) => {
          b.push(v.euros);
        });
        for (let i = 0; i < 20; i++) await t.publish('cp.telemetry', telemetry(`CP-${i % 4}`, i));
        expect(await bed.waitFor(() => a.length >= 20 && b.length >= 20)).toBe(true);
        expect([...new Set(a)].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i));
        expect([...new Set(b)].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i));
      },
      timeout,
    );

    it(
      'shares messages between two members of one group, each message once',
      async () => {
        const group = uniqueGroup('shared');
        const t1 = await bed.transport('member-1');
        const t2 = await bed.transport('member-2');
        const m1: string[] = [];
        const m2: string[] = [];
        await t1.subscribe('cp.telemetry', { group }, (v) => {
          m1.push(`${v.cp_id}/${v.euros}`);
        });
        await t2.subscribe('cp.telemetry', { group }, (v) => {
          m2.push(`${v.cp_id}/${v.euros}`);
        });
        const sent: string[] = [];
        for (let i = 0; i < 64; i++) {
          const cp = `CP-${String(i).padStart(3, '0')}`;
          sent.push(`${cp}/${i}`);
          await t1.publish('cp.telemetry', telemetry(cp, i));
        }
        expect(await bed.waitFor(() => m1.length + m2.length >= sent.length)).toBe(true);
        await bed.settle(quietMs);
        expect([...m1, ...m2].sort()).toEqual([...sent].sort());
        expect(m1.length).toBeGreaterThan(0);
        expect(m2.length).toBeGreaterThan(0);
      },
      timeout,
    );

    it(
      'isolates a failing handler and redelivers the message to it',
      async () => {
        const t = await bed.transport('node-a');
        const failing: number[] = [];
        const healthy: number[] = [];
        let failures = 0;
        await t.subscribe('cp.telemetry', { group: uniqueGroup('failing') }, (v) => {
          if (v.euros === 1 && failures < 2) {
            failures++;
            throw new Error('handler failed on purpose');
          }
          failing.push(v.euros);
        });
        await t.subscribe('cp.telemetry', { group: uniqueGroup('healthy') }, (v) => {
          healthy.push(v.euros);
        });
        for (let i = 0; i < 3; i++) await t.publish('cp.telemetry', telemetry('CP-001', i));
        expect(await bed.waitFor(() => failing.length >= 3 && healthy.length >= 3)).toBe(true);
        expect(failures).toBe(2);
        expect(failing.slice(0, 3)).toEqual([0, 1, 2]);
        expect(healthy.slice(0, 3)).toEqual([0, 1, 2]);
      },
      timeout,
    );

    it(
      'stops delivering after unsubscribe',
      async () => {
        const t = await bed.transport('node-a');
        const got: number[] = [];
        const sub = await t.subscribe('cp.telemetry', { group: uniqueGroup('unsub') }, (v) => {
          got.push(v.euros);
        });
        await t.publish('cp.telemetry', telemetry('CP-001', 1));
        expect(await bed.waitFor(() => got.length === 1)).toBe(true);
        await sub.unsubscribe();
        await t.publish('cp.telemetry', telemetry('CP-001', 2));
        await bed.settle(quietMs);
        expect(got).toEqual([1]);
      },
      timeout,
    );

    it(
      'close() stops delivery and makes publish fail clearly',
      async () => {
        const sender = await bed.transport('sender');
        const t = await bed.transport('closing');
        const got: number[] = [];
        await t.subscribe('cp.telemetry', { group: uniqueGroup('closing') }, (v) => {
          got.push(v.euros);
        });
        await t.close();
        await sender.publish('cp.telemetry', telemetry('CP-001', 1));
        await bed.settle(quietMs);
        expect(got).toEqual([]);
        await expect(t.publish('cp.telemetry', telemetry('CP-001', 2))).rejects.toThrow(/closed/);
      },
      timeout,
    );

    it(
      'rejects an invalid message at publish with the reason, and delivers nothing',
      async () => {
        const t = await bed.transport('node-a');
        const got: unknown[] = [];
        await t.subscribe('cp.status', { group: uniqueGroup('invalid') }, (v) => {
          got.push(v);
        });
        const bad = { cp_id: 'CP-001', state: 'BROKEN' } as unknown as Parameters<Transport['publish']>[1];
        const error = await t.publish('cp.status', bad).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(ContractViolationError);
        expect((error as ContractViolationError).topic).toBe('cp.status');
        expect((error as ContractViolationError).reasons.join(' ')).toMatch(/state/);
        await bed.settle(quietMs);
        expect(got).toEqual([]);
      },
      timeout,
    );

    it(
      'fromBeginning delivers messages published before subscribing; a new group without it does not',
      async () => {
        const t = await bed.transport('node-a');
        await t.publish('cp.telemetry', telemetry('CP-001', 1));
        await t.publish('cp.telemetry', telemetry('CP-002', 2));
        const early: number[] = [];
        const late: number[] = [];
        await t.subscribe('cp.telemetry', { group: uniqueGroup('early'), fromBeginning: true }, (v) => {
          early.push(v.euros);
        });
        await t.subscribe('cp.telemetry', { group: uniqueGroup('late') }, (v) => {
          late.push(v.euros);
        });
        await t.publish('cp.telemetry', telemetry('CP-003', 3));
        expect(await bed.waitFor(() => early.length >= 3 && late.length >= 1)).toBe(true);
        await bed.settle(quietMs);
        expect([...early].sort()).toEqual([1, 2, 3]);
        expect(late).toEqual([3]);
      },
      timeout,
    );

    it(
      'a single-key subscription gets exactly its key',
      async () => {
        const t = await bed.transport('node-a');
        const got: string[] = [];
        await t.subscribe('central.commands', { group: uniqueGroup('keyed'), key: 'CP-B' }, (v) => {
          got.push(`${v.cp_id}:${v.cmd}`);
        });
        for (const cp of ['CP-A', 'CP-B', 'CP-C', 'CP-B']) {
          await t.publish('central.commands', { cmd: 'stop_cp', cp_id: cp });
        }
        await t.publish('central.commands', { cmd: 'resume_cp', cp_id: 'CP-B' });
        expect(await bed.waitFor(() => got.length >= 3)).toBe(true);
        await bed.settle(quietMs);
        expect(got).toEqual(['CP-B:stop_cp', 'CP-B:stop_cp', 'CP-B:resume_cp']);
      },
      timeout,
    );
  });
}
