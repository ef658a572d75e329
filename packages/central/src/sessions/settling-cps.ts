import type { Clock, TimerHandle } from '@evcharging/core';
import type { CpEntry } from '../domain/cp-registry.js';

/**
 * Whether a CP is between two states Central has not both read yet: its engine last reported
 * SUPPLYING, but the session it supplied is closed (its ticket is in, or Central ended it). The
 * engine's next state comes on `cp.status`, which Central reads apart from `cp.session_end`: after
 * a broker outage the two consumer groups come back one after the other, seconds apart.
 */
export function isSettling(entry: CpEntry): boolean {
  return entry.record.engine_state === 'SUPPLYING' && !entry.record.current_session_id;
}

interface Wait {
  readonly resolve: () => void;
  readonly timer: TimerHandle;
}

/**
 * Waits for settling CPs ({@link isSettling}): a request for one waits until its engine's next
 * status is read, or `settleMs` passed, before it is decided. The CP takes a request only once
 * ACTIVATED, so deciding at once would deny it as busy although its supply has ended. The request's
 * handler waits, so the request is acknowledged only once decided (a Central killed meanwhile
 * reads it again).
 *
 * @example
 * if (isSettling(entry)) await settling.wait(entry.record.cp_id); // then decide
 * settling.settled('CP-001'); // from the status handler: the waits end
 */
export class SettlingCps {
  private readonly byCp = new Map<string, Wait[]>();

  constructor(private readonly deps: { clock: Clock; settleMs: number }) {}

  /** Resolves once the CP's next status is read, or after `settleMs`, or when Central stops. */
  wait(cpId: string): Promise<void> {
    return new Promise((resolve) => {
      const list = this.byCp.get(cpId) ?? [];
      const wait: Wait = {
        resolve,
        timer: this.deps.clock.setTimeout(() => this.end(cpId, wait), this.deps.settleMs),
      };
      list.push(wait);
      this.byCp.set(cpId, list);
    });
  }

  /** A status of the CP was read: its waits end, in the order they began. */
  settled(cpId: string): void {
    const list = this.byCp.get(cpId);
    if (!list) return;
    this.byCp.delete(cpId);
    for (const wait of list) {
      wait.timer.cancel();
      wait.resolve();
    }
  }

  /** Central stops: every wait ends now. */
  releaseAll(): void {
    for (const cpId of [...this.byCp.keys()]) this.settled(cpId);
  }

  private end(cpId: string, wait: Wait): void {
    const list = this.byCp.get(cpId);
    const i = list ? list.indexOf(wait) : -1;
    if (!list || i < 0) return;
    list.splice(i, 1);
    if (list.length === 0) this.byCp.delete(cpId);
    wait.resolve();
  }
}
