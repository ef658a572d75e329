import { describe, expect, it } from 'vitest';
import { definePlugin, type Plugin } from './plugin.js';
import { orderPlugins, PluginGraphError } from './plugin-order.js';
import { TOKENS, token } from './tokens.js';

const plugin = (name: string, dependencies?: string[]): Plugin => ({ name, dependencies });
const names = (plugins: readonly Plugin[]) => plugins.map((p) => p.name);

describe('definePlugin', () => {
  it('returns the plugin itself, extra members kept', () => {
    const engine = {
      name: 'cp-engine',
      dependencies: ['health'],
      injectFault: (cp: string) => `fault ${cp}`,
    };
    const defined = definePlugin(engine);
    expect(defined).toBe(engine);
    expect(defined.injectFault('CP-001')).toBe('fault CP-001');
  });

  it('accepts scoped and dotted names', () => {
    for (const name of ['central', '@acme/solar-cp', 'cp.engine_2', 'CP-Monitor']) {
      expect(definePlugin({ name }).name).toBe(name);
    }
  });

  it('rejects an invalid name, quoting it', () => {
    for (const name of ['', ' central', 'has space', '-leading', 'a*b']) {
      expect(() => definePlugin({ name })).toThrow(TypeError);
      expect(() => definePlugin({ name })).toThrow(`invalid plugin name ${JSON.stringify(name)}`);
    }
    expect(() => definePlugin({ name: 42 } as unknown as Plugin)).toThrow(/invalid plugin name 42/);
  });

  it('rejects an invalid dependency, naming the plugin', () => {
    expect(() => definePlugin({ name: 'monitor', dependencies: [''] })).toThrow(
      'definePlugin: plugin "monitor" has an invalid dependency ""',
    );
    expect(() => definePlugin({ name: 'monitor', dependencies: [7 as unknown as string] })).toThrow(
      /plugin "monitor" has an invalid dependency 7/,
    );
  });
});

describe('orderPlugins', () => {
  it('keeps the given order when there are no dependencies', () => {
    expect(names(orderPlugins('n', [plugin('a'), plugin('b'), plugin('c')]))).toEqual(['a', 'b', 'c']);
  });

  it('puts every plugin after its dependencies, otherwise stable', () => {
    const ordered = orderPlugins('n', [
      plugin('dashboard', ['api', 'registry']),
      plugin('metrics'),
      plugin('api', ['registry']),
      plugin('registry', ['store']),
      plugin('store'),
    ]);
    expect(names(ordered)).toEqual(['store', 'registry', 'api', 'dashboard', 'metrics']);
  });

  it('fails on a missing dependency naming the node and both plugins', () => {
    expect(() => orderPlugins('cp-7', [plugin('monitor', ['engine'])])).toThrow(PluginGraphError);
    expect(() => orderPlugins('cp-7', [plugin('monitor', ['engine'])])).toThrow(
      'node "cp-7": plugin "monitor" depends on "engine", which is not registered on this node',
    );
  });

  it('fails on a plugin registered twice', () => {
    expect(() => orderPlugins('n', [plugin('a'), plugin('a')])).toThrow(
      'node "n": plugin "a" is registered twice',
    );
  });

  it('fails on a cycle, spelling it out', () => {
    const error = (() => {
      try {
        orderPlugins('n', [plugin('x'), plugin('a', ['b']), plugin('b', ['c']), plugin('c', ['a'])]);
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error).toBeInstanceOf(PluginGraphError);
    expect(error?.name).toBe('PluginGraphError');
    expect(error?.message).toBe('node "n": plugin dependency cycle a -> b -> c -> a');
  });

  it('fails on a plugin that depends on itself', () => {
    expect(() => orderPlugins('n', [plugin('a', ['a'])])).toThrow('plugin dependency cycle a -> a');
  });
});

describe('tokens', () => {
  it('are global symbols, so two copies of a package agree on them', () => {
    expect(TOKENS.Clock).toBe(Symbol.for('@evcharging/core/Clock'));
    expect(TOKENS.Transport).toBe(Symbol.for('@evcharging/core/Transport'));
    expect(token('@evcharging/central/CentralStore')).toBe(token('@evcharging/central/CentralStore'));
    for (const [name, value] of Object.entries(TOKENS)) {
      expect(typeof value).toBe('symbol');
      expect(Symbol.keyFor(value)).toBe(`@evcharging/core/${name}`);
    }
  });
});
