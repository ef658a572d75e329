#!/usr/bin/env node
// Removes from a `pnpm deploy --prod` output every package reachable only through an optional
// peer dependency. Why: @evcharging/core declares vitest as an optional peer (for its testing
// kit); inside the workspace pnpm resolves it, and deploy then copies vitest, vite, esbuild and
// their native binaries (~60 MB) into the runtime image although no role ever imports them.
//
// Usage: node prune-optional-peers.mjs <deploy-dir>
// Walks pnpm's layout (node_modules/.pnpm/<id>/node_modules/<name> with its dependencies as
// siblings) from the deployed package's own dependencies, skipping optional-peer edges, and
// deletes the .pnpm entries it never reached. Prints what it removed.
import { existsSync, readdirSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

const root = process.argv[2];
if (!root || !existsSync(join(root, 'node_modules/.pnpm'))) {
  console.error('usage: prune-optional-peers.mjs <pnpm-deploy-dir>');
  process.exit(2);
}
const store = realpathSync(join(root, 'node_modules/.pnpm'));

/** The .pnpm entry a resolved package path lives in, or undefined (outside the store). */
function entryOf(path) {
  const rel = relative(store, path);
  if (rel.startsWith('..')) return undefined;
  return rel.split(sep)[0];
}

/** Names in a node_modules folder (scoped names as @scope/name). */
function names(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const name of readdirSync(dir)) {
    if (name.startsWith('.')) continue;
    if (name.startsWith('@')) for (const sub of readdirSync(join(dir, name))) out.push(`${name}/${sub}`);
    else out.push(name);
  }
  return out;
}

function optionalPeers(pkgDir) {
  try {
    const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
    const meta = pkg.peerDependenciesMeta ?? {};
    return new Set(Object.keys(meta).filter((n) => meta[n]?.optional));
  } catch {
    return new Set();
  }
}

const reached = new Set();
const queue = [];
const visit = (linkPath) => {
  if (!existsSync(linkPath)) return;
  const real = realpathSync(linkPath);
  const entry = entryOf(real);
  if (entry === undefined || reached.has(real)) return;
  reached.add(real);
  queue.push(real);
};

const top = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
for (const name of Object.keys(top.dependencies ?? {})) visit(join(root, 'node_modules', name));
while (queue.length > 0) {
  const pkgDir = queue.shift();
  const skip = optionalPeers(pkgDir);
  // Dependencies are the siblings of the package in its entry's node_modules folder.
  const parent = pkgDir.slice(
    0,
    pkgDir.lastIndexOf(`${sep}node_modules${sep}`) + `${sep}node_modules`.length,
  );
  const self = relative(parent, pkgDir).split(sep).join('/');
  for (const name of names(parent)) {
    if (name === self || skip.has(name)) continue;
    visit(join(parent, name));
  }
  // Packages may also nest their own node_modules (rare in pnpm's layout).
  for (const name of names(join(pkgDir, 'node_modules'))) visit(join(pkgDir, 'node_modules', name));
}

const keep = new Set([...reached].map(entryOf));
let removed = 0;
let bytes = 0;
const size = (p) => {
  const s = statSync(p, { throwIfNoEntry: false });
  if (!s) return 0;
  if (!s.isDirectory()) return s.size;
  return readdirSync(p).reduce((sum, n) => sum + size(join(p, n)), 0);
};
for (const entry of readdirSync(store)) {
  if (entry.startsWith('.') || entry === 'node_modules' || keep.has(entry)) continue;
  if (!statSync(join(store, entry)).isDirectory()) continue;
  bytes += size(join(store, entry));
  rmSync(join(store, entry), { recursive: true, force: true });
  removed++;
  console.log(`pruned ${entry}`);
}
// The hoisted folder may hold links into what was removed.
const hoisted = join(store, 'node_modules');
for (const name of names(hoisted)) {
  const link = join(hoisted, name);
  if (!existsSync(link)) rmSync(link, { force: true });
}
console.log(
  `kept ${keep.size} packages, pruned ${removed} (${(bytes / 1e6).toFixed(1)} MB) reachable only through optional peers`,
);
