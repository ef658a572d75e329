import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Clock, Logger } from '@evcharging/core';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { DashboardFeed, type DashboardFeedOptions } from './dashboard-feed.js';
import type { DashboardSource } from './dashboard-source.js';

/** Where the page sends operator commands; `{id}` is replaced by the URL-encoded CP id. */
export interface DashboardCommandPaths {
  stop: string;
  resume: string;
  stopAll: string;
  resumeAll: string;
}

export interface DashboardOptions
  extends Pick<
    DashboardFeedOptions,
    'flushIntervalMs' | 'sampleIntervalMs' | 'heartbeatIntervalMs' | 'historyLength' | 'eventLimit'
  > {
  source: DashboardSource;
  clock: Clock;
  logger: Logger;
  /** When set, the page asks the operator for a token before the first command (never sent to the page). */
  apiToken?: string;
  /** Page title (default "EV Charging — Central"). */
  title?: string;
  /** Operator command endpoints (default: Central's `/api/v1` commands). */
  commands?: Partial<DashboardCommandPaths>;
  /** Folder of the page's static files (default: the `assets` folder shipped with this module). */
  assetsDir?: string;
  /**
   * Event streams open at once (default 64); one more gets 503 with a JSON reason. The stream needs
   * no token: it carries what the open read API does, and a browser's EventSource sends no header.
   */
  maxClients?: number;
}

/** What a host (Central's controller) lets its user set: everything but the wiring. */
export type DashboardSettings = Pick<
  DashboardOptions,
  | 'flushIntervalMs'
  | 'sampleIntervalMs'
  | 'heartbeatIntervalMs'
  | 'historyLength'
  | 'eventLimit'
  | 'title'
  | 'commands'
  | 'maxClients'
>;

/** What `registerDashboard` gives back: the feed, for stats or a final flush. */
export interface DashboardHandle {
  feed: DashboardFeed;
}

export const DASHBOARD_STREAM_PATH = '/api/v1/stream';

export const DEFAULT_COMMAND_PATHS: DashboardCommandPaths = {
  stop: '/api/v1/cps/{id}/stop',
  resume: '/api/v1/cps/{id}/resume',
  stopAll: '/api/v1/cps/ALL/stop',
  resumeAll: '/api/v1/cps/ALL/resume',
};

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
};

// The page loads nothing from elsewhere and runs no inline script.
const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'";

/** The assets folder next to this module in the sources, or the shipped sources' folder from `dist/`. */
export function defaultDashboardAssetsDir(): string {
  const candidates = [
    fileURLToPath(new URL('./assets/', import.meta.url)),
    fileURLToPath(new URL('../../src/dashboard/assets/', import.meta.url)),
  ];
  const found = candidates.find((dir) => existsSync(join(dir, 'index.html')));
  if (!found) throw new Error(`dashboard assets not found; looked in ${candidates.join(', ')}`);
  return found;
}

interface Asset {
  body: Buffer;
  type: string;
}

async function loadAssets(dir: string): Promise<Map<string, Asset>> {
  const names = [
    'index.html',
    'dashboard.css',
    'dashboard.js',
    'dashboard-model.js',
    'cp-grid.js',
    'power-chart.js',
    'site-charts.js',
  ];
  const assets = new Map<string, Asset>();
  for (const name of names) {
    const ext = name.slice(name.lastIndexOf('.'));
    const body = await readFile(join(dir, name)).catch((error: unknown) => {
      throw new Error(`dashboard asset ${name} missing in ${dir}: ${String(error)}`);
    });
    assets.set(name, { body, type: CONTENT_TYPES[ext] ?? 'application/octet-stream' });
  }
  return assets;
}

/**
 * Serves the live dashboard on a fastify app: the page at `/`, its files under `/dashboard/`, and the
 * SSE stream at `/api/v1/stream` (a snapshot, then batched deltas). The feed starts with the first
 * viewer and stops when the app closes.
 *
 * @example
 * const app = fastify();
 * await registerDashboard(app, { source: central.dashboard, clock, logger, apiToken });
 * await app.listen({ host: '127.0.0.1', port: 8000 });
 */
export async function registerDashboard(
  app: FastifyInstance,
  options: DashboardOptions,
): Promise<DashboardHandle> {
  const assets = await loadAssets(options.assetsDir ?? defaultDashboardAssetsDir());
  const feed = new DashboardFeed(options);
  const maxClients = options.maxClients ?? 64;
  if (!(Number.isInteger(maxClients) && maxClients >= 1)) {
    throw new RangeError(`registerDashboard: maxClients must be an integer >= 1, got ${maxClients}`);
  }
  let refusedStreams = 0;
  const pageConfig = JSON.stringify({
    title: options.title ?? 'EV Charging — Central',
    stream: DASHBOARD_STREAM_PATH,
    commands: { ...DEFAULT_COMMAND_PATHS, ...options.commands },
    token_required: Boolean(options.apiToken),
  });
  const log = options.logger.child({ component: 'dashboard' });

  const sendAsset = (name: string, reply: FastifyReply) => {
    const asset = assets.get(name);
    if (!asset) return reply.code(404).send({ error: 'not_found', message: `no dashboard file ${name}` });
    return reply
      .header('content-type', asset.type)
      .header('cache-control', 'no-cache')
      .header('content-security-policy', CONTENT_SECURITY_POLICY)
      .header('x-content-type-options', 'nosniff')
      .send(asset.body);
  };

  app.get('/', (_request, reply) => sendAsset('index.html', reply));
  app.get('/dashboard/config.json', (_request, reply) =>
    reply.header('cache-control', 'no-store').type('application/json').send(pageConfig),
  );
  app.get<{ Params: { file: string } }>('/dashboard/:file', (request, reply) =>
    sendAsset(request.params.file, reply),
  );

  app.get(DASHBOARD_STREAM_PATH, (request, reply) => {
    const clients = feed.stats().clients;
    if (clients >= maxClients) {
      // Logged once per 100 refusals: a client retrying in a loop must not flood the log either.
      if (refusedStreams++ % 100 === 0) {
        log.warn(
          { remote: request.ip, clients, refused: refusedStreams },
          'dashboard stream refused: too many viewers',
        );
      }
      return reply
        .code(503)
        .header('retry-after', '10')
        .send({
          ok: false,
          statusCode: 503,
          error: 'Service Unavailable',
          message: `too many dashboard streams open (${maxClients})`,
          reason: `too many dashboard streams open (${maxClients})`,
        });
    }
    if (!feed.started) feed.start();
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    const client = feed.connect({
      write: (chunk) => res.write(chunk),
      end: () => res.end(),
    });
    res.on('drain', () => client.resume());
    res.on('close', () => client.close());
    log.debug({ remote: request.ip, clients: feed.stats().clients }, 'dashboard viewer connected');
  });

  // Streams never end on their own: end them before the server waits for its connections.
  app.addHook('preClose', (done) => {
    feed.stop();
    done();
  });

  return { feed };
}
