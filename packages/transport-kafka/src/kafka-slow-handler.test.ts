import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { type KafkaTestbed, kafkaTestbed } from './test-support/kafka-testbed.js';

const kafka = inject('kafka');

/** Longer than the test consumers' 6 s session timeout. */
const HANDLER_MS = 8_000;

describe.skipIf(kafka.bootstrap === null)(
  'KafkaTransport with a handler slower than the session timeout',
  () => {
    let bed: KafkaTestbed;
    beforeEach(() => {
      bed = kafkaTestbed(kafka.bootstrap!);
    });
    afterEach(async () => {
      await bed.teardown();
    });

    it('keeps its group membership while the handler runs: the record is handled once, the next one after it', async () => {
      const producer = await bed.transport('producer');
      const central = await bed.transport('central');
      const calls: string[] = [];
      await central.subscribe('driver.requests', { group: 'central' }, async (request) => {
        calls.push(request.request_id);
        if (request.request_id === 'req-slow')
          await new Promise((resolve) => setTimeout(resolve, HANDLER_MS));
      });
      // One key, one partition: the second record waits behind the slow one.
      await producer.publish('driver.requests', {
        request_id: 'req-slow',
        driver_id: 'driver-a',
        cp_id: 'CP-1',
      });
      await producer.publish('driver.requests', {
        request_id: 'req-next',
        driver_id: 'driver-a',
        cp_id: 'CP-1',
      });
      const deadline = Date.now() + 30_000;
      while (!calls.includes('req-next') && Date.now() < deadline) await bed.settle(200);
      // Long enough for a session that expired during the handler to show as a redelivery.
      await bed.settle(3_000);
      expect(calls).toEqual(['req-slow', 'req-next']);
    }, 60_000);
  },
);
