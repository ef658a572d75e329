import type { Static, TObject, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

export interface ConfigProblem {
  /** The environment variable (or flag) that is wrong. */
  variable: string;
  /** What it should be. */
  expected: string;
  /** What it was, if set. */
  received?: string;
}

/** One error listing every bad variable, each with what it expects. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: ConfigProblem[]) {
    super(
      `invalid configuration:\n${problems
        .map(
          (p) =>
            `  ${p.variable}: expected ${p.expected}${p.received === undefined ? ' (not set)' : `, got ${JSON.stringify(p.received)}`}`,
        )
        .join('\n')}`,
    );
  }
}

export interface LoadConfigOptions {
  /** Other variables to read when the prefixed one is unset, per field (e.g. `KAFKA_BOOTSTRAP`). */
  fallbacks?: Record<string, string[]>;
  /** Values that win over the environment (e.g. from CLI flags), per field, as strings. */
  overrides?: Record<string, string | undefined>;
}

/** `cpId` / `cp_id` → `CP_ID`; `cpEHost` → `CP_E_HOST`. */
export function envName(prefix: string, field: string): string {
  const snake = field
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1_$2')
    .toUpperCase();
  return prefix ? `${prefix}_${snake}` : snake;
}

/**
 * TypeBox's Convert truncates integers ("80.5" → 80, "1e3" → 1) and reads "0x10" as the number 0,
 * so a bad value would pass silently altered; numbers are parsed whole instead, then checked.
 */
function coerce(schema: TSchema, text: string): unknown {
  if (schema.type === 'number' || schema.type === 'integer') {
    const n = Number(text);
    return Number.isNaN(n) ? text : n;
  }
  return Value.Convert(schema, text);
}

function describe(schema: TSchema): string {
  if (typeof schema.description === 'string') return schema.description;
  const parts: string[] = [];
  const type = schema.type ?? (schema.anyOf ? 'one of' : 'a value');
  if (schema.anyOf) {
    parts.push(`one of ${(schema.anyOf as TSchema[]).map((s) => JSON.stringify(s.const)).join(', ')}`);
  } else if (type === 'integer') parts.push('an integer');
  else if (type === 'number') parts.push('a number');
  else if (type === 'boolean') parts.push('true or false');
  else if (type === 'string') parts.push('a string');
  else parts.push(String(type));
  if (schema.minimum !== undefined) parts.push(`>= ${schema.minimum}`);
  if (schema.exclusiveMinimum !== undefined) parts.push(`> ${schema.exclusiveMinimum}`);
  if (schema.maximum !== undefined) parts.push(`<= ${schema.maximum}`);
  if (schema.minLength !== undefined && schema.minLength > 0) parts.push('non-empty');
  if (schema.pattern !== undefined) parts.push(`matching ${schema.pattern}`);
  return parts.join(' ');
}

/**
 * Reads a typed configuration from prefixed environment variables (the original's names:
 * prefix + upper-cased field), applies defaults, coerces numbers and booleans, and reports every
 * bad variable at once.
 *
 * @example
 * const Schema = Type.Object({ cp_id: Type.String({ minLength: 1 }), kw_rate: Type.Number({ default: 22 }) });
 * const config = loadConfig('CP_ENGINE', Schema, process.env); // reads CP_ENGINE_CP_ID, CP_ENGINE_KW_RATE
 */
export function loadConfig<S extends TObject>(
  prefix: string,
  schema: S,
  env: Record<string, string | undefined> = process.env,
  options: LoadConfigOptions = {},
): Static<S> {
  const problems: ConfigProblem[] = [];
  const result: Record<string, unknown> = {};
  const required = new Set(schema.required ?? []);
  for (const [field, fieldSchema] of Object.entries(schema.properties) as [string, TSchema][]) {
    const variable = envName(prefix, field);
    let raw = options.overrides?.[field];
    // An empty override (a flag given as `--port=`) is unset, like an empty variable.
    if (raw === undefined || raw === '') raw = env[variable];
    if (raw === undefined || raw === '') {
      for (const alt of options.fallbacks?.[field] ?? []) {
        if (env[alt] !== undefined && env[alt] !== '') {
          raw = env[alt];
          break;
        }
      }
    }
    if (raw === undefined || raw === '') {
      if (fieldSchema.default !== undefined) result[field] = structuredClone(fieldSchema.default);
      else if (required.has(field)) problems.push({ variable, expected: describe(fieldSchema) });
      continue;
    }
    const converted = coerce(fieldSchema, raw.trim());
    if (!Value.Check(fieldSchema, converted)) {
      problems.push({ variable, expected: describe(fieldSchema), received: raw });
      continue;
    }
    result[field] = converted;
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return result as Static<S>;
}
