/** kafkajs errors that say "not now" rather than "never" (connections, leaders, metadata). */
const TRANSIENT_NAMES = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSBrokerNotFound',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSTopicMetadataNotLoaded',
  'KafkaJSLockTimeout',
]);

/**
 * Whether a failed Kafka call may succeed if tried again later. kafkajs wraps the cause of a
 * give-up in a "non-retriable" error (a refused connection during a metadata refresh, for one),
 * so the whole cause chain is read.
 */
export function isTransientKafkaError(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; current && depth < 10; depth++) {
    const e = current as { name?: unknown; retriable?: unknown; cause?: unknown };
    if (e.retriable === true) return true;
    if (typeof e.name === 'string' && TRANSIENT_NAMES.has(e.name)) return true;
    current = e.cause;
  }
  return false;
}
