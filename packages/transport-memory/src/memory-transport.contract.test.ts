import { type Clock, RealClock, type Transport, VirtualClock } from '@evcharging/core';
import {
  advanceUntil,
  describeTransportContract,
  letTimePass,
  type TransportTestbed,
} from '@evcharging/core/testing';
import { MemoryBroker, type MemoryBrokerOptions } from './memory-broker.js';

function memoryTestbed(clock: Clock, options: MemoryBrokerOptions = {}): TransportTestbed {
  const broker = new MemoryBroker({ partitions: 4, redeliveryDelayMs: 5, ...options });
  const transports: Transport[] = [];
  return {
    async transport(nodeId) {
      const t = broker.transport(nodeId, { clock });
      await t.connect();
      transports.push(t);
      return t;
    },
    waitFor: (predicate, timeoutMs = 5_000) => advanceUntil(clock, predicate, { timeoutMs }),
    settle: (ms) => letTimePass(clock, ms),
    async teardown() {
      await Promise.all(transports.map((t) => t.close()));
    },
  };
}

describeTransportContract('memory, virtual clock', async () => memoryTestbed(new VirtualClock()));
describeTransportContract('memory, real clock', async () => memoryTestbed(new RealClock()), { quietMs: 50 });
describeTransportContract('memory, simulation lane (virtual clock)', async () =>
  memoryTestbed(new VirtualClock(), { simulationLane: true }),
);
