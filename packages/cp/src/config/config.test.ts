import { ConfigError, loadConfig } from '@evcharging/core';
import { describe, expect, it } from 'vitest';
import { FileOutbox } from '../outbox/file-outbox.js';
import { CpEngineConfigSchema, engineOptionsFromConfig } from './engine-config.js';
import { CpMonitorConfigSchema, monitorOptionsFromConfig } from './monitor-config.js';

describe('CpEngineConfigSchema', () => {
  it("reads the original's CP_ENGINE_* variables with its defaults", () => {
    const config = loadConfig('CP_ENGINE', CpEngineConfigSchema, { CP_ENGINE_CP_ID: 'CP-001' });
    expect(config).toEqual({
      cp_id: 'CP-001',
      kafka_bootstrap: 'localhost:9092',
      health_port: 8001,
      telemetry_interval: 1,
      kw_rate: 22,
      euro_rate: 0.3,
      log_level: 'INFO',
      health_host: '0.0.0.0',
      session_duration: 10,
    });
    const options = engineOptionsFromConfig(config);
    expect(options).toMatchObject({
      cpId: 'CP-001',
      kw: 22,
      priceEurKwh: 0.3,
      telemetryIntervalMs: 1000,
      policy: { kind: 'fixed-duration', durationS: 10 },
      healthServer: { port: 8001, host: '0.0.0.0' },
    });
    expect(options.outbox).toBeUndefined();
  });

  it('maps overrides, the compose-level KAFKA_BOOTSTRAP, a manual policy and a file outbox', () => {
    const config = loadConfig(
      'CP_ENGINE',
      CpEngineConfigSchema,
      {
        CP_ENGINE_CP_ID: 'CP-002',
        CP_ENGINE_KW_RATE: '50',
        CP_ENGINE_EURO_RATE: '0.35',
        CP_ENGINE_HEALTH_PORT: '8002',
        CP_ENGINE_TELEMETRY_INTERVAL: '0.5',
        CP_ENGINE_SESSION_DURATION: '0',
        CP_ENGINE_OUTBOX_FILE: '/tmp/cp-002.json',
        KAFKA_BOOTSTRAP: 'kafka:9092',
      },
      { fallbacks: { kafka_bootstrap: ['KAFKA_BOOTSTRAP'] } },
    );
    expect(config).toMatchObject({
      kw_rate: 50,
      euro_rate: 0.35,
      health_port: 8002,
      kafka_bootstrap: 'kafka:9092',
    });
    const options = engineOptionsFromConfig(config);
    expect(options).toMatchObject({ kw: 50, telemetryIntervalMs: 500, policy: { kind: 'manual' } });
    expect(options.outbox).toBeInstanceOf(FileOutbox);
    expect((options.outbox as FileOutbox).path).toBe('/tmp/cp-002.json');
  });

  it('names every bad variable and what it expects', () => {
    let error: unknown;
    try {
      loadConfig('CP_ENGINE', CpEngineConfigSchema, {
        CP_ENGINE_KW_RATE: 'fast',
        CP_ENGINE_HEALTH_PORT: '70000',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('CP_ENGINE_CP_ID');
    expect(message).toMatch(/CP_ENGINE_KW_RATE: expected a number > 0, got "fast"/);
    expect(message).toMatch(/CP_ENGINE_HEALTH_PORT: expected an integer >= 0 <= 65535, got "70000"/);
  });
});

describe('CpMonitorConfigSchema', () => {
  it("reads the original's CP_MONITOR_* variables and builds TCP and HTTP links", () => {
    const config = loadConfig('CP_MONITOR', CpMonitorConfigSchema, {
      CP_MONITOR_CP_ID: 'CP-001',
      CP_MONITOR_CP_E_HOST: 'cp-engine-1',
      CP_MONITOR_CENTRAL_HOST: 'central',
    });
    expect(config).toEqual({
      cp_id: 'CP-001',
      cp_e_host: 'cp-engine-1',
      cp_e_port: 8001,
      central_host: 'central',
      central_port: 8000,
      health_interval: 1,
      log_level: 'INFO',
      failure_threshold: 3,
      connect_timeout: 2,
      read_timeout: 1,
    });
    const options = monitorOptionsFromConfig(config);
    expect(options).toMatchObject({ cpId: 'CP-001', intervalMs: 1000, failureThreshold: 3 });
    expect(options.engine).toMatchObject({ host: 'cp-engine-1', port: 8001 });
    expect(typeof options.central.register).toBe('function');
  });

  it('rejects a threshold below 1', () => {
    expect(() =>
      loadConfig('CP_MONITOR', CpMonitorConfigSchema, {
        CP_MONITOR_CP_ID: 'x',
        CP_MONITOR_FAILURE_THRESHOLD: '0',
      }),
    ).toThrow(/CP_MONITOR_FAILURE_THRESHOLD: expected an integer >= 1/);
  });
});
