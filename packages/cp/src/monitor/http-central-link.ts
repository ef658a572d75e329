import {
  type Clock,
  type MonitorAck,
  type MonitorFaultReport,
  type MonitorHeartbeat,
  type MonitorRegistration,
  RealClock,
} from '@evcharging/core';
import type { CentralLink } from './central-link.js';

export interface HttpCentralLinkOptions {
  /** Central's host (`CP_MONITOR_CENTRAL_HOST`, default localhost). */
  host?: string;
  /** Central's HTTP port (`CP_MONITOR_CENTRAL_PORT`, default 8000). */
  port?: number;
  /** Per-CP secret added to every body, when Central's config has one for this CP. */
  secret?: string;
  /** Per-request timeout, ms (default 5,000). */
  timeoutMs?: number;
  /** Clock for the timeout (default a RealClock). */
  clock?: Clock;
}

/**
 * The deployment link to Central: `POST /cp/register`, `/cp/heartbeat` and `/cp/fault` with the
 * original's JSON bodies. A 2xx answer is `{ ok: true }` (unless the body says `ok: false`); any
 * other status is `{ ok: false, reason }` with the status and Central's message; no answer rejects.
 *
 * @example
 * const central = httpCentralLink({ host: 'central', port: 8000 });
 * await central.register({ cp_id: 'CP-001', cp_e_host: 'cp-engine-1', cp_e_port: 8001 });
 */
export function httpCentralLink(options: HttpCentralLinkOptions = {}): CentralLink {
  const host = options.host ?? 'localhost';
  const port = options.port ?? 8000;
  const timeoutMs = options.timeoutMs ?? 5000;
  const clock = options.clock ?? new RealClock();
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const withSecret = <T extends object>(body: T): T =>
    options.secret !== undefined ? { ...body, secret: options.secret } : body;

  const post = async (path: string, body: object): Promise<MonitorAck> => {
    const controller = new AbortController();
    const timer = clock.setTimeout(() => controller.abort(), timeoutMs);
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(withSecret(body)),
        signal: controller.signal,
      });
      text = await response.text();
    } catch (error) {
      const why = controller.signal.aborted ? `no answer within ${timeoutMs} ms` : describeError(error);
      throw new Error(`Central at ${base} unreachable (POST ${path}): ${why}`, { cause: error });
    } finally {
      timer.cancel();
    }
    const parsed = parseJson(text);
    if (response.ok) {
      if (parsed && typeof parsed === 'object' && (parsed as { ok?: unknown }).ok === false) {
        return { ok: false, reason: reasonOf(parsed) ?? `Central refused POST ${path}` };
      }
      return { ok: true };
    }
    return {
      ok: false,
      reason: `HTTP ${response.status} from POST ${path}${reasonOf(parsed) ? `: ${reasonOf(parsed)}` : ''}`,
    };
  };

  return {
    register: (registration: MonitorRegistration) => post('/cp/register', registration),
    heartbeat: (heartbeat: MonitorHeartbeat) => post('/cp/heartbeat', heartbeat),
    reportFault: (report: MonitorFaultReport) => post('/cp/fault', report),
  };
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return text.slice(0, 200);
  }
}

function reasonOf(body: unknown): string | undefined {
  if (typeof body === 'string') return body || undefined;
  if (!body || typeof body !== 'object') return undefined;
  const b = body as Record<string, unknown>;
  for (const field of ['reason', 'message', 'error', 'detail']) {
    if (typeof b[field] === 'string') return b[field] as string;
  }
  return undefined;
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ? `${error.message} (${cause.code})` : error.message;
}
