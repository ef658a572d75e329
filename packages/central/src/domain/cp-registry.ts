import { CP_STATES, type CpState } from '@evcharging/core';
import type {
  CentralStore,
  CpRecord,
  CpSource,
  MonitorHealth,
  TelemetrySnapshot,
} from '../store/central-store.js';
import { displayState } from './display-state.js';

/** A CP as Central shows it (HTTP, TCP LIST, dashboard). Never carries the CP's secret. */
export interface CpView {
  cp_id: string;
  location: string;
  price_eur_kwh: number;
  kw: number;
  /** The state to show: the monitor × engine matrix. */
  state: CpState;
  engine_state: CpState | null;
  monitor_alive: boolean;
  monitor_health: MonitorHealth;
  fault_reason: string | null;
  operator_stopped: boolean;
  driver_id: string | null;
  session_id: string | null;
  telemetry: TelemetrySnapshot | null;
  cp_e_host: string | null;
  cp_e_port: number | null;
  registered_at: string | null;
  last_heartbeat_at: string | null;
  source: CpRecord['source'];
  updated_at: string;
}

/** The registry as other modules read it. */
export interface CpRegistryView {
  readonly size: number;
  has(cpId: string): boolean;
  get(cpId: string): CpView | undefined;
  /** Every CP, in id order. */
  list(): CpView[];
  /** One page of CPs in id order, optionally in one state; views are built for that page only. */
  page(offset: number, limit: number, state?: CpState): { items: CpView[]; total: number };
  countByState(): Record<CpState, number>;
}

/** One CP's live entry: the persisted record plus what only lives while Central runs. */
export interface CpEntry {
  record: CpRecord;
  secret: string | undefined;
  monitorAlive: boolean;
  lastHeartbeatMs: number | undefined;
}

/** Location, price and power of a CP first seen without them. */
export interface CpDefaults {
  location: string;
  price_eur_kwh: number;
  kw: number;
}

/** A new CP's record: its figures (or the defaults), DISCONNECTED until its monitor connects. */
export function newCpRecord(
  cpId: string,
  source: CpSource,
  figures: { location?: string; price_eur_kwh?: number; kw?: number },
  defaults: CpDefaults,
  ts: string,
): CpRecord {
  return {
    cp_id: cpId,
    location: figures.location ?? defaults.location,
    price_eur_kwh: figures.price_eur_kwh ?? defaults.price_eur_kwh,
    kw: figures.kw ?? defaults.kw,
    source,
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
    updated_at: ts,
  };
}

/** Who hears of saved entries: every change but a telemetry reading, and the readings. */
export interface CpRegistryListener {
  changed(entry: CpEntry): void;
  reading(entry: CpEntry): void;
}

const NOBODY: CpRegistryListener = { changed() {}, reading() {} };

/**
 * Central's read model of every CP, kept in memory and written through to the store. Entries are
 * mutated by Central's handlers, which call {@link CpRegistry.save} after each change.
 */
export class CpRegistry implements CpRegistryView {
  private readonly entries = new Map<string, CpEntry>();
  private sorted: string[] | undefined;

  constructor(
    private readonly store: CentralStore,
    private readonly requireMonitor: boolean,
    private readonly listener: CpRegistryListener = NOBODY,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  has(cpId: string): boolean {
    return this.entries.has(cpId);
  }

  entry(cpId: string): CpEntry | undefined {
    return this.entries.get(cpId);
  }

  entriesInOrder(): CpEntry[] {
    this.sorted ??= [...this.entries.keys()].sort();
    return this.sorted.map((id) => this.entries.get(id)!);
  }

  /** Adds a CP (live state fresh: monitor down until it connects). Does not persist. */
  add(record: CpRecord, secret?: string): CpEntry {
    const entry: CpEntry = { record, secret, monitorAlive: false, lastHeartbeatMs: undefined };
    this.entries.set(record.cp_id, entry);
    this.sorted = undefined;
    return entry;
  }

  /** Persists an entry's record and tells listeners it changed. */
  save(entry: CpEntry, updatedAt: string): void {
    entry.record.updated_at = updatedAt;
    this.store.upsertCp(entry.record);
    this.listener.changed(entry);
  }

  /** Persists an entry whose telemetry reading alone changed, and tells the readings' listeners. */
  saveReading(entry: CpEntry, updatedAt: string): void {
    entry.record.updated_at = updatedAt;
    this.store.upsertCp(entry.record);
    this.listener.reading(entry);
  }

  stateOf(entry: CpEntry): CpState {
    return displayState({
      monitorAlive: entry.monitorAlive,
      monitorHealth: entry.record.monitor_health,
      engineState: entry.record.engine_state,
      operatorStopped: entry.record.operator_stopped,
      requireMonitor: this.requireMonitor,
    });
  }

  view(entry: CpEntry): CpView {
    const r = entry.record;
    return {
      cp_id: r.cp_id,
      location: r.location,
      price_eur_kwh: r.price_eur_kwh,
      kw: r.kw,
      state: this.stateOf(entry),
      engine_state: r.engine_state,
      monitor_alive: entry.monitorAlive,
      monitor_health: r.monitor_health,
      fault_reason: r.fault_reason,
      operator_stopped: r.operator_stopped,
      driver_id: r.current_driver_id,
      session_id: r.current_session_id,
      telemetry: r.last_telemetry ? { ...r.last_telemetry } : null,
      cp_e_host: r.cp_e_host,
      cp_e_port: r.cp_e_port,
      registered_at: r.registered_at,
      last_heartbeat_at: r.last_heartbeat_at,
      source: r.source,
      updated_at: r.updated_at,
    };
  }

  get(cpId: string): CpView | undefined {
    const entry = this.entries.get(cpId);
    return entry ? this.view(entry) : undefined;
  }

  list(): CpView[] {
    return this.entriesInOrder().map((e) => this.view(e));
  }

  page(offset: number, limit: number, state?: CpState): { items: CpView[]; total: number } {
    this.sorted ??= [...this.entries.keys()].sort();
    if (state === undefined) {
      // No filter: the page is a slice of the sorted ids (walking all of them took half the
      // server's CPU for 50 of 10,000 CPs).
      const from = Math.max(0, offset);
      const ids = this.sorted.slice(from, from + Math.max(0, limit));
      return { items: ids.map((id) => this.view(this.entries.get(id)!)), total: this.sorted.length };
    }
    const items: CpView[] = [];
    let total = 0;
    for (const id of this.sorted) {
      const entry = this.entries.get(id)!;
      if (state !== undefined && this.stateOf(entry) !== state) continue;
      if (total >= offset && items.length < limit) items.push(this.view(entry));
      total++;
    }
    return { items, total };
  }

  countByState(): Record<CpState, number> {
    const counts = Object.fromEntries(CP_STATES.map((s) => [s, 0])) as Record<CpState, number>;
    for (const entry of this.entries.values()) counts[this.stateOf(entry)]++;
    return counts;
  }
}
