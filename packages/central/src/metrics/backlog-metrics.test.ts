import { afterEach, describe, expect, it } from 'vitest';
import { type CentralHarness, CP1, startCentral } from '../__fixtures__/central-harness.js';
import { createCentralHttpServer } from '../http/central-http-server.js';

let h: CentralHarness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

/** The lag gauge's sample for one topic, whatever Central's group is called; undefined if absent. */
function lagOf(text: string, topic: string): number | undefined {
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`evcharging_transport_consumer_lag{topic="${topic}",group="`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('Central /metrics: the transport consumer backlog', () => {
  it("publishes the lag of Central's consumer groups, rising while Central is behind and back to 0", async () => {
    h = await startCentral({ cps: [CP1] });
    const app = createCentralHttpServer({ central: h.central.service });
    try {
      await app.ready();
      await h.settle();
      const before = (await app.inject('/metrics')).body;
      expect(lagOf(before, 'cp.telemetry')).toBe(0);
      expect(before).toContain('# TYPE evcharging_transport_consumer_dropped gauge');
      expect(before).toMatch(
        /evcharging_transport_consumer_dropped\{topic="cp\.telemetry",group="[^"]+"\} 0/,
      );

      // Deliveries are asynchronous (microtasks in virtual time): published synchronously and
      // scraped before any microtask runs, the 40 readings are all waiting for Central.
      for (let i = 0; i < 40; i++) {
        void h.publish('cp.telemetry', { cp_id: CP1.cp_id, kw: 22, kwh: i / 10, euros: i / 100 });
      }
      // prom-client runs a gauge's collect synchronously at the start of get().
      const scrape = h.central.service.metrics.registry
        .getSingleMetric('evcharging_transport_consumer_lag')!
        .get();
      const behind = await scrape;
      const telemetry = behind.values.find((v) => v.labels.topic === 'cp.telemetry');
      expect(telemetry?.value).toBe(40);

      await h.settle();
      const after = (await app.inject('/metrics')).body;
      expect(lagOf(after, 'cp.telemetry')).toBe(0);
    } finally {
      await app.close();
    }
  });
});
