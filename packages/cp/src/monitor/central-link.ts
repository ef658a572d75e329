import type {
  CentralMonitorApi,
  MonitorAck,
  MonitorFaultReport,
  MonitorHeartbeat,
  MonitorRegistration,
} from '@evcharging/core';

/**
 * How a monitor reaches Central: HTTP in deployments (`httpCentralLink`), a direct call in
 * simulations (`inProcessCentralLink`). It is Central's monitor API as seen from the monitor: a
 * rejected promise means Central could not be reached; `{ ok: false }` means it answered no.
 */
export type CentralLink = CentralMonitorApi;

/**
 * Calls Central's monitor API in process; a class, so a fleet of monitors shares its methods
 * instead of holding four closures each.
 */
class InProcessCentralLink implements CentralLink {
  constructor(private readonly api: CentralMonitorApi | (() => CentralMonitorApi | undefined)) {}

  register(registration: MonitorRegistration): Promise<MonitorAck> {
    const central = this.central();
    return central ? central.register(registration) : unreachable();
  }

  heartbeat(heartbeat: MonitorHeartbeat): Promise<MonitorAck> {
    const central = this.central();
    return central ? central.heartbeat(heartbeat) : unreachable();
  }

  reportFault(report: MonitorFaultReport): Promise<MonitorAck> {
    const central = this.central();
    return central ? central.reportFault(report) : unreachable();
  }

  private central(): CentralMonitorApi | undefined {
    return typeof this.api === 'function' ? this.api() : this.api;
  }
}

function unreachable(): Promise<never> {
  return Promise.reject(new Error('Central unreachable (in-process link has no Central)'));
}

/**
 * Calls Central's monitor API in process. Pass a function to look Central up on every call, so a
 * simulation can kill and restart Central (return undefined while it is down).
 *
 * @example
 * const central = inProcessCentralLink(() => centralPlugin.monitorApi);
 */
export function inProcessCentralLink(
  api: CentralMonitorApi | (() => CentralMonitorApi | undefined),
): CentralLink {
  return new InProcessCentralLink(api);
}
