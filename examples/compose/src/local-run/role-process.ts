import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { commandOf, type LocalRunSettings, type ProcessSpec, REPO_ROOT } from './local-topology.js';

export const pidFileOf = (s: LocalRunSettings, name: string) => resolve(s.dir, `${name}.pid`);
export const logFileOf = (s: LocalRunSettings, name: string) => resolve(s.dir, `${name}.log`);

/** The pid in a pid file, or undefined. */
export function readPid(settings: LocalRunSettings, name: string): number | undefined {
  try {
    const pid = Number(readFileSync(pidFileOf(settings, name), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * True when `pid` runs and is the role's process: its command line names the role's entry file,
 * so a pid reused by another program after a kill does not count.
 */
export function isRoleProcess(pid: number | undefined, spec: Pick<ProcessSpec, 'role'>): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // A zombie (killed, not yet reaped by its parent) is not running.
    if (/^\d+ \(.*\) Z /.test(stat)) return false;
    return cmdline.includes(`/${spec.role}.`);
  } catch {
    return true; // no /proc (not Linux): trust the signal check
  }
}

/** Starts one role detached from this process, output appended to its log file; returns its pid. */
export function startRole(
  settings: LocalRunSettings,
  spec: ProcessSpec,
  baseEnv: Record<string, string>,
): number {
  mkdirSync(settings.dir, { recursive: true });
  const log = openSync(logFileOf(settings, spec.name), 'a');
  try {
    const child = spawn(process.execPath, commandOf(spec.role, settings.mode), {
      cwd: REPO_ROOT,
      detached: true,
      stdio: ['ignore', log, log],
      env: { ...baseEnv, ...spec.env },
    });
    if (child.pid === undefined) throw new Error(`${spec.name}: could not start ${process.execPath}`);
    child.unref();
    writeFileSync(pidFileOf(settings, spec.name), `${child.pid}\n`);
    return child.pid;
  } finally {
    closeSync(log);
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves true when it had to kill. Removes the pid file. */
export async function stopRole(
  settings: LocalRunSettings,
  spec: ProcessSpec,
  graceMs = 6_000,
): Promise<'stopped' | 'killed' | 'not running'> {
  const pid = readPid(settings, spec.name);
  let outcome: 'stopped' | 'killed' | 'not running' = 'not running';
  if (pid !== undefined && isRoleProcess(pid, spec)) {
    outcome = 'stopped';
    process.kill(pid, 'SIGTERM');
    const deadline = performance.now() + graceMs;
    while (isRoleProcess(pid, spec) && performance.now() < deadline) await sleep(100);
    if (isRoleProcess(pid, spec)) {
      process.kill(pid, 'SIGKILL');
      outcome = 'killed';
      for (let i = 0; i < 50 && isRoleProcess(pid, spec); i++) await sleep(100);
    }
  }
  rmSync(pidFileOf(settings, spec.name), { force: true });
  return outcome;
}

/** The last lines of a role's log, for a failure message. */
export function logTail(settings: LocalRunSettings, name: string, lines = 15): string {
  const file = logFileOf(settings, name);
  if (!existsSync(file)) return '(no log)';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}
