import {
  type Clock,
  type CommandName,
  type CommandOf,
  isDone,
  isoTime,
  type TopicMessage,
  type TopicName,
  type Transport,
} from '@evcharging/core';
import type { CentralStats } from '../stats/central-stats.js';

/** A command as Central builds it: the wire's `ts` is added on the way out. */
export type CommandDraft<C extends CommandName = CommandName> = C extends CommandName
  ? Omit<CommandOf<C>, 'ts'>
  : never;

/**
 * Central's one way out: every message it publishes goes through here and is counted once.
 * Commands are typed members of the contract's union, stamped with Central's clock.
 *
 * @example
 * await wire.command({ cmd: 'stop_supply', cp_id: 'CP-001', payload: { session_id } });
 */
export class CentralWire {
  constructor(
    private readonly transport: Transport,
    private readonly clock: Clock,
    private readonly stats: CentralStats,
  ) {}

  /** Publishes `message`, counted once published. */
  publish<T extends TopicName>(topic: T, message: TopicMessage<T>): Promise<void> {
    // Not async: a transport that published synchronously (core's DONE) is counted at once and its
    // DONE handed on, so a handler returning it costs the simulation lane no microtask turn; any
    // other promise gets one reaction (an async function made two promises).
    let published: Promise<void>;
    try {
      published = this.transport.publish(topic, message);
    } catch (error) {
      return Promise.reject(error); // a transport that throws instead of rejecting: still a rejection
    }
    if (isDone(published)) {
      this.stats.messageOut(topic);
      return published;
    }
    return published.then(() => this.stats.messageOut(topic));
  }

  command(draft: CommandDraft): Promise<void> {
    return this.publish('central.commands', {
      ...draft,
      ts: isoTime(this.clock.now()),
    } as TopicMessage<'central.commands'>);
  }
}
