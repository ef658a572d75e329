import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import type { DriverResult } from '@evcharging/driver';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type LocalRunSettings, outboxFileOf, type ProcessSpec } from '../local-run/local-topology.js';
import { getJson, waitFor } from '../local-run/probes.js';
import { isRoleProcess, logTail, readPid, startRole, stopRole } from '../local-run/role-process.js';
import {
  allSessions,
  driverSpec,
  driverStateOf,
  faultCps,
  faultSettings,
  OwnBroker,
  runningPids,
  type SessionRow,
  serviceSpecs,
  sessionWithTicket,
  startAndWait,
} from './fault-support.js';
import { childEnv, freePorts, PACKAGE_DIR, readJson } from './process-support.js';

// Process faults on a real broker (RELIABILITY.md, Faults): the broker JVM and Central killed with
// kill -9 while drivers run their lists. The broker is this file's own (scripts/kafka.sh on
// KAFKA_FAULT_PORT, default 19292, with its data in a temporary folder), so killing it disturbs no
// other test; the shared broker only decides, as for the other process tests, whether to run.
const shared = inject('e2eKafka');
const FAULT_PORT = Number(process.env.KAFKA_FAULT_PORT ?? 19292);
const TERMINAL = new Set(['completed', 'failed', 'denied']);

interface CpView {
  cp_id: string;
  state: string;
  location: string;
  price_eur_kwh: number;
  kw: number;
  cp_e_port: number | null;
}

/** What a restart must keep of a CP: its configuration and registration, not its live state. */
const registryOf = (views: readonly CpView[]) =>
  views
    .map((v) => ({
      cp_id: v.cp_id,
      location: v.location,
      price_eur_kwh: v.price_eur_kwh,
      kw: v.kw,
      cp_e_port: v.cp_e_port,
    }))
    .sort((a, b) => a.cp_id.localeCompare(b.cp_id));

/** Figures of this run, printed and saved to test-output/faults-outage.json at the end. */
const measured: Record<string, number | string> = {};

function since(t0: number): number {
  return Math.round(performance.now() - t0);
}

describe.skipIf(!shared.bootstrap)('broker and Central kill -9 (a broker of its own)', () => {
  let dir: string;
  let broker: OwnBroker | undefined;
  let settings: LocalRunSettings;
  let services: ProcessSpec[] = [];
  let env: Record<string, string>;
  /** Pids of Central, engines and monitors once up (Central's changes when the test restarts it). */
  let pids = new Map<string, number>();
  const drivers: ProcessSpec[] = [];
  const prefix = `faults-${process.pid}-${Date.now().toString(36)}.`;

  const http = () => `http://127.0.0.1:${settings.httpPort}`;
  const cps = async () => ((await getJson(`${http()}/cp`)) as CpView[] | undefined) ?? [];
  const central = () => services.find((s) => s.role === 'central')!;
  const resultsOf = (specs: readonly ProcessSpec[]): DriverResult[] =>
    specs.flatMap((d) => driverStateOf(settings, d.name)?.results ?? []);

  /** Waits until every driver has a result for each line of its list and nothing pending. */
  const allDone = (specs: readonly ProcessSpec[], counts: readonly number[], timeoutMs: number) =>
    waitFor(
      'every request terminal at its driver',
      async () =>
        specs.every((d, i) => {
          const state = driverStateOf(settings, d.name);
          return state !== undefined && state.results.length >= counts[i]! && state.pending.length === 0;
        })
          ? true
          : undefined,
      { timeoutMs, pollMs: 200 },
    );

  /** Central's, the engines' and the monitors' processes are the ones started in beforeAll. */
  const expectNoServiceExited = () => {
    const now = runningPids(settings, services);
    for (const spec of services) {
      expect(now.get(spec.name), `${spec.name} exited:\n${logTail(settings, spec.name)}`).toBe(
        pids.get(spec.name),
      );
    }
  };

  /**
   * The ledger of a set of drivers: each request once, each session once, every session Central
   * holds has its ticket and a driver result with the ticket's energy and cost, and every result
   * with a session id is one of Central's sessions.
   */
  const checkLedger = async (specs: readonly ProcessSpec[], label: string) => {
    const ids = new Set(specs.map((d) => d.name));
    const results = resultsOf(specs);
    const sessions = ((await allSessions(settings.httpPort)) ?? []).filter((s) => ids.has(s.driver_id));
    expect(new Set(results.map((r) => r.request_id)).size, 'a request reported twice').toBe(results.length);
    const withSession = results.filter((r) => r.session_id !== undefined);
    const sessionIds = withSession.map((r) => r.session_id!);
    expect(new Set(sessionIds).size, 'a session reported twice at a driver').toBe(sessionIds.length);
    expect(new Set(sessions.map((s) => s.request_id)).size, 'two sessions for one request').toBe(
      sessions.length,
    );
    expect([...sessionIds].sort()).toEqual(sessions.map((s) => s.session_id).sort());
    let centralKwh = 0;
    let driverKwh = 0;
    for (const session of sessions) {
      const viewed = await sessionWithTicket(settings.httpPort, session.session_id);
      const result = withSession.find((r) => r.session_id === session.session_id)!;
      const what = `${JSON.stringify(viewed)}\nat the driver: ${JSON.stringify(result)}`;
      expect(viewed?.ticket, what).toBeTruthy();
      expect(viewed!.ticket!.energy_kwh, what).toBeCloseTo(session.energy_kwh, 9);
      expect(result.energy_kwh, what).toBeCloseTo(viewed!.ticket!.energy_kwh, 9);
      expect(result.total_cost_eur, what).toBeCloseTo(viewed!.ticket!.total_cost_eur, 9);
      expect(result.status, what).toBe(session.status);
      centralKwh += session.energy_kwh;
      driverKwh += result.energy_kwh ?? 0;
    }
    for (const cp of settings.cps) {
      // Every ticket left the engine's outbox (delivered and acknowledged by the broker).
      expect(
        readJson<{ tickets: unknown[]; inflight: unknown }>(outboxFileOf(settings, cp.cpId)),
        cp.cpId,
      ).toEqual(expect.objectContaining({ tickets: [], inflight: null }));
    }
    const by = (status: string) => results.filter((r) => r.status === status).length;
    measured[`${label}: requests`] = results.length;
    measured[`${label}: completed / failed / denied / timeout`] =
      `${by('completed')} / ${by('failed')} / ${by('denied')} / ${by('timeout')}`;
    const why = new Map<string, number>();
    for (const r of results.filter((r) => r.status !== 'completed')) {
      const key = `${r.status}${r.late ? ' (late)' : ''}: ${r.reason ?? '?'}`;
      why.set(key, (why.get(key) ?? 0) + 1);
    }
    measured[`${label}: not completed, why`] =
      [...why].map(([key, n]) => `${n} × ${key}`).join('; ') || 'none';
    measured[`${label}: sessions at Central, all with a ticket`] = sessions.length;
    measured[`${label}: results marked late (a ticket after the outcome, a timeout or a restart)`] =
      results.filter((r) => r.late).length;
    measured[`${label}: kWh at Central / in the drivers' tickets`] =
      `${centralKwh.toFixed(3)} / ${driverKwh.toFixed(3)}`;
    expect(driverKwh).toBeCloseTo(centralKwh, 6);
    for (const r of results) expect(TERMINAL.has(r.status), JSON.stringify(r)).toBe(true);
    return { results, sessions };
  };

  beforeAll(async () => {
    dir = mkdtempSync(resolve(tmpdir(), 'ev-outage-'));
    broker = await OwnBroker.create(FAULT_PORT);
    const t0 = performance.now();
    const started = await broker.start();
    if (started.code !== 0) {
      throw new Error(`own broker on ${FAULT_PORT} did not start:\n${started.stderr}\n${broker.logTail()}`);
    }
    measured['own broker: first start'] = since(t0);
    const [httpPort, tcpPort, ...enginePorts] = await freePorts(6);
    settings = faultSettings({
      dir,
      bootstrap: broker.bootstrap,
      prefix,
      httpPort: httpPort!,
      tcpPort: tcpPort!,
      cps: faultCps(enginePorts),
    });
    env = childEnv({
      KAFKA_SESSION_TIMEOUT: '6',
      // Short supplies keep 50 sessions within a minute; a request timeout longer than any outage
      // here, so a request still waiting when the broker returns is not given up on.
      CP_ENGINE_SESSION_DURATION: '2',
      CP_ENGINE_TELEMETRY_INTERVAL: '0.5',
      DRIVER_REQUEST_INTERVAL: '0.3',
      DRIVER_REQUEST_TIMEOUT: '90',
    });
    services = serviceSpecs(settings);
    const t1 = performance.now();
    // Central and the engines need only the broker; the monitors need both.
    await Promise.all(
      services.filter((s) => s.role !== 'cp-monitor').map((s) => startAndWait(settings, s, env, 120_000)),
    );
    for (const s of services.filter((s) => s.role === 'cp-monitor')) startRole(settings, s, env);
    await waitFor(
      'every CP ACTIVATED',
      async () => {
        const views = await cps();
        return views.length === settings.cps.length && views.every((v) => v.state === 'ACTIVATED')
          ? true
          : undefined;
      },
      { timeoutMs: 120_000, pollMs: 200 },
    );
    measured['Central, 4 engines, 4 monitors up, CPs ACTIVATED'] = since(t1);
    pids = runningPids(settings, services);
    expect(pids.size).toBe(services.length);
  }, 300_000);

  afterAll(async () => {
    try {
      if (settings) {
        for (const d of drivers) await stopRole(settings, d, 3_000);
        for (const s of [...services].reverse()) await stopRole(settings, s, 6_000);
      }
    } finally {
      if (broker) {
        const stopped = await broker.stop();
        if (stopped.code !== 0) process.stderr.write(`stopping the fault broker failed: ${stopped.stderr}\n`);
        broker.remove();
      }
      const rows = Object.entries(measured).map(([what, v]) => `  ${what.padEnd(72)} ${String(v)}`);
      process.stderr.write(
        `\nexample-compose faults (broker, Central kill -9): figures\n${rows.join('\n')}\n`,
      );
      mkdirSync(resolve(PACKAGE_DIR, 'test-output'), { recursive: true });
      writeFileSync(
        resolve(PACKAGE_DIR, 'test-output/faults-outage.json'),
        `${JSON.stringify(measured, null, 2)}\n`,
      );
      if (dir) {
        if (process.env.E2E_KEEP_DIR === '1') process.stderr.write(`fault test folder kept: ${dir}\n`);
        else rmSync(dir, { recursive: true, force: true });
      }
    }
  }, 120_000);

  it('kill -9 of the broker while 4 drivers run 50 sessions: every request ends terminal, every kWh is in a ticket at its driver, no process exits', async () => {
    const counts = [13, 13, 12, 12];
    const specs = settings.cps.map((cp, i) =>
      driverSpec(
        settings,
        `driver-k${i + 1}`,
        Array.from({ length: counts[i]! }, () => `${cp.cpId} duration=1`),
      ),
    );
    drivers.push(...specs);
    const t0 = performance.now();
    for (const d of specs) startRole(settings, d, env);
    const finished = () => resultsOf(specs).length;

    // The kill lands mid-run: a quarter of the requests done and at least two CPs supplying.
    const supplying = await waitFor(
      'a quarter done and two CPs supplying',
      async () => {
        if (finished() < 12) return undefined;
        const n = (await cps()).filter((v) => v.state === 'SUPPLYING').length;
        return n >= 2 ? n : undefined;
      },
      { timeoutMs: 120_000, pollMs: 50 },
    );
    const doneBefore = finished();
    const killedAt = Date.now();
    const tKill = performance.now();
    broker!.kill9();
    await waitFor('the broker JVM gone', async () => (broker!.pid() === undefined ? true : undefined), {
      timeoutMs: 5_000,
      pollMs: 20,
    });
    const restarted = await broker!.start();
    expect(restarted.code, `${restarted.stderr}\n${broker!.logTail()}`).toBe(0);
    const outageMs = since(tKill);
    const upAt = Date.now();
    const tUp = performance.now();
    const doneDuringOutage = finished() - doneBefore;

    // Recovered: a request sent after the broker returned completed.
    const firstNew = await waitFor(
      'a request sent after the restart completed',
      async () =>
        resultsOf(specs).find((r) => Date.parse(r.requested_at) >= upAt && r.status === 'completed') ??
        undefined,
      { timeoutMs: 120_000, pollMs: 100 },
    );
    const recoverMs = Date.parse(firstNew.finished_at) - upAt;
    await allDone(specs, counts, 150_000);
    const allMs = since(t0);
    const afterUpMs = since(tUp);

    expectNoServiceExited();
    for (const d of specs) {
      const state = driverStateOf(settings, d.name)!;
      expect(state.results, d.name).toHaveLength(counts[specs.indexOf(d)]!);
      expect(state.pending, d.name).toEqual([]);
    }
    const { results, sessions } = await checkLedger(specs, 'broker kill');
    expect(sessions.length).toBeGreaterThanOrEqual(40);
    // Every CP is available again.
    await waitFor(
      'every CP ACTIVATED after the outage',
      async () => ((await cps()).every((v) => v.state === 'ACTIVATED') ? true : undefined),
      { timeoutMs: 30_000, pollMs: 200 },
    );

    measured['broker kill: CPs supplying at the kill'] = supplying;
    measured['broker kill: requests finished before the kill'] = doneBefore;
    measured['broker kill: requests finished while the broker was down'] = doneDuringOutage;
    measured['broker kill -9 → restarted broker answers metadata (outage), ms'] = outageMs;
    measured['broker back → first request sent afterwards completed, ms'] = recoverMs;
    measured['broker back → all 50 requests terminal, ms'] = afterUpMs;
    measured['broker kill: drivers started → all 50 terminal, ms'] = allMs;
    measured['broker kill: longest request (requested → finished), ms'] = Math.max(
      ...results.map((r) => Date.parse(r.finished_at) - Date.parse(r.requested_at)),
    );
    measured['broker kill: requests in flight at the kill'] = results.filter(
      (r) => Date.parse(r.requested_at) < killedAt && Date.parse(r.finished_at) > killedAt,
    ).length;
  }, 300_000);

  it('kill -9 of Central twice while 4 drivers run: registry, sessions and tickets intact (SQLite), no duplicate ticket at a driver', async () => {
    const before = (await allSessions(settings.httpPort)) ?? [];
    const counts = settings.cps.map(() => 8);
    const specs = settings.cps.map((cp, i) => {
      const spec = driverSpec(
        settings,
        `driver-c${i + 1}`,
        Array.from({ length: counts[i]! }, () => `${cp.cpId} duration=2`),
      );
      spec.env.DRIVER_REQUEST_INTERVAL = '1';
      return spec;
    });
    drivers.push(...specs);
    const ids = new Set(specs.map((d) => d.name));
    const t0 = performance.now();
    for (const d of specs) startRole(settings, d, env);

    /** Sessions of these drivers without a ticket when Central was killed. */
    const openAtKill = new Set<string>();
    let restartedAt = 0;
    for (const round of [1, 2]) {
      // Each kill lands with supplies running, the second one after a session requested since the
      // first restart completed.
      await waitFor(
        `round ${round}: a completed session and two CPs supplying`,
        async () => {
          const completed = resultsOf(specs).some(
            (r) => r.status === 'completed' && Date.parse(r.requested_at) >= restartedAt,
          );
          if (!completed) return undefined;
          const n = (await cps()).filter((v) => v.state === 'SUPPLYING').length;
          return n >= 2 ? n : undefined;
        },
        { timeoutMs: 90_000, pollMs: 50 },
      );
      const registry = registryOf(await cps());
      const snapshot = (await allSessions(settings.httpPort))!;
      const open = snapshot.filter((s) => ids.has(s.driver_id) && !s.ticket_received);
      for (const s of open) openAtKill.add(s.session_id);
      const oldPid = pids.get('ev-central')!;
      process.kill(oldPid, 'SIGKILL');
      const tKill = performance.now();
      await waitFor(
        'Central gone',
        async () =>
          !isRoleProcess(oldPid, central()) && !(await getJson(`${http()}/health`, 300)) ? true : undefined,
        { timeoutMs: 5_000, pollMs: 20 },
      );
      const newPid = await startAndWait(settings, central(), env, 120_000);
      restartedAt = Date.now();
      measured[`Central kill ${round} → restarted Central answers /health, ms`] = since(tKill);
      measured[`Central kill ${round}: sessions held / of them open at the kill`] =
        `${snapshot.length} / ${open.length}`;
      pids.set('ev-central', newPid);
      expect(registryOf(await cps())).toEqual(registry);
      const health = (await getJson(`${http()}/health`)) as { store: string };
      expect(health.store).toBe('sqlite');
      // Every session survives with what it had; a closed one exactly as it was.
      const after = new Map(((await allSessions(settings.httpPort)) ?? []).map((s) => [s.session_id, s]));
      for (const s of snapshot) {
        const now = after.get(s.session_id);
        expect(now, s.session_id).toBeDefined();
        if (s.ticket_received) expect(now).toEqual(s);
      }
      await waitFor(
        `round ${round}: every CP back at Central`,
        async () =>
          (await cps()).every((v) => v.state === 'ACTIVATED' || v.state === 'SUPPLYING') ? true : undefined,
        { timeoutMs: 60_000, pollMs: 100 },
      );
      measured[`Central kill ${round} → every CP ACTIVATED or SUPPLYING again, ms`] = since(tKill);
    }

    await allDone(specs, counts, 150_000);
    measured['Central kills: drivers started → all 32 terminal, ms'] = since(t0);
    expectNoServiceExited();
    const { results, sessions } = await checkLedger(specs, 'Central kills');
    // The sessions open at the kills ended with their tickets at the drivers (checkLedger).
    expect(openAtKill.size).toBeGreaterThanOrEqual(2);
    for (const id of openAtKill) {
      expect(sessions.some((s) => s.session_id === id && s.ticket_received)).toBe(true);
    }
    measured['Central kills: sessions open at a kill, all ended with a ticket at the driver'] =
      openAtKill.size;
    // A restarted Central finds the CPs in their last known state (their monitors were alive at the
    // kill) for one heartbeat timeout, and gives a session still waiting for its engine the whole
    // start timeout from when it consumes again: what waited in Kafka is neither denied
    // DISCONNECTED nor failed for want of a start the engine did make.
    const deniedDisconnected = results.filter(
      (r) => r.status === 'denied' && /DISCONNECTED/.test(r.reason ?? ''),
    );
    measured['Central kills: denied as DISCONNECTED (requests read before the monitors were back)'] =
      deniedDisconnected.length;
    expect(deniedDisconnected, JSON.stringify(deniedDisconnected)).toEqual([]);
    const noStart = results.filter((r) => /did not start supplying/.test(r.reason ?? ''));
    expect(noStart, JSON.stringify(noStart)).toEqual([]);
    // The broker scenario's sessions are untouched by the restarts.
    const now = new Map(((await allSessions(settings.httpPort)) ?? []).map((s) => [s.session_id, s]));
    for (const s of before) expect(now.get(s.session_id), s.session_id).toEqual(s as SessionRow);
    expect(readPid(settings, 'ev-central')).toBe(pids.get('ev-central'));
  }, 300_000);
});
