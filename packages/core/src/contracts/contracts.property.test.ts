import type { TSchema } from '@sinclair/typebox';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MonitorFaultReportSchema, MonitorHeartbeatSchema, MonitorRegistrationSchema } from './monitor.js';
import { TOPIC_NAMES, TOPICS, type TopicVariants } from './topics.js';
import { validate, validateSchema } from './validate.js';

// Property-based checks of the wire contract's validation: every message a schema allows passes,
// every message missing or mistyping a required field fails with a reason that names the field,
// unknown fields never hurt, and no input at all makes validation throw.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  patternProperties?: Record<string, JsonSchema>;
  anyOf?: JsonSchema[];
  const?: Json;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  pattern?: string;
  items?: JsonSchema | JsonSchema[];
  minItems?: number;
  maxItems?: number;
}

const RUNS = 300;

/** Values a JSON schema (as TypeBox writes them) accepts, as they would arrive off the wire. */
function valid(schema: JsonSchema): fc.Arbitrary<Json> {
  if (schema.anyOf) return fc.oneof(...schema.anyOf.map(valid));
  if (schema.const !== undefined) return fc.constant(schema.const);
  switch (schema.type) {
    case 'string': {
      if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern));
      const min = schema.minLength ?? 0;
      return fc.string({ minLength: min, maxLength: Math.max(min, Math.min(schema.maxLength ?? 40, 40)) });
    }
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6 });
    case 'number': {
      const min = schema.minimum ?? schema.exclusiveMinimum ?? -1e9;
      return fc
        .double({ min, max: schema.maximum ?? 1e9, noNaN: true, noDefaultInfinity: true })
        .filter((n) => schema.exclusiveMinimum === undefined || n > schema.exclusiveMinimum);
    }
    case 'array': {
      // A tuple (TypeBox: `items` is a list), or a list of one kind.
      if (Array.isArray(schema.items)) return fc.tuple(...schema.items.map(valid)) as fc.Arbitrary<Json>;
      return fc.array(valid(schema.items ?? {}), {
        minLength: schema.minItems ?? 0,
        maxLength: Math.min(schema.maxItems ?? 4, 4),
      }) as fc.Arbitrary<Json>;
    }
    case 'object': {
      if (schema.patternProperties)
        return fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue()) as fc.Arbitrary<Json>;
      const props = schema.properties ?? {};
      const shape = Object.fromEntries(Object.entries(props).map(([k, s]) => [k, valid(s)]));
      return fc.record(shape, { requiredKeys: schema.required ?? [] }) as fc.Arbitrary<Json>;
    }
    default:
      return fc.jsonValue() as fc.Arbitrary<Json>;
  }
}

const JSON_TYPE_SAMPLES: Record<string, Json[]> = {
  string: ['x', ''],
  number: [1.5, 0, -1],
  boolean: [true, false],
  null: [null],
  array: [[], ['x'], [1, 2]],
  object: [{}, { a: 1 }],
};

/** Values of a JSON type other than the one(s) the field declares: each must be rejected. */
function wrongType(schema: JsonSchema): fc.Arbitrary<Json> {
  const allowed = new Set<string>();
  const collect = (s: JsonSchema) => {
    if (s.anyOf) s.anyOf.forEach(collect);
    else if (s.const !== undefined) allowed.add(typeof s.const);
    else if (s.type === 'integer') allowed.add('number');
    else if (s.type) allowed.add(s.type);
  };
  collect(schema);
  const others = Object.entries(JSON_TYPE_SAMPLES)
    .filter(([type]) => !allowed.has(type))
    .flatMap(([, samples]) => samples);
  // Numbers as strings are the classic: a reader must not coerce "22" into 22.
  if (allowed.has('number')) others.push('22', '0');
  return fc.constantFrom(...others);
}

interface Contract {
  name: string;
  schema: TSchema;
}

// A topic that carries a discriminated union (central.commands) is checked member by member.
const CONTRACTS: Contract[] = [
  ...TOPIC_NAMES.flatMap((topic): Contract[] => {
    const { schema, variants } = TOPICS[topic] as { schema: TSchema; variants?: TopicVariants };
    if (!variants) return [{ name: topic, schema }];
    return Object.entries(variants.schemas).map(([tag, member]) => ({
      name: `${topic} ${tag}`,
      schema: member,
    }));
  }),
  { name: 'monitor register', schema: MonitorRegistrationSchema },
  { name: 'monitor fault', schema: MonitorFaultReportSchema },
  { name: 'monitor heartbeat', schema: MonitorHeartbeatSchema },
];

/** Whether some reason points at the field (TypeBox paths: `/cp_id: Expected string`). */
const names = (reasons: string[], field: string) =>
  reasons.some((r) => r === `/${field}` || r.startsWith(`/${field}:`) || r.startsWith(`/${field}/`));

/** The wire round trip: what a reader really gets. */
const wire = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

/** Required fields of the original contract (docs/wire-contract.md): a schema may add, never drop, one. */
const ORIGINAL_REQUIRED: Record<string, string[]> = {
  'driver.requests': ['request_id', 'driver_id', 'cp_id'],
  'driver.updates': ['request_id', 'driver_id', 'cp_id', 'status'],
  'central.commands start_supply': ['cmd', 'cp_id', 'payload'],
  'central.commands stop_supply': ['cmd', 'cp_id'],
  'central.commands stop_cp': ['cmd', 'cp_id'],
  'central.commands resume_cp': ['cmd', 'cp_id'],
  'central.commands shutdown': ['cmd', 'cp_id'],
  // An addition of this framework: its fields are its own.
  'central.commands set_power_limit': ['cmd', 'cp_id', 'payload'],
  'cp.status': ['cp_id', 'state'],
  'cp.telemetry': ['cp_id', 'kw', 'euros'],
  'cp.session_end': [
    'cp_id',
    'session_id',
    'driver_id',
    'start_time',
    'end_time',
    'energy_kwh',
    'total_cost_eur',
  ],
  'monitor register': ['cp_id', 'cp_e_host', 'cp_e_port'],
  'monitor fault': ['cp_id', 'status'],
  'monitor heartbeat': ['cp_id'],
};

describe.each(CONTRACTS)('contract $name (property-based)', ({ name, schema }) => {
  const json = schema as unknown as JsonSchema;
  const required = json.required ?? [];
  const fields = Object.keys(json.properties ?? {});
  const message = valid(json) as fc.Arbitrary<Record<string, Json>>;

  it("requires at least the original's required fields", () => {
    expect(required).toEqual(expect.arrayContaining(ORIGINAL_REQUIRED[name]!));
  });

  it('accepts every message its schema allows, after a JSON round trip', () => {
    fc.assert(
      fc.property(message, (m) => {
        const result = validateSchema(schema, wire(m));
        if (!result.ok)
          throw new Error(`${name} rejected ${JSON.stringify(m)}: ${result.reasons.join('; ')}`);
      }),
      { numRuns: RUNS },
    );
  });

  it('rejects a message without any one required field, naming that field', () => {
    expect(required.length).toBeGreaterThan(0);
    fc.assert(
      fc.property(message, fc.constantFrom(...required), (m, field) => {
        const { [field]: _removed, ...rest } = m;
        const result = validateSchema(schema, wire(rest));
        expect(result.ok).toBe(false);
        if (!result.ok) expect(names(result.reasons, field), result.reasons.join('; ')).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('rejects a field (required or optional) of the wrong JSON type, naming that field', () => {
    const typed = fields.filter((f) => {
      const s = json.properties![f]!;
      return s.type !== undefined || s.anyOf !== undefined;
    });
    const mutation = fc
      .constantFrom(...typed)
      .chain((field) => fc.tuple(fc.constant(field), wrongType(json.properties![field]!)));
    fc.assert(
      fc.property(message, mutation, (m, [field, bad]) => {
        const result = validateSchema(schema, wire({ ...m, [field]: bad }));
        expect(result.ok, `${field}=${JSON.stringify(bad)}`).toBe(false);
        if (!result.ok) expect(names(result.reasons, field), result.reasons.join('; ')).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('accepts unknown extra fields of any JSON value (additive changes)', () => {
    const known = new Set(fields);
    const extras = fc.dictionary(
      fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !known.has(k) && k !== '__proto__'),
      fc.jsonValue(),
      { maxKeys: 6 },
    );
    fc.assert(
      fc.property(message, extras, (m, extra) => {
        const result = validateSchema(schema, wire({ ...extra, ...m }));
        if (!result.ok) throw new Error(`extra fields broke ${name}: ${result.reasons.join('; ')}`);
      }),
      { numRuns: RUNS },
    );
  });

  it('never throws on anything, and a rejection always carries at least one reason', () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withMap: true, withBigInt: true }), (value) => {
        const result = validateSchema(schema, value);
        if (!result.ok) expect(result.reasons.length).toBeGreaterThan(0);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('validate(topic, value) (property-based)', () => {
  it('agrees with the topic schema for any value, and rejects any non-topic name with a reason', () => {
    fc.assert(
      fc.property(fc.constantFrom(...TOPIC_NAMES), fc.jsonValue(), (topic, value) => {
        expect(validate(topic, value).ok).toBe(validateSchema(TOPICS[topic].schema, value).ok);
      }),
      { numRuns: RUNS },
    );
    fc.assert(
      fc.property(
        fc.string().filter((s) => !(TOPIC_NAMES as string[]).includes(s)),
        (topic) => {
          const result = validate(topic as never, {});
          expect(result).toEqual({ ok: false, reasons: [`unknown topic "${topic}"`] });
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('bounds the reasons of an arbitrarily wrong message (20 at most), however many fields are bad', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...TOPIC_NAMES),
        fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue(), { maxKeys: 200 }),
        (topic, value) => {
          const result = validate(topic, value);
          if (!result.ok) expect(result.reasons.length).toBeLessThanOrEqual(20);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
