import {
  type Clock,
  type CpStatus,
  type CpTelemetry,
  isoTime,
  isPending,
  type SessionEnd,
} from '@evcharging/core';
import { type CpDefaults, type CpEntry, type CpRegistry, newCpRecord } from './domain/cp-registry.js';
import type { FaultLog } from './liveness/fault-log.js';
import type { OperatorCommands } from './operator/operator-commands.js';
import type { SessionBook } from './sessions/session-book.js';
import type { SettlingCps } from './sessions/settling-cps.js';
import type { SmartCharging } from './smart-charging/smart-charging.js';

export interface EngineReportsDeps {
  registry: CpRegistry;
  book: SessionBook;
  faults: FaultLog;
  operator: OperatorCommands;
  clock: Clock;
  /** Accept messages of engines whose CP is not in the configuration (they join the registry). */
  allowUnregisteredCps: boolean;
  defaults: CpDefaults;
  /** The sites' smart charging: reads every telemetry of a site's session. */
  charging?: SmartCharging | undefined;
  /** Requests waiting for a CP's next status once its supply ended: each status ends them. */
  settling: SettlingCps;
}

/**
 * What the engines tell Central on `cp.status`, `cp.telemetry` and `cp.session_end`, each message
 * already validated by the transport: the CP's engine state in the registry, and what it means for
 * the CP's session (started, failed by a fault or a disconnection, figures, ticket).
 */
export class EngineReports {
  constructor(private readonly deps: EngineReportsDeps) {}

  async status(status: CpStatus): Promise<void> {
    const entry = this.entryFor(status.cp_id);
    if (!entry) return;
    const { book, registry } = this.deps;
    const ts = isoTime(this.deps.clock.now());
    entry.record.engine_state = status.state;
    const session = book.openOf(entry);
    let work: Promise<void> | undefined;
    switch (status.state) {
      case 'SUPPLYING':
        book.supplying(entry, status.session_id, ts);
        break;
      case 'FAULT': {
        const reason = status.reason ?? 'engine reported FAULT';
        this.deps.faults.fault(entry.record.cp_id, 'ENGINE_FAULT', reason);
        // The engine ended the supply itself (its ticket follows): no stop_supply needed.
        if (session) work = book.interrupt(session, `CP fault: ${reason}`, false);
        break;
      }
      case 'DISCONNECTED':
        if (session) work = book.interrupt(session, 'CP engine disconnected', false);
        break;
      case 'ACTIVATED':
        work = this.deps.operator.restopIfStopped(entry);
        break;
      case 'STOPPED':
        if (session?.status === 'accepted') work = book.interrupt(session, 'CP stopped');
        break;
    }
    registry.save(entry, ts);
    this.deps.settling.settled(entry.record.cp_id);
    await work;
  }

  /**
   * Synchronous up to the driver's `in_progress` update it sends (its promise): this runs for every
   * telemetry message, and each `await` or `then` costs the simulation lane microtask turns. Smart
   * charging takes the reading at once; a new allocation the reading makes due follows the update.
   */
  telemetry(telemetry: CpTelemetry): Promise<void> | undefined {
    const entry = this.entryFor(telemetry.cp_id);
    if (!entry) return undefined;
    const reallocation = this.deps.charging?.telemetry(telemetry);
    const sent = this.deps.book.telemetry(entry, telemetry, isoTime(this.deps.clock.now()));
    if (!reallocation) return sent;
    return isPending(sent) ? sent.then(reallocation) : reallocation();
  }

  ticket(end: SessionEnd): Promise<void> {
    return this.deps.book.ticket(end, isoTime(this.deps.clock.now()));
  }

  private entryFor(cpId: string): CpEntry | undefined {
    const { registry } = this.deps;
    const entry = registry.entry(cpId);
    if (entry || !this.deps.allowUnregisteredCps) return entry;
    const ts = isoTime(this.deps.clock.now());
    return registry.add(newCpRecord(cpId, 'engine', {}, this.deps.defaults, ts));
  }
}
