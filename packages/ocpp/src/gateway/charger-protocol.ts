import type { CentralCommand, Clock, CpStatus, CpTelemetry, Logger, SessionEnd } from '@evcharging/core';
import type { OcppSocket } from '../rpc/ocpp-socket.js';

/** What a charger proxy says on Central's wire on the charger's behalf, in order per charger. */
export interface ChargerWire {
  status(status: CpStatus): Promise<void>;
  telemetry(telemetry: CpTelemetry): Promise<void>;
  /** Resolves once the ticket is handed to the transport; rejects when it could not be. */
  ticket(ticket: SessionEnd): Promise<void>;
}

/** What the gateway gives the protocol module for one connected charger. */
export interface ChargerContext {
  readonly cpId: string;
  readonly socket: OcppSocket;
  readonly wire: ChargerWire;
  readonly clock: Clock;
  readonly logger: Logger;
  /** €/kWh of this charger, for the cost in telemetry and tickets. */
  readonly priceEurKwh: number;
  /** Heartbeat interval given to the charger in its BootNotification answer, s. */
  readonly heartbeatIntervalS: number;
  /** A transaction id unique across the gateway's chargers. */
  nextTransactionId(): number;
  readonly counters: GatewayCounters;
}

/** Gateway-wide figures beyond the OCPP message counts. */
export interface GatewayCounters {
  chargersBooted: number;
  transactionsStarted: number;
  transactionsStopped: number;
  /** StartTransaction for an id tag Central did not ask for: answered Invalid. */
  unauthorizedStarts: number;
  remoteStartsRejected: number;
  /** Commands for a charger that is not connected (nothing to tell it). */
  commandsForAbsentChargers: number;
  /** Messages for a transaction the gateway does not know (answered, not forwarded). */
  unknownTransactions: number;
}

/** One connected charger as a protocol module serves it. */
export interface ChargerSession {
  readonly booted: boolean;
  /** The charger's health as a monitor would report it (sent with every heartbeat to Central). */
  verdict(): { status: 'FAULT' | 'HEALTHY'; reason?: string };
  /** A command from Central for this charger: becomes the protocol's calls. */
  command(command: CentralCommand): Promise<void>;
  /** The connection closed: timers end. */
  closed(): void;
}

/**
 * One OCPP version on the Central side: it answers a connected charger's calls by speaking the
 * wire contract for it, and turns Central's commands into the version's calls. OCPP 1.6 is
 * `ocpp16Charger`; an OCPP 2.0.1 module would be a second implementation, chosen by the
 * subprotocol the charger negotiated.
 */
export interface ChargerProtocol {
  readonly subprotocol: string;
  attach(context: ChargerContext): ChargerSession;
}
