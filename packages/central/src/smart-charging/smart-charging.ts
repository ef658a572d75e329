import {
  AcceptanceCurve,
  type Clock,
  type CpTelemetry,
  type DriverRequest,
  energyWantedKwh,
  type Logger,
  type SessionEnd,
  type StartSupplyPayload,
  type SupplyKind,
  type TimerHandle,
} from '@evcharging/core';
import type { CentralWire } from '../messaging/central-wire.js';
import {
  type ActiveSession,
  activeSession,
  committedOf,
  demandOf,
  readSoc,
  type SiteState,
} from './active-session.js';
import {
  type AllocationInput,
  type AllocationPolicy,
  checkAllocation,
  type SessionDemand,
} from './allocation-policy.js';
import type { Site } from './site.js';
import { SiteFigures, type SiteReport } from './site-figures.js';

/** What a session's `start_supply` gets from its site: its first limit and the site's tariff. */
export type StartGrant = Pick<StartSupplyPayload, 'limit_kw' | 'tariff'>;

/** A site's load against its limit at one instant. */
export interface SiteLoad {
  site_id: string;
  /** CPs behind the site's connection. */
  cps: number;
  /** Sum of its sessions' last reported power, kW. */
  load_kw: number;
  /** The grid connection's limit in force, kW. */
  limit_kw: number;
}

export interface SmartChargingSettings {
  policy: AllocationPolicy;
  /** Every site is re-allocated this often, besides every arrival and departure, ms. */
  controlIntervalMs: number;
  /**
   * How long before a drop of a site's limit curve the sessions are lowered, ms: the time a
   * `set_power_limit` may take to reach its engine (0 on the memory transport).
   */
  leadMs: number;
}

export interface SmartChargingDeps {
  sites: readonly Site[];
  settings: SmartChargingSettings;
  clock: Clock;
  wire: CentralWire;
  logger: Logger;
  /** A CP's rating and kind of supply. */
  cp(cpId: string): { kw: number; supply: SupplyKind } | undefined;
}

/** What a ticket needs to be judged after its session left the site. */
interface Closed {
  state: SiteState;
  wantedKwh: number;
  targetSoc: number | undefined;
}

/**
 * Of the sessions the policy gives less than their last limit, those whose lower limit goes out,
 * each given it as its `sentKw`: the ones it throttles, and — only when the site is short of
 * headroom — all of them. A lower limit that still leaves a session all it can take (its acceptance
 * at its last reading, as a tapering battery's is at every control interval) changes nothing its
 * engine does; sent, it would cost a command, a telemetry reading and a driver update for headroom
 * nobody needs. Unsent, the session keeps its higher limit, counted as committed, so the site's
 * limit holds. `throttled` is a subsequence of `lowering`, so either keeps the sessions' order.
 */
function toLower(
  lowering: readonly ActiveSession[],
  throttled: readonly ActiveSession[] | undefined,
  starved: boolean,
  wanted: ReadonlyMap<string, number>,
): readonly ActiveSession[] | undefined {
  const lowered = starved ? lowering : throttled;
  if (lowered) for (const a of lowered) a.sentKw = wanted.get(a.sessionId)!;
  return lowered;
}

const INCREASE_STEP = { kw: 0.1, share: 0.02 };
/** No session: the list of lowered (or raised) limits when none was. */
const NONE: readonly ActiveSession[] = [];

/**
 * Central's smart charging: for each site, at every control interval and at every arrival and
 * departure, the policy divides the site's available power among its active sessions, and each
 * engine gets its limit (`set_power_limit`, or `limit_kw` in `start_supply`).
 *
 * The limit holds at every instant although engines honour limits only once they receive them:
 * decreases go out first and at once; an increase is granted only out of headroom counted against
 * each session's *committed* power — its higher, older limit until its engine's telemetry shows
 * the lower one — so power is never promised twice. A session left short for want of headroom is
 * served as soon as the last pending decrease of its site is confirmed. A limit curve is met
 * ahead: each decision uses the curve's lowest value until the next decision plus `leadMs`.
 */
export class SmartCharging {
  private readonly bySite = new Map<string, SiteState>();
  private readonly byCp = new Map<string, SiteState>();
  private readonly bySession = new Map<string, ActiveSession>();
  private readonly closed = new Map<string, Closed>();
  private timer: TimerHandle | undefined;

  constructor(private readonly deps: SmartChargingDeps) {
    for (const site of deps.sites) {
      const state: SiteState = {
        site,
        sessions: new Map(),
        figures: new SiteFigures(),
        loadKw: 0,
        peakKw: 0,
        starved: false,
      };
      this.bySite.set(site.id, state);
      for (const cpId of site.cpIds) this.byCp.set(cpId, state);
    }
  }

  get policyName(): string {
    return this.deps.settings.policy.name;
  }

  start(): void {
    const { clock, settings } = this.deps;
    this.timer = clock.setInterval(() => {
      for (const state of this.bySite.values()) {
        if (state.sessions.size > 0) void this.reallocate(state);
      }
    }, settings.controlIntervalMs);
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** The site of a CP, if it belongs to one. */
  siteOfCp(cpId: string): Site | undefined {
    return this.byCp.get(cpId)?.site;
  }

  /**
   * Sessions open when Central last stopped, restored from its store before it consumes again. The
   * limit each engine runs under was not stored, so each counts at its CP's full rating — the most
   * its engine may draw — until the engine's first telemetry reading gives the limit it honours
   * and that limit's number: no limit is sent to it before, and the site's limit holds meanwhile.
   * What the driver asked for is known only as far as the session stored it (its target energy;
   * not its vehicle or departure). Returns how many sessions joined a site.
   *
   * @example
   * charging.restore(book.openSessions()); // before subscribing: the backlog's readings sync them
   */
  restore(
    sessions: Iterable<{ session_id: string; cp_id: string; energy_kwh: number; target_kwh: number | null }>,
  ): number {
    const now = this.deps.clock.now();
    let restored = 0;
    for (const session of sessions) {
      const state = this.byCp.get(session.cp_id);
      const cp = this.deps.cp(session.cp_id);
      if (!state || !cp || this.bySession.has(session.session_id)) continue;
      // What the driver asked for is known only as far as the session stored it.
      const active = activeSession(state, {
        sessionId: session.session_id,
        cpId: session.cp_id,
        cpKw: cp.kw,
        arrivedMs: now,
        departureMs: undefined,
        vehicle: undefined,
        acceptance: undefined,
        wantedKwh: session.target_kwh ?? Number.POSITIVE_INFINITY,
        energyKwh: session.energy_kwh,
        soc: undefined,
        limitKw: cp.kw,
        restored: true,
      });
      this.join(active);
      restored++;
    }
    return restored;
  }

  /**
   * A session opens at a site's CP: it joins the site, the site is re-allocated (the others'
   * decreases go out), and its first limit — within the site's headroom — and the site's tariff
   * come back for its `start_supply`. A CP outside every site gets nothing (no limit).
   */
  async admit(session: { session_id: string; cp_id: string }, request: DriverRequest): Promise<StartGrant> {
    const state = this.byCp.get(session.cp_id);
    const cp = this.deps.cp(session.cp_id);
    if (!state || !cp) return {};
    const now = this.deps.clock.now();
    const departure = request.departure_time ? Date.parse(request.departure_time) : Number.NaN;
    const wanted = Math.min(
      request.vehicle ? energyWantedKwh(request.vehicle) : Number.POSITIVE_INFINITY,
      request.target_kwh ?? Number.POSITIVE_INFINITY,
    );
    const active = activeSession(state, {
      sessionId: session.session_id,
      cpId: session.cp_id,
      cpKw: cp.kw,
      arrivedMs: now,
      departureMs: Number.isFinite(departure) ? departure : undefined,
      vehicle: request.vehicle,
      acceptance: request.vehicle ? new AcceptanceCurve(request.vehicle, cp.supply) : undefined,
      wantedKwh: wanted,
      energyKwh: 0,
      soc: request.vehicle?.arrival_soc,
      limitKw: 0,
      restored: false,
    });
    this.join(active);
    state.figures.sessions++;
    if (Number.isFinite(wanted)) state.figures.requestedKwh += wanted;
    // allocate itself, not reallocate: the .catch of reallocate would put start_supply one
    // microtask turn later, which reorders same-instant messages (measured: another event log).
    try {
      await this.allocate(state);
    } catch (error) {
      this.failed(state, error);
    }
    active.announced = true;
    active.startKw = active.sentKw;
    active.pending.push({ seq: 0, kw: active.sentKw });
    active.committedKw = active.sentKw;
    return this.grantOf(active);
  }

  /**
   * A session's start_supply sent again (its first one may be lost: the broker down, Central killed
   * before it went out): the grant it was admitted with, or — for a session this Central never
   * admitted, one restored after a restart — a new admission. The first limit is still counted as
   * committed until its engine confirms a later one, so sending it again keeps the site's limit.
   */
  readmit(session: { session_id: string; cp_id: string }, request: DriverRequest): Promise<StartGrant> {
    const active = this.bySession.get(session.session_id);
    return active ? Promise.resolve(this.grantOf(active)) : this.admit(session, request);
  }

  /** A session joins its site (in arrival order) and the sessions found by id. */
  private join(active: ActiveSession): void {
    active.site.sessions.set(active.sessionId, active);
    this.bySession.set(active.sessionId, active);
  }

  private grantOf(active: ActiveSession): StartGrant {
    const grant: StartGrant = { limit_kw: active.startKw };
    if (active.site.site.tariff) grant.tariff = active.site.site.tariff;
    return grant;
  }

  /** A session closed (ticket, fault, no start): its power goes to the others. */
  async release(sessionId: string): Promise<void> {
    const active = this.bySession.get(sessionId);
    if (!active) return undefined;
    const state = active.site;
    this.bySession.delete(sessionId);
    state.sessions.delete(sessionId);
    state.loadKw = Math.max(0, state.loadKw - active.lastKw);
    this.closed.set(sessionId, { state, wantedKwh: active.wantedKwh, targetSoc: active.vehicle?.target_soc });
    if (state.sessions.size > 0) await this.reallocate(state);
  }

  /**
   * A telemetry reading: the session's energy and SoC for the next decision, the site's load, and
   * — when its `limit_seq` shows a lower limit applied — the headroom that limit freed. Only the
   * number tells: a reading may show an older limit of the same value. The figures are taken at
   * once; when the freed headroom is due to a starved session, the site's new allocation comes
   * back, for the caller to run once the reading's own messages are out. Runs on every telemetry
   * message, so it allocates nothing unless a new allocation is due.
   */
  telemetry(telemetry: CpTelemetry): (() => Promise<void> | undefined) | undefined {
    const active = telemetry.session_id ? this.bySession.get(telemetry.session_id) : undefined;
    if (!active) return undefined;
    const state = active.site;
    if (telemetry.kwh !== undefined) active.energyKwh = telemetry.kwh;
    if (telemetry.soc !== undefined) readSoc(active, telemetry.soc);
    state.loadKw += telemetry.kw - active.lastKw;
    active.lastKw = telemetry.kw;
    if (state.loadKw > state.peakKw) state.peakKw = state.loadKw;
    if (!active.synced) return this.sync(active, telemetry);
    const applied = telemetry.limit_seq;
    // Numbers are sent in order, so nothing is pending up to the last one confirmed.
    if (applied === undefined || applied <= active.confirmedSeq) return undefined;
    while (active.pending.length > 0 && active.pending[0]!.seq <= applied) {
      const limit = active.pending.shift()!;
      active.appliedKw = limit.kw;
      active.confirmedSeq = limit.seq;
    }
    const before = active.committedKw;
    active.committedKw = committedOf(active);
    if (active.committedKw < before && state.starved && !this.pendingDecrease(state)) {
      return () => this.reallocate(state);
    }
    return undefined;
  }

  /** A ticket of a site's session: delivered energy, cost, and whether its driver left content. */
  ticket(end: SessionEnd): void {
    const open = this.bySession.get(end.session_id);
    const closed = open
      ? { state: open.site, wantedKwh: open.wantedKwh, targetSoc: open.vehicle?.target_soc }
      : this.closed.get(end.session_id);
    if (!closed) return;
    this.closed.delete(end.session_id);
    const met =
      end.ended_by === 'target_soc' ||
      end.ended_by === 'target_energy' ||
      (closed.targetSoc !== undefined && end.soc !== undefined && end.soc >= closed.targetSoc - 0.01) ||
      end.energy_kwh >= closed.wantedKwh - 1e-3;
    closed.state.figures.ticket(end.energy_kwh, end.total_cost_eur, closed.wantedKwh, met);
  }

  /** Each site's figures. */
  report(): SiteReport[] {
    const now = this.deps.clock.now();
    return [...this.bySite.values()].map((state) =>
      state.figures.report({
        id: state.site.id,
        cps: state.site.cpIds.length,
        limitKw: state.site.limitAt(now),
        loadKw: state.loadKw,
        peakKw: state.peakKw,
      }),
    );
  }

  /**
   * Each site's load now (the sum of its sessions' last reported power, the figure its allocation
   * works from) and the limit in force now (the curve's value where it has one): the dashboard's
   * site chart samples it.
   */
  siteLoads(): SiteLoad[] {
    const now = this.deps.clock.now();
    return [...this.bySite.values()].map((state) => ({
      site_id: state.site.id,
      cps: state.site.cpIds.length,
      load_kw: state.loadKw,
      limit_kw: state.site.limitAt(now),
    }));
  }

  /** The limit each active session of a site runs under now (the dashboard's view). */
  sessionLimits(siteId: string): { session_id: string; cp_id: string; limit_kw: number; soc?: number }[] {
    const state = this.bySite.get(siteId);
    if (!state) return [];
    return [...state.sessions.values()].map((a) => ({
      session_id: a.sessionId,
      cp_id: a.cpId,
      limit_kw: a.sentKw,
      ...(a.soc !== undefined ? { soc: a.soc } : {}),
    }));
  }

  /**
   * A restored session's first reading: the limit its engine honours (none: its CP's rating) and
   * that limit's number, from which the next one sent counts on. The headroom it frees goes to a
   * starved session at once.
   */
  private sync(active: ActiveSession, telemetry: CpTelemetry): (() => Promise<void> | undefined) | undefined {
    const kw = Math.min(telemetry.limit_kw ?? active.cpKw, active.cpKw);
    active.synced = true;
    active.sentKw = kw;
    active.appliedKw = kw;
    active.committedKw = kw;
    active.seq = telemetry.limit_seq ?? 0;
    active.confirmedSeq = active.seq;
    const state = active.site;
    return state.starved && !this.pendingDecrease(state) ? () => this.reallocate(state) : undefined;
  }

  // ---------------------------------------------------------------- allocation

  private pendingDecrease(state: SiteState): boolean {
    for (const a of state.sessions.values()) if (a.committedKw > a.sentKw) return true;
    return false;
  }

  /**
   * {@link allocate}, a refused allocation logged and counted (the previous limits stay). A promise
   * only while limits are being sent: most control intervals change none, and this runs for every
   * site at each of them.
   */
  private reallocate(state: SiteState): Promise<void> | undefined {
    try {
      return this.allocate(state)?.catch((error: unknown) => this.failed(state, error));
    } catch (error) {
      this.failed(state, error);
      return undefined;
    }
  }

  /**
   * Runs the policy for one site and sends the limits that changed: decreases, then increases.
   * Throws the policy's refusal; a promise only when there is a limit to send.
   */
  private allocate(state: SiteState): Promise<void> | undefined {
    const { settings, clock } = this.deps;
    const now = clock.now();
    const sessions: SessionDemand[] = [];
    for (const a of state.sessions.values()) sessions.push(demandOf(a));
    const input: AllocationInput = {
      site_id: state.site.id,
      now_ms: now,
      available_kw: state.site.lowestLimit(now, now + settings.controlIntervalMs + settings.leadMs),
      sessions,
    };
    const wanted = checkAllocation(settings.policy.name, input, settings.policy.allocate(input));
    // Made only when a limit changes: at most control intervals none does.
    let lowering: ActiveSession[] | undefined;
    /** Of `lowering`, in its order, those whose lower limit throttles them (below what they can take now). */
    let throttled: ActiveSession[] | undefined;
    let committed = 0;
    let i = 0;
    for (const a of state.sessions.values()) {
      const kw = wanted.get(a.sessionId)!;
      // A restored session not yet heard from keeps its CP's rating: no limit can reach it yet.
      if (kw < a.sentKw - 1e-9 && a.synced) {
        if (lowering) lowering.push(a);
        else lowering = [a];
        // `sessions` holds the demands in the same order as the site's sessions.
        if (kw < sessions[i]!.max_kw - 1e-9 || !a.announced) {
          if (throttled) throttled.push(a);
          else throttled = [a];
        }
      }
      committed += a.committedKw;
      i++;
    }
    let headroom = input.available_kw - committed;
    let raised: ActiveSession[] | undefined;
    state.starved = false;
    for (const [sessionId, kw] of wanted) {
      const a = state.sessions.get(sessionId)!;
      if (!(kw > a.sentKw + 1e-9) || !a.synced) continue;
      const grant = Math.min(kw, a.committedKw + Math.max(0, headroom));
      if (grant < kw - 1e-6) state.starved = true;
      if (a.announced && grant - a.sentKw < Math.max(INCREASE_STEP.kw, a.sentKw * INCREASE_STEP.share)) {
        continue; // too small a step to be worth a command: the headroom stays for the next decision
      }
      if (grant > a.committedKw) {
        headroom -= grant - a.committedKw;
        a.committedKw = grant;
      }
      a.sentKw = grant;
      if (raised) raised.push(a);
      else raised = [a];
    }
    const lowered = lowering && toLower(lowering, throttled, state.starved, wanted);
    return lowered || raised ? this.sendAll(state, lowered ?? NONE, raised ?? NONE) : undefined;
  }

  /** The decreases first, each confirmed sent before the next command, then the increases. */
  private async sendAll(
    state: SiteState,
    lowered: readonly ActiveSession[],
    raised: readonly ActiveSession[],
  ): Promise<void> {
    for (const a of lowered) {
      // A session still waiting for its start_supply gets its limit there.
      if (a.announced) await this.send(state, a);
      else a.committedKw = a.sentKw;
    }
    for (const a of raised) if (a.announced) await this.send(state, a);
  }

  private send(state: SiteState, a: ActiveSession): Promise<void> {
    state.figures.limitCommands++;
    a.seq++;
    a.pending.push({ seq: a.seq, kw: a.sentKw });
    return this.deps.wire.command({
      cmd: 'set_power_limit',
      cp_id: a.cpId,
      payload: { session_id: a.sessionId, limit_kw: a.sentKw, seq: a.seq },
    });
  }

  private failed(state: SiteState, error: unknown): void {
    state.figures.allocationErrors++;
    this.deps.logger.error(
      { err: error, site_id: state.site.id, policy: this.deps.settings.policy.name },
      'allocation refused; the previous limits stay',
    );
  }
}
