import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RealClock } from '@evcharging/core';
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
import { cpId, type DashboardNetwork, dashboardNetwork } from './__fixtures__/dashboard-network.js';

// Central with real engines and monitors on the memory transport, in real time with short
// intervals, served by Central's own HTTP server with the dashboard, driven in headless Chromium.

const TOKEN = 'operator-secret';
const CPS = 12;
const TEST_OUTPUT = fileURLToPath(new URL('../../test-output/', import.meta.url));
const RED = 'rgb(244, 67, 54)';
const ORANGE = 'rgb(255, 152, 0)';
const GREEN = 'rgb(76, 175, 80)';
const BLUE = 'rgb(33, 150, 243)';

const card = (page: Page, id: string) => page.locator(`.cp-card[data-cp-id="${id}"]`);
const colourOf = (page: Page, id: string): Promise<string> =>
  card(page, id).evaluate(
    (el) => (globalThis as unknown as BrowserWindow).getComputedStyle(el).borderLeftColor,
  );
const stateIs = (page: Page, id: string, state: string, timeout = 5000) =>
  page.waitForSelector(`.cp-card[data-cp-id="${id}"][data-state="${state}"]`, { timeout });
/** A figure from the card's supply line ("50.0 kW · 0.012 kWh · €0.00"). */
const supplyFigure = async (page: Page, id: string, pattern: RegExp): Promise<number> => {
  const text = (await card(page, id).locator('.cp-supply').textContent()) ?? '';
  const match = pattern.exec(text);
  if (!match) throw new Error(`no ${pattern} on the card of ${id}: "${text}"`);
  return Number(match[1]);
};
const euros = (page: Page, id: string) => supplyFigure(page, id, /€(\d+\.\d+)/);
const kwh = (page: Page, id: string) => supplyFigure(page, id, /(\d+\.\d+) kWh/);

describe.skipIf(!chromiumAvailable())(
  'dashboard in Chromium against a running Central',
  { timeout: 30_000 },
  () => {
    let browser: Browser;
    let network: DashboardNetwork;
    let port: number;
    let page: Page;
    const pageErrors: string[] = [];

    let release: () => void = () => {};

    beforeAll(async () => {
      release = await browserLock();
      browser = await launchChromium();
      network = await dashboardNetwork({
        cps: CPS,
        clock: new RealClock(),
        intervalMs: 200,
        heartbeatTimeoutMs: 3000,
        apiToken: TOKEN,
        httpPort: 0,
        dashboard: { flushIntervalMs: 100, sampleIntervalMs: 250 },
      });
      await network.startCentral();
      port = network.central.port!;
      await network.startCps();
    }, LOCK_WAIT_MS + 30_000);

    afterAll(async () => {
      await browser?.close();
      await network?.stop();
      release();
    });

    afterEach(async () => {
      expect(pageErrors).toEqual([]);
      pageErrors.length = 0;
      await page?.close();
    });

    /** Opens the dashboard; with `token`, the tab already holds the operator's token. */
    async function open(token?: string): Promise<Page> {
      page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      page.on('pageerror', (error) => pageErrors.push(error.message));
      if (token) {
        await page.addInitScript((t) => {
          (
            globalThis as unknown as { sessionStorage: { setItem(k: string, v: string): void } }
          ).sessionStorage.setItem('evcharging.apiToken', t);
        }, token);
      }
      await page.goto(`http://127.0.0.1:${port}/`);
      await page.waitForFunction(isLive);
      return page;
    }

    it('lists the N CPs, connected, with their monitors up', async () => {
      await open();
      await countIs(page, '.cp-card:not([hidden])', CPS);
      await page.waitForFunction(
        (n) => (globalThis as unknown as BrowserWindow).document.querySelectorAll('.monitor.up').length === n,
        CPS,
        { timeout: 5000 },
      );
      expect(await page.textContent('#total-cps')).toBe(String(CPS));
      expect(await card(page, cpId(2)).locator('.cp-meta').textContent()).toBe('Harbour · €0.35/kWh · 50 kW');
      expect(await page.title()).toBe('EV Charging — Central');
    });

    it('shows a session with its driver and rising kW, kWh and €', async () => {
      await open();
      const id = cpId(2); // 50 kW at €0.35/kWh: about one cent every two seconds
      await network.request(id, 'driver-alice');
      await stateIs(page, id, 'SUPPLYING');
      expect(await colourOf(page, id)).toBe(BLUE);
      expect(await card(page, id).locator('.cp-driver').textContent()).toBe('Driver driver-alice');
      const first = { eur: await euros(page, id), kwh: await kwh(page, id) };
      const deadline = performance.now() + 10_000;
      let last = first;
      while (performance.now() < deadline && !(last.eur > first.eur && last.kwh > first.kwh)) {
        await page.waitForTimeout(250);
        last = { eur: await euros(page, id), kwh: await kwh(page, id) };
      }
      expect(last.eur).toBeGreaterThan(first.eur);
      expect(last.kwh).toBeGreaterThan(first.kwh);
      expect(await card(page, id).locator('.cp-supply').textContent()).toMatch(
        /^50\.0 kW · \d+\.\d{3} kWh · €/,
      );
      expect(await page.locator(`#sessions-body tr[data-cp-id="${id}"] td`).nth(1).textContent()).toBe(
        'driver-alice',
      );
      expect(Number(await page.textContent('#active-sessions'))).toBeGreaterThanOrEqual(1);
      const log = await page.locator('#events li').allTextContents();
      expect(log.some((line) => line.includes('start') && line.includes(id))).toBe(true);
      expect(Number((await page.textContent('#power'))?.replace(' kW', ''))).toBeGreaterThanOrEqual(50);
    });

    it('turns the card red within 2 s of an injected fault, and green again when it clears', async () => {
      await open();
      const id = cpId(5);
      await stateIs(page, id, 'ACTIVATED');
      const injectedAt = performance.now();
      await network.engines.get(id)!.injectFault('overheating');
      await stateIs(page, id, 'FAULT', 2000);
      const seenAfterMs = performance.now() - injectedAt;
      expect(seenAfterMs).toBeLessThan(2000);
      expect(await colourOf(page, id)).toBe(RED);
      expect(await card(page, id).locator('.state-badge').textContent()).toBe('Fault');
      expect(await page.textContent('#count-FAULT')).toBe('1');
      await network.engines.get(id)!.clearFault();
      await stateIs(page, id, 'ACTIVATED', 5000);
      expect(await colourOf(page, id)).toBe(GREEN);
    });

    it('asks for the API token, stops one CP (orange "Out of Order") and resumes it (green)', async () => {
      await open();
      const id = cpId(3);
      await stateIs(page, id, 'ACTIVATED');
      await card(page, id).locator('button[data-action="stop"]').click();
      // Central answers 401 (no token yet): the page asks; a wrong token is refused and asked again.
      await page.waitForSelector('#token-dialog[open]');
      await page.fill('#token-input', 'wrong');
      await page.click('#token-ok');
      await page.waitForSelector('#token-dialog[open]');
      expect(await page.textContent('#token-message')).toContain('refused');
      await page.fill('#token-input', TOKEN);
      await page.click('#token-ok');
      await stateIs(page, id, 'STOPPED');
      expect(await card(page, id).locator('.state-badge').textContent()).toBe('Out of Order');
      expect(await colourOf(page, id)).toBe(ORANGE);
      expect(await page.textContent('#action-result')).toBe(`Stop ${id}: done`);

      // The token is kept for the tab: no second prompt.
      await card(page, id).locator('button[data-action="resume"]').click();
      await stateIs(page, id, 'ACTIVATED');
      expect(await colourOf(page, id)).toBe(GREEN);
      expect(await page.isVisible('#token-dialog[open]')).toBe(false);
      expect(await page.textContent('#action-result')).toBe(`Resume ${id}: done`);
    });

    it('shows the error when a command fails', async () => {
      await open(TOKEN);
      await page.evaluate(() => {
        // A CP that Central does not know: the page must show Central's 404 reason.
        const doc = (
          globalThis as unknown as {
            document: { querySelector(s: string): { dataset: Record<string, string> } };
          }
        ).document;
        doc.querySelector('.cp-card:not([hidden])').dataset.cpId = 'CP-NOPE';
      });
      await page.locator('.cp-card[data-cp-id="CP-NOPE"] button[data-action="stop"]').click();
      await page.waitForSelector('#action-result.error');
      expect(await page.textContent('#action-result')).toMatch(/^Stop CP-NOPE failed: .*CP-NOPE/);
    });

    it('stops all and resumes all', async () => {
      await open(TOKEN);
      await page.click('#stop-all');
      await page.waitForFunction(
        (n) =>
          (globalThis as unknown as BrowserWindow).document.querySelectorAll('.cp-card[data-state="STOPPED"]')
            .length === n,
        CPS,
        { timeout: 5000 },
      );
      expect(await page.textContent('#count-STOPPED')).toBe(String(CPS));
      expect(await page.textContent('#action-result')).toBe('Stop all: done');
      await page.click('#resume-all');
      await page.waitForFunction(
        (n) =>
          (globalThis as unknown as BrowserWindow).document.querySelectorAll('.cp-card[data-state="STOPPED"]')
            .length === n,
        0,
        { timeout: 5000 },
      );
      expect(await page.textContent('#count-STOPPED')).toBe('0');
    });

    it('saves a screenshot of a busy network', async () => {
      await open();
      for (let i = 6; i <= 11; i++) await network.request(cpId(i), `driver-${i}`);
      await network.engines.get(cpId(12))!.injectFault('ground fault');
      await network.central.central.stopCp(cpId(4));
      await stateIs(page, cpId(12), 'FAULT');
      await stateIs(page, cpId(4), 'STOPPED');
      for (let i = 6; i <= 11; i++) await stateIs(page, cpId(i), 'SUPPLYING');
      await page.waitForTimeout(2500); // let the power chart draw a few samples
      mkdirSync(TEST_OUTPUT, { recursive: true });
      await page.screenshot({ path: `${TEST_OUTPUT}dashboard.png`, fullPage: true });
      expect(Number(await page.textContent('#count-SUPPLYING'))).toBeGreaterThanOrEqual(6);
      await network.central.central.resumeCp(cpId(4));
      await network.engines.get(cpId(12))!.clearFault();
    });

    it('says when Central is gone, then resyncs from a fresh snapshot when it restarts on the same port', async () => {
      await open();
      await network.stopCentral();
      await page.waitForSelector('#banner:not([hidden])', { timeout: 5000 });
      expect(await page.textContent('#banner')).toContain('Connection to Central lost');
      expect(await page.textContent('#connection')).toBe('Disconnected');

      // Changed while Central was away: the page must show it after the resync.
      const id = cpId(10);
      await network.engines.get(id)!.injectFault('broke while Central was down');
      await network.startCentral(port);
      await page.waitForFunction(isLive, undefined, { timeout: 20_000 });
      expect(await page.isHidden('#banner')).toBe(true);
      await countIs(page, '.cp-card:not([hidden])', CPS);
      await stateIs(page, id, 'FAULT', 10_000);
      // Monitors register with the new Central: no CP stays DISCONNECTED.
      await countIs(page, '.cp-card[data-state="DISCONNECTED"]', 0, 10_000);
      await network.engines.get(id)!.clearFault();
      const reconnects = await page.evaluate(
        () => (globalThis as unknown as BrowserWindow).__dashboard.metrics.reconnects,
      );
      expect(reconnects).toBeGreaterThanOrEqual(1);
    }, 40_000);
  },
);
