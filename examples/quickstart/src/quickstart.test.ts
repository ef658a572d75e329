import { readFile } from 'node:fs/promises';
import { silentLogger, VirtualClock } from '@evcharging/core';
import { parseRequests } from '@evcharging/driver';
import type { ChargingNetwork } from '@evcharging/network';
import { afterEach, describe, expect, it } from 'vitest';
import { createQuickstart, REQUESTS_FILE } from './quickstart.js';

let net: ChargingNetwork | undefined;
afterEach(async () => {
  await net?.stop();
  net = undefined;
});

describe('the quickstart', () => {
  it('ships a requests file of at least 10 requests in the original format', async () => {
    const requests = parseRequests(await readFile(REQUESTS_FILE, 'utf8'), REQUESTS_FILE);
    expect(requests.length).toBeGreaterThanOrEqual(10);
    expect(new Set(requests.map((r) => r.cp_id)).size).toBe(10);
  });

  it('serves the dashboard and the API while drivers charge, and stops cleanly', async () => {
    const clock = new VirtualClock();
    net = await createQuickstart({ port: 0, clock, logger: silentLogger() });
    await net.start();
    await net.run({ for: 120_000 });
    const address = net.central.httpAddress!;
    const base = `http://127.0.0.1:${address.port}`;
    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'healthy', cps: 10 });
    const cps = (await (await fetch(`${base}/cp`)).json()) as { cp_id: string; state: string }[];
    expect(cps).toHaveLength(10);
    expect(cps.every((cp) => cp.state === 'ACTIVATED' || cp.state === 'SUPPLYING')).toBe(true);
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    // Three drivers going through the list forever: after two minutes each has tickets.
    for (const driver of net.drivers.values()) {
      expect(driver.summary().completed, driver.driverId).toBeGreaterThanOrEqual(2);
    }
    await net.stop();
    await expect(fetch(`${base}/health`)).rejects.toThrow();
    net = undefined;
  });

  it('with a site limit, runs its CPs as one site whose load never passes the limit', async () => {
    const clock = new VirtualClock();
    net = await createQuickstart({ port: 0, clock, logger: silentLogger(), drivers: 6, siteLimitKw: 40 });
    await net.start();
    let peak = 0;
    for (let s = 0; s < 120; s++) {
      await net.run({ for: 1_000 });
      const loads = net.central.service.charging?.siteLoads() ?? [];
      expect(loads.map((l) => [l.site_id, l.cps, l.limit_kw])).toEqual([['Site 1', 10, 40]]);
      peak = Math.max(peak, loads[0]!.load_kw);
    }
    // Six drivers at 22 and 50 kW CPs ask for more than 40 kW: the limit binds, and holds. The load
    // is the sum of the telemetry's kW, each rounded to 0.001 kW on the wire: up to 0.001 per CP over.
    expect(peak).toBeGreaterThan(30);
    expect(peak).toBeLessThanOrEqual(40 + 10 * 0.001);
  });
});
