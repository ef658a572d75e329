import { createNode, type EvNode, RealClock, silentLogger } from '@evcharging/core';
import { MemoryBroker } from '@evcharging/transport-memory';
import { afterEach, describe, expect, it } from 'vitest';
import type { CentralHttpOptions } from '../central-controller.js';
import { type CentralController, centralController } from '../central-controller.js';

// Central's controller serves the dashboard at `/` by default, the plain CP list when it is off.

const nodes: EvNode[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((node) => node.stop()));
});

async function startCentral(http: Partial<CentralHttpOptions> = {}, apiToken?: string) {
  const central: CentralController = centralController({
    cps: [{ cp_id: 'CP-001', location: 'Main St', price_eur_kwh: 0.3, kw: 22 }],
    http: { port: 0, ...http },
    ...(apiToken ? { apiToken } : {}),
  });
  const clock = new RealClock();
  const node = createNode({
    id: 'central',
    transport: new MemoryBroker().transport('central', { clock }),
    clock,
    logger: silentLogger(),
    plugins: [central],
  });
  nodes.push(node);
  await node.start();
  return `http://127.0.0.1:${central.httpAddress!.port}`;
}

describe("Central's controller and the dashboard", () => {
  it('serves the dashboard at / and its stream by default, saying a token is needed when there is one', async () => {
    const base = await startCentral({}, 'secret');
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('/dashboard/dashboard.js');
    expect(await (await fetch(`${base}/dashboard/config.json`)).json()).toMatchObject({
      token_required: true,
    });
    const controller = new AbortController();
    const stream = await fetch(`${base}/api/v1/stream`, { signal: controller.signal });
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = stream.body!.getReader();
    let text = '';
    while (!text.includes('\n\n')) text += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    expect(text).toContain('event: snapshot');
    expect(text).toContain('"cp_id":"CP-001"');
  });

  it('serves the plain CP list instead when the dashboard is off', async () => {
    const base = await startCentral({ dashboard: false });
    const page = await (await fetch(`${base}/`)).text();
    expect(page).not.toContain('/dashboard/dashboard.js');
    expect(page).toContain('CP-001');
    expect((await fetch(`${base}/api/v1/stream`)).status).toBe(404);
  });
});
