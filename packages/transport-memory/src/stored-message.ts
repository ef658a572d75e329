import type { TopicName } from '@evcharging/core';

/**
 * A message in a partition's log. Standard mode: serialized once at publish, parsed per delivery.
 * Simulation lane: the frozen message itself, handed to every group.
 */
export interface StoredMessage {
  readonly topic: TopicName;
  readonly partition: number;
  readonly offset: number;
  readonly key: string;
  /** JSON text when the broker round-trips messages, else the value itself (frozen in the simulation lane). */
  readonly payload: unknown;
  readonly ts: number;
  readonly headers: Readonly<Record<string, string>>;
  /** Earliest delivery time (fault injection delay), ms. */
  readonly deliverAt: number;
}

/** The headers of a message published without any: one frozen object for all of them. */
export const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/** A message given up on after its handler kept failing. */
export interface DeadLetter {
  readonly topic: TopicName;
  readonly group: string;
  readonly key: string;
  readonly offset: number;
  readonly value: unknown;
  readonly error: string;
  readonly attempts: number;
  readonly ts: number;
}
