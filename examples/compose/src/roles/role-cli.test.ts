import { describe, expect, it } from 'vitest';
import { centralRole } from './central-role.js';
import { cpEngineRole } from './cp-engine-role.js';
import { cpMonitorRole } from './cp-monitor-role.js';
import { driverRole } from './driver-role.js';
import { ROLES } from './index.js';
import { helpText, readRoleConfig, roleVariables } from './role-cli.js';

const text = (result: ReturnType<typeof readRoleConfig>) => (result.kind === 'exit' ? result.text : '');

describe('readRoleConfig', () => {
  it("reads the original's variables with their defaults and KAFKA_BOOTSTRAP as fallback", () => {
    const result = readRoleConfig(cpEngineRole, [], {
      CP_ENGINE_CP_ID: 'CP-001',
      KAFKA_BOOTSTRAP: 'kafka:9092',
    });
    expect(result.kind).toBe('run');
    if (result.kind !== 'run') return;
    expect(result.config).toMatchObject({
      cp_id: 'CP-001',
      kafka_bootstrap: 'kafka:9092',
      health_port: 8001,
      kw_rate: 22,
      euro_rate: 0.3,
      telemetry_interval: 1,
      kafka_session_timeout: 10,
    });
    expect(result.sources).toMatchObject({
      cp_id: 'CP_ENGINE_CP_ID',
      kafka_bootstrap: 'KAFKA_BOOTSTRAP',
      kw_rate: 'default',
    });
  });

  it('lets a flag win over its variable, and the prefixed variable over the fallback', () => {
    const result = readRoleConfig(cpEngineRole, ['--kw-rate', '50', '--cp-id=CP-002'], {
      CP_ENGINE_CP_ID: 'CP-001',
      CP_ENGINE_KW_RATE: '22',
      CP_ENGINE_KAFKA_BOOTSTRAP: 'own:9092',
      KAFKA_BOOTSTRAP: 'shared:9092',
    });
    expect(result.kind === 'run' && result.config).toMatchObject({
      cp_id: 'CP-002',
      kw_rate: 50,
      kafka_bootstrap: 'own:9092',
    });
    expect(result.kind === 'run' && result.sources.kw_rate).toBe('--kw-rate');
  });

  it('treats an empty flag as not given', () => {
    const result = readRoleConfig(cpEngineRole, ['--health-port='], {
      CP_ENGINE_CP_ID: 'CP-001',
      CP_ENGINE_HEALTH_PORT: '8002',
    });
    expect(result.kind === 'run' && result.config.health_port).toBe(8002);
  });

  it('exits 2 naming every missing or bad variable, and the flag a bad value came from', () => {
    const result = readRoleConfig(cpEngineRole, ['--kw-rate', 'fast'], { CP_ENGINE_HEALTH_PORT: '70000' });
    expect(result).toMatchObject({ kind: 'exit', code: 2, stream: 'stderr' });
    expect(text(result)).toContain('CP_ENGINE_CP_ID: expected a string non-empty (not set)');
    expect(text(result)).toContain('CP_ENGINE_KW_RATE (from --kw-rate): expected a number > 0, got "fast"');
    expect(text(result)).toContain('CP_ENGINE_HEALTH_PORT: expected an integer >= 0 <= 65535, got "70000"');
    expect(text(result)).not.toMatch(/\n\s+at /);
  });

  it('names KAFKA_BOOTSTRAP when the bad bootstrap came from it', () => {
    const bad = readRoleConfig(driverRole, [], {
      DRIVER_DRIVER_ID: 'driver-alice',
      DRIVER_REQUESTS_FILE: 'requests.txt',
      KAFKA_BOOTSTRAP: 'kafka',
    });
    expect(text(bad)).toContain(
      'KAFKA_BOOTSTRAP: expected host:port[,host:port...] (e.g. kafka:9092), got "kafka"',
    );
    const own = readRoleConfig(driverRole, [], {
      DRIVER_DRIVER_ID: 'driver-alice',
      DRIVER_REQUESTS_FILE: 'requests.txt',
      DRIVER_KAFKA_BOOTSTRAP: 'a:1,b',
      KAFKA_BOOTSTRAP: 'fine:9092',
    });
    expect(text(own)).toContain('DRIVER_KAFKA_BOOTSTRAP: expected host:port');
    const prefix = readRoleConfig(centralRole, [], { KAFKA_TOPIC_PREFIX: 'no spaces' });
    expect(text(prefix)).toContain(
      'KAFKA_TOPIC_PREFIX: expected letters, digits, ".", "_" and "-", got "no spaces"',
    );
  });

  it('rejects an unknown log level instead of silently logging at INFO', () => {
    const result = readRoleConfig(cpMonitorRole, [], {
      CP_MONITOR_CP_ID: 'CP-001',
      CP_MONITOR_LOG_LEVEL: 'LOUD',
    });
    expect(text(result)).toContain('CP_MONITOR_LOG_LEVEL: expected one of TRACE, DEBUG, INFO, WARNING');
    expect(
      readRoleConfig(cpMonitorRole, [], { CP_MONITOR_CP_ID: 'x', CP_MONITOR_LOG_LEVEL: 'warning' }).kind,
    ).toBe('run');
  });

  it('exits 2 on an unknown flag and 0 with the help text on --help', () => {
    const unknown = readRoleConfig(centralRole, ['--bogus'], {});
    expect(unknown).toMatchObject({ kind: 'exit', code: 2 });
    expect(text(unknown)).toContain("Unknown option '--bogus'");
    expect(readRoleConfig(centralRole, ['-h'], {})).toMatchObject({
      kind: 'exit',
      code: 0,
      stream: 'stdout',
    });
  });

  it('reads a boolean flag', () => {
    const result = readRoleConfig(driverRole, ['--loop'], {
      DRIVER_DRIVER_ID: 'd',
      DRIVER_REQUESTS_FILE: 'r.txt',
    });
    expect(result.kind === 'run' && result.config.loop).toBe(true);
  });
});

describe('helpText and roleVariables', () => {
  it.each(Object.entries(ROLES))(
    '%s: --help names every variable, with its default or "required"',
    (_, role) => {
      const help = helpText(role as never);
      for (const variable of roleVariables(role as never)) expect(help).toContain(variable);
      expect(help).not.toContain('undefined');
    },
  );

  it("lists the original's variables of each role (docs/wire-contract.md §9)", () => {
    expect(roleVariables(centralRole)).toEqual(
      expect.arrayContaining([
        'CENTRAL_HTTP_PORT',
        'CENTRAL_LISTEN_PORT',
        'CENTRAL_KAFKA_BOOTSTRAP',
        'CENTRAL_DB_URL',
        'CENTRAL_LOG_LEVEL',
        'KAFKA_BOOTSTRAP',
      ]),
    );
    expect(roleVariables(cpEngineRole)).toEqual(
      expect.arrayContaining([
        'CP_ENGINE_CP_ID',
        'CP_ENGINE_KAFKA_BOOTSTRAP',
        'CP_ENGINE_HEALTH_PORT',
        'CP_ENGINE_TELEMETRY_INTERVAL',
        'CP_ENGINE_KW_RATE',
        'CP_ENGINE_EURO_RATE',
        'CP_ENGINE_LOG_LEVEL',
      ]),
    );
    expect(roleVariables(cpMonitorRole)).toEqual(
      expect.arrayContaining([
        'CP_MONITOR_CP_ID',
        'CP_MONITOR_CP_E_HOST',
        'CP_MONITOR_CP_E_PORT',
        'CP_MONITOR_CENTRAL_HOST',
        'CP_MONITOR_CENTRAL_PORT',
        'CP_MONITOR_HEALTH_INTERVAL',
        'CP_MONITOR_LOG_LEVEL',
      ]),
    );
    expect(roleVariables(driverRole)).toEqual(
      expect.arrayContaining([
        'DRIVER_DRIVER_ID',
        'DRIVER_KAFKA_BOOTSTRAP',
        'DRIVER_REQUESTS_FILE',
        'DRIVER_REQUEST_INTERVAL',
        'DRIVER_LOG_LEVEL',
      ]),
    );
  });
});
