import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import type { DriverState } from '@evcharging/driver';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  driverStateFileOf,
  type LocalRunSettings,
  localTopology,
  type ProcessSpec,
} from '../local-run/local-topology.js';
import { cpState, getJson, waitFor } from '../local-run/probes.js';
import { isRoleProcess, logTail, readPid, startRole, stopRole } from '../local-run/role-process.js';
import {
  connectAdmin,
  groupsOfClient,
  groupsUnder,
  healthSocket,
  roleLog,
  type Termination,
  terminateAndWatch,
} from './fault-probes.js';
import { childEnv, freePorts, PACKAGE_DIR, readJson, run } from './process-support.js';

const broker = inject('e2eKafka');

/**
 * Process faults part 2 on a real broker with the compose roles as processes (local-run):
 * an engine stalled with SIGSTOP (its health socket stays open and silent) and resumed with
 * SIGCONT, and SIGTERM to each role. Every time measured is printed at the end and saved to
 * test-output/faults-process-times.json.
 */

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
  reason: string | null;
  ticket: { energy_kwh: number; total_cost_eur: number; reason: string | null } | null;
}

/** Kafka session timeout of every role here, s: a member that never left stays this long. */
const SESSION_TIMEOUT_S = 6;

const measured: Record<string, number> = {};
/** Energy and money figures of the run, printed with the times. */
const amounts: Record<string, string | number> = {};
const since = (t0: number) => Math.round(performance.now() - t0);

describe.skipIf(!broker.bootstrap)(
  'process faults on a real Kafka broker: SIGSTOP/SIGCONT and SIGTERM',
  () => {
    let dir: string;
    const prefix = `faults-${process.pid}-${Date.now().toString(36)}.`;
    let settings: LocalRunSettings;
    let topology: ProcessSpec[];
    let env: Record<string, string>;
    let admin: Admin | undefined;
    /** A process left stopped by a failed scenario must be continued before anything can stop it. */
    let stoppedPid: number | undefined;
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
        { env, timeoutMs: 180_000 },
      );
    const spec = (name: string) => [...topology, ...extras].find((p) => p.name === name)!;
    const pidOf = (name: string) => readPid(settings, name)!;
    const http = () => `http://127.0.0.1:${settings.httpPort}`;
    const cp = async (cpId: string) => (await getJson(`${http()}/cp/${cpId}`)) as CpView | undefined;
    const session = async (sessionId: string) =>
      (await getJson(`${http()}/api/v1/sessions/${sessionId}`)) as SessionView | undefined;
    const driverState = (driverId: string) => readJson<DriverState>(driverStateFileOf(settings, driverId));

    /** Waits until Central shows a state `wanted` accepts for a CP; returns the ms it took. */
    const until = async (cpId: string, wanted: (state: string | undefined) => boolean, timeoutMs: number) => {
      const t0 = performance.now();
      await waitFor(
        `${cpId} state`,
        async () => (wanted(await cpState(settings.httpPort, cpId)) ? true : undefined),
        { timeoutMs, pollMs: 50 },
      );
      return since(t0);
    };
    const is = (s: string) => (state: string | undefined) => state === s;

    /** A driver process of its own with one request line; its state file keeps its results. */
    const startDriver = (driverId: string, ...lines: string[]): ProcessSpec => {
      const requests = resolve(dir, `${driverId}.txt`);
      writeFileSync(requests, `${lines.join('\n')}\n`);
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
          const measuring =
            view?.telemetry?.session_id === view?.session_id && (view?.telemetry?.kwh ?? 0) > 0;
          return view?.state === 'SUPPLYING' && view.driver_id === driverId && measuring ? view : undefined;
        },
        { timeoutMs: 60_000, pollMs: 100 },
      );

    const firstResult = (driverId: string, timeoutMs: number) =>
      waitFor(`${driverId}'s result`, async () => driverState(driverId)?.results[0], {
        timeoutMs,
        pollMs: 50,
      });

    /** The groups (under this run's prefix) in which `clientId` is a member now. */
    const memberships = async (clientId: string) =>
      groupsOfClient(await groupsUnder(admin!, prefix), clientId);

    /**
     * SIGTERM to one role, measured: exit time, time until the broker no longer lists it in any of
     * its groups; its log must say it stopped with exit code 0 (runRole logs that last).
     */
    const terminate = async (name: string, clientId: string | null, label: string): Promise<Termination> => {
      const groups = clientId ? await memberships(clientId) : [];
      if (clientId) expect(groups.length, `${name} is a member of some group`).toBeGreaterThan(0);
      const outcome = await terminateAndWatch({
        settings,
        spec: spec(name),
        admin: admin!,
        clientId: clientId ?? '-',
        groups,
        watchMs: 10_000,
      });
      if (outcome.exitMs === null) {
        await stopRole(settings, spec(name), 0);
        throw new Error(`${name} still ran 10 s after SIGTERM:\n${logTail(settings, name)}`);
      }
      measured[`${label} SIGTERM → process exited`] = outcome.exitMs;
      if (clientId) {
        measured[`${label} SIGTERM → gone from its ${groups.length} Kafka group(s)`] =
          outcome.groupsLeftMs ?? -1;
      }
      const log = roleLog(settings, name);
      const last = log.findLast((l) => typeof l.msg === 'string' && / stopped$/.test(l.msg));
      expect(last, logTail(settings, name)).toMatchObject({ reason: 'SIGTERM', exit_code: 0 });
      expect(log.some((l) => /did not stop within|failed to stop cleanly/.test(String(l.msg)))).toBe(false);
      expect(outcome.exitMs, `${name} exit after SIGTERM, ms`).toBeLessThan(5_000);
      if (clientId) {
        // Left with a LeaveGroup while stopping, not expired by the broker SESSION_TIMEOUT_S later.
        expect(outcome.groupsLeftMs, `${name} gone from ${groups.join(', ')}`).not.toBeNull();
        expect(outcome.groupsLeftMs!).toBeLessThanOrEqual(outcome.exitMs + 1_000);
        expect(outcome.groupsLeftMs!).toBeLessThan(SESSION_TIMEOUT_S * 1000 - 1_000);
      }
      return outcome;
    };

    beforeAll(async () => {
      dir = mkdtempSync(resolve(tmpdir(), 'ev-faults-'));
      const [httpPort, tcp, e1, e2] = await freePorts(4);
      const aliceRequests = resolve(dir, 'alice.txt');
      writeFileSync(aliceRequests, 'CP-002 duration=1\n');
      env = childEnv({
        LOCAL_RUN_DIR: dir,
        KAFKA_BOOTSTRAP: broker.bootstrap!,
        KAFKA_TOPIC_PREFIX: prefix,
        KAFKA_SESSION_TIMEOUT: String(SESSION_TIMEOUT_S),
        CENTRAL_HTTP_PORT: String(httpPort),
        CENTRAL_LISTEN_PORT: String(tcp),
        LOCAL_RUN_ENGINE_PORTS: `${e1},${e2}`,
        LOCAL_RUN_START_TIMEOUT: '120',
        CP_ENGINE_SESSION_DURATION: '2',
        CP_ENGINE_TELEMETRY_INTERVAL: '0.5',
        DRIVER_REQUEST_INTERVAL: '0.5',
        DRIVER_REQUEST_TIMEOUT: '60',
        DRIVER_REQUESTS_FILE: aliceRequests,
      });
      admin = await connectAdmin(broker.bootstrap!);
    });

    afterAll(async () => {
      if (stoppedPid !== undefined) {
        try {
          process.kill(stoppedPid, 'SIGCONT');
        } catch {
          // gone already
        }
      }
      if (settings) for (const extra of extras) await stopRole(settings, extra, 3_000);
      const stopped = await localRun('stop');
      if (stopped.code !== 0)
        process.stderr.write(`local-run stop failed:\n${stopped.stdout}${stopped.stderr}\n`);
      await admin?.disconnect().catch(() => undefined);
      if (settings) {
        for (const p of topology) expect(isRoleProcess(readPid(settings, p.name), p), p.name).toBe(false);
      }
      const rows = Object.entries(measured).map(
        ([what, ms]) => `  ${what.padEnd(72)} ${String(ms).padStart(6)} ms`,
      );
      for (const [what, value] of Object.entries(amounts)) rows.push(`  ${what.padEnd(72)} ${value}`);
      process.stderr.write(`\nexample-compose process faults: measured times\n${rows.join('\n')}\n`);
      mkdirSync(resolve(PACKAGE_DIR, 'test-output'), { recursive: true });
      writeFileSync(
        resolve(PACKAGE_DIR, 'test-output/faults-process-times.json'),
        `${JSON.stringify({ ms: measured, amounts }, null, 2)}\n`,
      );
      if (process.env.E2E_KEEP_DIR === '1') process.stderr.write(`e2e folder kept: ${dir}\n`);
      else rmSync(dir, { recursive: true, force: true });
    }, 120_000);

    it('local-run starts the topology; its driver completes a session', async () => {
      const started = await localRun('start');
      expect(started.code, `${started.stdout}${started.stderr}`).toBe(0);
      measured['local-run start (six processes up, CPs ACTIVATED)'] = Math.round(started.ms);
      settings = readJson<{ settings: LocalRunSettings }>(resolve(dir, 'local-run.json'))!.settings;
      topology = localTopology(settings);
      const result = await firstResult('driver-alice', 60_000);
      expect(result.status, JSON.stringify(result)).toBe('completed');
      await waitFor(
        'ev-driver exit',
        async () => (isRoleProcess(pidOf('ev-driver'), spec('ev-driver')) ? undefined : true),
        { timeoutMs: 15_000 },
      );
    }, 240_000);

    it('SIGSTOP of an engine mid-supply: its socket stays open and silent, FAULT, the driver fails with the partial energy; SIGCONT: the CP recovers and supplies a new session', async () => {
      const enginePort = settings.cps[0]!.port;
      // Its second request (on the other CP) keeps the driver running until the stalled session's
      // ticket comes, so it can take the ticket's figures.
      startDriver('driver-stall', 'CP-001 duration=60', 'CP-002 duration=8');
      const supply = await supplying('CP-001', 'driver-stall');
      const sessionId = supply.session_id!;
      expect(await healthSocket(enginePort, 1_000)).toEqual({ kind: 'answer', line: 'OK:SUPPLYING' });

      expect(await memberships('cp-engine-CP-001'), 'the engine is a member of its group').not.toEqual([]);
      const enginePid = pidOf('ev-cp-e-1');
      process.kill(enginePid, 'SIGSTOP');
      stoppedPid = enginePid;
      const t0 = performance.now();
      // The kernel still accepts connections on the stopped engine's port; nothing answers.
      const [socket, faultMs] = await Promise.all([
        healthSocket(enginePort, 1_500),
        until('CP-001', is('FAULT'), 15_000),
      ]);
      expect(socket).toEqual({ kind: 'silent' });
      measured['engine SIGSTOP → Central shows FAULT'] = faultMs;
      // 3 probes of 1 s read timeout each, 1 s apart, then the monitor's report.
      expect(faultMs).toBeLessThanOrEqual(8_000);

      const failed = await firstResult('driver-stall', 15_000);
      measured['engine SIGSTOP → the driver has its failed result'] = since(t0);
      expect(failed).toMatchObject({ status: 'failed', session_id: sessionId });
      expect(failed.energy_kwh).toBeGreaterThan(0);
      expect(failed.total_cost_eur).toBeGreaterThanOrEqual(0);
      expect(failed.reason).toMatch(/fault/i);
      expect((await session(sessionId))?.status).toBe('failed');
      expect(isRoleProcess(enginePid, spec('ev-cp-e-1'))).toBe(true);

      // Stalled past the Kafka session timeout: the broker drops the engine's consumer, which must
      // rejoin on SIGCONT to get Central's stop command (sent at the FAULT) and the next session.
      await waitFor(
        'the stalled engine expired from its Kafka groups',
        async () => ((await memberships('cp-engine-CP-001')).length === 0 ? true : undefined),
        { timeoutMs: SESSION_TIMEOUT_S * 1000 + 10_000, pollMs: 200 },
      );
      measured['engine SIGSTOP → the broker expired its group member (session timeout 6 s)'] = since(t0);

      process.kill(enginePid, 'SIGCONT');
      stoppedPid = undefined;
      const t1 = performance.now();
      const rejoined = waitFor(
        'the engine back in its group',
        async () => ((await memberships('cp-engine-CP-001')).length > 0 ? since(t1) : undefined),
        { timeoutMs: 30_000, pollMs: 100 },
      ).catch((error: unknown) => error as Error);
      const healthyMs = await until('CP-001', (s) => s !== undefined && s !== 'FAULT', 15_000);
      measured['engine SIGCONT → Central no longer shows FAULT'] = healthyMs;
      await until('CP-001', is('ACTIVATED'), 30_000);
      measured['engine SIGCONT → Central shows ACTIVATED'] = since(t1);
      const closed = await waitFor(
        'the stalled session ticket',
        async () => {
          const s = await session(sessionId);
          return s?.ticket ? s : undefined;
        },
        { timeoutMs: 30_000, pollMs: 100 },
      );
      measured['engine SIGCONT → the stalled session ticket reached Central'] = since(t1);
      const rejoinedMs = await rejoined;
      if (rejoinedMs instanceof Error) throw rejoinedMs;
      measured['engine SIGCONT → its consumer is back in its group'] = rejoinedMs;
      amounts["stalled session: energy in the driver's failed result, kWh"] = failed.energy_kwh!;
      amounts["stalled session: energy in the engine's ticket after SIGCONT, kWh"] =
        closed.ticket!.energy_kwh;
      amounts["stalled session: the ticket's reason"] = closed.ticket!.reason ?? '';
      expect(closed.status).toBe('failed');
      expect(closed.ticket!.energy_kwh).toBeGreaterThanOrEqual(failed.energy_kwh! - 0.001);
      // The driver, still running, replaces its result's figures with the ticket's.
      const billed = await waitFor(
        "the ticket's figures at the driver",
        async () => {
          const r = driverState('driver-stall')?.results[0];
          return r?.late && r.energy_kwh === closed.ticket!.energy_kwh ? r : undefined;
        },
        { timeoutMs: 20_000, pollMs: 50 },
      );
      measured["engine SIGCONT → the driver has the ticket's figures"] = since(t1);
      expect(billed).toMatchObject({ status: 'failed', session_id: sessionId });
      expect(billed.total_cost_eur).toBe(closed.ticket!.total_cost_eur);
      // Its second request done, the driver exits: CP-002 is free for the next scenario.
      await waitFor(
        'driver-stall done',
        async () => (isRoleProcess(pidOf('driver-stall'), spec('driver-stall')) ? undefined : true),
        { timeoutMs: 30_000, pollMs: 100 },
      );
      expect(driverState('driver-stall')!.results.map((r) => r.status)).toEqual(['failed', 'completed']);

      startDriver('driver-after-stall', 'CP-001 duration=2');
      const next = await firstResult('driver-after-stall', 60_000);
      // The driver's own clock: request sent → supply started → result (its process start excluded).
      const at = (iso: string | undefined) => Date.parse(iso ?? '');
      measured['after SIGCONT: new session, request → supply started'] =
        at(next.start_time) - at(next.requested_at);
      measured['after SIGCONT: new 2 s session, request → result'] =
        at(next.finished_at) - at(next.requested_at);
      expect(next.status, JSON.stringify(next)).toBe('completed');
      expect(next.cp_id).toBe('CP-001');
      expect(next.energy_kwh).toBeGreaterThan(0);
      expect(next.session_id).not.toBe(sessionId);
    }, 180_000);

    it('SIGTERM to the engine mid-supply: exits within 5 s, leaves its group at once, the session is closed with a ticket that reaches the driver', async () => {
      startDriver('driver-term-engine', 'CP-002 duration=60');
      const supply = await supplying('CP-002', 'driver-term-engine');
      const { signalledAt } = await terminate('ev-cp-e-2', 'cp-engine-CP-002', 'engine (mid-supply)');
      const result = await firstResult('driver-term-engine', 20_000);
      measured['engine SIGTERM → the driver has the ticket'] = since(signalledAt);
      expect(result.session_id).toBe(supply.session_id);
      // A supply cut by its engine's shutdown is a failed session, with the energy it delivered.
      expect(result.status).toBe('failed');
      expect(result.reason).toMatch(/shutdown/);
      expect(result.energy_kwh).toBeGreaterThan(0);
      const ended = await session(supply.session_id!);
      expect(ended?.ticket?.reason).toMatch(/shutdown/);
      expect(result.energy_kwh).toBeCloseTo(ended!.ticket!.energy_kwh, 6);
      amounts['engine SIGTERM: energy in the ticket at the driver, kWh'] = result.energy_kwh!;
      amounts["engine SIGTERM: the driver's result"] = `${result.status}: ${result.reason}`;
    }, 120_000);

    it('SIGTERM to a driver mid-session: exits within 5 s and leaves its groups at once, the request kept pending', async () => {
      startDriver('driver-term', 'CP-001 duration=60');
      await supplying('CP-001', 'driver-term');
      await terminate('driver-term', 'driver-driver-term', 'driver (mid-session)');
      const state = driverState('driver-term')!;
      expect(state.results).toEqual([]);
      expect(state.pending).toHaveLength(1);
    }, 120_000);

    it('SIGTERM to a monitor: exits within 5 s; Central shows its CP (engine stopped above) DISCONNECTED', async () => {
      const t0 = performance.now();
      await terminate('ev-cp-m-2', null, 'monitor');
      await until('CP-002', is('DISCONNECTED'), 15_000);
      measured['monitor SIGTERM → Central shows DISCONNECTED'] = since(t0);
    }, 60_000);

    it('SIGTERM to Central with a session open: exits within 5 s and leaves its groups at once', async () => {
      expect((await cp('CP-001'))?.session_id).toBeTruthy();
      await terminate('ev-central', 'central', 'Central (a session open)');
      expect(await getJson(`${http()}/health`, 500)).toBeUndefined();
    }, 60_000);

    it('no process logged an error or a fatal line through all of this', () => {
      const bad = [...topology, ...extras].flatMap((p) =>
        roleLog(settings, p.name)
          .filter((line) => Number(line.level) >= 50)
          .map((line) => `${p.name}: ${JSON.stringify(line).slice(0, 400)}`),
      );
      expect(bad).toEqual([]);
    });
  },
);
