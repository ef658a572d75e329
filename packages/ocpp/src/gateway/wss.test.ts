import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { centralController } from '@evcharging/central';
import { createNode, RealClock, silentLogger } from '@evcharging/core';
import { MemoryBroker } from '@evcharging/transport-memory';
import { expect, it } from 'vitest';
import { startCp, until } from '../__fixtures__/cp-harness.js';
import { ocppGateway } from './ocpp-gateway.js';

// A self-signed certificate for 127.0.0.1, made for these tests only (valid until 2125).
const cert = readFileSync(new URL('../__fixtures__/test-tls.crt', import.meta.url));
const key = readFileSync(new URL('../__fixtures__/test-tls.key', import.meta.url));

it('a simulated charge point joins Central over wss:// with its per-CP password; an untrusted certificate is refused', async () => {
  const clock = new RealClock();
  const central = centralController({
    cps: [{ cp_id: 'CP-TLS', location: 'Roof', price_eur_kwh: 0.3, kw: 22, secret: 'tls-secret' }],
    allowUnregisteredCps: false,
  });
  const gateway = ocppGateway({
    central: () => central.api,
    port: 0,
    tls: { key, cert },
    requirePassword: true,
  });
  const node = createNode({
    id: 'central',
    transport: new MemoryBroker().transport('central', { clock }),
    clock,
    logger: silentLogger(),
    plugins: [central, gateway],
  });
  await node.start();
  const url = `wss://127.0.0.1:${gateway.address!.port}/ocpp`;
  const trusted = await startCp(url, 'CP-TLS', { password: 'tls-secret', tls: { ca: cert } });
  const untrusted = await startCp(url, 'CP-TLS', { password: 'tls-secret', name: 'ocpp-cp/untrusted' });
  try {
    await until('ACTIVATED over TLS', () => central.registry.get('CP-TLS')?.state === 'ACTIVATED');
    await until(
      'the untrusted one refused twice',
      () => Object.values(untrusted.cp.metrics.connects.refused).reduce((a, b) => a + b, 0) >= 2,
    );
    expect(untrusted.cp.metrics.connects.opened).toBe(0);
    expect(Object.keys(untrusted.cp.metrics.connects.refused)).toEqual(['depth_zero_self_signed_cert']);
    expect(trusted.cp.figures().booted).toBe(true);
  } finally {
    await untrusted.stop();
    await trusted.stop();
    await node.stop();
  }
});
