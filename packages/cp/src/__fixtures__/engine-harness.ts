import {
  type CentralCommand,
  type CommandName,
  type CpStatus,
  type CpTelemetry,
  createNode,
  type EvNode,
  isoTime,
  SeededRandom,
  type SessionEnd,
  VirtualClock,
} from '@evcharging/core';
import { MemoryBroker, type MemoryBrokerOptions } from '@evcharging/transport-memory';
import {
  type ChargingPointEngineOptions,
  type ChargingPointEnginePlugin,
  chargingPointEngine,
} from '../engine/charging-point-engine.js';

/** What a test sees of the wire: everything the engine published, in order. */
export interface Wire {
  status: CpStatus[];
  telemetry: CpTelemetry[];
  tickets: SessionEnd[];
}

export interface EngineHarness {
  clock: VirtualClock;
  broker: MemoryBroker;
  engine: ChargingPointEnginePlugin;
  node: EvNode;
  wire: Wire;
  /** Publishes a command as Central would. */
  send(cmd: CommandName | string, payload?: Record<string, unknown>, cpId?: string): Promise<void>;
  /** Publishes any value on central.commands (the broker validates it as it would any command). */
  sendRaw(value: unknown): Promise<void>;
  startSupply(sessionId: string, extra?: Record<string, unknown>): Promise<void>;
  /** Lets deliveries happen without moving time further than they need. */
  drain(): Promise<void>;
  states(): string[];
}

let seq = 0;

/** One engine on a memory broker and a virtual clock, with a fake Central recording the wire. */
export async function engineHarness(
  options: Partial<ChargingPointEngineOptions> = {},
  brokerOptions: MemoryBrokerOptions = {},
  shared?: { clock?: VirtualClock; broker?: MemoryBroker; wire?: Wire },
): Promise<EngineHarness> {
  const clock = shared?.clock ?? new VirtualClock();
  const broker = shared?.broker ?? new MemoryBroker(brokerOptions);
  const cpId = options.cpId ?? 'CP-001';
  const engine = chargingPointEngine({ cpId, ...options });
  const id = `node-${++seq}`;
  const node = createNode({
    id,
    transport: broker.transport(id, { clock }),
    clock,
    random: new SeededRandom(7),
    plugins: [engine],
  });
  const central = broker.transport(`central-${seq}`, { clock });
  let wire = shared?.wire;
  if (!wire) {
    const w: Wire = { status: [], telemetry: [], tickets: [] };
    await central.subscribe('cp.status', { group: `central-status-${seq}` }, (m) => {
      w.status.push(m);
    });
    await central.subscribe('cp.telemetry', { group: `central-telemetry-${seq}` }, (m) => {
      w.telemetry.push(m);
    });
    await central.subscribe('cp.session_end', { group: `central-tickets-${seq}` }, (m) => {
      w.tickets.push(m);
    });
    wire = w;
  }
  await node.start();
  await broker.drain();
  const sendRaw = (value: unknown) => central.publish('central.commands', value as CentralCommand);
  const send = (cmd: string, payload?: Record<string, unknown>, target = cpId) =>
    sendRaw({ cmd, cp_id: target, ...(payload ? { payload } : {}), ts: isoTime(clock.now()) });
  const finalWire = wire;
  return {
    clock,
    broker,
    engine,
    node,
    wire: finalWire,
    send,
    sendRaw,
    startSupply: (sessionId, extra = {}) =>
      send('start_supply', {
        driver_id: 'driver-alice',
        request_id: `req-${sessionId}`,
        session_id: sessionId,
        ...extra,
      }),
    drain: async () => {
      // Same-instant deliveries and the engine's publish chain are promise continuations: let
      // them settle (advance(0) does), then deliver what they published.
      for (let i = 0; i < 3; i++) {
        await clock.advance(0);
        await broker.drain();
        await engine.whenIdle();
      }
    },
    states: () => finalWire.status.map((s) => s.state),
  };
}
