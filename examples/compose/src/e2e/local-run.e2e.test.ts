import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import type { DriverState } from '@evcharging/driver';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import {
  driverStateFileOf,
  type LocalRunSettings,
  localTopology,
  outboxFileOf,
  type ProcessSpec,
} from '../local-run/local-topology.js';
import { cpState, getJson, pingEngine, waitFor } from '../local-run/probes.js';
import { isRoleProcess, readPid, startRole, stopRole } from '../local-run/role-process.js';
import { childEnv, freePorts, PACKAGE_DIR, REPO_ROOT, readJson, run } from './process-support.js';

const broker = inject('e2eKafka');

interface CpView {
  cp_id: string;
  state: string;
  driver_id: string | null;
  session_id: string | null;
  telemetry: { kwh?: number; session_id?: string } | null;
}
interface SessionView {
  session_id: string;
  status: string;
  energy_kwh: number;
  ticket: { energy_kwh: number; total_cost_eur: number; reason: string | null } | null;
}

/** Every detection and recovery time this run measured, ms, printed (and saved) at the end. */
const measured: Record<string, number> = {};

function since(t0: number): number {
  return Math.round(performance.now() - t0);
}

describe.skipIf(!broker.bootstrap)('local-run end to end on a real Kafka broker, with kill -9', () => {
  let dir: string;
  const prefix = `e2e-${process.pid}-${Date.now().toString(36)}.`;
  let settings: LocalRunSettings;
  let topology: ProcessSpec[];
  let env: Record<string, string>;
  /** Extra drivers the scenarios start, stopped in afterAll whatever happened. */
  const extras: ProcessSpec[] = [];

  const localRun = (...args: string[]) =>
    run(
      process.execPath,
      [
        '--conditions=@evcharging/source',
        '--import',
        'tsx',
        resolve(PACKAGE_DIR, 'src/local-run/local-run.ts'),
        ...args,
      ],
      {
        env,
        timeoutMs: 240_000,
      },
    );
  const verify = (...args: string[]) =>
    run('bash', [resolve(REPO_ROOT, 'verify.sh'), '--local', ...args], { env, timeoutMs: 180_000 });
  const spec = (name: string) => topology.find((p) => p.name === name)!;
  const pidOf = (name: string) => readPid(settings, name)!;
  const http = () => `http://127.0.0.1:${settings.httpPort}`;
  const cp = async (cpId: string) => (await getJson(`${http()}/cp/${cpId}`)) as CpView | undefined;
  const state = (cpId: string) => cpState(settings.httpPort, cpId);
  const driverState = (driverId: string) => readJson<DriverState>(driverStateFileOf(settings, driverId));

  /** Waits until Central shows `wanted` for a CP; returns the ms it took. */
  const until = async (cpId: string, wanted: string, timeoutMs: number): Promise<number> => {
    const t0 = performance.now();
    await waitFor(`${cpId} ${wanted}`, async () => ((await state(cpId)) === wanted ? true : undefined), {
      timeoutMs,
      pollMs: 50,
    });
    return since(t0);
  };

  /** A driver process of its own with one request line; its state file keeps its results. */
  const startDriver = (driverId: string, line: string): ProcessSpec => {
    const requests = resolve(dir, `${driverId}.txt`);
    writeFileSync(requests, `${line}\n`);
    const driver: ProcessSpec = {
      name: driverId,
      role: 'driver',
      env: {
        KAFKA_BOOTSTRAP: settings.bootstrap,
        KAFKA_TOPIC_PREFIX: prefix,
        DRIVER_DRIVER_ID: driverId,
        DRIVER_REQUESTS_FILE: requests,
        DRIVER_STATE_FILE: driverStateFileOf(settings, driverId),
      },
      ready: { kind: 'none' },
    };
    if (!extras.some((e) => e.name === driverId)) extras.push(driver);
    startRole(settings, driver, env);
    return driver;
  };

  /** Waits until the CP supplies the driver and has measured some energy. */
  const supplying = (cpId: string, driverId: string) =>
    waitFor(
      `${cpId} supplying ${driverId}`,
      async () => {
        const view = await cp(cpId);
        // The CP keeps the last telemetry of its previous session until the new one's first arrives.
        const measuring = view?.telemetry?.session_id === view?.session_id && (view?.telemetry?.kwh ?? 0) > 0;
        return view?.state === 'SUPPLYING' && view.driver_id === driverId && measuring ? view : undefined;
      },
      { timeoutMs: 60_000, pollMs: 100 },
    );

  /**
   * Each scenario starts from the whole topology up (a failed one before it may have left a process
   * down): starts what is not running and waits for both CPs to show ACTIVATED.
   */
  const everythingUp = async () => {
    const down = topology.filter((p) => p.role !== 'driver' && !isRoleProcess(readPid(settings, p.name), p));
    if (down.length > 0) {
      const started = await localRun('start', ...down.map((p) => p.name));
      expect(started.code, started.stderr).toBe(0);
    }
    for (const c of settings.cps) await until(c.cpId, 'ACTIVATED', 60_000);
  };

  const firstResult = (driverId: string, timeoutMs: number) =>
    waitFor(`${driverId}'s result`, async () => driverState(driverId)?.results[0], {
      timeoutMs,
      pollMs: 100,
    });

  beforeAll(async () => {
    dir = mkdtempSync(resolve(tmpdir(), 'ev-e2e-'));
    const [http, tcp, e1, e2, ocpp] = await freePorts(5);
    env = childEnv({
      LOCAL_RUN_DIR: dir,
      KAFKA_BOOTSTRAP: broker.bootstrap!,
      KAFKA_TOPIC_PREFIX: prefix,
      KAFKA_SESSION_TIMEOUT: '6',
      CENTRAL_HTTP_PORT: String(http),
      CENTRAL_LISTEN_PORT: String(tcp),
      CENTRAL_OCPP_PORT: String(ocpp),
      LOCAL_RUN_ENGINE_PORTS: `${e1},${e2}`,
      LOCAL_RUN_START_TIMEOUT: '120',
      // Short supplies and waits keep the whole run within a few minutes.
      CP_ENGINE_SESSION_DURATION: '2',
      CP_ENGINE_TELEMETRY_INTERVAL: '0.5',
      DRIVER_REQUEST_INTERVAL: '0.5',
      DRIVER_REQUEST_TIMEOUT: '60',
    });
  });

  afterAll(async () => {
    if (settings) for (const extra of extras) await stopRole(settings, extra, 3_000);
    const stopped = await localRun('stop');
    if (stopped.code !== 0)
      process.stderr.write(`local-run stop failed:\n${stopped.stdout}${stopped.stderr}\n`);
    if (settings) {
      for (const p of topology) expect(isRoleProcess(readPid(settings, p.name), p), p.name).toBe(false);
    }
    const rows = Object.entries(measured).map(
      ([what, ms]) => `  ${what.padEnd(66)} ${String(ms).padStart(6)} ms`,
    );
    process.stderr.write(`\nexample-compose e2e: measured times\n${rows.join('\n')}\n`);
    mkdirSync(resolve(PACKAGE_DIR, 'test-output'), { recursive: true });
    writeFileSync(
      resolve(PACKAGE_DIR, 'test-output/e2e-times.json'),
      `${JSON.stringify(measured, null, 2)}\n`,
    );
    if (process.env.E2E_KEEP_DIR === '1') process.stderr.write(`e2e folder kept: ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('local-run starts Kafka roles, engines, monitors and a driver; verify.sh passes', async () => {
    const started = await localRun('start');
    expect(started.code, `${started.stdout}${started.stderr}`).toBe(0);
    expect(started.stdout).toContain('Central shows CP-001 ACTIVATED, CP-002 ACTIVATED');
    measured['local-run start (all six processes up, CPs ACTIVATED)'] = Math.round(started.ms);
    settings = readJson<{ settings: LocalRunSettings }>(resolve(dir, 'local-run.json'))!.settings;
    topology = localTopology(settings);

    const verified = await verify();
    expect(verified.code, verified.stdout).toBe(0);
    expect(verified.stdout).toMatch(/All \d+ checks passed/);
    expect(verified.stdout).toContain(`topic ${prefix}cp.session_end`);
  }, 300_000);

  it('the driver completes its 10 requests, each with a ticket; verify.sh --session runs one more', async () => {
    const t0 = performance.now();
    const done = await waitFor(
      'driver-alice done',
      async () => {
        const s = driverState('driver-alice');
        return s && s.results.length >= 10 && s.pending.length === 0 ? s : undefined;
      },
      { timeoutMs: 150_000, pollMs: 250 },
    );
    measured['driver-alice: 10 requests of 2 s each, 0.5 s apart'] = since(t0);
    expect(done.results).toHaveLength(10);
    for (const result of done.results) {
      expect(result.status, JSON.stringify(result)).toBe('completed');
      expect(result.session_id).toMatch(/^session-/);
      expect(result.energy_kwh).toBeGreaterThan(0);
      expect(result.total_cost_eur).toBeGreaterThanOrEqual(0);
    }
    // CP-002 (50 kW) delivers more than CP-001 (22 kW) in the same time.
    const energy = (cpId: string) => done.results.find((r) => r.cp_id === cpId)!.energy_kwh!;
    expect(energy('CP-002')).toBeGreaterThan(energy('CP-001'));
    await waitFor(
      'ev-driver exit',
      async () => (isRoleProcess(pidOf('ev-driver'), spec('ev-driver')) ? undefined : true),
      {
        timeoutMs: 15_000,
      },
    );

    const verified = await verify('--session');
    expect(verified.code, verified.stdout).toBe(0);
    expect(verified.stdout).toMatch(/✓ CP-00[12] completed: [0-9.]+ kWh/);
    expect(verified.stdout).toContain('ev-driver finished its requests (10 completed)');
  }, 240_000);

  it('kill -9 an engine mid-session: FAULT within 5 s, the driver fails with the partial energy; restarted, it is ACTIVATED and its outbox ticket arrives', async () => {
    await everythingUp();
    startDriver('driver-engine-kill', 'CP-001 duration=60');
    const supply = await supplying('CP-001', 'driver-engine-kill');
    const sessionId = supply.session_id!;

    process.kill(pidOf('ev-cp-e-1'), 'SIGKILL');
    const t0 = performance.now();
    const faultMs = await until('CP-001', 'FAULT', 10_000);
    measured['engine kill -9 → Central shows FAULT'] = faultMs;
    expect(faultMs).toBeLessThanOrEqual(5_000);

    const failed = await firstResult('driver-engine-kill', 15_000);
    measured['engine kill -9 → the driver has its failed result'] = since(t0);
    expect(failed.status).toBe('failed');
    expect(failed.session_id).toBe(sessionId);
    expect(failed.energy_kwh).toBeGreaterThan(0);
    expect(failed.total_cost_eur).toBeGreaterThanOrEqual(0);
    expect(failed.reason).toMatch(/fault/i);
    // The engine died with the supply in its outbox file.
    expect(
      readJson<{ inflight: { session_id: string } | null }>(outboxFileOf(settings, 'CP-001'))?.inflight
        ?.session_id,
    ).toBe(sessionId);

    const t1 = performance.now();
    const restarted = await localRun('start', 'ev-cp-e-1');
    expect(restarted.code, restarted.stderr).toBe(0);
    await until('CP-001', 'ACTIVATED', 60_000);
    measured['engine restart → Central shows ACTIVATED'] = since(t1);
    const session = await waitFor(
      'the interrupted session ticket',
      async () => {
        const s = (await getJson(`${http()}/api/v1/sessions/${sessionId}`)) as SessionView | undefined;
        return s?.ticket ? s : undefined;
      },
      { timeoutMs: 30_000, pollMs: 100 },
    );
    measured['engine restart → its outbox ticket reached Central'] = since(t1);
    expect(session.status).toBe('failed');
    expect(session.ticket!.reason).toMatch(/interrupted/);
    expect(session.ticket!.energy_kwh).toBeGreaterThan(0);
    expect(session.ticket!.energy_kwh).toBeGreaterThanOrEqual(failed.energy_kwh! - 0.001);
    expect(readJson<{ tickets: unknown[]; inflight: unknown }>(outboxFileOf(settings, 'CP-001'))).toEqual(
      expect.objectContaining({ tickets: [], inflight: null }),
    );
  }, 240_000);

  it('kill -9 a monitor: DISCONNECTED within 7 s and verify.sh fails; restarted, the CP is back', async () => {
    await everythingUp();
    process.kill(pidOf('ev-cp-m-2'), 'SIGKILL');
    const disconnectedMs = await until('CP-002', 'DISCONNECTED', 12_000);
    measured['monitor kill -9 → Central shows DISCONNECTED'] = disconnectedMs;
    expect(disconnectedMs).toBeLessThanOrEqual(7_000);

    const verified = await verify();
    expect(verified.code).toBe(1);
    expect(verified.stdout).toContain('✗ ev-cp-m-2 is not running');
    expect(verified.stdout).toContain('✗ CP-002 is DISCONNECTED');

    const t1 = performance.now();
    const restarted = await localRun('start', 'ev-cp-m-2');
    expect(restarted.code, restarted.stderr).toBe(0);
    await until('CP-002', 'ACTIVATED', 60_000);
    measured['monitor restart → Central shows ACTIVATED'] = since(t1);
  }, 240_000);

  it('kill -9 the driver mid-session: the session completes, and the restarted driver reports it', async () => {
    await everythingUp();
    const driver = startDriver('driver-kill', 'CP-002 duration=5');
    const supply = await supplying('CP-002', 'driver-kill');
    process.kill(pidOf('driver-kill'), 'SIGKILL');
    const t0 = performance.now();
    const completed = await waitFor(
      'the session completed at Central',
      async () => {
        const s = (await getJson(`${http()}/api/v1/sessions/${supply.session_id}`)) as
          | SessionView
          | undefined;
        return s?.status === 'completed' && s.ticket ? s : undefined;
      },
      { timeoutMs: 30_000, pollMs: 100 },
    );
    measured['driver kill -9 → its session still completed at Central'] = since(t0);
    expect(driverState('driver-kill')!.results).toEqual([]);
    expect(driverState('driver-kill')!.pending).toHaveLength(1);

    const t1 = performance.now();
    startRole(settings, driver, env);
    const result = await firstResult('driver-kill', 60_000);
    measured['driver restart → it reports the result'] = since(t1);
    expect(result).toMatchObject({ status: 'completed', session_id: supply.session_id, late: true });
    expect(result.energy_kwh).toBeCloseTo(completed.ticket!.energy_kwh, 6);
    await waitFor(
      'the restarted driver exits',
      async () => (isRoleProcess(pidOf('driver-kill'), driver) ? undefined : true),
      {
        timeoutMs: 20_000,
      },
    );

    // Started once more after its list was done, it goes through the list again (the seed's
    // `docker compose restart ev-driver`), instead of reporting the old results.
    startRole(settings, driver, env);
    const again = await waitFor(
      'a second run of the list',
      async () => {
        const r = driverState('driver-kill')?.results[0];
        return r && r.request_id !== result.request_id ? r : undefined;
      },
      { timeoutMs: 60_000, pollMs: 100 },
    );
    // A real new session: a request id of the previous run would get that run's outcome replayed.
    expect(again.status).toBe('completed');
    expect(again.session_id).not.toBe(result.session_id);
    expect(readFileSync(resolve(dir, 'driver-kill.log'), 'utf8')).toContain(
      'the previous run finished its list: starting it again',
    );
  }, 240_000);

  it('kill -9 Central mid-session: the engine finishes the supply; Central restarted on its SQLite file shows the registry and the ticket reaches the driver', async () => {
    await everythingUp();
    startDriver('driver-central-kill', 'CP-001 duration=6');
    const supply = await supplying('CP-001', 'driver-central-kill');
    process.kill(pidOf('ev-central'), 'SIGKILL');
    const t0 = performance.now();
    await waitFor('Central down', async () => ((await getJson(`${http()}/health`, 500)) ? undefined : true), {
      timeoutMs: 5_000,
      pollMs: 50,
    });
    const enginePort = settings.cps[0]!.port;
    expect(await pingEngine('127.0.0.1', enginePort)).toBe('OK:SUPPLYING');
    await waitFor(
      'the engine finished the supply without Central',
      async () => ((await pingEngine('127.0.0.1', enginePort)) === 'OK:ACTIVATED' ? true : undefined),
      { timeoutMs: 30_000, pollMs: 100 },
    );
    measured['Central kill -9 → the engine finished the supply (its duration)'] = since(t0);
    expect(await getJson(`${http()}/health`, 500)).toBeUndefined();

    const t1 = performance.now();
    const restarted = await localRun('start', 'ev-central');
    expect(restarted.code, restarted.stderr).toBe(0);
    measured['Central restart → /health answers'] = since(t1);
    const cps = (await getJson(`${http()}/cp`)) as CpView[];
    expect(cps.map((c) => c.cp_id)).toEqual(['CP-001', 'CP-002']);
    const health = (await getJson(`${http()}/health`)) as { store: string };
    expect(health.store).toBe('sqlite');

    const result = await firstResult('driver-central-kill', 60_000);
    measured['Central restart → the ticket reached the driver'] = since(t1);
    expect(result).toMatchObject({ status: 'completed', session_id: supply.session_id });
    expect(result.energy_kwh).toBeGreaterThan(0);
    await until('CP-001', 'ACTIVATED', 30_000);
    await until('CP-002', 'ACTIVATED', 30_000);
  }, 240_000);

  it('SIGTERM stops an engine within 5 s and closes its running session with a ticket', async () => {
    await everythingUp();
    startDriver('driver-sigterm', 'CP-002 duration=60');
    const supply = await supplying('CP-002', 'driver-sigterm');
    const t0 = performance.now();
    const outcome = await stopRole(settings, spec('ev-cp-e-2'), 10_000);
    measured['engine SIGTERM → process exited'] = since(t0);
    expect(outcome).toBe('stopped');
    expect(measured['engine SIGTERM → process exited']).toBeLessThan(5_000);
    const session = await waitFor(
      'the stopped session ticket',
      async () => {
        const s = (await getJson(`${http()}/api/v1/sessions/${supply.session_id}`)) as
          | SessionView
          | undefined;
        return s?.ticket ? s : undefined;
      },
      { timeoutMs: 15_000, pollMs: 100 },
    );
    expect(session.ticket!.reason).toMatch(/shutdown/);
    expect(session.ticket!.energy_kwh).toBeGreaterThan(0);
    const result = await firstResult('driver-sigterm', 20_000);
    expect(result.session_id).toBe(supply.session_id);
    expect(result.energy_kwh).toBeGreaterThan(0);
    const restarted = await localRun('start', 'ev-cp-e-2');
    expect(restarted.code, restarted.stderr).toBe(0);
  }, 240_000);

  // Last: the charger stays in Central's registry (DISCONNECTED once it leaves).
  it('CENTRAL_OCPP_PORT: an OCPP 1.6J charger joins the running Central through its gateway', async () => {
    await everythingUp();
    // A bare OCPP-J client (CALL [2, id, action, payload] -> CALLRESULT [3, id, payload]).
    const charger = new WebSocket(`ws://127.0.0.1:${env.CENTRAL_OCPP_PORT}/ocpp/CP-OCPP-E2E`, ['ocpp1.6']);
    const answers = new Map<string, (frame: unknown[]) => void>();
    charger.on('message', (data) => {
      const frame = JSON.parse(String(data)) as unknown[];
      if (frame[0] === 3 || frame[0] === 4) answers.get(String(frame[1]))?.(frame);
      else if (frame[0] === 2) charger.send(JSON.stringify([3, frame[1], { status: 'Rejected' }]));
    });
    let next = 0;
    const call = (action: string, payload: object) =>
      new Promise<unknown[]>((resolveAnswer) => {
        const id = `e2e-${++next}`;
        answers.set(id, resolveAnswer);
        charger.send(JSON.stringify([2, id, action, payload]));
      });
    try {
      await new Promise<void>((opened, failed) => {
        charger.once('open', () => opened());
        charger.once('error', failed);
        charger.once('unexpected-response', (_req, res) => failed(new Error(`HTTP ${res.statusCode}`)));
      });
      expect(charger.protocol).toBe('ocpp1.6');
      const boot = await call('BootNotification', {
        chargePointVendor: 'E2E',
        chargePointModel: 'local-run',
      });
      expect(boot[0]).toBe(3);
      expect(boot[2]).toMatchObject({ status: 'Accepted' });
      for (const connectorId of [0, 1]) {
        const answer = await call('StatusNotification', {
          connectorId,
          errorCode: 'NoError',
          status: 'Available',
        });
        expect(answer[0]).toBe(3);
      }
      const joined = await waitFor(
        'CP-OCPP-E2E ACTIVATED in Central',
        async () => ((await cp('CP-OCPP-E2E'))?.state === 'ACTIVATED' ? true : undefined),
        { timeoutMs: 20_000, pollMs: 200 },
      );
      expect(joined).toBe(true);
    } finally {
      charger.terminate();
    }
  }, 120_000);
});
