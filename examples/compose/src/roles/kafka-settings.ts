import type { ConfigProblem, Logger } from '@evcharging/core';
import { KafkaTransport } from '@evcharging/transport-kafka';
import { Type } from '@sinclair/typebox';

/**
 * Kafka settings every Kafka role adds to the original's `<PREFIX>_KAFKA_BOOTSTRAP`, each with an
 * unprefixed compose-level fallback like `KAFKA_BOOTSTRAP`: a topic prefix (several deployments
 * or test runs on one broker) and the consumer session timeout (how soon a killed process's group
 * membership expires, so its restart rejoins quickly).
 */
export const KafkaRoleSettingsSchema = Type.Object({
  kafka_topic_prefix: Type.Optional(
    Type.String({ pattern: '^[A-Za-z0-9._-]*$', description: 'letters, digits, ".", "_" and "-"' }),
  ),
  kafka_session_timeout: Type.Number({ minimum: 6, maximum: 300, default: 10 }),
});

export const KAFKA_SETTINGS_MEANINGS = {
  kafka_topic_prefix:
    'prefix of every topic and consumer group, e.g. "site-a." (several deployments on one broker; default none)',
  kafka_session_timeout:
    'seconds before the broker drops a consumer that stopped heart-beating (a killed process); 6 to 300',
};

export const KAFKA_FALLBACKS = {
  kafka_bootstrap: ['KAFKA_BOOTSTRAP'],
  kafka_topic_prefix: ['KAFKA_TOPIC_PREFIX'],
  kafka_session_timeout: ['KAFKA_SESSION_TIMEOUT'],
};

const BROKER = /^[^\s:,/]+:\d{1,5}$/;

/** `host:port[,host:port]` → brokers; a `kafka://` scheme is tolerated. */
export function parseBrokers(text: string): string[] {
  return text
    .split(',')
    .map((b) => b.trim().replace(/^[a-z]+:\/\//i, ''))
    .filter((b) => b.length > 0);
}

/** Problems of a bootstrap list, named after the variable it came from. */
export function checkBrokers(text: string, variable: string): ConfigProblem[] {
  const brokers = parseBrokers(text);
  const bad = brokers.filter((b) => !BROKER.test(b) || Number(b.split(':')[1]) > 65535);
  if (brokers.length > 0 && bad.length === 0) return [];
  return [{ variable, expected: 'host:port[,host:port...] (e.g. kafka:9092)', received: text }];
}

export interface KafkaRoleConfig {
  kafka_bootstrap: string;
  kafka_topic_prefix?: string;
  kafka_session_timeout: number;
}

/** The role's Kafka transport: one client per process, groups and topics under the prefix. */
export function kafkaTransportFor(config: KafkaRoleConfig, clientId: string, logger: Logger): KafkaTransport {
  const sessionTimeoutMs = Math.round(config.kafka_session_timeout * 1000);
  const prefix = config.kafka_topic_prefix ?? '';
  return new KafkaTransport({
    brokers: parseBrokers(config.kafka_bootstrap),
    clientId,
    topicPrefix: prefix,
    groupIdPrefix: prefix,
    consumer: {
      sessionTimeoutMs,
      heartbeatIntervalMs: Math.max(300, Math.round(sessionTimeoutMs / 10)),
      maxWaitTimeMs: 200,
    },
    logger: retriableAsWarnings(logger.child({ component: 'kafka' })),
  });
}

/** Broker answers kafkajs retries by itself (leadership moves, group rebalances): not errors. */
const RETRIABLE =
  /not the leader|no leader|leadership election|coordinator is (not available|loading)|not the correct coordinator|group is rebalancing|generation id is not valid|not aware of this member/i;

/**
 * kafkajs logs every retriable broker answer at ERROR (a topic's first leader election, a group
 * rebalance after a killed member). They are retried and expected, so they go out as warnings;
 * an error in the logs then means something verify.sh should report. Its connection errors carry
 * the error's stack on every retry (an unreachable broker: one per attempt): the one-line `error`
 * reason is kept and the stack dropped.
 */
export function retriableAsWarnings(logger: Logger): Logger {
  const isRetriable = (context: object): boolean => {
    const { kafkajs, error } = context as { kafkajs?: unknown; error?: unknown };
    return typeof kafkajs === 'string' && typeof error === 'string' && RETRIABLE.test(error);
  };
  const wrapped: Logger = {
    trace: logger.trace.bind(logger),
    debug: logger.debug.bind(logger),
    info: logger.info.bind(logger),
    warn: ((context: object | string, message?: string) => {
      if (typeof context === 'string') logger.warn(context);
      else logger.warn(withoutStack(context), message);
    }) as Logger['warn'],
    fatal: logger.fatal.bind(logger),
    error: ((context: object | string, message?: string) => {
      if (typeof context === 'string') logger.error(context);
      else if (isRetriable(context)) logger.warn(withoutStack(context), message);
      else logger.error(withoutStack(context), message);
    }) as Logger['error'],
    child: (bindings) => retriableAsWarnings(logger.child(bindings)),
  };
  return wrapped;
}

/** A kafkajs log context without its `stack` (the `error` field already says what failed). */
export function withoutStack(context: object): object {
  if (!('kafkajs' in context) || !('stack' in context)) return context;
  const { stack: _stack, ...rest } = context as { stack?: unknown };
  return rest;
}
