import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { ConfigError, envName, loadConfig } from './load-config.js';

// The CP engine's settings as in the original (docs/wire-contract.md §9).
const EngineSchema = Type.Object({
  cp_id: Type.String({ minLength: 1 }),
  kafka_bootstrap: Type.String({ default: 'localhost:9092' }),
  health_port: Type.Integer({ minimum: 1, maximum: 65535, default: 8001 }),
  telemetry_interval: Type.Number({ exclusiveMinimum: 0, default: 1.0 }),
  kw_rate: Type.Number({ minimum: 0, default: 22.0 }),
  euro_rate: Type.Number({ minimum: 0, default: 0.3 }),
  log_level: Type.Union([Type.Literal('INFO'), Type.Literal('DEBUG'), Type.Literal('WARNING')], {
    default: 'INFO',
  }),
});

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('envName', () => {
  it('joins the prefix and the upper-cased field', () => {
    expect(envName('CP_ENGINE', 'cp_id')).toBe('CP_ENGINE_CP_ID');
    expect(envName('CP_MONITOR', 'cpEHost')).toBe('CP_MONITOR_CP_E_HOST');
    expect(envName('DRIVER', 'requestInterval')).toBe('DRIVER_REQUEST_INTERVAL');
    expect(envName('', 'kafkaBootstrap')).toBe('KAFKA_BOOTSTRAP');
    expect(envName('CENTRAL', 'dbURL')).toBe('CENTRAL_DB_URL');
    expect(envName('CENTRAL', 'HTTP_PORT')).toBe('CENTRAL_HTTP_PORT');
  });
});

describe('loadConfig', () => {
  it('reads prefixed variables and fills defaults', () => {
    const config = loadConfig('CP_ENGINE', EngineSchema, { CP_ENGINE_CP_ID: 'CP-001' });
    expect(config).toEqual({
      cp_id: 'CP-001',
      kafka_bootstrap: 'localhost:9092',
      health_port: 8001,
      telemetry_interval: 1,
      kw_rate: 22,
      euro_rate: 0.3,
      log_level: 'INFO',
    });
  });

  it('coerces numbers and integers, trimming whitespace', () => {
    const config = loadConfig('CP_ENGINE', EngineSchema, {
      CP_ENGINE_CP_ID: 'CP-002',
      CP_ENGINE_HEALTH_PORT: ' 8002 ',
      CP_ENGINE_KW_RATE: '50',
      CP_ENGINE_EURO_RATE: '0.35',
      CP_ENGINE_TELEMETRY_INTERVAL: '2.5',
      CP_ENGINE_LOG_LEVEL: 'DEBUG',
    });
    expect(config.health_port).toBe(8002);
    expect(config.kw_rate).toBe(50);
    expect(config.euro_rate).toBe(0.35);
    expect(config.telemetry_interval).toBe(2.5);
    expect(config.log_level).toBe('DEBUG');
  });

  it('coerces booleans', () => {
    const Schema = Type.Object({ verbose: Type.Boolean({ default: false }), dry_run: Type.Boolean() });
    expect(loadConfig('APP', Schema, { APP_VERBOSE: 'true', APP_DRY_RUN: 'false' })).toEqual({
      verbose: true,
      dry_run: false,
    });
    expect(loadConfig('APP', Schema, { APP_DRY_RUN: 'true' })).toEqual({ verbose: false, dry_run: true });
    const error = configError(() => loadConfig('APP', Schema, { APP_DRY_RUN: 'maybe' }));
    expect(error.problems).toEqual([
      { variable: 'APP_DRY_RUN', expected: 'true or false', received: 'maybe' },
    ]);
  });

  it('treats an empty variable as unset', () => {
    const config = loadConfig('CP_ENGINE', EngineSchema, {
      CP_ENGINE_CP_ID: 'CP-001',
      CP_ENGINE_KW_RATE: '',
    });
    expect(config.kw_rate).toBe(22);
  });

  it('leaves an optional field without default out', () => {
    const Schema = Type.Object({ requests_file: Type.Optional(Type.String()) });
    expect(loadConfig('DRIVER', Schema, {})).toEqual({});
    expect(loadConfig('DRIVER', Schema, { DRIVER_REQUESTS_FILE: 'cps.txt' })).toEqual({
      requests_file: 'cps.txt',
    });
  });

  it('gives each load its own copy of an object default', () => {
    const Schema = Type.Object({ tags: Type.Array(Type.String(), { default: ['a'] }) });
    const first = loadConfig('X', Schema, {});
    first.tags.push('mutated');
    expect(loadConfig('X', Schema, {}).tags).toEqual(['a']);
  });

  it('falls back to other variables (KAFKA_BOOTSTRAP) when the prefixed one is unset or empty', () => {
    const fallbacks = { kafka_bootstrap: ['KAFKA_BOOTSTRAP'] };
    const base = { CP_ENGINE_CP_ID: 'CP-001', KAFKA_BOOTSTRAP: 'kafka:29092' };
    expect(loadConfig('CP_ENGINE', EngineSchema, base, { fallbacks }).kafka_bootstrap).toBe('kafka:29092');
    expect(
      loadConfig('CP_ENGINE', EngineSchema, { ...base, CP_ENGINE_KAFKA_BOOTSTRAP: '' }, { fallbacks })
        .kafka_bootstrap,
    ).toBe('kafka:29092');
    expect(
      loadConfig('CP_ENGINE', EngineSchema, { ...base, CP_ENGINE_KAFKA_BOOTSTRAP: 'own:9092' }, { fallbacks })
        .kafka_bootstrap,
    ).toBe('own:9092');
    expect(
      loadConfig('CP_ENGINE', EngineSchema, { CP_ENGINE_CP_ID: 'CP-001', KAFKA_BOOTSTRAP: '' }, { fallbacks })
        .kafka_bootstrap,
    ).toBe('localhost:9092');
  });

  it('takes the first set fallback in order', () => {
    const Schema = Type.Object({ bootstrap: Type.String() });
    const config = loadConfig(
      'DRIVER',
      Schema,
      { SECOND: 'b:2', THIRD: 'c:3' },
      { fallbacks: { bootstrap: ['FIRST', 'SECOND', 'THIRD'] } },
    );
    expect(config.bootstrap).toBe('b:2');
  });

  it('lets overrides (CLI flags) win over the environment', () => {
    const config = loadConfig(
      'CP_ENGINE',
      EngineSchema,
      { CP_ENGINE_CP_ID: 'CP-001', CP_ENGINE_HEALTH_PORT: '8001' },
      { overrides: { health_port: '9001', cp_id: undefined } },
    );
    expect(config.health_port).toBe(9001);
    expect(config.cp_id).toBe('CP-001');
  });

  it('treats an empty override as not given', () => {
    const config = loadConfig(
      'CP_ENGINE',
      EngineSchema,
      { CP_ENGINE_CP_ID: 'CP-001', CP_ENGINE_HEALTH_PORT: '8002' },
      { overrides: { health_port: '', kw_rate: '' } },
    );
    expect(config.health_port).toBe(8002);
    expect(config.kw_rate).toBe(22);
  });

  it('validates override values like variables, under the variable name', () => {
    const error = configError(() =>
      loadConfig(
        'CP_ENGINE',
        EngineSchema,
        { CP_ENGINE_CP_ID: 'CP-001' },
        { overrides: { kw_rate: 'fast' } },
      ),
    );
    expect(error.problems).toEqual([
      { variable: 'CP_ENGINE_KW_RATE', expected: 'a number >= 0', received: 'fast' },
    ]);
  });

  it('reports every bad variable at once, with what it expects and what it got', () => {
    const error = configError(() =>
      loadConfig('CP_ENGINE', EngineSchema, {
        CP_ENGINE_HEALTH_PORT: '70000',
        CP_ENGINE_KW_RATE: 'lots',
        CP_ENGINE_TELEMETRY_INTERVAL: '0',
        CP_ENGINE_EURO_RATE: '-1',
        CP_ENGINE_LOG_LEVEL: 'LOUD',
      }),
    );
    expect(error.name).toBe('ConfigError');
    expect(error.problems).toEqual([
      { variable: 'CP_ENGINE_CP_ID', expected: 'a string non-empty' },
      { variable: 'CP_ENGINE_HEALTH_PORT', expected: 'an integer >= 1 <= 65535', received: '70000' },
      { variable: 'CP_ENGINE_TELEMETRY_INTERVAL', expected: 'a number > 0', received: '0' },
      { variable: 'CP_ENGINE_KW_RATE', expected: 'a number >= 0', received: 'lots' },
      { variable: 'CP_ENGINE_EURO_RATE', expected: 'a number >= 0', received: '-1' },
      { variable: 'CP_ENGINE_LOG_LEVEL', expected: 'one of "INFO", "DEBUG", "WARNING"', received: 'LOUD' },
    ]);
    expect(error.message).toContain('CP_ENGINE_CP_ID: expected a string non-empty (not set)');
    expect(error.message).toContain('CP_ENGINE_HEALTH_PORT: expected an integer >= 1 <= 65535, got "70000"');
    expect(error.message).toContain(
      'CP_ENGINE_LOG_LEVEL: expected one of "INFO", "DEBUG", "WARNING", got "LOUD"',
    );
    expect(error.message.split('\n')).toHaveLength(7);
  });

  it('parses whole numbers and never truncates one silently', () => {
    const env = { CP_ENGINE_CP_ID: 'CP-001' };
    const port = (value: string) =>
      loadConfig('CP_ENGINE', EngineSchema, { ...env, CP_ENGINE_HEALTH_PORT: value });
    expect(port('1e3').health_port).toBe(1000);
    expect(port('08001').health_port).toBe(8001);
    for (const bad of ['80.5', '8001abc', 'Infinity']) {
      expect(configError(() => port(bad)).problems).toEqual([
        { variable: 'CP_ENGINE_HEALTH_PORT', expected: 'an integer >= 1 <= 65535', received: bad },
      ]);
    }
    const rate = (value: string) =>
      loadConfig('CP_ENGINE', EngineSchema, { ...env, CP_ENGINE_KW_RATE: value });
    expect(rate('1.5e1').kw_rate).toBe(15);
    expect(rate('0x10').kw_rate).toBe(16);
    expect(configError(() => rate('22kW')).problems[0]).toMatchObject({ variable: 'CP_ENGINE_KW_RATE' });
  });

  it("uses a field's description as its expectation, and describes patterns and other types", () => {
    const Schema = Type.Object({
      db_url: Type.String({ description: 'a sqlite:// URL' }),
      cp_id: Type.String({ pattern: '^CP-[0-9]+$' }),
      ports: Type.Array(Type.Integer()),
    });
    const error = configError(() => loadConfig('CENTRAL', Schema, { CENTRAL_CP_ID: 'X-1' }));
    expect(error.problems).toEqual([
      { variable: 'CENTRAL_DB_URL', expected: 'a sqlite:// URL' },
      { variable: 'CENTRAL_CP_ID', expected: 'a string matching ^CP-[0-9]+$', received: 'X-1' },
      { variable: 'CENTRAL_PORTS', expected: 'array' },
    ]);
  });

  it('reads process.env by default', () => {
    const Schema = Type.Object({ probe: Type.String({ default: 'unset' }) });
    const name = 'EVCHARGING_CONFIG_TEST_PROBE';
    process.env[name] = 'from-process-env';
    try {
      expect(loadConfig('EVCHARGING_CONFIG_TEST', Schema).probe).toBe('from-process-env');
    } finally {
      delete process.env[name];
    }
  });
});
