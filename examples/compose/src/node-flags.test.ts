// Every shipped entry point runs Node with semi-spaces of up to 64 MiB: the real-time capacity
// (thousands of CPs in one process) needs them, and a user must not have to know the flag. Each
// entry point's own command line (the pnpm scripts, the local-run role processes, the images'
// NODE_OPTIONS) runs a probe instead of its program, and the probe reports V8's heap limit, which
// grows by three times the extra semi-space (about 144 MiB from the default 16 MiB to 64 MiB).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandOf, REPO_ROOT } from './local-run/local-topology.js';

/** Heap limit growth that shows the flag took effect (well under 144 MiB, far over noise). */
const MIN_GROWTH = 100 * 2 ** 20;
const PROBE = "import v8 from 'node:v8';\nconsole.log(v8.getHeapStatistics().heap_size_limit);\n";

let dir: string;
let probeTs: string;
let probeMjs: string;
let bareLimit: number;

/** Runs `file` with `args` and the environment minus any NODE_OPTIONS of ours; returns its number. */
function heapLimit(file: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): number {
  const { NODE_OPTIONS: _ours, ...rest } = process.env;
  const out = execFileSync(file, args, { cwd, env: { ...rest, ...env }, encoding: 'utf8', timeout: 30_000 });
  const limit = Number(out.trim().split('\n').at(-1));
  if (!Number.isFinite(limit)) throw new Error(`${file} ${args.join(' ')} printed no heap limit: ${out}`);
  return limit;
}

/** A package.json script with its program replaced by the probe, run as pnpm would (bins on PATH). */
function scriptHeapLimit(packageDir: string, script: string): number {
  const scripts = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')).scripts as Record<
    string,
    string
  >;
  const command = scripts[script];
  if (command === undefined) throw new Error(`${packageDir}/package.json has no script "${script}"`);
  const program = command.split(' ').find((word) => word.endsWith('.ts'));
  if (program === undefined) throw new Error(`script "${script}" runs no .ts program: ${command}`);
  const probed = command.replace(program, probeTs);
  const path = `${join(packageDir, 'node_modules', '.bin')}:${join(REPO_ROOT, 'node_modules', '.bin')}:${process.env.PATH}`;
  return heapLimit('sh', ['-c', probed], packageDir, { PATH: path });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'node-flags-'));
  probeTs = join(dir, 'probe.ts');
  probeMjs = join(dir, 'probe.mjs');
  writeFileSync(probeTs, PROBE);
  writeFileSync(probeMjs, PROBE);
  bareLimit = heapLimit(process.execPath, [probeMjs], REPO_ROOT);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('every shipped entry point runs Node with 64 MiB semi-spaces', () => {
  const scripts: [string, string][] = [
    ['.', 'start'],
    ['.', 'sim'],
    ['.', 'ocpp:fleet'],
    ['examples/quickstart', 'start'],
    ['examples/quickstart', 'sim'],
    ['examples/quickstart', 'custom-policy'],
    ['examples/quickstart', 'site-load-by-hour'],
    ['examples/ocpp-fleet', 'fleet'],
    ['examples/custom-cp-plugin', 'start'],
  ];
  it.each(scripts)('%s: pnpm %s', (packageDir, script) => {
    const limit = scriptHeapLimit(resolve(REPO_ROOT, packageDir), script);
    expect(limit - bareLimit).toBeGreaterThan(MIN_GROWTH);
  });

  it.each(['source', 'dist'] as const)('local-run role processes (%s mode)', (mode) => {
    const command = commandOf('central', mode);
    const flags = command.slice(0, -1);
    const limit = heapLimit(process.execPath, [...flags, mode === 'dist' ? probeMjs : probeTs], REPO_ROOT);
    expect(limit - bareLimit).toBeGreaterThan(MIN_GROWTH);
  });

  it("the images' NODE_OPTIONS", () => {
    const dockerfile = readFileSync(resolve(REPO_ROOT, 'docker/Dockerfile'), 'utf8');
    const runtime = dockerfile.slice(dockerfile.indexOf('AS runtime'));
    const options = /NODE_OPTIONS=(\S+)/.exec(runtime)?.[1];
    expect(options, 'the runtime stage sets NODE_OPTIONS').toBeDefined();
    const limit = heapLimit(process.execPath, [probeMjs], REPO_ROOT, { NODE_OPTIONS: options });
    expect(limit - bareLimit).toBeGreaterThan(MIN_GROWTH);
  });

  it('the probe tells a bare node from a flagged one', () => {
    // Guards the test itself: the same probe without the flag shows no growth.
    const again = heapLimit(process.execPath, [probeMjs], REPO_ROOT);
    expect(Math.abs(again - bareLimit)).toBeLessThan(MIN_GROWTH);
  });
});
