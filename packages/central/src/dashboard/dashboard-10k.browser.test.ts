import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RealClock, silentLogger } from '@evcharging/core';
import fastify, { type FastifyInstance } from 'fastify';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BrowserWindow,
  browserLock,
  chromiumAvailable,
  LOCK_WAIT_MS,
  launchChromium,
} from './__fixtures__/chromium.js';
import { makeCp, ScriptedDashboardSource } from './__fixtures__/scripted-dashboard-source.js';
import { type DashboardHandle, registerDashboard } from './register-dashboard.js';

// 10,000 CPs, 3,000 of them supplying with telemetry every second and a few state changes a
// second: the page must stay usable. Figures come from performance.now() inside the page and from
// the feed's byte counter, and are written to test-output/dashboard-10k.json.

const N = 10_000;
const SUPPLYING = 3_000;
const WINDOW_MS = 8_000;
const TEST_OUTPUT = fileURLToPath(new URL('../../test-output/', import.meta.url));
const id = (i: number) => `CP-${String(i).padStart(5, '0')}`;

describe.skipIf(!chromiumAvailable())('dashboard with 10,000 CPs', { timeout: 90_000 }, () => {
  let browser: Browser;
  let app: FastifyInstance;
  let handle: DashboardHandle;
  let source: ScriptedDashboardSource;
  let port: number;

  let release: () => void = () => {};

  beforeAll(async () => {
    release = await browserLock();
    browser = await launchChromium();
    source = new ScriptedDashboardSource(
      Array.from({ length: N }, (_, i) =>
        makeCp(id(i + 1), { location: ['Main St', 'Harbour', 'Airport', 'Station', 'Mall'][i % 5]! }),
      ),
    );
    for (let i = 1; i <= SUPPLYING; i++) {
      source.update(id(i * 3), {
        state: 'SUPPLYING',
        driver_id: `driver-${i}`,
        session_id: `session-${i}`,
        session_started_at: new Date(Date.UTC(2026, 0, 1, 10, 0, i % 60)).toISOString(),
        kw: 22,
      });
    }
    app = fastify({ forceCloseConnections: true });
    handle = await registerDashboard(app, { source, clock: new RealClock(), logger: silentLogger() });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    if (!address || typeof address === 'string') throw new Error('no port');
    port = address.port;
  }, LOCK_WAIT_MS + 30_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    release();
  });

  it('renders fast, keeps update batches cheap, renders only the cards in view', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction(
      () => (globalThis as unknown as BrowserWindow).__dashboard.metrics.firstRenderAt !== null,
      undefined,
      { timeout: 30_000, polling: 100 },
    );
    const first = await page.evaluate(() => {
      const d = (globalThis as unknown as BrowserWindow).__dashboard;
      return {
        firstRenderAt: d.metrics.firstRenderAt!,
        snapshotMs: d.metrics.lastSnapshotMs!,
        cards: d.renderedCards(),
      };
    });
    expect(await page.textContent('#total-cps')).toBe('10,000');

    // Telemetry of every supplying CP each second (in ten slices), and state changes.
    let tick = 0;
    const bytesBefore = handle.feed.stats().bytes;
    const load = setInterval(() => {
      tick++;
      const slice = tick % 10;
      for (let i = 1 + slice; i <= SUPPLYING; i += 10) {
        const cp = source.cps.get(id(i * 3))!;
        source.update(cp.cp_id, { kwh: cp.kwh + 22 / 3600, euros: cp.euros + (22 / 3600) * 0.3 });
      }
      const victim = id(1 + ((tick * 7919) % N));
      if (source.cps.get(victim)?.state === 'ACTIVATED')
        source.update(victim, { state: 'FAULT', reason: 'load test' });
    }, 100);
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, WINDOW_MS));
    clearInterval(load);
    const seconds = (performance.now() - started) / 1000;
    const bytesPerSecond = (handle.feed.stats().bytes - bytesBefore) / seconds;

    const batches = await page.evaluate(() => {
      const m = (globalThis as unknown as BrowserWindow).__dashboard.metrics;
      const sorted = [...m.batchMs].sort((a, b) => a - b);
      const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? 0;
      return { count: sorted.length, median: at(0.5), p95: at(0.95), max: sorted.at(-1) ?? 0 };
    });

    // Scrolling far down the virtualised grid stays cheap: the script work per frame.
    const scroll = await page.evaluate(async () => {
      const w = globalThis as unknown as {
        document: { getElementById(id: string): { scrollTop: number } };
        requestAnimationFrame(cb: () => void): void;
        __dashboard: {
          grid: { renders: number; lastRenderMs: number; maxRenderMs: number };
          renderedCards(): number;
        };
      };
      const grid = w.document.getElementById('grid');
      const renders = w.__dashboard.grid.renders;
      const t0 = performance.now();
      for (let i = 0; i < 30; i++) {
        grid.scrollTop += 4000;
        await new Promise<void>((resolve) => w.requestAnimationFrame(() => resolve()));
      }
      return {
        frames: 30,
        totalMs: performance.now() - t0,
        gridRenders: w.__dashboard.grid.renders - renders,
        maxGridRenderMs: w.__dashboard.grid.maxRenderMs,
        cards: w.__dashboard.renderedCards(),
      };
    });

    const figures = {
      cps: N,
      supplying: SUPPLYING,
      time_to_first_render_ms: Math.round(first.firstRenderAt),
      snapshot_parse_apply_render_ms: Math.round(first.snapshotMs),
      cards_in_dom: first.cards,
      update_batches: batches,
      sse_bytes_per_second: Math.round(bytesPerSecond),
      scroll,
    };
    mkdirSync(TEST_OUTPUT, { recursive: true });
    writeFileSync(`${TEST_OUTPUT}dashboard-10k.json`, `${JSON.stringify(figures, null, 2)}\n`);
    process.stderr.write(`dashboard 10k figures: ${JSON.stringify(figures)}\n`);

    // Bounds loose enough for a loaded 2-core CI machine, tight enough to catch a grid that is
    // not virtualised (10,000 cards take seconds) or a feed that is not batched.
    expect(first.cards).toBeLessThan(200);
    expect(scroll.cards).toBeLessThan(200);
    expect(first.firstRenderAt).toBeLessThan(10_000);
    expect(batches.count).toBeGreaterThanOrEqual(WINDOW_MS / 1000);
    expect(batches.count).toBeLessThanOrEqual((WINDOW_MS / 1000) * 2 + 4);
    expect(batches.median).toBeLessThan(100);
    await page.close();
  });
});
