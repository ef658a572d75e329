import { Writable } from 'node:stream';
import { createLogger } from '@evcharging/core';
import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { kafkaLogCreator } from './kafka-log.js';

const { logLevel } = kafkajs;

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'debug', destination }) };
}

describe('kafkaLogCreator', () => {
  it('keeps kafkajs errors and warnings, demotes INFO chatter and per-request error responses', () => {
    const { lines, logger } = capture();
    const log = kafkaLogCreator(logger)(logLevel.INFO);
    const entry = (namespace: string, level: number, message: string, extra = {}) =>
      log({ namespace, level, label: '', log: { timestamp: 'x', message, ...extra } });
    entry('Admin', logLevel.ERROR, 'Failed to create topics', { groupId: 'central' });
    entry('Connection', logLevel.WARN, 'Connection timeout');
    entry('Consumer', logLevel.INFO, 'Starting');
    entry('Connection', logLevel.ERROR, 'Response ListOffsets(key: 2, version: 3)', {
      error: 'not the leader',
    });
    expect(lines.map((l) => [l.level, l.kafkajs, l.msg])).toEqual([
      [50, 'Admin', 'Failed to create topics'],
      [40, 'Connection', 'Connection timeout'],
      [20, 'Consumer', 'Starting'],
      [20, 'Connection', 'Response ListOffsets(key: 2, version: 3)'],
    ]);
    expect(lines[0]!.groupId).toBe('central');
    expect(lines[0]).not.toHaveProperty('timestamp');
  });

  it("leaves consumer crashes to the subscription's CRASH report (kafkajs says error even when it restarts)", () => {
    const { lines, logger } = capture();
    const log = kafkaLogCreator(logger)(logLevel.INFO);
    const entry = (message: string) =>
      log({ namespace: 'Consumer', level: logLevel.ERROR, label: '', log: { timestamp: 'x', message } });
    // What a fresh broker's first group join gives: retried by kafkajs, logged twice at error.
    entry(
      "Crash: KafkaJSProtocolError: The coordinator is loading and hence can't process requests for this group",
    );
    entry('Restarting the consumer in 300ms');
    expect(lines.map((l) => l.level)).toEqual([20, 20]);
  });
});
