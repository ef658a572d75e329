import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SessionEnd } from '@evcharging/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileOutbox, OutboxFileError } from './file-outbox.js';
import { MemoryOutbox } from './memory-outbox.js';
import type { InflightSession } from './ticket-outbox.js';

const ticket = (n: number): SessionEnd => ({
  cp_id: 'CP-001',
  driver_id: 'driver-alice',
  session_id: `session-0000000${n}`,
  start_time: '2026-01-01T00:00:00.000Z',
  end_time: '2026-01-01T00:01:00.000Z',
  energy_kwh: 0.3667,
  total_cost_eur: 0.11,
});

const inflight: InflightSession = {
  cp_id: 'CP-001',
  session_id: 'session-00000009',
  driver_id: 'driver-alice',
  start_ms: 0,
  updated_ms: 5000,
  energy_kwh: 0.03,
  price_eur_kwh: 0.3,
};

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'file-outbox-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('FileOutbox', () => {
  it('starts empty, creating its directory, and survives a new instance on the same file', async () => {
    const path = join(dir, 'nested', 'cp.json');
    const a = new FileOutbox(path);
    expect(await a.load()).toEqual({ tickets: [] });
    await a.saveInflight(inflight);
    await a.add(ticket(1));
    await a.add(ticket(1)); // the same session twice: kept once
    await a.add(ticket(2));
    await a.saveInflight(inflight);
    await a.remove(ticket(1).session_id);
    const b = new FileOutbox(path);
    expect(await b.load()).toEqual({ tickets: [ticket(2)], inflight });
    expect(b.pending()).toEqual([ticket(2)]);
    expect(existsSync(`${path}.tmp`)).toBe(false);
  });

  it('adding a ticket clears the in-flight session in the same write', async () => {
    const path = join(dir, 'cp.json');
    const outbox = new FileOutbox(path);
    await outbox.load();
    await outbox.saveInflight(inflight);
    await outbox.add(ticket(9));
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({
      version: 1,
      tickets: [ticket(9)],
      inflight: null,
    });
  });

  it('refuses to write before load, so a previous run is never overwritten unread', async () => {
    const outbox = new FileOutbox(join(dir, 'cp.json'));
    await expect(outbox.add(ticket(1))).rejects.toThrow(/load\(\) must be called before writing/);
  });

  it('names the file and the problem when the contents are unusable', async () => {
    const path = join(dir, 'cp.json');
    writeFileSync(path, '{ not json');
    await expect(new FileOutbox(path).load()).rejects.toThrow(OutboxFileError);
    await expect(new FileOutbox(path).load()).rejects.toThrow(`ticket outbox "${path}": not valid JSON`);
    writeFileSync(path, JSON.stringify({ version: 1, tickets: [{ cp_id: 'CP-001' }] }));
    await expect(new FileOutbox(path).load()).rejects.toThrow(/unexpected contents: \/tickets\/0/);
  });
});

describe('MemoryOutbox', () => {
  it('keeps tickets and the in-flight session across engines sharing it', async () => {
    const outbox = new MemoryOutbox();
    await outbox.saveInflight(inflight);
    expect(await outbox.load()).toEqual({ tickets: [], inflight });
    await outbox.add(ticket(1));
    expect(outbox.inflightSession).toBeUndefined();
    expect(await outbox.load()).toEqual({ tickets: [ticket(1)] });
    await outbox.remove(ticket(1).session_id);
    expect(outbox.pending()).toEqual([]);
  });
});
