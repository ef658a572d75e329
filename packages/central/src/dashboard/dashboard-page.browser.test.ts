import { RealClock, silentLogger } from '@evcharging/core';
import fastify, { type FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type BrowserWindow,
  browserLock,
  chromiumAvailable,
  countIs,
  isLive,
  LOCK_WAIT_MS,
  launchChromium,
} from './__fixtures__/chromium.js';
import { makeCp, ScriptedDashboardSource } from './__fixtures__/scripted-dashboard-source.js';
import { registerDashboard } from './register-dashboard.js';

// The page against a scripted source: rendering, colours, filters, reconnection. The behaviour
// with a real Central (sessions, faults, operator commands) is in central-dashboard.browser.test.ts.

const COLOURS = {
  ACTIVATED: 'rgb(76, 175, 80)',
  SUPPLYING: 'rgb(33, 150, 243)',
  STOPPED: 'rgb(255, 152, 0)',
  FAULT: 'rgb(244, 67, 54)',
  DISCONNECTED: 'rgb(158, 158, 158)',
};

const fleet = (n: number) =>
  Array.from({ length: n }, (_, i) =>
    makeCp(`CP-${String(i + 1).padStart(3, '0')}`, { location: i % 2 ? 'Harbour' : 'Station' }),
  );

async function serve(
  source: ScriptedDashboardSource,
  port = 0,
): Promise<{ app: FastifyInstance; port: number }> {
  const app = fastify({ forceCloseConnections: true });
  await registerDashboard(app, {
    source,
    clock: new RealClock(),
    logger: silentLogger(),
    flushIntervalMs: 100,
    sampleIntervalMs: 250,
  });
  await app.listen({ host: '127.0.0.1', port });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return { app, port: address.port };
}

const cardOf = (page: Page, id: string) => page.locator(`.cp-card[data-cp-id="${id}"]`);
/** The card's state colour (its left border) as the browser computed it. */
const colourOf = (page: Page, id: string): Promise<string> =>
  cardOf(page, id).evaluate(
    (el) => (globalThis as unknown as BrowserWindow).getComputedStyle(el).borderLeftColor,
  );

describe.skipIf(!chromiumAvailable())(
  'dashboard page in Chromium (scripted source)',
  { timeout: 30_000 },
  () => {
    let browser: Browser;
    const apps: FastifyInstance[] = [];
    let page: Page;
    const pageProblems: string[] = [];

    let release: () => void = () => {};

    beforeAll(async () => {
      release = await browserLock();
      browser = await launchChromium();
    }, LOCK_WAIT_MS + 30_000);
    afterAll(async () => {
      await browser?.close();
      release();
    });
    afterEach(async () => {
      // Uncaught errors and CSP violations in the page fail the test that caused them.
      expect(pageProblems).toEqual([]);
      pageProblems.length = 0;
      await page?.close();
      await Promise.all(apps.splice(0).map((app) => app.close()));
    });

    async function open(source: ScriptedDashboardSource, port = 0) {
      const served = await serve(source, port);
      apps.push(served.app);
      page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      page.on('pageerror', (error) => pageProblems.push(`page error: ${error.message}`));
      page.on('console', (message) => {
        if (message.text().includes('Content Security Policy')) pageProblems.push(message.text());
      });
      await page.goto(`http://127.0.0.1:${served.port}/`);
      await page.waitForFunction(isLive);
      return served;
    }

    it('lists the CPs with id, location, price and state as text and colour', async () => {
      const source = new ScriptedDashboardSource(fleet(24));
      await open(source);
      expect(await page.textContent('#total-cps')).toBe('24');
      expect(await page.textContent('#count-ACTIVATED')).toBe('24');
      const card = cardOf(page, 'CP-002');
      expect(await card.locator('.cp-meta').textContent()).toBe('Harbour · €0.30/kWh · 22 kW');
      expect(await card.locator('.state-badge').textContent()).toBe('Activated');
      expect(await colourOf(page, 'CP-002')).toBe(COLOURS.ACTIVATED);
      expect(await card.locator('.monitor').textContent()).toBe('monitor up');
    });

    it("shows an active session's SoC on its card, and none for a session without a vehicle", async () => {
      const source = new ScriptedDashboardSource(fleet(3));
      await open(source);
      const supplying = {
        state: 'SUPPLYING',
        driver_id: 'driver-alice',
        session_id: 'session-1',
        session_started_at: '2026-01-01T00:00:00.000Z',
        kw: 30,
        kwh: 37.25,
        euros: 11.18,
      } as const;
      source.update('CP-001', { ...supplying, soc: 57.25 });
      source.update('CP-002', { ...supplying, session_id: 'session-2' });
      await page.waitForSelector('.cp-card[data-cp-id="CP-001"][data-state="SUPPLYING"]', { timeout: 2000 });
      await page.waitForSelector('.cp-card[data-cp-id="CP-002"][data-state="SUPPLYING"]', { timeout: 2000 });
      expect(await cardOf(page, 'CP-001').locator('.cp-supply').textContent()).toBe(
        '30.0 kW · 37.250 kWh · €11.18 · SoC 57 %',
      );
      expect(await cardOf(page, 'CP-002').locator('.cp-supply').textContent()).toBe(
        '30.0 kW · 37.250 kWh · €11.18',
      );
      // The SoC follows the telemetry.
      source.update('CP-001', { soc: 61.75 });
      await expect
        .poll(() => cardOf(page, 'CP-001').locator('.cp-supply').textContent(), { timeout: 2000 })
        .toBe('30.0 kW · 37.250 kWh · €11.18 · SoC 62 %');
    });

    it("draws each site's load against its limit: two lines, the latest figures in words", async () => {
      const source = new ScriptedDashboardSource(fleet(4));
      source.siteFigures = [
        { site_id: 'Depot', cps: 2, load_kw: 12.5, limit_kw: 30 },
        { site_id: 'Mall', cps: 2, load_kw: 0, limit_kw: 50 },
      ];
      await open(source);
      const depot = page.locator('.site-chart[data-site-id="Depot"]');
      await depot.waitFor({ timeout: 2000 });
      expect(await page.isVisible('#sites-panel')).toBe(true);
      // The limit drops (a curve) and the load follows it: the figures the page shows are the source's.
      source.siteFigures = [
        { site_id: 'Depot', cps: 2, load_kw: 19.75, limit_kw: 20 },
        { site_id: 'Mall', cps: 2, load_kw: 44, limit_kw: 50 },
      ];
      await expect.poll(() => depot.getAttribute('data-limit-kw'), { timeout: 2000 }).toBe('20');
      expect(await depot.getAttribute('data-load-kw')).toBe('19.75');
      expect(await depot.locator('figcaption').textContent()).toBe(
        'Depot · 2 CPs · 19.8 kW of 20.0 kW limit',
      );
      expect(await page.locator('.site-chart').count()).toBe(2);
      // Both lines are on the canvas: the load in blue, the limit in red.
      await page.waitForTimeout(300);
      const colours = await depot.locator('canvas').evaluate((canvas) => {
        const c = canvas as unknown as {
          width: number;
          height: number;
          getContext(kind: '2d'): {
            getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
          };
        };
        const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
        let blue = 0;
        let red = 0;
        for (let i = 0; i < data.length; i += 4) {
          const [r, g, b, a] = [data[i]!, data[i + 1]!, data[i + 2]!, data[i + 3]!];
          if (a < 200) continue;
          if (Math.abs(r - 33) < 30 && Math.abs(g - 150) < 30 && Math.abs(b - 243) < 30) blue++;
          if (Math.abs(r - 244) < 30 && Math.abs(g - 67) < 30 && Math.abs(b - 54) < 30) red++;
        }
        return { blue, red };
      });
      expect(colours.blue).toBeGreaterThan(20);
      expect(colours.red).toBeGreaterThan(20);
    });

    it('has no site panel when Central has no sites', async () => {
      const source = new ScriptedDashboardSource(fleet(2));
      await open(source);
      await page.waitForTimeout(600);
      expect(await page.isVisible('#sites-panel')).toBe(false);
      expect(await page.locator('.site-chart').count()).toBe(0);
    });

    it('shows every state in its colour and words within a flush', async () => {
      const source = new ScriptedDashboardSource(fleet(6));
      await open(source);
      source.update('CP-001', {
        state: 'SUPPLYING',
        driver_id: 'driver-alice',
        session_id: 'session-1',
        session_started_at: '2026-01-01T00:00:00.000Z',
        kw: 22,
        kwh: 1.5,
        euros: 0.45,
      });
      source.update('CP-002', { state: 'STOPPED' });
      source.update('CP-003', { state: 'FAULT', reason: 'engine not answering' });
      source.update('CP-004', { state: 'DISCONNECTED', monitor: 'down' });
      const expectations = [
        ['CP-001', 'SUPPLYING', 'Supplying'],
        ['CP-002', 'STOPPED', 'Out of Order'],
        ['CP-003', 'FAULT', 'Fault'],
        ['CP-004', 'DISCONNECTED', 'Disconnected'],
        ['CP-005', 'ACTIVATED', 'Activated'],
      ] as const;
      for (const [id, state, label] of expectations) {
        await page.waitForSelector(`.cp-card[data-cp-id="${id}"][data-state="${state}"]`, { timeout: 2000 });
        const card = cardOf(page, id);
        expect(await card.locator('.state-badge').textContent()).toBe(label);
        expect(await colourOf(page, id)).toBe(COLOURS[state]);
      }
      expect(await cardOf(page, 'CP-001').locator('.cp-supply').textContent()).toBe(
        '22.0 kW · 1.500 kWh · €0.45',
      );
      expect(await cardOf(page, 'CP-001').locator('.cp-driver').textContent()).toBe('Driver driver-alice');
      expect(await cardOf(page, 'CP-003').locator('.cp-reason').textContent()).toBe('engine not answering');
      expect(await cardOf(page, 'CP-004').locator('.monitor').textContent()).toBe('monitor down');
      expect(await page.locator('#sessions-body tr').count()).toBe(1);
      expect(await page.textContent('#count-FAULT')).toBe('1');
    });

    it('filters by id, location and state', async () => {
      const source = new ScriptedDashboardSource(fleet(40));
      await open(source);
      source.update('CP-007', { state: 'FAULT' });
      await page.waitForSelector('.cp-card[data-cp-id="CP-007"][data-state="FAULT"]');
      await page.fill('#filter-text', 'harbour');
      await countIs(page, '.cp-card:not([hidden])', 20);
      expect(await page.textContent('#shown-count')).toBe('(20 of 40)');
      await page.fill('#filter-text', 'CP-01');
      await countIs(page, '.cp-card:not([hidden])', 10);
      await page.fill('#filter-text', '');
      await page.selectOption('#filter-state', 'FAULT');
      await countIs(page, '.cp-card:not([hidden])', 1);
      expect(await page.locator('.cp-card:not([hidden])').getAttribute('data-cp-id')).toBe('CP-007');
    });

    it('shows the event log newest first', async () => {
      const source = new ScriptedDashboardSource(fleet(2));
      await open(source);
      source.event({ ts: '2026-01-01T10:00:00.000Z', kind: 'request', cp_id: 'CP-001', message: 'first' });
      source.event({ ts: '2026-01-01T10:00:01.000Z', kind: 'fault', cp_id: 'CP-001', message: 'second' });
      await countIs(page, '#events li', 2);
      const texts = await page.locator('#events li').allTextContents();
      expect(texts).toEqual(['10:00:01faultsecond', '10:00:00requestfirst']);
    });

    it('says when Central is gone and resyncs from a fresh snapshot when it is back', async () => {
      const source = new ScriptedDashboardSource(fleet(3));
      const { app, port } = await open(source);
      await app.close();
      apps.splice(apps.indexOf(app), 1);
      await page.waitForSelector('#banner:not([hidden])', { timeout: 5000 });
      expect(await page.textContent('#banner')).toContain('Connection to Central lost');
      expect(await page.getAttribute('body', 'data-connection')).toBe('lost');

      // A new Central on the same port with a changed world.
      const next = new ScriptedDashboardSource([...fleet(3), makeCp('CP-004', { state: 'FAULT' })]);
      const served = await serve(next, port);
      apps.push(served.app);
      await page.waitForFunction(isLive, undefined, { timeout: 15_000 });
      expect(await page.isHidden('#banner')).toBe(true);
      expect(await page.textContent('#total-cps')).toBe('4');
      expect(await cardOf(page, 'CP-004').getAttribute('data-state')).toBe('FAULT');
    }, 30_000);
  },
);
