import type { Clock, Random, TimerHandle } from '@evcharging/core';
import type { FaultProcess } from '../models/cp-model.js';

export interface FaultScheduleHooks {
  /** Faults the CP if its state allows; false when it does not (the fault is skipped). */
  fault(reason: string): boolean;
  /** Clears the fault (the model repaired itself). */
  repair(): void;
}

/**
 * A CP model's seeded fault process on the engine's clock: the next fault, then (when the model
 * says so) its repair, then the next fault. Draws only from the random stream it is given.
 */
export class FaultSchedule {
  private faultTimer: TimerHandle | undefined;
  private repairTimer: TimerHandle | undefined;

  constructor(
    private readonly process: FaultProcess | undefined,
    private readonly random: Random | undefined,
    private readonly clock: Clock,
    private readonly hooks: FaultScheduleHooks,
  ) {}

  /** Arms the next fault (replacing an armed one); nothing without a fault process. */
  armNext(): void {
    this.cancelFault();
    const { process, random } = this;
    if (!process || !random) return;
    const ms = process.nextFaultInMs(random);
    if (ms === undefined) return;
    this.faultTimer = this.clock.setTimeout(() => {
      this.faultTimer = undefined;
      if (!this.hooks.fault(process.reason ?? 'model fault')) return;
      const repairMs = process.repairInMs?.(random);
      if (repairMs === undefined) return;
      this.repairTimer = this.clock.setTimeout(() => {
        this.repairTimer = undefined;
        this.hooks.repair();
      }, repairMs);
    }, ms);
  }

  cancelFault(): void {
    this.faultTimer?.cancel();
    this.faultTimer = undefined;
  }

  cancelRepair(): void {
    this.repairTimer?.cancel();
    this.repairTimer = undefined;
  }

  cancel(): void {
    this.cancelFault();
    this.cancelRepair();
  }
}
