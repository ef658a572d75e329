import type { Plugin } from './plugin.js';

/** Thrown at boot when the plugins of a node cannot be wired. */
export class PluginGraphError extends Error {
  override readonly name = 'PluginGraphError';
}

/**
 * Orders plugins so each starts after its dependencies (stable: otherwise the given order).
 * Fails naming both plugins when a dependency is missing, and the cycle when there is one.
 */
export function orderPlugins(nodeId: string, plugins: readonly Plugin[]): Plugin[] {
  const byName = new Map<string, Plugin>();
  for (const plugin of plugins) {
    if (byName.has(plugin.name)) {
      throw new PluginGraphError(`node "${nodeId}": plugin "${plugin.name}" is registered twice`);
    }
    byName.set(plugin.name, plugin);
  }
  for (const plugin of plugins) {
    for (const dep of plugin.dependencies ?? []) {
      if (!byName.has(dep)) {
        throw new PluginGraphError(
          `node "${nodeId}": plugin "${plugin.name}" depends on "${dep}", which is not registered on this node`,
        );
      }
    }
  }
  const ordered: Plugin[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (plugin: Plugin, path: string[]): void => {
    const s = state.get(plugin.name);
    if (s === 'done') return;
    if (s === 'visiting') {
      const cycle = [...path.slice(path.indexOf(plugin.name)), plugin.name].join(' -> ');
      throw new PluginGraphError(`node "${nodeId}": plugin dependency cycle ${cycle}`);
    }
    state.set(plugin.name, 'visiting');
    for (const dep of plugin.dependencies ?? []) visit(byName.get(dep)!, [...path, plugin.name]);
    state.set(plugin.name, 'done');
    ordered.push(plugin);
  };
  for (const plugin of plugins) visit(plugin, []);
  // An exact-length copy: a list grown by push keeps room for 17, and a simulation keeps one per node.
  return ordered.slice();
}
