import {
  type Clock,
  isoTime,
  type Logger,
  type MonitorAck,
  type MonitorFaultReport,
  type MonitorHeartbeat,
  type MonitorRegistration,
} from '@evcharging/core';
import { type CpDefaults, type CpEntry, type CpRegistry, newCpRecord } from '../domain/cp-registry.js';
import { secretsMatch } from '../domain/secrets.js';
import type { Actor, AuditTrail } from '../operator/audit-trail.js';
import type { SessionBook } from '../sessions/session-book.js';
import type { FaultLog } from './fault-log.js';
import type { LivenessWatch } from './liveness-watch.js';

/** A monitor call's answer, with a machine-readable code when it failed. */
export interface MonitorOutcome extends MonitorAck {
  code?: 'invalid' | 'unknown_cp' | 'unauthorized';
  reasons?: string[];
}

export interface MonitorProtocolDeps {
  registry: CpRegistry;
  watch: LivenessWatch;
  faults: FaultLog;
  book: SessionBook;
  audit: AuditTrail;
  clock: Clock;
  logger: Logger;
  /** Accept registrations of CPs not in the configuration. */
  allowUnregisteredCps: boolean;
  defaults: CpDefaults;
}

/**
 * Central's side of the monitor protocol (`POST /cp/register`, `/cp/heartbeat`, `/cp/fault`, their
 * TCP frames, or in-process calls): registrations, heartbeats and the monitor's verdict on its
 * engine. Messages arrive validated by their boundary; a CP with a secret must present it.
 */
export class MonitorProtocol {
  constructor(private readonly deps: MonitorProtocolDeps) {}

  async register(reg: MonitorRegistration, actor: Actor): Promise<MonitorOutcome> {
    const { registry, audit } = this.deps;
    const ts = isoTime(this.deps.clock.now());
    let entry = registry.entry(reg.cp_id);
    if (!entry) {
      if (!this.deps.allowUnregisteredCps) {
        return this.refuse(actor, 'monitor.register', reg.cp_id, 'unknown_cp', `unknown CP "${reg.cp_id}"`);
      }
      entry = registry.add(newCpRecord(reg.cp_id, 'registration', reg, this.deps.defaults, ts));
    }
    const denied = this.checkSecret(entry, reg.secret, actor, 'monitor.register');
    if (denied) return denied;
    const record = entry.record;
    if (record.source !== 'config') {
      if (reg.location !== undefined) record.location = reg.location;
      if (reg.price_eur_kwh !== undefined) record.price_eur_kwh = reg.price_eur_kwh;
      if (reg.kw !== undefined) record.kw = reg.kw;
      record.source = 'registration';
    }
    record.cp_e_host = reg.cp_e_host;
    record.cp_e_port = reg.cp_e_port;
    record.registered_at = ts;
    // A (re)starting monitor has a fresh view of its engine; it reports FAULT again if it sees one.
    if (record.monitor_health === 'FAULT') {
      record.monitor_health = 'HEALTHY';
      record.fault_reason = null;
    }
    this.deps.watch.markAlive(entry, ts);
    registry.save(entry, ts);
    audit.record(actor, 'monitor.register', reg.cp_id, 'ok', `${reg.cp_e_host}:${reg.cp_e_port}`);
    return { ok: true };
  }

  async heartbeat(hb: MonitorHeartbeat, actor: Actor): Promise<MonitorOutcome> {
    const entry = this.deps.registry.entry(hb.cp_id);
    if (!entry) return { ok: false, code: 'unknown_cp', reason: `unknown CP "${hb.cp_id}": register first` };
    const denied = this.checkSecret(entry, hb.secret, actor, 'monitor.heartbeat');
    if (denied) return denied;
    const ts = isoTime(this.deps.clock.now());
    let changed = this.deps.watch.markAlive(entry, ts);
    // A heartbeat may carry the monitor's current verdict, so a restarted Central learns it.
    if (hb.status !== undefined && hb.status !== entry.record.monitor_health) {
      await this.applyVerdict(entry, hb.status, hb.reason);
      changed = true;
    }
    if (changed) this.deps.registry.save(entry, ts);
    return { ok: true };
  }

  async reportFault(report: MonitorFaultReport, actor: Actor): Promise<MonitorOutcome> {
    const entry = this.deps.registry.entry(report.cp_id);
    if (!entry) {
      return this.refuse(actor, 'monitor.fault', report.cp_id, 'unknown_cp', `unknown CP "${report.cp_id}"`);
    }
    const denied = this.checkSecret(entry, report.secret, actor, 'monitor.fault');
    if (denied) return denied;
    const ts = isoTime(this.deps.clock.now());
    this.deps.watch.markAlive(entry, ts);
    await this.applyVerdict(entry, report.status, report.reason);
    this.deps.registry.save(entry, ts);
    const detail = `${report.status}${report.reason ? `: ${report.reason}` : ''}`;
    this.deps.audit.record(actor, 'monitor.fault', report.cp_id, 'ok', detail);
    return { ok: true };
  }

  /** The monitor's verdict: FAULT ends a running session at once; HEALTHY clears the fault. */
  private async applyVerdict(entry: CpEntry, status: 'FAULT' | 'HEALTHY', reason?: string): Promise<void> {
    const record = entry.record;
    if (status === 'FAULT') {
      const why = reason ?? 'monitor reported FAULT';
      if (record.monitor_health !== 'FAULT') this.deps.faults.fault(record.cp_id, 'FAULT', why);
      record.monitor_health = 'FAULT';
      record.fault_reason = why;
      const session = this.deps.book.openOf(entry);
      if (session) await this.deps.book.interrupt(session, `CP fault: ${why}`);
      return;
    }
    if (record.monitor_health === 'FAULT') this.deps.faults.healthy(record.cp_id, reason ?? null);
    record.monitor_health = 'HEALTHY';
    record.fault_reason = null;
  }

  private checkSecret(
    entry: CpEntry,
    presented: string | undefined,
    actor: Actor,
    action: string,
  ): MonitorOutcome | undefined {
    if (entry.secret === undefined || secretsMatch(entry.secret, presented)) return undefined;
    const reason = presented === undefined ? 'this CP needs its secret' : 'wrong secret';
    return this.refuse(actor, action, entry.record.cp_id, 'unauthorized', reason);
  }

  private refuse(
    actor: Actor,
    action: string,
    target: string,
    code: 'unknown_cp' | 'unauthorized',
    reason: string,
  ): MonitorOutcome {
    this.deps.audit.record(
      actor,
      action,
      target,
      code === 'unauthorized' ? 'unauthorized' : 'not_found',
      reason,
    );
    return { ok: false, code, reason };
  }
}
