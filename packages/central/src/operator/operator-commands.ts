import { type Clock, isoTime } from '@evcharging/core';
import type { CpEntry, CpRegistry } from '../domain/cp-registry.js';
import type { CentralWire } from '../messaging/central-wire.js';
import type { SessionBook } from '../sessions/session-book.js';
import type { Actor, AuditTrail } from './audit-trail.js';

export type OperatorCommand = 'stop' | 'resume';

export type OperatorResult =
  | { ok: true; command: OperatorCommand; target: string; affected: string[] }
  | { ok: false; command: OperatorCommand; target: string; code: 'unknown_cp'; reason: string };

export interface OperatorCommandsDeps {
  registry: CpRegistry;
  book: SessionBook;
  wire: CentralWire;
  audit: AuditTrail;
  clock: Clock;
}

/**
 * An operator's stop and resume of one CP or `ALL`: a stopped CP is "Out of Order" and takes no
 * request, and a supply running on it ends (with its ticket). Every call is audited.
 */
export class OperatorCommands {
  constructor(private readonly deps: OperatorCommandsDeps) {}

  async stop(target: string, actor: Actor): Promise<OperatorResult> {
    const entries = this.targets(target);
    if (!entries) return this.unknownTarget('stop', target, actor);
    const { book, registry, wire } = this.deps;
    const ts = isoTime(this.deps.clock.now());
    const commands: Promise<void>[] = [];
    for (const entry of entries) {
      const record = entry.record;
      const alreadyStopped = record.operator_stopped && record.engine_state === 'STOPPED';
      record.operator_stopped = true;
      const session = book.openOf(entry);
      if (session) commands.push(book.endOnRequest(session, 'stopped by operator'));
      registry.save(entry, ts);
      if (!alreadyStopped) commands.push(wire.command({ cmd: 'stop_cp', cp_id: record.cp_id }));
    }
    await Promise.all(commands);
    return this.done('stop', target, entries, actor);
  }

  async resume(target: string, actor: Actor): Promise<OperatorResult> {
    const entries = this.targets(target);
    if (!entries) return this.unknownTarget('resume', target, actor);
    const ts = isoTime(this.deps.clock.now());
    const commands: Promise<void>[] = [];
    for (const entry of entries) {
      const record = entry.record;
      const wasStopped = record.operator_stopped || record.engine_state === 'STOPPED';
      record.operator_stopped = false;
      this.deps.registry.save(entry, ts);
      if (wasStopped) commands.push(this.deps.wire.command({ cmd: 'resume_cp', cp_id: record.cp_id }));
    }
    await Promise.all(commands);
    return this.done('resume', target, entries, actor);
  }

  /** The engine came back ACTIVATED without knowing an operator had stopped it: stop it again. */
  restopIfStopped(entry: CpEntry): Promise<void> | undefined {
    if (!entry.record.operator_stopped) return undefined;
    return this.deps.wire.command({ cmd: 'stop_cp', cp_id: entry.record.cp_id });
  }

  private done(command: OperatorCommand, target: string, entries: CpEntry[], actor: Actor): OperatorResult {
    const affected = entries.map((e) => e.record.cp_id);
    this.deps.audit.record(actor, `cp.${command}`, target, 'ok', `${affected.length} CP(s)`);
    return { ok: true, command, target, affected };
  }

  private targets(target: string): CpEntry[] | undefined {
    if (target === 'ALL') return this.deps.registry.entriesInOrder();
    const entry = this.deps.registry.entry(target);
    return entry ? [entry] : undefined;
  }

  private unknownTarget(command: OperatorCommand, target: string, actor: Actor): OperatorResult {
    const reason = `unknown CP "${target}"`;
    this.deps.audit.record(actor, `cp.${command}`, target, 'not_found', reason);
    return { ok: false, command, target, code: 'unknown_cp', reason };
  }
}
