import type { AcceptanceCurve, Vehicle } from '@evcharging/core';
import type { SessionDemand } from './allocation-policy.js';
import type { Site } from './site.js';
import type { SiteFigures } from './site-figures.js';

/** One active session of a site, with what Central told its engine. */
export interface ActiveSession {
  /** Its site (the session is reached by id at every telemetry reading, then its site from it). */
  readonly site: SiteState;
  readonly sessionId: string;
  readonly cpId: string;
  readonly arrivedMs: number;
  readonly departureMs: number | undefined;
  readonly vehicle: Vehicle | undefined;
  /** The vehicle's acceptance from its CP's kind of supply, read at every allocation. */
  readonly acceptance: AcceptanceCurve | undefined;
  /** Its CP's rating, kW (a field, not the CP's object: read at every allocation). */
  readonly cpKw: number;
  readonly wantedKwh: number;
  energyKwh: number;
  soc: number | undefined;
  /**
   * How far the battery may be from `soc`, %: 0 for the vehicle's arrival figure, half a step once
   * `soc` is telemetry's rounded one.
   */
  socSpread: number;
  /** Power last reported by its engine, kW. */
  lastKw: number;
  /** The limit last sent (or put in start_supply), kW. */
  sentKw: number;
  /** The limit put in its start_supply, kW: a start_supply sent again carries it again. */
  startKw: number;
  /** The limit its engine last confirmed applying (telemetry's `limit_seq`), kW. */
  appliedKw: number;
  /** Limits sent and not yet confirmed, in order: the engine applies them one after another. */
  pending: { seq: number; kw: number }[];
  /** The number of the last limit sent (0: the one in start_supply). */
  seq: number;
  /** The number of the last limit its engine confirmed (-1: none yet); `pending` holds the ones after. */
  confirmedSeq: number;
  /** The most its engine may draw from now until every pending limit is applied, kW. */
  committedKw: number;
  /** False until its start_supply (carrying its first limit) is on its way. */
  announced: boolean;
  /**
   * False for a session restored after a restart until its engine's first reading says the limit
   * it honours and that limit's number: until then nothing is sent to it, and it counts at its
   * CP's full rating.
   */
  synced: boolean;
}

export interface SiteState {
  readonly site: Site;
  /** In arrival order. */
  readonly sessions: Map<string, ActiveSession>;
  readonly figures: SiteFigures;
  /** The sum of its sessions' last reported power, kW, and its highest value so far. */
  loadKw: number;
  peakKw: number;
  /** A session got less than its allocation for want of headroom: re-allocate once it frees. */
  starved: boolean;
}

/** What a session of a site starts from: its demand, and the limit its engine runs under. */
export interface SessionStart {
  readonly sessionId: string;
  readonly cpId: string;
  readonly cpKw: number;
  readonly arrivedMs: number;
  readonly departureMs: number | undefined;
  readonly vehicle: Vehicle | undefined;
  readonly acceptance: AcceptanceCurve | undefined;
  readonly wantedKwh: number;
  readonly energyKwh: number;
  readonly soc: number | undefined;
  /** Its limit so far, kW: 0 until a new session's first allocation; a restored one's CP rating. */
  readonly limitKw: number;
  /** Restored after a restart: its start went out long ago, and it is synced by its first reading. */
  readonly restored: boolean;
}

/** A site's active session, every field set in one order (one object shape for V8). */
export function activeSession(site: SiteState, start: SessionStart): ActiveSession {
  const kw = start.limitKw;
  return {
    site,
    sessionId: start.sessionId,
    cpId: start.cpId,
    arrivedMs: start.arrivedMs,
    departureMs: start.departureMs,
    vehicle: start.vehicle,
    acceptance: start.acceptance,
    cpKw: start.cpKw,
    wantedKwh: start.wantedKwh,
    energyKwh: start.energyKwh,
    soc: start.soc,
    socSpread: 0,
    lastKw: 0,
    sentKw: kw,
    startKw: kw,
    appliedKw: kw,
    pending: [],
    seq: 0,
    confirmedSeq: -1,
    committedKw: kw,
    announced: start.restored,
    synced: !start.restored,
  };
}

/** The most an engine may draw: its applied limit or any still on its way. */
export function committedOf(a: ActiveSession): number {
  let kw = a.appliedKw;
  for (const p of a.pending) if (p.kw > kw) kw = p.kw;
  return kw;
}

/** Half the step of telemetry's `soc`, which engines publish rounded to 0.001 %. */
const SOC_HALF_STEP = 0.0005;

/** A telemetry reading's SoC: the battery may be anywhere within half a step of it. */
export function readSoc(a: ActiveSession, soc: number): void {
  a.soc = soc;
  a.socSpread = SOC_HALF_STEP;
}

/** What the session can take now, for its site's policy. */
export function demandOf(a: ActiveSession): SessionDemand {
  // Telemetry's SoC is rounded: the battery may be anywhere in the interval the figure stands for,
  // and an acceptance read too low would leave a session unthrottled drawing more than counted.
  const acceptance =
    a.acceptance && a.soc !== undefined
      ? a.acceptance.maxKwBetween(a.soc - a.socSpread, a.soc + a.socSpread)
      : a.cpKw;
  return {
    session_id: a.sessionId,
    cp_id: a.cpId,
    arrived_ms: a.arrivedMs,
    departure_ms: a.departureMs,
    max_kw: Math.min(a.cpKw, acceptance),
    energy_needed_kwh: Math.max(0, a.wantedKwh - a.energyKwh),
  };
}
