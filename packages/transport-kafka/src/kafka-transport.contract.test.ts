import { describeTransportContract } from '@evcharging/core/testing';
import { describe, inject } from 'vitest';
import { kafkaTestbed } from './test-support/kafka-testbed.js';

const kafka = inject('kafka');

describe.skipIf(kafka.bootstrap === null)('KafkaTransport on a real broker', () => {
  describeTransportContract('kafka', async () => kafkaTestbed(kafka.bootstrap!), {
    timeoutMs: 60_000,
    quietMs: 500,
  });
});
