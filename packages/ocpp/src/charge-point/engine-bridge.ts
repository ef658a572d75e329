import type {
  CentralCommand,
  CpStatus,
  CpTelemetry,
  SessionEnd,
  StartSupplyPayload,
  Subscription,
  Transport,
} from '@evcharging/core';

/** What an engine tells its Central, handed to the protocol module that speaks for it. */
export interface EngineListener {
  status(status: CpStatus): void;
  telemetry(telemetry: CpTelemetry): void;
  ticket(ticket: SessionEnd): void;
}

/**
 * Plays Central for one engine on an in-process transport: it follows the engine's `cp.status`,
 * `cp.telemetry` and `cp.session_end` (subscribed by key, so the memory transport routes each
 * message to its CP in O(1) however large the fleet) and sends it typed `central.commands`. The
 * engine runs unchanged: it cannot tell this bridge from Central.
 *
 * @example
 * const bridge = new EngineBridge('CP-001', transport, listener);
 * await bridge.start();
 * await bridge.command({ cmd: 'stop_cp', cp_id: 'CP-001' });
 */
export class EngineBridge {
  private subscriptions: Subscription[] = [];

  constructor(
    readonly cpId: string,
    private readonly transport: Transport,
    private readonly listener: EngineListener,
    private readonly group = `ocpp-${cpId}`,
  ) {}

  async start(): Promise<void> {
    const options = { group: this.group, key: this.cpId };
    this.subscriptions = await Promise.all([
      this.transport.subscribe('cp.status', options, (m) => this.listener.status(m)),
      this.transport.subscribe('cp.telemetry', options, (m) => this.listener.telemetry(m)),
      this.transport.subscribe('cp.session_end', options, (m) => this.listener.ticket(m)),
    ]);
  }

  async stop(): Promise<void> {
    const subscriptions = this.subscriptions;
    this.subscriptions = [];
    await Promise.all(subscriptions.map((s) => s.unsubscribe()));
  }

  command(command: CentralCommand): Promise<void> {
    return this.transport.publish('central.commands', command);
  }

  startSupply(payload: StartSupplyPayload): Promise<void> {
    return this.command({ cmd: 'start_supply', cp_id: this.cpId, payload });
  }

  stopSupply(sessionId: string, reason: string): Promise<void> {
    return this.command({ cmd: 'stop_supply', cp_id: this.cpId, payload: { session_id: sessionId, reason } });
  }

  stopCp(): Promise<void> {
    return this.command({ cmd: 'stop_cp', cp_id: this.cpId });
  }

  resumeCp(): Promise<void> {
    return this.command({ cmd: 'resume_cp', cp_id: this.cpId });
  }
}
