import { silentLogger, VirtualClock } from '@evcharging/core';
import { afterEach, describe, expect, it } from 'vitest';
import { makeCp, ScriptedDashboardSource } from './__fixtures__/scripted-dashboard-source.js';
import { parseSse, type SseMessage } from './__fixtures__/sse-parse.js';
import {
  type DashboardDeltaMessage,
  DashboardFeed,
  type DashboardFeedOptions,
  type DashboardSnapshotMessage,
} from './dashboard-feed.js';

class RecordingSink {
  text = '';
  ended = false;
  accept = true;
  write(chunk: string): boolean {
    this.text += chunk;
    return this.accept;
  }
  end(): void {
    this.ended = true;
  }
  messages(): SseMessage[] {
    return parseSse(this.text).messages;
  }
  snapshots(): DashboardSnapshotMessage[] {
    return this.messages()
      .filter((m) => m.event === 'snapshot')
      .map((m) => m.data as DashboardSnapshotMessage);
  }
  deltas(): DashboardDeltaMessage[] {
    return this.messages()
      .filter((m) => m.event === 'delta')
      .map((m) => m.data as DashboardDeltaMessage);
  }
}

const feeds: DashboardFeed[] = [];
function setup(cpCount = 3, options: Partial<DashboardFeedOptions> = {}) {
  const clock = new VirtualClock();
  const source = new ScriptedDashboardSource(
    Array.from({ length: cpCount }, (_, i) => makeCp(`CP-${String(i + 1).padStart(3, '0')}`)),
  );
  const feed = new DashboardFeed({ source, clock, logger: silentLogger(), ...options });
  feeds.push(feed);
  feed.start();
  return { clock, source, feed };
}

afterEach(() => {
  for (const feed of feeds.splice(0)) feed.stop();
});

describe('DashboardFeed', () => {
  it('sends a new client the snapshot first, with totals per state', () => {
    const { feed, source } = setup(3);
    source.update('CP-002', { state: 'FAULT', reason: 'engine not answering' });
    const sink = new RecordingSink();
    feed.connect(sink);
    const [first] = sink.messages();
    expect(first?.event).toBe('snapshot');
    const snapshot = first?.data as DashboardSnapshotMessage;
    // The FAULT is still pending (not flushed): the snapshot describes what deltas build upon.
    expect(snapshot.cps.map((cp) => cp.state)).toEqual(['ACTIVATED', 'ACTIVATED', 'ACTIVATED']);
    expect(snapshot.totals.cps).toBe(3);
    expect(snapshot.totals.by_state.ACTIVATED).toBe(3);
    expect(snapshot.timing.flush_interval_ms).toBe(500);
  });

  it('coalesces many updates of one CP into one field diff per flush', async () => {
    const { feed, source, clock } = setup(3);
    const sink = new RecordingSink();
    feed.connect(sink);
    source.update('CP-001', { state: 'SUPPLYING', driver_id: 'driver-alice', session_id: 'session-1' });
    for (let i = 1; i <= 100; i++) source.update('CP-001', { kw: 22, kwh: i / 100, euros: (i / 100) * 0.3 });
    await clock.advance(500);
    const deltas = sink.deltas();
    expect(deltas).toHaveLength(1);
    expect(deltas[0]?.cps).toEqual([
      {
        cp_id: 'CP-001',
        state: 'SUPPLYING',
        driver_id: 'driver-alice',
        session_id: 'session-1',
        kw: 22,
        kwh: 1,
        euros: 0.3,
      },
    ]);
    expect(deltas[0]?.totals).toMatchObject({
      active_sessions: 1,
      power_kw: 22,
      energy_kwh: 1,
      revenue_eur: 0.3,
    });
    expect(deltas[0]?.totals.by_state).toMatchObject({ ACTIVATED: 2, SUPPLYING: 1 });
  });

  it('keeps a 10,000-CP fleet to at most two deltas a second whatever the update rate', async () => {
    const { feed, source, clock } = setup(10_000);
    const sink = new RecordingSink();
    feed.connect(sink);
    // Every CP reports telemetry every 250 ms for 2 s of virtual time: 80,000 changes.
    const ids = [...source.cps.keys()];
    let tick = 0;
    const timer = clock.setInterval(() => {
      tick++;
      for (const id of ids)
        source.update(id, { state: 'SUPPLYING', session_id: `s-${id}`, kw: 11, kwh: tick / 10 });
    }, 250);
    await clock.advance(2_000);
    timer.cancel();
    const deltas = sink.deltas();
    expect(deltas.length).toBeLessThanOrEqual(4);
    expect(deltas.length).toBeGreaterThanOrEqual(3);
    const last = deltas.at(-1)!;
    expect(last.totals.power_kw).toBe(110_000);
    expect(last.totals.by_state.SUPPLYING).toBe(10_000);
    // After the first delta only the changed field travels.
    expect(Object.keys(last.cps[0] ?? {}).sort()).toEqual(['cp_id', 'kwh']);
  }, 30_000);

  it('sends a power sample at least every sample interval when nothing changes, and heartbeat comments', async () => {
    const { feed, clock } = setup(2, { sampleIntervalMs: 1000, heartbeatIntervalMs: 15_000 });
    const sink = new RecordingSink();
    feed.connect(sink);
    await clock.advance(30_000);
    const deltas = sink.deltas();
    expect(deltas.length).toBeGreaterThanOrEqual(29);
    expect(deltas.length).toBeLessThanOrEqual(31);
    expect(deltas.every((d) => d.cps.length === 0)).toBe(true);
    expect(sink.messages().filter((m) => m.event === 'comment')).toHaveLength(2);
  });

  it('sends removals, events oldest first, and counts events dropped from a busy window', async () => {
    const { feed, source, clock } = setup(3, { maxEventsPerDelta: 5 });
    const sink = new RecordingSink();
    feed.connect(sink);
    source.remove('CP-003');
    for (let i = 1; i <= 8; i++) {
      source.event({
        ts: '2026-01-01T00:00:00.000Z',
        kind: 'request',
        cp_id: 'CP-001',
        message: `request ${i}`,
      });
    }
    await clock.advance(500);
    const [delta] = sink.deltas();
    expect(delta?.removed).toEqual(['CP-003']);
    expect(delta?.events.map((e) => e.message)).toEqual([
      'request 4',
      'request 5',
      'request 6',
      'request 7',
      'request 8',
    ]);
    expect(delta?.dropped_events).toBe(3);
    expect(delta?.totals.cps).toBe(2);
    // A later client sees the same events in its snapshot.
    const late = new RecordingSink();
    feed.connect(late);
    expect(
      late
        .snapshots()[0]
        ?.events.map((e) => e.message)
        .at(-1),
    ).toBe('request 8');
    expect(late.snapshots()[0]?.cps.map((cp) => cp.cp_id)).toEqual(['CP-001', 'CP-002']);
  });

  it('adds closed-session totals to the running sessions', async () => {
    const { feed, source, clock } = setup(2);
    const sink = new RecordingSink();
    feed.connect(sink);
    source.update('CP-001', { state: 'SUPPLYING', session_id: 's-1', kw: 22, kwh: 2, euros: 0.6 });
    source.closeSession(10, 3);
    await clock.advance(500);
    expect(sink.deltas()[0]?.totals).toMatchObject({
      energy_kwh: 12,
      revenue_eur: 3.6,
      closed_sessions: 1,
      active_sessions: 1,
    });
  });

  it('skips a congested client and resyncs it with a fresh snapshot once it drains', async () => {
    const { feed, source, clock } = setup(2);
    const slow = new RecordingSink();
    const fast = new RecordingSink();
    slow.accept = false;
    const slowClient = feed.connect(slow);
    feed.connect(fast);
    source.update('CP-001', { state: 'STOPPED' });
    await clock.advance(500);
    source.update('CP-002', { state: 'FAULT' });
    await clock.advance(500);
    expect(fast.deltas()).toHaveLength(2);
    expect(slow.deltas()).toHaveLength(0);
    slow.accept = true;
    slowClient.resume();
    const snapshots = slow.snapshots();
    expect(snapshots).toHaveLength(2);
    expect(snapshots[1]?.cps.map((cp) => cp.state)).toEqual(['STOPPED', 'FAULT']);
    expect(feed.stats().resyncs).toBe(1);
  });

  it('stops sending to a closed client and ends every stream on stop()', async () => {
    const { feed, source, clock } = setup(1);
    const gone = new RecordingSink();
    const stays = new RecordingSink();
    feed.connect(gone).close();
    feed.connect(stays);
    source.update('CP-001', { state: 'STOPPED' });
    await clock.advance(500);
    expect(gone.deltas()).toHaveLength(0);
    expect(stays.deltas()).toHaveLength(1);
    feed.stop();
    expect(stays.ended).toBe(true);
    expect(source.listenerCount).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('drops a client whose sink throws without disturbing the others', async () => {
    const { feed, source, clock } = setup(1);
    const ok = new RecordingSink();
    feed.connect({
      write: (chunk) => {
        if (chunk.includes('delta')) throw new Error('socket gone');
        return true;
      },
      end: () => {},
    });
    feed.connect(ok);
    source.update('CP-001', { state: 'STOPPED' });
    await clock.advance(500);
    expect(ok.deltas()).toHaveLength(1);
    expect(feed.stats().clients).toBe(1);
  });

  it('rejects a nonsensical interval with the option name', () => {
    const clock = new VirtualClock();
    expect(
      () =>
        new DashboardFeed({
          source: new ScriptedDashboardSource(),
          clock,
          logger: silentLogger(),
          flushIntervalMs: 0,
        }),
    ).toThrow(/flushIntervalMs/);
  });

  it("samples each site's load and limit with the total power: a history in the snapshot, the latest in every delta", async () => {
    const { clock, source, feed } = setup(2, { flushIntervalMs: 100, sampleIntervalMs: 100 });
    source.siteFigures = [
      { site_id: 'Depot', cps: 2, load_kw: 12.345, limit_kw: 30 },
      { site_id: 'Mall', cps: 4, load_kw: 0, limit_kw: 50 },
    ];
    await clock.advance(300);
    source.siteFigures = [
      { site_id: 'Depot', cps: 2, load_kw: 29.999, limit_kw: 20 },
      { site_id: 'Mall', cps: 4, load_kw: 44, limit_kw: 50 },
    ];
    const sink = new RecordingSink();
    feed.connect(sink);
    await clock.advance(100);
    const [snapshot] = sink.snapshots();
    expect(snapshot!.sites?.map((s) => s.site_id)).toEqual(['Depot', 'Mall']);
    const depot = snapshot!.sites![0]!;
    expect(depot.cps).toBe(2);
    expect(depot.samples.length).toBeGreaterThanOrEqual(3);
    // Every sample has the time of a power sample, and the figures rounded to 0.01 kW.
    expect(depot.samples.map(([t]) => t)).toEqual(
      snapshot!.power.slice(-depot.samples.length).map(([t]) => t),
    );
    expect(depot.samples.at(-1)).toEqual([snapshot!.t, 12.35, 30]);
    const delta = sink.deltas().at(-1)!;
    expect(delta.sites).toEqual([
      { site_id: 'Depot', cps: 2, sample: [delta.t, 30, 20] },
      { site_id: 'Mall', cps: 4, sample: [delta.t, 44, 50] },
    ]);
  });

  it('leaves sites out of every message when the source has none', async () => {
    const { clock, source, feed } = setup(2, { flushIntervalMs: 100, sampleIntervalMs: 100 });
    const sink = new RecordingSink();
    feed.connect(sink);
    source.update('CP-001', { kw: 11 });
    await clock.advance(300);
    expect(sink.snapshots()[0]).not.toHaveProperty('sites');
    expect(sink.deltas().length).toBeGreaterThan(0);
    for (const delta of sink.deltas()) expect(delta).not.toHaveProperty('sites');
  });
});
