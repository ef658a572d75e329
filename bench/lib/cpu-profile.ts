import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** This checkout's root (any worktree), stripped from profiled file names. */
const ROOT = `${path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')}/`;

/** One function of a V8 `.cpuprofile` with its share of the sampled time spent in its own code. */
export interface ProfiledFunction {
  name: string;
  /** `file:line`, relative to the repository where possible. */
  where: string;
  /** Share of the non-idle samples, %. */
  selfPercent: number;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

/** A V8 `.cpuprofile` as `node --cpu-prof` writes it. */
export interface CpuProfile {
  nodes: ProfileNode[];
  samples?: number[];
}

/** Reads a `.cpuprofile` once, for the summaries below. */
export function readCpuProfile(file: string): CpuProfile {
  return JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
}

/** A frame's file relative to this checkout (a dependency's from its package directory). */
function relativeUrl(url: string): string {
  return url
    .replace(/^file:\/\//, '')
    .replace(ROOT, '')
    .replace(/^.*node_modules\/\.pnpm\/[^/]+\/node_modules\//, '');
}

/**
 * The functions of a profile with the most self time (samples whose top frame is the function),
 * summed over every call site of the same function.
 */
export function topFunctions(profile: CpuProfile, count: number): ProfiledFunction[] {
  const hitsById = new Map<number, number>();
  if (profile.samples) {
    for (const id of profile.samples) hitsById.set(id, (hitsById.get(id) ?? 0) + 1);
  } else {
    for (const node of profile.nodes) hitsById.set(node.id, node.hitCount ?? 0);
  }
  const byFunction = new Map<string, { name: string; where: string; hits: number }>();
  let total = 0;
  for (const node of profile.nodes) {
    const hits = hitsById.get(node.id) ?? 0;
    total += hits;
    if (hits === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url ? `${relativeUrl(url)}:${lineNumber + 1}` : '';
    const key = `${functionName}@${where}`;
    const entry = byFunction.get(key) ?? { name: functionName || '(anonymous)', where, hits: 0 };
    entry.hits += hits;
    byFunction.set(key, entry);
  }
  // Shares of the busy time: idle samples (waiting for timers) are left out.
  const busy =
    total - [...byFunction.values()].filter((f) => f.name === '(idle)').reduce((n, f) => n + f.hits, 0);
  return [...byFunction.values()]
    .filter((f) => f.name !== '(idle)')
    .sort((a, b) => b.hits - a.hits)
    .slice(0, count)
    .map((f) => ({ name: f.name, where: f.where, selfPercent: (100 * f.hits) / Math.max(1, busy) }));
}

/**
 * The same self time grouped by where the code lives: a workspace package (`packages/<name>`),
 * this bench, a dependency from node_modules, Node's own code, or V8 (GC, program, natives).
 */
export function timeByArea(functions: readonly ProfiledFunction[]): { area: string; selfPercent: number }[] {
  const areas = new Map<string, number>();
  for (const f of functions) {
    const where = f.where;
    const area = where.startsWith('packages/')
      ? where.split('/').slice(0, 2).join('/')
      : where.startsWith('bench/')
        ? 'bench (measurement)'
        : where.startsWith('node:')
          ? 'node internals'
          : where === ''
            ? f.name.startsWith('(')
              ? f.name
              : 'V8 natives and compiled checks'
            : `dependency ${where.split('/')[0]}`;
    areas.set(area, (areas.get(area) ?? 0) + f.selfPercent);
  }
  return [...areas.entries()]
    .map(([area, selfPercent]) => ({ area, selfPercent }))
    .sort((a, b) => b.selfPercent - a.selfPercent);
}

/**
 * Frames that only schedule work for others: the clocks' timer loops, the memory transport's
 * lanes and dispatchers, the plugin runtime, the engine's serial tasks, the monitors' shared ticker.
 */
const SCHEDULING = [
  'packages/core/src/clock/',
  'packages/core/src/runtime/',
  'packages/transport-memory/src/',
  'packages/cp/src/engine/serial-tasks.ts',
  'packages/cp/src/monitor/shared-ticker.ts',
];

/**
 * The busy time grouped by what started the work: each sample is charged to the outermost frame of
 * a workspace package that is not scheduling machinery (a timer's callback such as an engine's
 * telemetry tick, or the handler a message was delivered to). Two days with different message
 * counts compare handler by handler this way: a handler whose time grew with its messages has no
 * premium, one that grew more has. Samples with no such frame are grouped under their top frame.
 */
export function timeByEntry(profile: CpuProfile): { entry: string; percent: number }[] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const entryOf = new Map<number, string>();
  const entry = (id: number): string => {
    const known = entryOf.get(id);
    if (known !== undefined) return known;
    let found: string | undefined;
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
      const { functionName, url } = byId.get(at)!.callFrame;
      const where = relativeUrl(url);
      if (where.startsWith('packages/') && !SCHEDULING.some((prefix) => where.startsWith(prefix))) {
        found = `${functionName || '(anonymous)'}  ${where}`; // the outermost one wins
      }
    }
    const top = byId.get(id)!.callFrame;
    const result = found ?? `(no package frame) ${top.functionName || top.url || '(anonymous)'}`;
    entryOf.set(id, result);
    return result;
  };
  const samples = profile.samples ?? [];
  const totals = new Map<string, number>();
  let busy = 0;
  for (const id of samples) {
    if (byId.get(id)!.callFrame.functionName === '(idle)') continue;
    busy++;
    const key = entry(id);
    totals.set(key, (totals.get(key) ?? 0) + 1);
  }
  return [...totals.entries()]
    .map(([key, hits]) => ({ entry: key, percent: (100 * hits) / Math.max(1, busy) }))
    .sort((a, b) => b.percent - a.percent);
}
