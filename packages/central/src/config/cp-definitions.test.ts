import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@evcharging/core';
import { afterEach, describe, expect, it } from 'vitest';
import { CentralConfigSchema } from './central-config.js';
import { CpDefinitionError, checkCpDefinitions, loadCpDefinitions, parseCpCsv } from './cp-definitions.js';

const dirs: string[] = [];
function file(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'central-cps-'));
  dirs.push(dir);
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('CP definitions', () => {
  it('reads CSV with a header in any order, comments, quotes and an optional secret', () => {
    const cps = parseCpCsv(
      [
        '# the compose defaults',
        'kw,cp_id,location,price_eur_kwh,secret',
        '22,CP-001,"Main St, 1",0.30,',
        '',
        '50,CP-002,Harbour,0.35,s3cret',
      ].join('\n'),
    );
    expect(cps).toEqual([
      { cp_id: 'CP-001', location: 'Main St, 1', price_eur_kwh: 0.3, kw: 22 },
      { cp_id: 'CP-002', location: 'Harbour', price_eur_kwh: 0.35, kw: 50, secret: 's3cret' },
    ]);
  });

  it('names the file, line and every problem of a bad CSV', () => {
    const path = file('cps.csv', 'cp_id,location,price_eur_kwh,kw\nCP-001,A,cheap,22\nCP-001,B,0.3,-1\n');
    expect(() => loadCpDefinitions(path)).toThrow(CpDefinitionError);
    try {
      loadCpDefinitions(path);
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toContain(`${path}:2: /price_eur_kwh`);
      expect(message).toContain(`${path}:3: /kw`);
    }
    expect(() => parseCpCsv('cp_id,location,kw\nX,Y,1')).toThrow(/lacks the column "price_eur_kwh"/);
    expect(() => parseCpCsv('cp_id,location,price_eur_kwh,kw,colour\n')).toThrow(/unknown columns colour/);
  });

  it('reads JSON as an array or { cps }, and rejects duplicates and bad ids', () => {
    const list = [{ cp_id: 'CP-001', location: 'A', price_eur_kwh: 0.3, kw: 22 }];
    expect(loadCpDefinitions(file('a.json', JSON.stringify(list)))).toEqual(list);
    expect(loadCpDefinitions(file('b.json', JSON.stringify({ cps: list })))).toEqual(list);
    expect(() => loadCpDefinitions(file('c.json', '{"cps": 3}'))).toThrow(/expected an array/);
    expect(() => loadCpDefinitions(file('d.json', '{oops'))).toThrow(/not valid JSON/);
    expect(() => checkCpDefinitions([...list, ...list])).toThrow(/duplicate cp_id "CP-001"/);
    expect(() => checkCpDefinitions([{ ...list[0], cp_id: 'CP#1' }])).toThrow(/cps\[0\]: \/cp_id/);
    expect(() => loadCpDefinitions('/nonexistent/cps.csv')).toThrow(/cannot read CP definitions file/);
  });
});

describe('CentralConfigSchema', () => {
  it('reads the original variables with their defaults', () => {
    const config = loadConfig(
      'CENTRAL',
      CentralConfigSchema,
      { CENTRAL_HTTP_PORT: '8080', KAFKA_BOOTSTRAP: 'k:9092' },
      {
        fallbacks: { kafka_bootstrap: ['KAFKA_BOOTSTRAP'] },
      },
    );
    expect(config).toEqual({
      http_port: 8080,
      listen_port: 9999,
      kafka_bootstrap: 'k:9092',
      log_level: 'INFO',
      heartbeat_timeout: 5,
      tcp_max_connections_per_address: 16,
      tcp_frame_deadline: 10,
      stream_max_clients: 64,
    });
    expect(() => loadConfig('CENTRAL', CentralConfigSchema, { CENTRAL_LISTEN_PORT: '99999' })).toThrow(
      /CENTRAL_LISTEN_PORT/,
    );
  });
});
