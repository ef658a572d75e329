import {
  type Clock,
  type DriverRequest,
  isoTime,
  type StartSupplyPayload,
  vehicleProblems,
} from '@evcharging/core';
import type { CentralEventStream } from '../central-events.js';
import type { CpRegistry } from '../domain/cp-registry.js';
import type { CentralWire } from '../messaging/central-wire.js';
import type { SmartCharging, StartGrant } from '../smart-charging/smart-charging.js';
import type { CentralStats } from '../stats/central-stats.js';
import type { CentralStore, RequestRecord, SessionRecord } from '../store/central-store.js';
import { authorize } from './authorize.js';
import { deniedUpdate, terminalUpdate, updateFor } from './driver-updates.js';
import type { SessionBook } from './session-book.js';
import { isSettling, type SettlingCps } from './settling-cps.js';

export interface RequestDeskDeps {
  book: SessionBook;
  registry: CpRegistry;
  store: CentralStore;
  clock: Clock;
  wire: CentralWire;
  stats: CentralStats;
  events: CentralEventStream;
  /** True once Central shuts down: every new request is denied. */
  shuttingDown(): boolean;
  /** The sites' smart charging: a session at a site's CP starts with its first limit. */
  charging?: SmartCharging | undefined;
  /** A request for a CP whose supply just ended waits here for the engine's next status. */
  settling: SettlingCps;
}

/**
 * Drivers' requests (`driver.requests`): each is decided once, accepted (a session opens, the
 * engine gets `start_supply`, the driver `accepted`) or denied with a reason. A request id seen
 * before is not decided again: the driver gets its current status (at-least-once delivery, and a
 * restarted driver asking again). A request for a CP whose supply has ended, but whose engine's
 * next state Central has not read yet, waits for that state (see `SettlingCps`) before it is
 * decided.
 */
export class RequestDesk {
  constructor(private readonly deps: RequestDeskDeps) {}

  handle(request: DriverRequest): Promise<void> {
    this.deps.stats.requestReceived();
    return this.decide(request, true);
  }

  /** `mayWait`: a request for a settling CP waits once for its next status, then is decided. */
  private async decide(request: DriverRequest, mayWait: boolean): Promise<void> {
    const { store, registry, stats, wire, book } = this.deps;
    const known = store.getRequest(request.request_id);
    if (known) {
      stats.duplicateRequest();
      await this.replay(known, request);
      return;
    }
    const ts = isoTime(this.deps.clock.now());
    const problems = request.vehicle ? vehicleProblems(request.vehicle) : [];
    const verdict =
      problems.length > 0
        ? ({ ok: false, kind: 'invalid_request', reason: problems.join('; ') } as const)
        : authorize(request.cp_id, registry, this.deps.shuttingDown());
    if (!verdict.ok) {
      const entry = mayWait && verdict.kind === 'busy' ? registry.entry(request.cp_id) : undefined;
      if (entry && isSettling(entry)) {
        await this.deps.settling.wait(request.cp_id);
        return this.decide(request, false);
      }
      const decision: RequestRecord = {
        request_id: request.request_id,
        driver_id: request.driver_id,
        cp_id: request.cp_id,
        received_at: ts,
        decision: 'denied',
        reason: verdict.reason,
        session_id: null,
      };
      store.saveRequest(decision);
      stats.denied(verdict.kind);
      this.deps.events.emit('request.decided', decision);
      await wire.publish('driver.updates', deniedUpdate(request, verdict.reason, ts));
      return;
    }
    const session = book.openFor(verdict.entry, request, ts);
    // No await without smart charging: an extra turn would reorder same-instant messages.
    const grant = this.deps.charging ? await this.deps.charging.admit(session, request) : undefined;
    await this.startSupply(session, request, grant);
    await wire.publish('driver.updates', updateFor(session, 'accepted', ts));
  }

  /** The engine's `start_supply` for an accepted session: what the driver asked for, and its site's grant. */
  private startSupply(
    session: SessionRecord,
    request: DriverRequest,
    grant: StartGrant | undefined,
  ): Promise<void> {
    const payload: StartSupplyPayload = {
      driver_id: session.driver_id,
      request_id: session.request_id,
      session_id: session.session_id,
    };
    if (request.target_kwh !== undefined) payload.target_kwh = request.target_kwh;
    if (request.duration_s !== undefined) payload.duration_s = request.duration_s;
    if (request.vehicle !== undefined) payload.vehicle = request.vehicle;
    if (request.departure_time !== undefined) payload.departure_time = request.departure_time;
    if (grant?.limit_kw !== undefined) payload.limit_kw = grant.limit_kw;
    if (grant?.tariff !== undefined) payload.tariff = grant.tariff;
    // Not async: an extra turn would reorder same-instant messages.
    return this.deps.wire.command({ cmd: 'start_supply', cp_id: session.cp_id, payload });
  }

  /**
   * A request decided before: the driver gets where it stands now. A session still waiting for its
   * engine gets its `start_supply` again first: the request comes back when handling it failed
   * after the session was stored (the broker down when the command was sent, Central killed before
   * it went out), and nothing else would send it. An engine that has the session already ignores
   * the same start again.
   */
  private async replay(known: RequestRecord, request: DriverRequest): Promise<void> {
    const { wire, book } = this.deps;
    const ts = isoTime(this.deps.clock.now());
    if (known.decision === 'denied' || !known.session_id) {
      await wire.publish('driver.updates', deniedUpdate(known, known.reason ?? 'denied', ts));
      return;
    }
    const session = book.find(known.session_id);
    if (!session) return;
    if (session.status === 'accepted') {
      const grant = this.deps.charging ? await this.deps.charging.readmit(session, request) : undefined;
      await this.startSupply(session, request, grant);
    }
    const update =
      session.status === 'accepted' || session.status === 'supplying'
        ? updateFor(session, session.status === 'supplying' ? 'in_progress' : 'accepted', ts)
        : terminalUpdate(session, ts);
    await wire.publish('driver.updates', update);
  }
}
