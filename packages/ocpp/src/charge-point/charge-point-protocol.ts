import type { Clock, Logger, Random } from '@evcharging/core';
import type { OcppMetrics } from '../rpc/ocpp-metrics.js';
import type { OcppSocket } from '../rpc/ocpp-socket.js';
import type { CsmsLink } from './csms-link.js';
import type { EngineBridge, EngineListener } from './engine-bridge.js';

/** The vehicle at the connector, when the arrival says (for SoC). */
export interface Vehicle {
  /** Usable battery, kWh. */
  batteryKwh: number;
  /** State of charge at plug-in, 0..1. */
  initialSoc: number;
}

/** A driver who plugs in at the charge point and presents an id tag. */
export interface DriverArrival {
  /** The RFID or app id the driver presents (OCPP 1.6 allows 20 characters). */
  idTag: string;
  /** Stop once this energy is delivered, kWh. */
  targetKwh?: number;
  /** Stop after this long, s. */
  durationS?: number;
  vehicle?: Vehicle;
}

/** Counters of one charge point's protocol module. */
export interface ChargePointFigures {
  /** The connector's status as last reported (e.g. `Charging`). */
  status: string;
  booted: boolean;
  transactionsStarted: number;
  transactionsStopped: number;
  /** Energy of the stopped transactions, kWh. */
  energyKwh: number;
  /** Arrivals turned away: connector busy or unavailable, or the id tag refused. */
  arrivalsRefused: number;
  remoteStartsRejected: number;
  /** Transaction messages waiting for the CSMS. */
  queued: number;
}

/** What a protocol module gets from the charge point plugin that hosts it. */
export interface ChargePointProtocolContext {
  readonly cpId: string;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: Logger;
  readonly metrics: OcppMetrics;
  /** Commands to the engine (the module plays Central for it). */
  readonly bridge: EngineBridge;
  /** The connection to the CSMS: the module registers its call handlers there. */
  readonly link: CsmsLink;
}

/**
 * One OCPP version's behaviour on the charge point side: it hears what the engine says (an
 * {@link EngineListener}) and turns it into that version's messages, answers the CSMS's calls by
 * commanding the engine, and gives the engine its power limit. OCPP 1.6 is `ocpp16ChargePoint`;
 * an OCPP 2.0.1 module (TransactionEvent instead of Start/StopTransaction and MeterValues, EVSE
 * ids, its own device model) would implement this same interface next to it.
 */
export interface ChargePointProtocol extends EngineListener {
  /** The WebSocket subprotocol it speaks, e.g. `ocpp1.6`. */
  readonly subprotocol: string;
  connected(socket: OcppSocket): void;
  disconnected(): void;
  /** A driver arrives; false when the connector cannot take them now. */
  plugIn(arrival: DriverArrival): boolean;
  /** The power limit of the charging profiles at this instant, kW (undefined: none). */
  limitKw(nowMs: number): number | undefined;
  stop(): void;
  figures(): ChargePointFigures;
}
