import { describe, expect, it } from 'vitest';
import { MemoryOutbox } from './memory-outbox.js';
import type { InflightSession } from './ticket-outbox.js';

const base: InflightSession = {
  cp_id: 'CP-001',
  session_id: 's-1',
  driver_id: 'd-1',
  request_id: 'r-1',
  start_ms: 1_000,
  updated_ms: 2_000,
  energy_kwh: 0.5,
  price_eur_kwh: 0.3,
  cost_eur: 0.15,
  soc: 41,
};

describe('MemoryOutbox in-flight session', () => {
  it('keeps the last saved figures of a session, whatever the caller does with its object later', async () => {
    const outbox = new MemoryOutbox();
    await outbox.saveInflight(base);
    const next = { ...base, updated_ms: 3_000, energy_kwh: 0.9, price_eur_kwh: 0.35, cost_eur: 0.3, soc: 43 };
    await outbox.saveInflight(next);
    expect(outbox.inflightSession).toEqual(next);
    next.energy_kwh = 99;
    expect(outbox.inflightSession?.energy_kwh).toBe(0.9);
    expect((await outbox.load()).inflight).toEqual({ ...next, energy_kwh: 0.9 });
  });

  it('drops optional fields the newer save no longer has', async () => {
    const outbox = new MemoryOutbox();
    await outbox.saveInflight(base);
    const { soc: _soc, cost_eur: _cost, ...plain } = { ...base, updated_ms: 3_000 };
    await outbox.saveInflight(plain);
    expect(outbox.inflightSession).toEqual(plain);
    expect(outbox.inflightSession && 'soc' in outbox.inflightSession).toBe(false);
  });

  it('replaces another session and clears with undefined', async () => {
    const outbox = new MemoryOutbox();
    await outbox.saveInflight(base);
    const other = { ...base, session_id: 's-2', driver_id: 'd-2', start_ms: 5_000 };
    await outbox.saveInflight(other);
    expect(outbox.inflightSession).toEqual(other);
    await outbox.saveInflight(undefined);
    expect(outbox.inflightSession).toBeUndefined();
  });
});
