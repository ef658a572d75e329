import { SeededRandom } from '@evcharging/core';

/**
 * The random source of one role process. A node seeds itself from its id by default, which makes
 * simulations repeatable but gives every restart of a process the same stream: a restarted driver
 * would send the request ids of its previous run, and Central would answer them with the old
 * outcomes. A deployment process therefore seeds from its id, pid and start time.
 */
export function processRandom(nodeId: string): SeededRandom {
  return new SeededRandom(`${nodeId}/${process.pid}/${Date.now()}`);
}
