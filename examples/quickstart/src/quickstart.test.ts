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
});
