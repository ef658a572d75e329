import type { CpState } from '@evcharging/core';
import type { MonitorHealth } from '../store/central-store.js';

/** What Central knows of one CP when it decides the state to show. */
export interface DisplayInputs {
  /** The monitor sent a heartbeat within the timeout. */
  monitorAlive: boolean;
  monitorHealth: MonitorHealth;
  /** Last state the engine reported, null if it never did. */
  engineState: CpState | null;
  operatorStopped: boolean;
  /** Without monitors (engine-only simulations) the engine's own state decides. */
  requireMonitor: boolean;
}

/**
 * The monitor × engine matrix of the original (docs/wire-contract.md §4): monitor down → DISCONNECTED
 * whatever the engine; monitor up and engine broken → FAULT; both up → the engine's state
 * (ACTIVATED when it has not reported one yet). An operator stop shows STOPPED at once, before the
 * engine confirms it.
 */
export function displayState(cp: DisplayInputs): CpState {
  if (cp.requireMonitor && !cp.monitorAlive) return 'DISCONNECTED';
  if (cp.monitorHealth === 'FAULT' || cp.engineState === 'FAULT') return 'FAULT';
  if (!cp.requireMonitor && (cp.engineState === null || cp.engineState === 'DISCONNECTED')) {
    return 'DISCONNECTED';
  }
  if (cp.operatorStopped) return 'STOPPED';
  if (cp.engineState === null || cp.engineState === 'DISCONNECTED') return 'ACTIVATED';
  return cp.engineState;
}
