import { definePlugin, type Plugin, type PluginContext } from '@evcharging/core';
import {
  type ChargingPointEngineOptions,
  type ChargingPointEnginePlugin,
  chargingPointEngine,
} from './engine/charging-point-engine.js';
import type { CentralLink } from './monitor/central-link.js';
import {
  type ChargingPointMonitorOptions,
  type ChargingPointMonitorPlugin,
  chargingPointMonitor,
} from './monitor/charging-point-monitor.js';
import { inProcessEngineLink } from './monitor/engine-link.js';

export interface ChargingPointOptions extends ChargingPointEngineOptions {
  /** Central's monitor API; when set, a monitor probes the engine in process and reports to it. */
  central?: CentralLink;
  /** Monitor options other than the links (interval, threshold, registration extras, ...). */
  monitor?: Omit<ChargingPointMonitorOptions, 'cpId' | 'engine' | 'central' | 'name'>;
}

/** One CP as a single plugin: its engine and (optionally) its monitor. */
export interface ChargingPointPlugin extends Plugin {
  readonly cpId: string;
  readonly engine: ChargingPointEnginePlugin;
  readonly monitor: ChargingPointMonitorPlugin | undefined;
  report(): Record<string, unknown>;
}

/**
 * A whole charging point (engine + monitor with an in-process link) as one plugin, for
 * simulations of large fleets: a node pays its per-plugin cost (child container, logger, random
 * stream) once per CP instead of twice. Behaviour is exactly that of the two plugins.
 *
 * @example
 * const cp = chargingPoint({ cpId: 'CP-001', kw: 22, central: inProcessCentralLink(centralApi) });
 * const node = createNode({ id: 'fleet', transport, clock, plugins: [cp] });
 * await node.start();
 * await cp.engine.injectFault('overheating'); // the monitor reports FAULT after 3 probes
 */
export function chargingPoint(options: ChargingPointOptions): ChargingPointPlugin {
  const { central, monitor: monitorOptions, name, ...engineOptions } = options;
  const engine = chargingPointEngine(engineOptions);
  const monitor = central
    ? chargingPointMonitor({
        ...monitorOptions,
        cpId: options.cpId,
        engine: inProcessEngineLink(engine),
        central,
      })
    : undefined;
  return definePlugin<ChargingPointPlugin>({
    name: name ?? `cp/${options.cpId.replace(/[^a-z0-9@/._-]/gi, '_')}`,
    cpId: options.cpId,
    engine,
    monitor,
    async start(ctx: PluginContext) {
      await engine.start(ctx);
      try {
        monitor?.start(ctx);
      } catch (error) {
        await engine.stop();
        throw error;
      }
    },
    async stop() {
      await monitor?.stop();
      await engine.stop();
    },
    report() {
      return { ...engine.report(), ...(monitor ? { monitor: monitor.report() } : {}) };
    },
  });
}
