import type { TSchema } from '@sinclair/typebox';
import { type TypeCheck, TypeCompiler } from '@sinclair/typebox/compiler';
import { isTopicName, TOPICS, type TopicMessage, type TopicName, type TopicVariants } from './topics.js';

/** Result of checking a value against a topic's schema. */
export type Validation<T> = { ok: true; value: T } | { ok: false; reasons: string[] };

const compiled = new Map<TSchema, TypeCheck<TSchema>>();

function checkerFor(schema: TSchema): TypeCheck<TSchema> {
  let check = compiled.get(schema);
  if (!check) {
    check = TypeCompiler.Compile(schema);
    compiled.set(schema, check);
  }
  return check;
}

/** Checks a value against any TypeBox schema and lists every reason it fails. */
export function validateSchema<T>(schema: TSchema, value: unknown, limit = 20): Validation<T> {
  const check = checkerFor(schema);
  if (check.Check(value)) return { ok: true, value: value as T };
  const reasons: string[] = [];
  for (const error of check.Errors(value)) {
    reasons.push(`${error.path || '/'}: ${error.message}`);
    if (reasons.length >= limit) break;
  }
  return { ok: false, reasons: reasons.length > 0 ? reasons : ['value does not match the schema'] };
}

/**
 * Checks a message against the contract of its topic.
 *
 * @example
 * const result = validate('cp.status', { cp_id: 'CP-001', state: 'ACTIVATED' });
 * if (!result.ok) console.error(result.reasons);
 */
export function validate<T extends TopicName>(topic: T, value: unknown): Validation<TopicMessage<T>> {
  if (!isTopicName(topic)) return { ok: false, reasons: [`unknown topic "${String(topic)}"`] };
  const { schema, variants } = TOPICS[topic] as { schema: TSchema; variants?: TopicVariants };
  if (variants) return validateVariant(variants, value);
  return validateSchema<TopicMessage<T>>(schema, value);
}

/** A compiled check of one topic's contract: true for a valid message, no reasons, no allocation. */
export type ContractCheck<T extends TopicName> = (value: unknown) => value is TopicMessage<T>;

const contractChecks = new Map<TopicName, ContractCheck<TopicName>>();

/**
 * The compiled check of a topic's contract, made once per topic: for paths that check every message
 * and only need to know whether it passes. On a failure, {@link validate} gives the reasons.
 *
 * @example
 * const isTelemetry = contractCheck('cp.telemetry');
 * if (!isTelemetry(message)) throw new ContractViolationError('cp.telemetry', validate('cp.telemetry', message).reasons);
 */
export function contractCheck<T extends TopicName>(topic: T): ContractCheck<T> {
  let check = contractChecks.get(topic);
  if (!check) {
    if (!isTopicName(topic)) throw new Error(`contractCheck: unknown topic "${String(topic)}"`);
    const { schema, variants } = TOPICS[topic] as { schema: TSchema; variants?: TopicVariants };
    check = variants ? variantCheck(variants) : compiledCheck(checkerFor(schema));
    contractChecks.set(topic, check);
  }
  return check as ContractCheck<T>;
}

function compiledCheck(checker: TypeCheck<TSchema>): ContractCheck<TopicName> {
  return (value): value is TopicMessage<TopicName> => checker.Check(value);
}

/** Picks the member's compiled check by its tag, as {@link validateVariant} does. */
function variantCheck(variants: TopicVariants): ContractCheck<TopicName> {
  const byTag = new Map(Object.entries(variants.schemas).map(([tag, schema]) => [tag, checkerFor(schema)]));
  const tagField = variants.tag;
  return (value): value is TopicMessage<TopicName> => {
    if (typeof value !== 'object' || value === null) return false;
    const tag = (value as Record<string, unknown>)[tagField];
    const checker = typeof tag === 'string' ? byTag.get(tag) : undefined;
    return checker?.Check(value) === true;
  };
}

/**
 * Checks a member of a discriminated union against its own schema, chosen by its tag. A missing or
 * unknown tag is one reason naming the tag and the values it may take, beside the reasons of the
 * fields every member shares.
 */
function validateVariant<T>(variants: TopicVariants, value: unknown): Validation<T> {
  const tag =
    typeof value === 'object' && value !== null
      ? (value as Record<string, unknown>)[variants.tag]
      : undefined;
  if (typeof tag === 'string' && Object.hasOwn(variants.schemas, tag)) {
    return validateSchema<T>(variants.schemas[tag]!, value);
  }
  const expected = Object.keys(variants.schemas).join(', ');
  const tagReason =
    tag === undefined
      ? `/${variants.tag}: Expected required property (one of ${expected})`
      : `/${variants.tag}: Expected one of ${expected}, got ${JSON.stringify(tag)?.slice(0, 64)}`;
  const shared = validateSchema<T>(variants.shared, value);
  const reasons = shared.ok ? [] : shared.reasons.filter((r) => !r.startsWith(`/${variants.tag}`));
  return { ok: false, reasons: [tagReason, ...reasons] };
}

/** Thrown when a message does not match its topic's contract. */
export class ContractViolationError extends Error {
  override readonly name = 'ContractViolationError';
  constructor(
    readonly topic: string,
    readonly reasons: string[],
  ) {
    super(`invalid message for topic "${topic}": ${reasons.join('; ')}`);
  }
}

/** Like {@link validate} but throws a {@link ContractViolationError} naming the topic and reasons. */
export function assertValid<T extends TopicName>(topic: T, value: unknown): TopicMessage<T> {
  const result = validate(topic, value);
  if (!result.ok) throw new ContractViolationError(topic, result.reasons);
  return result.value;
}
