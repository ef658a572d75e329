import type { TSchema } from '@sinclair/typebox';
import {
  type CentralCommand,
  CentralCommandSchema,
  COMMAND_SCHEMAS,
  CommandEnvelopeSchema,
  type CpStatus,
  CpStatusSchema,
  type CpTelemetry,
  CpTelemetrySchema,
  type DriverRequest,
  DriverRequestSchema,
  type DriverUpdate,
  DriverUpdateSchema,
  type SessionEnd,
  SessionEndSchema,
} from './schemas.js';

/** Message type carried by each topic. */
export interface TopicMessages {
  'driver.requests': DriverRequest;
  'driver.updates': DriverUpdate;
  'central.commands': CentralCommand;
  'cp.status': CpStatus;
  'cp.telemetry': CpTelemetry;
  'cp.session_end': SessionEnd;
}

export type TopicName = keyof TopicMessages;
export type TopicMessage<T extends TopicName> = TopicMessages[T];

/**
 * The members of a topic whose messages are a discriminated union: the tag field and each member's
 * schema by tag value. Validation checks a message against its own member only, so its reasons
 * name that member's fields (a union check would only say "expected union value").
 */
export interface TopicVariants {
  readonly tag: string;
  readonly schemas: Readonly<Record<string, TSchema>>;
  /** The fields every member has, checked when the tag is missing or unknown. */
  readonly shared: TSchema;
}

/** A topic of the wire contract: its name, the field its messages are keyed by, and its schema. */
export interface TopicContract<T extends TopicName = TopicName> {
  readonly name: T;
  readonly key: keyof TopicMessages[T] & string;
  readonly schema: TSchema;
  /** Set when the topic carries a discriminated union (`central.commands`, on `cmd`). */
  readonly variants?: TopicVariants;
  readonly description: string;
}

/**
 * Every topic of the wire contract. The key keeps per-CP and per-driver order on Kafka.
 *
 * @example
 * TOPICS['cp.status'].key // 'cp_id'
 */
export const TOPICS: { readonly [T in TopicName]: TopicContract<T> } = {
  'driver.requests': {
    name: 'driver.requests',
    key: 'driver_id',
    schema: DriverRequestSchema,
    description: 'driver → central: a request to charge at a CP',
  },
  'driver.updates': {
    name: 'driver.updates',
    key: 'driver_id',
    schema: DriverUpdateSchema,
    description: 'central → driver: accepted, denied, in_progress, completed, failed',
  },
  'central.commands': {
    name: 'central.commands',
    key: 'cp_id',
    schema: CentralCommandSchema,
    variants: { tag: 'cmd', schemas: COMMAND_SCHEMAS, shared: CommandEnvelopeSchema },
    description: 'central → engine: start_supply, stop_supply, stop_cp, resume_cp, shutdown, set_power_limit',
  },
  'cp.status': {
    name: 'cp.status',
    key: 'cp_id',
    schema: CpStatusSchema,
    description: 'engine → central: every state transition',
  },
  'cp.telemetry': {
    name: 'cp.telemetry',
    key: 'cp_id',
    schema: CpTelemetrySchema,
    description: 'engine → central: power and cumulative energy and cost while supplying',
  },
  'cp.session_end': {
    name: 'cp.session_end',
    key: 'cp_id',
    schema: SessionEndSchema,
    description: 'engine → central: the ticket of an ended session',
  },
};

export const TOPIC_NAMES = Object.keys(TOPICS) as TopicName[];

export function isTopicName(name: string): name is TopicName {
  return Object.hasOwn(TOPICS, name);
}

/** The key of a message on its topic (the value of the contract's key field). */
export function keyOf<T extends TopicName>(topic: T, message: TopicMessage<T>): string {
  const key = (message as Record<string, unknown>)[TOPICS[topic].key];
  return typeof key === 'string' ? key : '';
}
