import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { isTransientKafkaError } from './kafka-errors.js';

// kafkajs' typings leave out the options its error constructors take.
type KafkaErrorClass = new (e: unknown, options?: { cause?: unknown; retriable?: boolean }) => Error;
const ConnectionError = kafkajs.KafkaJSConnectionError as unknown as KafkaErrorClass;
const NonRetriableError = kafkajs.KafkaJSNonRetriableError as unknown as KafkaErrorClass;
const ProtocolError = kafkajs.KafkaJSProtocolError as unknown as KafkaErrorClass;

describe('isTransientKafkaError', () => {
  it('sees a refused connection through the "non-retriable" wrapper kafkajs gives up with', () => {
    const refused = new ConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092');
    expect(isTransientKafkaError(refused)).toBe(true);
    // What kafkajs' retrier rejects with when a metadata refresh meets the refused connection.
    expect(isTransientKafkaError(new NonRetriableError(refused, { cause: refused }))).toBe(true);
  });

  it('treats permanent failures as permanent', () => {
    expect(isTransientKafkaError(new NonRetriableError('Invalid message without value'))).toBe(false);
    const tooLarge = new ProtocolError('MESSAGE_TOO_LARGE', { retriable: false });
    expect(isTransientKafkaError(new NonRetriableError(tooLarge, { cause: tooLarge }))).toBe(false);
    expect(isTransientKafkaError(new Error('boom'))).toBe(false);
    expect(isTransientKafkaError(undefined)).toBe(false);
  });
});
