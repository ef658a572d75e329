import { createConnection } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** GET a JSON document; undefined when nothing answers (or not 2xx) within `timeoutMs`. */
export async function getJson(url: string, timeoutMs = 2_000): Promise<unknown> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) return undefined;
    return await response.json();
  } catch {
    return undefined;
  }
}

/** One health probe of an engine, as its monitor does it: `PING\n` → the answer line. */
export function pingEngine(host: string, port: number, timeoutMs = 2_000): Promise<string | undefined> {
  return new Promise((resolve) => {
    let answer = '';
    const socket = createConnection({ host, port });
    const done = (value: string | undefined) => {
      socket.destroy();
      resolve(value);
    };
    socket.setTimeout(timeoutMs, () => done(undefined));
    socket.on('error', () => done(undefined));
    socket.on('connect', () => socket.write('PING\n'));
    socket.on('data', (chunk) => {
      answer += chunk.toString('utf8');
      const end = answer.indexOf('\n');
      if (end >= 0) done(answer.slice(0, end).trim());
    });
    socket.on('close', () => done(answer.trim() || undefined));
  });
}

/**
 * Polls `check` every `pollMs` until it returns a value (not undefined) or `timeoutMs` passed;
 * `alive` is asked between polls so a process that died fails the wait at once.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  options: { timeoutMs: number; pollMs?: number; alive?: () => boolean },
): Promise<T> {
  const deadline = performance.now() + options.timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (options.alive && !options.alive()) throw new Error(`${what}: the process exited`);
    if (performance.now() >= deadline) throw new Error(`${what}: not within ${options.timeoutMs} ms`);
    await sleep(options.pollMs ?? 200);
  }
}

/** The state Central shows for a CP (`GET /cp/{id}`), or undefined. */
export async function cpState(
  httpPort: number,
  cpId: string,
  host = '127.0.0.1',
): Promise<string | undefined> {
  const cp = (await getJson(`http://${host}:${httpPort}/cp/${encodeURIComponent(cpId)}`)) as
    | { state?: unknown }
    | undefined;
  return typeof cp?.state === 'string' ? cp.state : undefined;
}
