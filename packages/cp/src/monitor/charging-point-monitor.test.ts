import {
  type CentralMonitorApi,
  type Clock,
  createNode,
  type MonitorAck,
  type MonitorFaultReport,
  type MonitorHeartbeat,
  type MonitorRegistration,
  SeededRandom,
  VirtualClock,
} from '@evcharging/core';
import { MemoryBroker } from '@evcharging/transport-memory';
import { describe, expect, it } from 'vitest';
import { chargingPointEngine } from '../engine/charging-point-engine.js';
import type { ProbeResult } from '../health/health-answer.js';
import { inProcessCentralLink } from './central-link.js';
import { type ChargingPointMonitorOptions, chargingPointMonitor } from './charging-point-monitor.js';
import { type EngineLink, inProcessEngineLink } from './engine-link.js';

type Call =
  | { kind: 'register'; at: number; body: MonitorRegistration }
  | { kind: 'heartbeat'; at: number; body: MonitorHeartbeat }
  | { kind: 'fault'; at: number; body: MonitorFaultReport };

/** A Central that records every call; `answer` decides each reply (default ok). */
class RecordingCentral implements CentralMonitorApi {
  readonly calls: Call[] = [];
  answer: (kind: Call['kind']) => MonitorAck | Error = () => ({ ok: true });
  constructor(private readonly clock: Clock) {}
  private reply(call: Call): Promise<MonitorAck> {
    this.calls.push(call);
    const a = this.answer(call.kind);
    return a instanceof Error ? Promise.reject(a) : Promise.resolve(a);
  }
  register(body: MonitorRegistration) {
    return this.reply({ kind: 'register', at: this.clock.now(), body });
  }
  heartbeat(body: MonitorHeartbeat) {
    return this.reply({ kind: 'heartbeat', at: this.clock.now(), body });
  }
  reportFault(body: MonitorFaultReport) {
    return this.reply({ kind: 'fault', at: this.clock.now(), body });
  }
  of(kind: Call['kind']) {
    return this.calls.filter((c) => c.kind === kind);
  }
  faults() {
    return this.of('fault').map((c) => (c.body as MonitorFaultReport).status);
  }
}

/** An engine link whose answers the test scripts. */
function scriptedLink(): EngineLink & { next: ProbeResult } {
  const link = {
    host: 'cp-engine-1',
    port: 8001,
    next: { ok: true, state: 'ACTIVATED' } as ProbeResult,
    probe: () => Promise.resolve(link.next),
  };
  return link;
}

async function setup(options: Partial<ChargingPointMonitorOptions> = {}, engineLink?: EngineLink) {
  const clock = new VirtualClock();
  const start = clock.now();
  const central = new RecordingCentral(clock);
  const link = scriptedLink();
  const monitor = chargingPointMonitor({
    cpId: 'CP-001',
    engine: engineLink ?? link,
    central: inProcessCentralLink(central),
    ...options,
  });
  const node = createNode({
    id: 'monitor',
    transport: new MemoryBroker().transport('monitor', { clock }),
    clock,
    random: new SeededRandom(3),
    plugins: [monitor],
  });
  await node.start();
  await clock.advance(0);
  return { clock, start, central, link, monitor, node };
}

describe('chargingPointMonitor', () => {
  it('registers at start with the engine address and extras', async () => {
    const { central, monitor } = await setup({
      registration: { location: 'Plaza 1', price_eur_kwh: 0.3, kw: 22 },
    });
    expect(central.of('register')).toHaveLength(1);
    expect(central.of('register')[0]!.body).toEqual({
      cp_id: 'CP-001',
      cp_e_host: 'cp-engine-1',
      cp_e_port: 8001,
      ts: '2026-01-01T00:00:00.000Z',
      location: 'Plaza 1',
      price_eur_kwh: 0.3,
      kw: 22,
    });
    expect(monitor.registered).toBe(true);
  });

  it('sends a heartbeat every interval', async () => {
    const { clock, central, start } = await setup({ intervalMs: 1000 });
    await clock.advance(10_000);
    const beats = central.of('heartbeat');
    expect(beats.map((b) => b.at - start)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((s) => s * 1000));
    expect(beats[0]!.body).toEqual({ cp_id: 'CP-001', ts: '2026-01-01T00:00:01.000Z' });
  });

  it('heartbeat interval can differ from the probe interval', async () => {
    const { clock, central } = await setup({ intervalMs: 1000, heartbeatIntervalMs: 2500 });
    await clock.advance(10_000);
    expect(central.of('heartbeat')).toHaveLength(3); // at 3 s, 6 s, 9 s (first tick at or after 2.5 s)
  });

  it('2 failures → nothing reported, 3rd → FAULT, more failures → no repeat, next success → HEALTHY', async () => {
    const { clock, central, link, monitor, start } = await setup();
    await clock.advance(3_000);
    expect(monitor.verdict).toBe('HEALTHY');
    link.next = { ok: false, reason: 'no answer within 1000 ms' };
    await clock.advance(2_000);
    expect(monitor.consecutiveFailures).toBe(2);
    expect(central.faults()).toEqual([]);
    await clock.advance(1_000);
    expect(central.faults()).toEqual(['FAULT']);
    const fault = central.of('fault')[0]!;
    expect(fault.at - start).toBe(6_000);
    expect(fault.body).toMatchObject({
      cp_id: 'CP-001',
      status: 'FAULT',
      reason: '3 consecutive failed probes: no answer within 1000 ms',
    });
    await clock.advance(5_000);
    expect(central.faults()).toEqual(['FAULT']);
    expect(monitor.verdict).toBe('FAULT');
    link.next = { ok: true, state: 'ACTIVATED' };
    await clock.advance(1_000);
    expect(central.faults()).toEqual(['FAULT', 'HEALTHY']);
    expect(central.of('fault')[1]!.body).toMatchObject({
      status: 'HEALTHY',
      reason: 'engine answers OK:ACTIVATED',
    });
    await clock.advance(5_000);
    expect(central.faults()).toEqual(['FAULT', 'HEALTHY']);
  });

  it('a success between failures resets the count', async () => {
    const { clock, central, link } = await setup();
    for (const ok of [false, false, true, false, false, true]) {
      link.next = ok ? { ok: true, state: 'SUPPLYING' } : { ok: false, reason: 'x' };
      await clock.advance(1_000);
    }
    expect(central.faults()).toEqual([]);
  });

  it('threshold 1 reports on the first failure', async () => {
    const { clock, central, link } = await setup({ failureThreshold: 1 });
    link.next = { ok: false, reason: 'connection refused' };
    await clock.advance(1_000);
    expect(central.faults()).toEqual(['FAULT']);
  });

  it('probes a real engine in process: KO switch and injected faults are reported', async () => {
    const clock = new VirtualClock();
    const broker = new MemoryBroker();
    const central = new RecordingCentral(clock);
    const engine = chargingPointEngine({ cpId: 'CP-001' });
    const monitor = chargingPointMonitor({
      cpId: 'CP-001',
      engine: inProcessEngineLink(engine),
      central: inProcessCentralLink(() => central),
    });
    const node = createNode({
      id: 'cp',
      transport: broker.transport('cp', { clock }),
      clock,
      plugins: [engine, monitor],
    });
    await node.start();
    await clock.advance(5_000);
    expect(central.faults()).toEqual([]);
    expect(central.of('register')[0]!.body).toMatchObject({ cp_e_host: 'in-process', cp_e_port: 0 });
    engine.setKo(true, 'key pressed');
    await clock.advance(3_000);
    expect(central.of('fault').map((c) => c.body)).toEqual([
      expect.objectContaining({ status: 'FAULT', reason: '3 consecutive failed probes: key pressed' }),
    ]);
    engine.setKo(false);
    await clock.advance(1_000);
    await engine.injectFault('overcurrent');
    await clock.advance(3_000);
    expect(central.faults()).toEqual(['FAULT', 'HEALTHY', 'FAULT']);
    await engine.clearFault();
    await clock.advance(1_000);
    expect(central.faults()).toEqual(['FAULT', 'HEALTHY', 'FAULT', 'HEALTHY']);
    await node.stop();
    const calls = central.calls.length;
    await clock.advance(10_000);
    expect(central.calls).toHaveLength(calls);
  });

  it('an in-process engine link answers alike at once and by promise: OK, KO, unreachable, throwing', async () => {
    const answers = ['OK:ACTIVATED', 'KO:key pressed'];
    const links = [
      ...answers.map((answer) => inProcessEngineLink({ probe: () => answer })),
      inProcessEngineLink(() => undefined),
      inProcessEngineLink({
        probe: () => {
          throw new Error('engine stopped');
        },
      }),
    ];
    for (const link of links) expect(link.probeNow!()).toEqual(await link.probe());
    expect(links.map((link) => link.probeNow!())).toEqual([
      { ok: true, state: 'ACTIVATED' },
      { ok: false, reason: 'key pressed' },
      { ok: false, reason: 'engine unreachable' },
      { ok: false, reason: 'probe failed: engine stopped' },
    ]);
  });

  it("takes an in-process link's immediate answer (probeNow) instead of its promise", async () => {
    const link = scriptedLink();
    const asked = { probe: 0, probeNow: 0 };
    const { clock, central, monitor } = await setup(
      {},
      {
        ...link,
        probe: () => {
          asked.probe++;
          return link.probe();
        },
        probeNow: () => {
          asked.probeNow++;
          return { ok: false, reason: 'no answer' };
        },
      },
    );
    await clock.advance(3_000);
    expect(asked).toEqual({ probe: 0, probeNow: 3 });
    expect(monitor.verdict).toBe('FAULT');
    expect(central.faults()).toEqual(['FAULT']);
  });

  it('retries registration with growing, jittered backoff until Central accepts, then heartbeats', async () => {
    const clock = new VirtualClock();
    const central = new RecordingCentral(clock);
    let refusals = 0;
    central.answer = (kind) => {
      if (kind !== 'register') return { ok: true };
      refusals++;
      if (refusals <= 2) return new Error('ECONNREFUSED');
      if (refusals <= 5) return { ok: false, reason: 'Central starting' };
      return { ok: true };
    };
    const monitor = chargingPointMonitor({
      cpId: 'CP-001',
      engine: scriptedLink(),
      central: inProcessCentralLink(central),
      registerBackoffMs: 1000,
      registerMaxBackoffMs: 8000,
    });
    const node = createNode({
      id: 'm',
      transport: new MemoryBroker().transport('m', { clock }),
      clock,
      random: new SeededRandom(11),
      plugins: [monitor],
    });
    const start = clock.now();
    await node.start();
    await clock.advance(60_000);
    const attempts = central.of('register').map((c) => c.at - start);
    expect(attempts).toHaveLength(6);
    const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!);
    // Base delays 1, 2, 4, 8, 8 s, each scaled by a jitter in [0.5, 1).
    [1000, 2000, 4000, 8000, 8000].forEach((base, i) => {
      expect(gaps[i]).toBeGreaterThanOrEqual(base * 0.5);
      expect(gaps[i]).toBeLessThan(base);
    });
    expect(monitor.registered).toBe(true);
    expect(monitor.stats.registrationAttempts).toBe(6);
    const beats = central.of('heartbeat');
    expect(beats.length).toBeGreaterThan(0);
    expect(beats[0]!.at).toBeGreaterThan(start + attempts[5]!);
  });

  it('a fault found before registration is reported once registered', async () => {
    const clock = new VirtualClock();
    const central = new RecordingCentral(clock);
    let down = true;
    central.answer = (kind) => (kind === 'register' && down ? new Error('Central down') : { ok: true });
    const link = scriptedLink();
    link.next = { ok: false, reason: 'engine dead' };
    const monitor = chargingPointMonitor({
      cpId: 'CP-001',
      engine: link,
      central: inProcessCentralLink(central),
    });
    await createNode({
      id: 'm',
      transport: new MemoryBroker().transport('m', { clock }),
      clock,
      plugins: [monitor],
    }).start();
    await clock.advance(5_000);
    expect(monitor.verdict).toBe('FAULT');
    expect(central.of('fault')).toHaveLength(0);
    down = false;
    await clock.advance(40_000);
    expect(central.faults()).toEqual(['FAULT']);
  });

  it('resends a report Central did not take, and re-registers when a heartbeat is refused', async () => {
    const { clock, central, link, monitor } = await setup();
    let faultAnswers = 0;
    central.answer = (kind) => {
      if (kind === 'fault' && ++faultAnswers <= 2) return new Error('503');
      return { ok: true };
    };
    link.next = { ok: false, reason: 'x' };
    await clock.advance(5_000);
    expect(central.faults()).toEqual(['FAULT', 'FAULT', 'FAULT']);
    expect(monitor.stats).toMatchObject({ faultReports: 1, reportFailures: 2 });

    central.answer = (kind) => (kind === 'heartbeat' ? { ok: false, reason: 'unknown CP' } : { ok: true });
    const registrations = central.of('register').length;
    await clock.advance(1_000);
    expect(central.of('register')).toHaveLength(registrations + 1);
    expect(monitor.registered).toBe(true);
  });

  it('keeps probing while Central is unreachable and resumes heartbeats when it is back', async () => {
    const clock = new VirtualClock();
    let central: RecordingCentral | undefined = new RecordingCentral(clock);
    const first = central;
    const monitor = chargingPointMonitor({
      cpId: 'CP-001',
      engine: scriptedLink(),
      central: inProcessCentralLink(() => central),
    });
    await createNode({
      id: 'm',
      transport: new MemoryBroker().transport('m', { clock }),
      clock,
      plugins: [monitor],
    }).start();
    await clock.advance(3_000);
    central = undefined; // Central killed
    await clock.advance(5_000);
    expect(monitor.stats.heartbeatFailures).toBe(5);
    expect(monitor.stats.probes).toBe(8);
    const back = new RecordingCentral(clock);
    central = back;
    await clock.advance(3_000);
    expect(back.of('heartbeat')).toHaveLength(3);
    expect(first.of('heartbeat')).toHaveLength(3);
  });

  it('never overlaps probes when one takes longer than the interval', async () => {
    const clock = new VirtualClock();
    let inFlight = 0;
    let maxInFlight = 0;
    const slow: EngineLink = {
      host: 'h',
      port: 1,
      probe: async () => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await clock.sleep(2_500);
        inFlight--;
        return { ok: true, state: 'ACTIVATED' };
      },
    };
    const monitor = chargingPointMonitor({
      cpId: 'CP-001',
      engine: slow,
      central: inProcessCentralLink(new RecordingCentral(clock)),
    });
    await createNode({
      id: 'm',
      transport: new MemoryBroker().transport('m', { clock }),
      clock,
      plugins: [monitor],
    }).start();
    await clock.advance(20_000);
    expect(maxInFlight).toBe(1);
    expect(monitor.stats.probes).toBeGreaterThanOrEqual(5);
  });

  it('a probe that outlasts the interval is followed at once: FAULT three intervals after the engine died, not four', async () => {
    // The engine dies just after a probe resolved its address: that probe waits out a 2,050 ms
    // connect timeout (missing the tick at 12 s), every later one fails at once.
    const clock = new VirtualClock();
    const start = clock.now();
    const central = new RecordingCentral(clock);
    const probesAt: number[] = [];
    let deadFrom = Number.POSITIVE_INFINITY;
    const dying: EngineLink = {
      host: 'h',
      port: 1,
      probe: async () => {
        const at = clock.now() - start;
        probesAt.push(at);
        if (at < deadFrom) return { ok: true, state: 'ACTIVATED' };
        if (at === deadFrom) await clock.sleep(2_050);
        return { ok: false, reason: at === deadFrom ? 'connect timeout after 2050 ms' : 'ENOTFOUND' };
      },
    };
    await createNode({
      id: 'm',
      transport: new MemoryBroker().transport('m', { clock }),
      clock,
      plugins: [
        chargingPointMonitor({ cpId: 'CP-001', engine: dying, central: inProcessCentralLink(central) }),
      ],
    }).start();
    await clock.advance(9_500);
    deadFrom = 10_000;
    await clock.advance(10_000);
    expect(central.of('fault').map((c) => [c.at - start, (c.body as MonitorFaultReport).status])).toEqual([
      [13_000, 'FAULT'],
    ]);
    // The overdue probe ran the moment the slow one failed; the interval's rhythm went on after it.
    expect(probesAt.filter((at) => at >= 10_000 && at <= 14_000)).toEqual([10_000, 12_050, 13_000, 14_000]);
  });

  it('validates its options', () => {
    const base = {
      cpId: 'CP-1',
      engine: scriptedLink(),
      central: inProcessCentralLink(new RecordingCentral(new VirtualClock())),
    };
    expect(() => chargingPointMonitor({ ...base, failureThreshold: 0 })).toThrow(
      /failureThreshold must be a positive integer/,
    );
    expect(() => chargingPointMonitor({ ...base, failureThreshold: 1.5 })).toThrow(/failureThreshold/);
    expect(() => chargingPointMonitor({ ...base, intervalMs: -1 })).toThrow(/intervalMs/);
    expect(chargingPointMonitor(base).name).toBe('cp-monitor/CP-1');
  });
});
