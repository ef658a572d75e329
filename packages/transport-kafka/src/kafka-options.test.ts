import { describe, expect, it } from 'vitest';
import { kafkaBrokersFromEnv, resolveKafkaOptions } from './kafka-options.js';

describe('resolveKafkaOptions', () => {
  it('fills in the defaults', () => {
    const resolved = resolveKafkaOptions({ brokers: ['localhost:9092'] });
    expect(resolved.clientId).toBe('evcharging');
    expect(resolved.topics).toMatchObject({ create: true, partitions: 3, replicationFactor: -1 });
    expect(resolved.consumer.sessionTimeoutMs).toBe(30_000);
    expect(resolved.handlerRetry.maxAttempts).toBe(5);
    expect(resolved.retry.retries).toBe(12);
  });

  it('rejects bad values with the option name', () => {
    expect(() => resolveKafkaOptions({ brokers: [] })).toThrow(/brokers/);
    expect(() => resolveKafkaOptions({ brokers: ['kafka'] })).toThrow(/"kafka" is not host:port/);
    expect(() => resolveKafkaOptions({ brokers: ['k:1'], topicPrefix: 'a/b' })).toThrow(/topicPrefix/);
    expect(() => resolveKafkaOptions({ brokers: ['k:1'], topics: { partitions: 0 } })).toThrow(
      /topics.partitions must be a number >= 1, got 0/,
    );
    expect(() =>
      resolveKafkaOptions({
        brokers: ['k:1'],
        consumer: { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 6_000 },
      }),
    ).toThrow(/heartbeatIntervalMs/);
  });
});

describe('kafkaBrokersFromEnv', () => {
  it('reads a comma-separated list, tolerating spaces and a scheme', () => {
    expect(kafkaBrokersFromEnv({ KAFKA_BOOTSTRAP: 'a:9092, PLAINTEXT://b:9093' })).toEqual([
      'a:9092',
      'b:9093',
    ]);
  });

  it('defaults to localhost:9092 and reads the variable it is told', () => {
    expect(kafkaBrokersFromEnv({})).toEqual(['localhost:9092']);
    expect(kafkaBrokersFromEnv({ CENTRAL_KAFKA_BOOTSTRAP: 'c:1' }, 'CENTRAL_KAFKA_BOOTSTRAP')).toEqual([
      'c:1',
    ]);
  });

  it('names the variable when a value is malformed', () => {
    expect(() => kafkaBrokersFromEnv({ KAFKA_BOOTSTRAP: 'a:9092,b' })).toThrow(
      /KAFKA_BOOTSTRAP: "b" is not host:port/,
    );
  });
});
