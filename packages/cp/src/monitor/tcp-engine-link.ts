import { createConnection } from 'node:net';
import { type Clock, RealClock } from '@evcharging/core';
import { MAX_HEALTH_LINE, oneLine, type ProbeResult, parseHealthAnswer } from '../health/health-answer.js';
import type { EngineLink } from './engine-link.js';

export interface TcpEngineLinkOptions {
  /** Engine host (`CP_MONITOR_CP_E_HOST`, default localhost). */
  host?: string;
  /** Engine health port (`CP_MONITOR_CP_E_PORT`, default 8001). */
  port?: number;
  /** Connect timeout, ms (default 2,000). */
  connectTimeoutMs?: number;
  /** Time to wait for the answer once connected, ms (default 1,000). */
  readTimeoutMs?: number;
  /** Clock for the timeouts (default a RealClock). */
  clock?: Clock;
}

/**
 * The deployment link: one TCP connection per probe, `PING\n` → one answer line. Timeouts, refused
 * connections, early closes and garbage come back as failures with a reason, never as exceptions.
 *
 * @example
 * const engine = tcpEngineLink({ host: 'cp-engine-1', port: 8001 });
 * await engine.probe(); // { ok: true, state: 'ACTIVATED' }
 */
export function tcpEngineLink(options: TcpEngineLinkOptions = {}): EngineLink {
  const host = options.host ?? 'localhost';
  const port = options.port ?? 8001;
  const connectTimeoutMs = options.connectTimeoutMs ?? 2000;
  const readTimeoutMs = options.readTimeoutMs ?? 1000;
  const clock = options.clock ?? new RealClock();
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RangeError(`tcpEngineLink: port must be an integer in 1..65535, got ${port}`);
  }
  return {
    host,
    port,
    probe(): Promise<ProbeResult> {
      return new Promise((resolve) => {
        let done = false;
        let buffer = '';
        const socket = createConnection({ host, port });
        let timer = clock.setTimeout(
          () => finish({ ok: false, reason: `connect timeout after ${connectTimeoutMs} ms` }),
          connectTimeoutMs,
        );
        const finish = (result: ProbeResult) => {
          if (done) return;
          done = true;
          timer.cancel();
          socket.destroy();
          resolve(result);
        };
        socket.setNoDelay(true);
        socket.once('connect', () => {
          timer.cancel();
          timer = clock.setTimeout(
            () => finish({ ok: false, reason: `no answer within ${readTimeoutMs} ms` }),
            readTimeoutMs,
          );
          socket.write('PING\n');
        });
        socket.on('data', (chunk: Buffer) => {
          buffer += chunk.toString('latin1');
          const nl = buffer.indexOf('\n');
          if (nl >= 0) finish(parseHealthAnswer(buffer.slice(0, nl)));
          else if (buffer.length > MAX_HEALTH_LINE) {
            finish({ ok: false, reason: `answer longer than ${MAX_HEALTH_LINE} bytes` });
          }
        });
        socket.on('error', (error: NodeJS.ErrnoException) => {
          const reason =
            error.code === 'ECONNREFUSED'
              ? `connection refused by ${host}:${port}`
              : `health connection failed: ${oneLine(error.message)}`;
          finish({ ok: false, reason });
        });
        socket.on('close', () => finish({ ok: false, reason: 'connection closed before an answer' }));
      });
    },
  };
}
