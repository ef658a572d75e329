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

/** Whether the broker hung up on the client (kafkajs' "Closed connection"), anywhere in the cause chain. */
export function isConnectionClosed(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; current && depth < 10; depth++) {
    if ((current as { name?: unknown }).name === 'KafkaJSConnectionClosedError') return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * The error `connect()` fails with. A SASL listener closes the connection of a client that sends
 * no credentials, which kafkajs reports only as "Closed connection": when no SASL was configured,
 * say that the broker may want it and which options set it. Any other error is returned as it is.
 */
export function connectError(
  error: unknown,
  context: { name: string; brokers: readonly string[]; sasl: boolean },
) {
  if (context.sasl || !isConnectionClosed(error)) return error;
  const what = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new Error(
    `${context.name}: the broker at ${context.brokers.join(', ')} closed the connection while connecting (${what}). ` +
      'It may require SASL credentials: set the transport option `sasl` ({ mechanism: "plain" | "scram-sha-256" | "scram-sha-512", username, password }), ' +
      'and `ssl` too if the listener uses TLS',
    { cause: error },
  );
}

/** An error's message for a reason text (a dead letter's header, a log line); anything else as a string. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
