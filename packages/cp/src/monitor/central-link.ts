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
 * Calls Central's monitor API in process. Pass a function to look Central up on every call, so a
 * simulation can kill and restart Central (return undefined while it is down).
 *
 * @example
 * const central = inProcessCentralLink(() => centralPlugin.monitorApi);
 */
export function inProcessCentralLink(
  api: CentralMonitorApi | (() => CentralMonitorApi | undefined),
): CentralLink {
  const resolve = typeof api === 'function' ? api : () => api;
  const call = <T>(fn: (central: CentralMonitorApi) => Promise<T>): Promise<T> => {
    const central = resolve();
    if (!central) return Promise.reject(new Error('Central unreachable (in-process link has no Central)'));
    return fn(central);
  };
  return {
    register: (registration: MonitorRegistration): Promise<MonitorAck> =>
      call((c) => c.register(registration)),
    heartbeat: (heartbeat: MonitorHeartbeat): Promise<MonitorAck> => call((c) => c.heartbeat(heartbeat)),
    reportFault: (report: MonitorFaultReport): Promise<MonitorAck> => call((c) => c.reportFault(report)),
  };
}
