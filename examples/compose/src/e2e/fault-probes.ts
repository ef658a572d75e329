import { existsSync, readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import type { LocalRunSettings, ProcessSpec } from '../local-run/local-topology.js';
import { isRoleProcess, logFileOf, readPid } from '../local-run/role-process.js';

/** One consumer group as the broker's coordinator describes it. */
export interface GroupView {
  groupId: string;
  state: string;
  /** The client id of each member (a role's Kafka client id, e.g. `cp-engine-CP-001`). */
  clientIds: string[];
}

/** A kafkajs admin client of the test's own (it joins no group), quiet unless something breaks. */
export async function connectAdmin(bootstrap: string): Promise<Admin> {
  const kafka = new Kafka({
    clientId: `e2e-faults-observer-${process.pid}`,
    brokers: bootstrap.split(','),
    logLevel: logLevel.NOTHING,
    retry: { retries: 3 },
  });
  const admin = kafka.admin();
  await admin.connect();
  return admin;
}

/** Every group whose id starts with `prefix`, with its state and members. */
export async function groupsUnder(admin: Admin, prefix: string): Promise<GroupView[]> {
  const { groups } = await admin.listGroups();
  const ids = groups.map((g) => g.groupId).filter((id) => id.startsWith(prefix));
  return describeGroups(admin, ids);
}

export async function describeGroups(admin: Admin, groupIds: readonly string[]): Promise<GroupView[]> {
  if (groupIds.length === 0) return [];
  const { groups } = await admin.describeGroups([...groupIds]);
  return groups.map((g) => ({
    groupId: g.groupId,
    state: g.state,
    clientIds: g.members.map((m) => m.clientId),
  }));
}

/** The groups in which a client id is a member. */
export const groupsOfClient = (views: readonly GroupView[], clientId: string): string[] =>
  views.filter((v) => v.clientIds.includes(clientId)).map((v) => v.groupId);

/**
 * What a health probe sees of a port: `refused` (nothing listens), `silent` (the connection is
 * accepted by the kernel but nothing answers `PING` within `waitMs`: a stopped process), or the
 * answer line.
 */
export function healthSocket(
  port: number,
  waitMs: number,
): Promise<{ kind: 'refused' } | { kind: 'silent' } | { kind: 'answer'; line: string }> {
  return new Promise((resolve) => {
    let connected = false;
    let data = '';
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (value: { kind: 'refused' } | { kind: 'silent' } | { kind: 'answer'; line: string }) => {
      socket.destroy();
      resolve(value);
    };
    socket.setTimeout(waitMs, () => done(connected ? { kind: 'silent' } : { kind: 'refused' }));
    socket.on('error', () => done({ kind: 'refused' }));
    socket.on('connect', () => {
      connected = true;
      socket.write('PING\n');
    });
    socket.on('data', (chunk) => {
      data += chunk.toString('utf8');
      const end = data.indexOf('\n');
      if (end >= 0) done({ kind: 'answer', line: data.slice(0, end).trim() });
    });
    socket.on('close', () => done(connected ? { kind: 'silent' } : { kind: 'refused' }));
  });
}

/** What a SIGTERM did: how long the process took to exit and when its group memberships ended. */
export interface Termination {
  /** ms from the signal until the process no longer ran (null: still running at the deadline). */
  exitMs: number | null;
  /** ms from the signal until no group of `groups` listed the client any more (null: never seen). */
  groupsLeftMs: number | null;
  /** Groups the client was a member of when the signal was sent. */
  groups: string[];
  /** `performance.now()` when the signal was sent. */
  signalledAt: number;
}

/**
 * Sends SIGTERM to a role's process and watches, together: the process (every 20 ms) and the
 * groups it was a member of (describeGroups every 100 ms), for at most `watchMs`. A process still
 * running then is left to the caller.
 */
export async function terminateAndWatch(options: {
  settings: LocalRunSettings;
  spec: ProcessSpec;
  admin: Admin;
  clientId: string;
  groups: readonly string[];
  watchMs: number;
}): Promise<Termination> {
  const { settings, spec, admin, clientId, groups, watchMs } = options;
  const pid = readPid(settings, spec.name);
  if (pid === undefined || !isRoleProcess(pid, spec)) throw new Error(`${spec.name} does not run`);
  const t0 = performance.now();
  const deadline = t0 + watchMs;
  process.kill(pid, 'SIGTERM');
  const exited = (async () => {
    while (performance.now() < deadline) {
      if (!isRoleProcess(pid, spec)) return Math.round(performance.now() - t0);
      await sleep(20);
    }
    return null;
  })();
  const left = (async () => {
    while (performance.now() < deadline) {
      const views = await describeGroups(admin, groups).catch(() => undefined);
      if (views && groupsOfClient(views, clientId).length === 0) return Math.round(performance.now() - t0);
      await sleep(100);
    }
    return null;
  })();
  const [exitMs, groupsLeftMs] = await Promise.all([exited, left]);
  return { exitMs, groupsLeftMs, groups: [...groups], signalledAt: t0 };
}

/** A role's JSON log lines (the ones that parse), from its local-run log file. */
export function roleLog(settings: LocalRunSettings, name: string): { msg?: string; [k: string]: unknown }[] {
  const file = logFileOf(settings, name);
  if (!existsSync(file)) return [];
  const lines: { msg?: string }[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      lines.push(JSON.parse(line) as { msg?: string });
    } catch {
      // a line cut by a kill: not ours to judge here
    }
  }
  return lines;
}
