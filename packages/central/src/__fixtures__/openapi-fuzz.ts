import fc from 'fast-check';

/** Text without lone surrogates (they do not survive UTF-8). */
const wellFormed = (s: string) => Buffer.from(s, 'utf8').toString('utf8') === s;

/**
 * Schema-driven HTTP fuzzing from Central's own OpenAPI document: every operation is read from
 * `/docs/json`, valid inputs are generated from its schemas, and hostile ones by breaking them
 * (a missing field, a wrong type, a string past its limit, unknown query keys, invalid JSON,
 * deep nesting, the wrong content type, prototype poisoning, oversized bodies).
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The part of JSON Schema that fastify-swagger writes for TypeBox schemas. */
export interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  patternProperties?: Record<string, JsonSchema>;
  anyOf?: JsonSchema[];
  enum?: Json[];
  const?: Json;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
}

interface OpenApiParameter {
  in: 'path' | 'query' | 'header';
  name: string;
  required?: boolean;
  schema: JsonSchema;
}

interface OpenApiOperation {
  tags?: string[];
  parameters?: OpenApiParameter[];
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
  security?: unknown[];
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
}

/** One path + method of the API. */
export interface ApiOperation {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** OpenAPI form, `/cp/{id}`. */
  path: string;
  tags: string[];
  pathParams: Record<string, JsonSchema>;
  query: Record<string, JsonSchema>;
  body: JsonSchema | undefined;
  /** Declares a bearer-token requirement. */
  secured: boolean;
}

export function apiOperations(doc: OpenApiDocument): ApiOperation[] {
  const out: ApiOperation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const params = op.parameters ?? [];
      const pick = (where: OpenApiParameter['in']) =>
        Object.fromEntries(params.filter((p) => p.in === where).map((p) => [p.name, p.schema]));
      out.push({
        method: method.toUpperCase() as ApiOperation['method'],
        path,
        tags: op.tags ?? [],
        pathParams: pick('path'),
        query: pick('query'),
        body: op.requestBody?.content['application/json']?.schema,
        secured: (op.security ?? []).length > 0,
      });
    }
  }
  return out;
}

export const operationName = (op: ApiOperation) => `${op.method} ${op.path}`;

/** The URL of an operation with its path parameters filled in (encoded) and a raw query string. */
export function urlOf(op: ApiOperation, params: Record<string, string>, query = ''): string {
  const path = op.path.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(params[name] ?? 'x'));
  return query ? `${path}?${query}` : path;
}

/** The one deterministic valid value of a schema (first enum value, shortest string, minimum number). */
export function exampleOf(schema: JsonSchema, overrides: Record<string, Json> = {}): Json {
  if (schema.anyOf) return exampleOf(schema.anyOf[0]!);
  if (schema.enum) return schema.enum[0]!;
  if (schema.const !== undefined) return schema.const;
  switch (schema.type) {
    case 'string':
      return 'x'.repeat(Math.max(1, schema.minLength ?? 0));
    case 'integer':
    case 'number':
      return schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : 0);
    case 'boolean':
      return true;
    case 'array':
      return [];
    case 'object': {
      const out: Record<string, Json> = {};
      for (const field of schema.required ?? []) out[field] = exampleOf(schema.properties![field]!);
      return { ...out, ...overrides };
    }
    default:
      return null;
  }
}

/** Values the schema accepts. */
export function validValue(schema: JsonSchema): fc.Arbitrary<Json> {
  if (schema.anyOf) return fc.oneof(...schema.anyOf.map(validValue));
  if (schema.enum) return fc.constantFrom(...schema.enum);
  if (schema.const !== undefined) return fc.constant(schema.const);
  switch (schema.type) {
    case 'string': {
      const min = schema.minLength ?? 0;
      return fc.string({ minLength: min, maxLength: Math.max(min, Math.min(schema.maxLength ?? 32, 32)) });
    }
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -1000, max: schema.maximum ?? 100_000 });
    case 'number':
      return fc
        .double({ min: schema.minimum ?? schema.exclusiveMinimum ?? -1e6, max: 1e6, noNaN: true })
        .filter((n) => schema.exclusiveMinimum === undefined || n > schema.exclusiveMinimum);
    case 'boolean':
      return fc.boolean();
    case 'object': {
      const shape = Object.fromEntries(
        Object.entries(schema.properties ?? {}).map(([k, s]) => [k, validValue(s)]),
      );
      return fc.record(shape, { requiredKeys: schema.required ?? [] }) as fc.Arbitrary<Json>;
    }
    default:
      return fc.jsonValue() as fc.Arbitrary<Json>;
  }
}

const JSON_TYPES: Record<string, Json[]> = {
  string: ['x', '', '22'],
  number: [1.5, -1, 0, 1e308],
  boolean: [true, false],
  null: [null],
  array: [[], [1, 'a'], [[[]]]],
  object: [{}, { nested: { deeper: true } }],
};

/** Values of a JSON type the field does not declare. */
export function wrongTypeValue(schema: JsonSchema): fc.Arbitrary<Json> {
  const allowed = new Set<string>();
  const collect = (s: JsonSchema) => {
    if (s.anyOf) s.anyOf.forEach(collect);
    else if (s.type === 'integer') allowed.add('number');
    else if (s.type) allowed.add(s.type);
  };
  collect(schema);
  const values = Object.entries(JSON_TYPES)
    .filter(([t]) => !allowed.has(t))
    .flatMap(([, v]) => v);
  return fc.constantFrom(...values);
}

/** Values of the right type that still break a constraint (too long, too short, out of range, not in the enum). */
export function outOfBoundsValue(schema: JsonSchema): fc.Arbitrary<Json> | undefined {
  const options: fc.Arbitrary<Json>[] = [];
  if (schema.anyOf || schema.enum) options.push(fc.constantFrom('NOPE', 'stop ', 'STOP', '', '\u0000'));
  if (schema.type === 'string' && schema.maxLength !== undefined) {
    const over = schema.maxLength + 1;
    options.push(fc.integer({ min: over, max: over + 64 }).map((n) => 'y'.repeat(n)));
    options.push(fc.constant('z'.repeat(60_000)));
  }
  if (schema.type === 'string' && (schema.minLength ?? 0) > 0) options.push(fc.constant(''));
  if (schema.type === 'integer') {
    options.push(fc.constantFrom(1.5, Number.MAX_SAFE_INTEGER + 2, 1e300));
    if (schema.minimum !== undefined) options.push(fc.constant(schema.minimum - 1));
    if (schema.maximum !== undefined) options.push(fc.constant(schema.maximum + 1));
  }
  if (schema.type === 'number' && schema.minimum !== undefined) options.push(fc.constant(schema.minimum - 1));
  return options.length > 0 ? fc.oneof(...options) : undefined;
}

/** One hostile request, and whether a correct server must refuse it (4xx). */
export interface FuzzRequest {
  kind: string;
  method: ApiOperation['method'];
  url: string;
  headers: Record<string, string>;
  payload?: string | Buffer;
  mustReject: boolean;
}

export interface FuzzSettings {
  /** Path parameter values to use where the case is not about the path (an existing CP id). */
  pathValues: Record<string, string>;
  /** Headers of every request (an Authorization header, so a case reaches validation and handler). */
  headers: Record<string, string>;
  bodyLimit: number;
}

/** Nests a value `depth` levels deep, alternating arrays and objects. */
export function deeplyNested(depth: number): string {
  return `${'{"a":['.repeat(depth)}1${']}'.repeat(depth)}`;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

/** Hostile requests for one operation: every kind it has a target for. */
export function hostileRequests(op: ApiOperation, settings: FuzzSettings): fc.Arbitrary<FuzzRequest> {
  const base = (kind: string, mustReject: boolean, url: string, extra: Partial<FuzzRequest> = {}) => ({
    kind,
    method: op.method,
    url,
    headers: { ...settings.headers, ...(op.body ? JSON_HEADERS : {}), ...extra.headers },
    mustReject,
    ...(extra.payload !== undefined ? { payload: extra.payload } : {}),
  });
  const url = urlOf(op, settings.pathValues);
  const validBody = op.body ? (exampleOf(op.body) as Record<string, Json>) : undefined;
  const bodyPayload = validBody ? JSON.stringify(validBody) : undefined;
  const withBody = bodyPayload !== undefined ? { payload: bodyPayload } : {};
  const kinds: fc.Arbitrary<FuzzRequest>[] = [];

  // Path parameters: too long, empty-ish, bad percent-encoding, odd characters.
  for (const [name, schema] of Object.entries(op.pathParams)) {
    const broken = outOfBoundsValue(schema);
    if (broken) {
      kinds.push(
        broken
          .filter((v): v is string => typeof v === 'string' && v.length > 0)
          .map((v) =>
            base(
              `path ${name} out of bounds`,
              true,
              urlOf(op, { ...settings.pathValues, [name]: v }),
              withBody,
            ),
          ),
      );
    }
    kinds.push(
      fc
        .constantFrom('%zz', '%E0%A4%A', '%', '%00')
        .map((raw) =>
          base(
            `path ${name} bad encoding`,
            true,
            url.replace(encodeURIComponent(settings.pathValues[name] ?? 'x'), raw),
            withBody,
          ),
        ),
    );
    kinds.push(
      fc
        .string({ unit: 'binary', minLength: 1, maxLength: 40 })
        .filter((s) => wellFormed(s))
        .map((v) =>
          base(`path ${name} random`, false, urlOf(op, { ...settings.pathValues, [name]: v }), withBody),
        ),
    );
  }

  // Query strings: wrong types, out of range, unknown keys, repeated keys, random text.
  const queryNames = Object.keys(op.query);
  if (queryNames.length > 0) {
    kinds.push(
      fc
        .constantFrom(...queryNames)
        .chain((name) =>
          fc.tuple(
            fc.constant(name),
            fc.oneof(
              wrongTypeValue(op.query[name]!),
              outOfBoundsValue(op.query[name]!) ?? wrongTypeValue(op.query[name]!),
            ),
          ),
        )
        .filter(([name, v]) => queryBreaks(op.query[name]!, v))
        .map(([name, v]) =>
          base(`query ${name} invalid`, true, `${url}?${name}=${encodeURIComponent(String(v))}`, withBody),
        ),
    );
    kinds.push(
      fc
        .string({ minLength: 1, maxLength: 12 })
        .filter((k) => !queryNames.includes(k) && /^[\w.-]+$/.test(k))
        .map((k) => base('query unknown key', true, `${url}?${encodeURIComponent(k)}=1`, withBody)),
    );
    kinds.push(
      fc
        .constantFrom(...queryNames)
        .map((name) => base('query repeated key', false, `${url}?${name}=1&${name}=2`, withBody)),
    );
    // In range for the schema but extreme for whatever is behind it (a store's OFFSET, a slice).
    const numeric = queryNames.filter((n) => ['integer', 'number'].includes(op.query[n]!.type ?? ''));
    if (numeric.length > 0) {
      kinds.push(
        fc
          .tuple(
            fc.constantFrom(...numeric),
            fc.constantFrom('1e300', '9007199254740993', '1e21', '0', '500', '-0'),
          )
          .map(([name, v]) => base('query extreme number', false, `${url}?${name}=${v}`, withBody)),
      );
    }
  }
  kinds.push(
    fc
      .string({ unit: 'binary', maxLength: 80 })
      .filter((s) => wellFormed(s))
      .map((q) =>
        base('query random', false, `${url}?${encodeURIComponent(q)}=${encodeURIComponent(q)}`, withBody),
      ),
  );

  if (op.body && validBody) {
    const body = op.body;
    const props = Object.keys(body.properties ?? {});
    const required = body.required ?? [];
    if (required.length > 0) {
      kinds.push(
        fc.constantFrom(...required).map((field) => {
          const { [field]: _gone, ...rest } = validBody;
          return base(`body missing ${field}`, true, url, { payload: JSON.stringify(rest) });
        }),
      );
    }
    kinds.push(
      fc
        .constantFrom(...props)
        .chain((f) => fc.tuple(fc.constant(f), wrongTypeValue(body.properties![f]!)))
        .map(([f, v]) =>
          base(`body ${f} wrong type`, true, url, { payload: JSON.stringify({ ...validBody, [f]: v }) }),
        ),
    );
    const bounded = props.filter((f) => outOfBoundsValue(body.properties![f]!) !== undefined);
    if (bounded.length > 0) {
      kinds.push(
        fc
          .constantFrom(...bounded)
          .chain((f) => fc.tuple(fc.constant(f), outOfBoundsValue(body.properties![f]!)!))
          .map(([f, v]) =>
            base(`body ${f} out of bounds`, true, url, { payload: JSON.stringify({ ...validBody, [f]: v }) }),
          ),
      );
    }
    kinds.push(
      fc
        .string({ maxLength: 200 })
        .filter((s) => !isJson(s))
        .map((s) => base('body invalid JSON', true, url, { payload: s })),
    );
    kinds.push(
      fc
        .constantFrom(
          '{"cp_id":',
          '{"a":1}}',
          "{'cp_id':'x'}",
          '[1,2,',
          '{"cp_id":"x"\u0000}',
          '\uFEFF{}',
          'NaN',
        )
        .map((s) => base('body invalid JSON', true, url, { payload: s })),
    );
    kinds.push(
      fc
        .constantFrom(
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'application/xml',
        )
        .map((type) =>
          base('body wrong content-type', true, url, {
            payload: bodyPayload!,
            headers: { 'content-type': type },
          }),
        ),
    );
    kinds.push(
      fc
        .jsonValue({ maxDepth: 4 })
        .filter((v) => v === null || typeof v !== 'object' || Array.isArray(v))
        .map((v) => base('body not an object', true, url, { payload: JSON.stringify(v) })),
    );
    kinds.push(
      fc
        .integer({ min: 100, max: 5_000 })
        .map((depth) => base('body deep nesting', true, url, { payload: deeplyNested(depth) })),
    );
    // Deep nesting in an unknown field: allowed where extra fields are, refused where they are not.
    kinds.push(
      fc.integer({ min: 100, max: 5_000 }).map((depth) =>
        base('body deep nesting in an extra field', body.additionalProperties === false, url, {
          payload: `${bodyPayload!.slice(0, -1)},"zz_extra":${deeplyNested(depth)}}`,
        }),
      ),
    );
    kinds.push(
      fc
        .constantFrom('{"__proto__":{"polluted":true}}', '{"constructor":{"prototype":{"polluted":true}}}')
        .map((poison) =>
          base('body prototype poisoning', true, url, {
            payload: `${bodyPayload!.slice(0, -1)},${poison.slice(1)}`,
          }),
        ),
    );
    kinds.push(
      fc.integer({ min: settings.bodyLimit + 1, max: settings.bodyLimit * 4 }).map((size) =>
        base('body over the size limit', true, url, {
          payload: JSON.stringify({ ...validBody, pad: 'p'.repeat(size) }),
        }),
      ),
    );
    kinds.push(fc.constant(base('body empty', true, url, { payload: '' })));
    kinds.push(
      validValue(body).map((v) => base('body random valid', false, url, { payload: JSON.stringify(v) })),
    );
  }
  return fc.oneof(...kinds);
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Whether a query value (sent as text) breaks the parameter's schema once the server converts it. */
function queryBreaks(schema: JsonSchema, value: Json): boolean {
  const text = String(value);
  if (schema.type === 'integer') {
    const n = Number(text);
    return !(
      text.trim() !== '' &&
      Number.isInteger(n) &&
      n >= (schema.minimum ?? -Infinity) &&
      n <= (schema.maximum ?? Infinity)
    );
  }
  if (schema.type === 'string') {
    return text.length < (schema.minLength ?? 0) || text.length > (schema.maxLength ?? Infinity);
  }
  if (schema.anyOf || schema.enum) {
    const allowed = (schema.anyOf ?? [schema]).flatMap(
      (s) => s.enum ?? (s.const !== undefined ? [s.const] : []),
    );
    return !allowed.includes(text);
  }
  return false;
}
