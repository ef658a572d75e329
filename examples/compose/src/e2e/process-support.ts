import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { PACKAGE_DIR, REPO_ROOT } from '../local-run/local-topology.js';

export { PACKAGE_DIR, REPO_ROOT };

/** `count` distinct free TCP ports on 127.0.0.1 (bound together, then released). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<import('node:net').Server>((done, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => done(server));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as import('node:net').AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((done) => s.close(done))));
  return ports;
}

/** The test process's environment without vitest's markers (children must behave as in production). */
export function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined || name.startsWith('VITEST') || name === 'NODE_OPTIONS') continue;
    if (/^(CENTRAL|CP_ENGINE|CP_MONITOR|DRIVER|KAFKA|LOCAL_RUN)_/.test(name)) continue;
    env[name] = value;
  }
  return { ...env, ...extra };
}

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a command to its end (bounded by `timeoutMs`) without blocking the event loop. */
export function run(
  file: string,
  args: readonly string[],
  options: { env: Record<string, string>; timeoutMs: number; cwd?: string },
): Promise<CommandResult> {
  const started = performance.now();
  return new Promise((done) => {
    execFile(
      file,
      [...args],
      {
        cwd: options.cwd ?? REPO_ROOT,
        env: options.env,
        timeout: options.timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: 16 * 1024 * 1024,
        encoding: 'utf8',
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        done({ code, stdout, stderr, ms: performance.now() - started });
      },
    );
  });
}

/** A role's entry point run from its sources, as local-run does it. */
export function roleArgs(role: string, args: readonly string[] = []): string[] {
  return [
    '--conditions=@evcharging/source',
    '--import',
    'tsx',
    resolve(PACKAGE_DIR, `src/${role}.ts`),
    ...args,
  ];
}

/** Parses a JSON file, or undefined when it is missing or half-written. */
export function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}
