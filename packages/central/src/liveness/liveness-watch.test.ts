import { isoTime, silentLogger, VirtualClock } from '@evcharging/core';
import { describe, expect, it } from 'vitest';
import { CpRegistry, newCpRecord } from '../domain/cp-registry.js';
import type { SessionBook } from '../sessions/session-book.js';
import { MemoryCentralStore } from '../store/memory-central-store.js';
import type { FaultLog } from './fault-log.js';
import { LivenessWatch } from './liveness-watch.js';

const TIMEOUT_MS = 5000;

/** A watch over `count` CPs, with the disconnections it makes (CP and virtual time). */
function harness(count: number) {
  const clock = new VirtualClock();
  const registry = new CpRegistry(new MemoryCentralStore(), true);
  const defaults = { location: 'here', price_eur_kwh: 0.3, kw: 22 };
  const ids = Array.from({ length: count }, (_, i) => `CP-${String(i + 1).padStart(3, '0')}`);
  for (const id of ids) registry.add(newCpRecord(id, 'config', {}, defaults, isoTime(clock.now())));
  const disconnected: { cpId: string; atMs: number }[] = [];
  const faults = {
    connected: () => {},
    disconnected: (cpId: string) => disconnected.push({ cpId, atMs: clock.now() - start }),
  } as unknown as FaultLog;
  const book = { openOf: () => undefined } as unknown as SessionBook;
  const watch = new LivenessWatch({
    registry,
    book,
    faults,
    clock,
    logger: silentLogger(),
    heartbeatTimeoutMs: TIMEOUT_MS,
    background: (work) => void work,
  });
  const start = clock.now();
  const heartbeat = (id: string) => watch.markAlive(registry.entry(id)!, isoTime(clock.now()));
  return { clock, registry, ids, watch, heartbeat, disconnected };
}

describe('LivenessWatch', () => {
  it('disconnects a CP one timeout after its last heartbeat, not before', async () => {
    const { clock, registry, heartbeat, disconnected } = harness(1);
    expect(heartbeat('CP-001')).toBe(true); // the monitor was down until now
    await clock.advance(3000);
    expect(heartbeat('CP-001')).toBe(false);
    await clock.advance(TIMEOUT_MS - 1);
    expect(disconnected).toEqual([]);
    await clock.advance(1);
    expect(disconnected).toEqual([{ cpId: 'CP-001', atMs: 3000 + TIMEOUT_MS }]);
    expect(registry.entry('CP-001')?.monitorAlive).toBe(false);
  });

  it('keeps a fleet of heartbeating monitors on one timer, and times each silent one exactly', async () => {
    const { clock, ids, heartbeat, disconnected } = harness(200);
    // For a minute, each CP heartbeats every 4 s (within the 5 s timeout), a quarter of them each second.
    for (let second = 0; second < 60; second++) {
      for (const [i, id] of ids.entries()) if (i % 4 === second % 4) heartbeat(id);
      expect(clock.pending).toBe(1);
      await clock.advance(1000);
    }
    // Then only the even CPs go on; each odd one is due a timeout after its last heartbeat.
    const lastHeard = new Map(ids.map((id, i) => [id, (56 + (i % 4)) * 1000]));
    for (let second = 60; second < 70; second++) {
      for (const [i, id] of ids.entries()) if (i % 2 === 0) heartbeat(id);
      await clock.advance(1000);
    }
    const odd = ids.filter((_, i) => i % 2 === 1);
    expect(disconnected.slice(0, 2)).toEqual([
      { cpId: 'CP-002', atMs: 62_000 },
      { cpId: 'CP-006', atMs: 62_000 },
    ]);
    expect(disconnected.map((d) => d.cpId).sort()).toEqual(odd);
    for (const d of disconnected) expect(d.atMs).toBe(lastHeard.get(d.cpId)! + TIMEOUT_MS);
    // In due order; CPs due at the same instant in the order they were last heard from.
    const inDueOrder = [...disconnected].sort((a, b) => a.atMs - b.atMs || (a.cpId < b.cpId ? -1 : 1));
    expect(disconnected).toEqual(inDueOrder);
  });

  it('watches a CP again when its monitor comes back, and stops watching on stop()', async () => {
    const { clock, registry, watch, heartbeat, disconnected } = harness(2);
    heartbeat('CP-001');
    heartbeat('CP-002');
    await clock.advance(TIMEOUT_MS);
    expect(disconnected.map((d) => d.cpId)).toEqual(['CP-001', 'CP-002']);
    expect(clock.pending).toBe(0);
    expect(heartbeat('CP-002')).toBe(true);
    expect(registry.entry('CP-002')?.monitorAlive).toBe(true);
    watch.stop();
    expect(clock.pending).toBe(0);
    await clock.advance(2 * TIMEOUT_MS);
    expect(disconnected).toHaveLength(2);
  });

  it('gives a CP presumed alive after a restart one timeout to be heard', async () => {
    const { clock, registry, watch, heartbeat, disconnected } = harness(2);
    for (const id of ['CP-001', 'CP-002']) registry.entry(id)!.monitorAlive = true;
    watch.watchPresumed([registry.entry('CP-001')!, registry.entry('CP-002')!]);
    await clock.advance(TIMEOUT_MS - 1000);
    heartbeat('CP-002');
    await clock.advance(1000);
    expect(disconnected).toEqual([{ cpId: 'CP-001', atMs: TIMEOUT_MS }]);
    await clock.advance(TIMEOUT_MS);
    expect(disconnected.map((d) => d.cpId)).toEqual(['CP-001', 'CP-002']);
  });
});
