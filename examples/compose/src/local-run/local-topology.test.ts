import { describe, expect, it } from 'vitest';
import { localTopology, settingsFromEnv } from './local-topology.js';

const envOf = (env: Record<string, string>, name: string) =>
  Object.fromEntries(localTopology(settingsFromEnv(env)).map((p) => [p.name, p.env[name]]));

describe('local-run on lab machines (other machines reach its servers)', () => {
  it('binds Central and the engines to 127.0.0.1 unless LOCAL_RUN_BIND_HOST says otherwise', () => {
    expect(envOf({}, 'CENTRAL_BIND_HOST')['ev-central']).toBe('127.0.0.1');
    expect(envOf({}, 'CP_ENGINE_HEALTH_HOST')['ev-cp-e-1']).toBe('127.0.0.1');
    const lab = { LOCAL_RUN_BIND_HOST: '0.0.0.0' };
    expect(envOf(lab, 'CENTRAL_BIND_HOST')['ev-central']).toBe('0.0.0.0');
    expect(envOf(lab, 'CP_ENGINE_HEALTH_HOST')).toMatchObject({
      'ev-cp-e-1': '0.0.0.0',
      'ev-cp-e-2': '0.0.0.0',
    });
  });

  it('has its monitors and its own probes reach the servers on loopback for a wildcard, else at the address', () => {
    const wildcard = settingsFromEnv({ LOCAL_RUN_BIND_HOST: '0.0.0.0' });
    expect(wildcard.localHost).toBe('127.0.0.1');
    expect(envOf({ LOCAL_RUN_BIND_HOST: '0.0.0.0' }, 'CP_MONITOR_CENTRAL_HOST')['ev-cp-m-1']).toBe(
      '127.0.0.1',
    );
    const one = { LOCAL_RUN_BIND_HOST: '192.168.1.10' };
    expect(envOf(one, 'CP_MONITOR_CENTRAL_HOST')['ev-cp-m-1']).toBe('192.168.1.10');
    expect(envOf(one, 'CP_MONITOR_CP_E_HOST')['ev-cp-m-2']).toBe('192.168.1.10');
    const central = localTopology(settingsFromEnv(one)).find((p) => p.name === 'ev-central')!;
    expect(central.ready).toEqual({ kind: 'http', url: 'http://192.168.1.10:8000/health' });
  });

  it('reaches the broker it starts at the address scripts/kafka.sh advertises', () => {
    expect(settingsFromEnv({}).bootstrap).toBe('127.0.0.1:9092');
    expect(
      settingsFromEnv({ KAFKA_LISTEN_HOST: '0.0.0.0', KAFKA_ADVERTISED_HOST: '192.168.1.10' }).bootstrap,
    ).toBe('192.168.1.10:9092');
    expect(settingsFromEnv({ KAFKA_LISTEN_HOST: '10.0.0.5', KAFKA_PORT: '19092' }).bootstrap).toBe(
      '10.0.0.5:19092',
    );
    expect(settingsFromEnv({ KAFKA_BOOTSTRAP: 'kafka.lab:9092', KAFKA_ADVERTISED_HOST: 'x' }).bootstrap).toBe(
      'kafka.lab:9092',
    );
  });
});
