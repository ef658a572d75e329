import { ConfigError, envName, loadConfig } from '@evcharging/core';
import { CpEngineConfigSchema, CpMonitorConfigSchema } from '@evcharging/cp';
import type { TObject, TSchema } from '@sinclair/typebox';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CentralConfigSchema } from './central-config.js';

// Every variable of each exported process schema, given a bad value, stops loadConfig with a
// ConfigError naming that variable and what it expects. Variables whose schema takes any text are
// listed explicitly: the compose entry points check those themselves (brokers, files, log level),
// and RELIABILITY.md records that check at process level.

interface Role {
  prefix: string;
  schema: TObject;
  /** A valid environment for the required variables. */
  base: Record<string, string>;
  /** Variables the schema accepts any non-empty text for. */
  anyText: string[];
}

const ROLES: Role[] = [
  {
    prefix: 'CENTRAL',
    schema: CentralConfigSchema,
    base: {},
    anyText: [
      'CENTRAL_KAFKA_BOOTSTRAP',
      'CENTRAL_DB_URL',
      'CENTRAL_LOG_LEVEL',
      'CENTRAL_API_TOKEN',
      'CENTRAL_CPS_FILE',
    ],
  },
  {
    prefix: 'CP_ENGINE',
    schema: CpEngineConfigSchema,
    base: { CP_ENGINE_CP_ID: 'CP-001' },
    anyText: [
      'CP_ENGINE_KAFKA_BOOTSTRAP',
      'CP_ENGINE_LOG_LEVEL',
      'CP_ENGINE_HEALTH_HOST',
      'CP_ENGINE_OUTBOX_FILE',
    ],
  },
  {
    prefix: 'CP_MONITOR',
    schema: CpMonitorConfigSchema,
    base: { CP_MONITOR_CP_ID: 'CP-001' },
    anyText: ['CP_MONITOR_CP_E_HOST', 'CP_MONITOR_CENTRAL_HOST', 'CP_MONITOR_LOG_LEVEL'],
  },
];

/** Non-empty texts the field's schema must refuse (an empty variable counts as unset). */
function badValues(schema: TSchema): string[] {
  const out: string[] = [];
  if (schema.type === 'integer' || schema.type === 'number') {
    out.push('abc', '12abc', 'NaN', 'Infinity', ' ');
    if (schema.type === 'integer') out.push('1.5', '1e400');
    if (typeof schema.minimum === 'number') out.push(String(schema.minimum - 1));
    if (typeof schema.exclusiveMinimum === 'number') out.push(String(schema.exclusiveMinimum));
    if (typeof schema.maximum === 'number') out.push(String(schema.maximum + 1));
  } else if (schema.type === 'boolean') out.push('maybe', '2');
  else if (schema.type === 'string') {
    if (typeof schema.maxLength === 'number') out.push('x'.repeat(schema.maxLength + 1));
    if (typeof schema.pattern === 'string') out.push('has spaces / and slashes');
  }
  return out.filter((v) => v !== ' ' || schema.type === 'string');
}

describe.each(ROLES)('$prefix configuration', ({ prefix, schema, base, anyText }) => {
  const fields = Object.entries(schema.properties) as [string, TSchema][];

  it('loads with only the required variables set', () => {
    expect(() => loadConfig(prefix, schema, base)).not.toThrow();
  });

  it('every variable with a bad value: a ConfigError naming that variable and what it expects', () => {
    let checked = 0;
    const untestable: string[] = [];
    for (const [field, fieldSchema] of fields) {
      const variable = envName(prefix, field);
      const bad = badValues(fieldSchema);
      if (bad.length === 0) untestable.push(variable);
      for (const value of bad) {
        let error: unknown;
        try {
          loadConfig(prefix, schema, { ...base, [variable]: value });
        } catch (e) {
          error = e;
        }
        expect(error, `${variable}=${JSON.stringify(value)}`).toBeInstanceOf(ConfigError);
        const problems = (error as ConfigError).problems;
        expect(problems.map((p) => p.variable)).toEqual([variable]);
        expect(problems[0]!.expected.length).toBeGreaterThan(0);
        expect((error as Error).message).toContain(`${variable}: expected `);
        checked++;
      }
    }
    expect(untestable.sort()).toEqual([...anyText].sort());
    expect(checked).toBeGreaterThan(0);
  });

  it('a missing required variable is named too, and all problems are reported at once', () => {
    const required = fields
      .filter(([field, s]) => (schema.required ?? []).includes(field) && s.default === undefined)
      .map(([field]) => envName(prefix, field));
    const badEverywhere: Record<string, string> = {};
    for (const [field, s] of fields) {
      const [bad] = badValues(s);
      const variable = envName(prefix, field);
      if (bad !== undefined && !required.includes(variable)) badEverywhere[variable] = bad;
    }
    try {
      loadConfig(prefix, schema, badEverywhere);
      expect.unreachable('a bad configuration loaded');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const named = (error as ConfigError).problems.map((p) => p.variable).sort();
      expect(named).toEqual([...Object.keys(badEverywhere), ...required].sort());
    }
  });

  it('any text in any variable either loads or fails with a ConfigError, never anything else', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...fields.map(([f]) => envName(prefix, f))),
        fc.string({ maxLength: 40 }),
        (variable, value) => {
          try {
            loadConfig(prefix, schema, { ...base, [variable]: value });
          } catch (error) {
            expect(error).toBeInstanceOf(ConfigError);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
