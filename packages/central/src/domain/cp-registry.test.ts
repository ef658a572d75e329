import { describe, expect, it } from 'vitest';
import { CentralMetrics } from '../metrics/central-metrics.js';
import { CentralStats } from '../stats/central-stats.js';
import type { CpRecord } from '../store/central-store.js';
import { MemoryCentralStore } from '../store/memory-central-store.js';
import { CpRegistry } from './cp-registry.js';

function record(cpId: string): CpRecord {
  return {
    cp_id: cpId,
    location: 'here',
    price_eur_kwh: 0.3,
    kw: 22,
    source: 'config',
    engine_state: null,
    monitor_health: 'HEALTHY',
    fault_reason: null,
    operator_stopped: false,
    cp_e_host: null,
    cp_e_port: null,
    registered_at: null,
    last_heartbeat_at: null,
    current_session_id: null,
    current_driver_id: null,
    last_telemetry: null,
    updated_at: '2026-01-01T00:00:00.000Z',
  };
}

describe('CpRegistry.page', () => {
  // Ids added out of order; every third CP's monitor is up (ACTIVATED), the rest DISCONNECTED.
  const registry = new CpRegistry(new MemoryCentralStore(), true);
  const ids = Array.from({ length: 30 }, (_, i) => `CP-${String((i * 7) % 30).padStart(3, '0')}`);
  for (const [i, id] of ids.entries()) registry.add(record(id)).monitorAlive = i % 3 === 0;
  const sorted = [...ids].sort();

  it('without a state: the requested slice of the ids in order, and the full total', () => {
    for (const [offset, limit] of [
      [0, 5],
      [7, 10],
      [25, 50],
      [30, 5],
      [100, 5],
      [3, 0],
    ] as const) {
      const page = registry.page(offset, limit);
      expect(page.total).toBe(30);
      expect(page.items.map((v) => v.cp_id)).toEqual(sorted.slice(offset, offset + limit));
    }
  });

  it('with a state: the slice of the matching CPs, and their count', () => {
    const activated = sorted.filter((id) => registry.get(id)?.state === 'ACTIVATED');
    expect(activated).toHaveLength(10);
    const page = registry.page(2, 5, 'ACTIVATED');
    expect(page.total).toBe(10);
    expect(page.items.map((v) => v.cp_id)).toEqual(activated.slice(2, 7));
  });
});

describe('CentralMetrics message counter', () => {
  it('reports the totals it reads at each scrape, never counting a message twice', async () => {
    const metrics = new CentralMetrics();
    const stats = new CentralStats();
    for (let i = 0; i < 3; i++) stats.messageIn('cp.telemetry');
    metrics.readFiguresFrom(() => ({ stats, rejected: { 'cp.telemetry': 2 } }));
    const line = (text: string, direction: string) =>
      text
        .split('\n')
        .find((l) =>
          l.startsWith(`evcharging_central_messages_total{topic="cp.telemetry",direction="${direction}"`),
        );
    expect(line(await metrics.registry.metrics(), 'in')).toBe(
      'evcharging_central_messages_total{topic="cp.telemetry",direction="in"} 3',
    );
    expect(line(await metrics.registry.metrics(), 'in')).toMatch(/ 3$/);
    expect(line(await metrics.registry.metrics(), 'rejected')).toMatch(/ 2$/);
    for (let i = 0; i < 7; i++) stats.messageIn('cp.telemetry');
    expect(line(await metrics.registry.metrics(), 'in')).toMatch(/ 10$/);
  });

  it('reads sessions, denials, energy and faults from the same figures as the report', async () => {
    const metrics = new CentralMetrics();
    const stats = new CentralStats();
    metrics.readFiguresFrom(() => ({ stats, rejected: {} }));
    stats.accepted('CP-1');
    stats.sessionEnded('CP-1', 'completed');
    stats.denied('busy');
    stats.ticket('CP-1', 1.5, 0.45);
    stats.fault('CP-1', 'engine');
    stats.fault('CP-1', 'disconnected');
    const text = await metrics.registry.metrics();
    expect(text).toContain('evcharging_central_sessions_started_total 1');
    expect(text).toContain('evcharging_central_sessions_completed_total 1');
    expect(text).toContain('evcharging_central_requests_denied_total{reason="busy"} 1');
    expect(text).toContain('evcharging_central_energy_kwh_total 1.5');
    expect(text).toContain('evcharging_central_revenue_eur_total 0.45');
    expect(text).toContain('evcharging_central_faults_total{kind="engine"} 1');
    expect(text).toContain('evcharging_central_faults_total{kind="disconnected"} 1');
    expect(stats.faults).toBe(1);
  });
});
