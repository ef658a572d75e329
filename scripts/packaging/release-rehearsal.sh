#!/usr/bin/env bash
# Release rehearsal: versions and publishes (dry run) a scratch copy of the repository, so the real
# one is never touched. Checks that `changeset version` bumps every package of the fixed group
# together, that their internal ranges follow, and that `pnpm publish -r --dry-run` accepts them.
# The rehearsal releases a patch. (At 0.x a `minor` changeset of core makes every package that
# has it as a peer go major, to 1.0.0: changesets bumps peer dependents out of range by a major.)
# Needs `pnpm install` and `pnpm build` first (the copy reuses node_modules and dist/).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
scratch="$(mktemp -d /tmp/evcharging-release.XXXXXX)"
trap 'rm -rf "$scratch"' EXIT

# Tracked files as they are in the work tree (committed or not), plus the built dist/ folders.
(cd "$root" && git ls-files -z | tar --null -T - -cf -) | tar -C "$scratch" -xf -
for dir in "$root"/packages/*/; do
  name="$(basename "$dir")"
  cp -r "$dir/dist" "$scratch/packages/$name/dist"
done
cd "$scratch"
git init -q && git add -A && git -c user.name=rehearsal -c user.email=rehearsal@invalid commit -qm scratch
# Links from the local store (no download, no native build: publishing needs neither).
pnpm install --offline --frozen-lockfile --ignore-scripts --reporter=silent

cat > .changeset/release-rehearsal.md <<'MD'
---
"@evcharging/core": patch
---

Release rehearsal (never committed).
MD
before="$(node -p "require('./packages/core/package.json').version")"
node_modules/.bin/changeset version
after="$(node -p "require('./packages/core/package.json').version")"
echo "changeset version: @evcharging/core ${before} -> ${after}"
for pkg in packages/*/package.json; do
  version="$(node -p "require('./$pkg').version")"
  if [ "$version" != "$after" ]; then
    echo "release-rehearsal: $pkg is at $version, expected $after (fixed group)" >&2
    exit 1
  fi
  if [ ! -f "$(dirname "$pkg")/CHANGELOG.md" ]; then
    echo "release-rehearsal: no CHANGELOG.md written for $pkg" >&2
    exit 1
  fi
done

pnpm publish -r --dry-run --no-git-checks --filter "./packages/*" 2>&1 | tee publish.log | grep -E "^\+ |npm notice (name|version|total files)" || true
published="$(grep -c '^+ @evcharging/' publish.log || true)"
expected="$(ls -d packages/*/ | wc -l)"
if [ "$published" != "$expected" ]; then
  cat publish.log
  echo "release-rehearsal: the dry run published ${published} of ${expected} packages" >&2
  exit 1
fi
# What would reach the registry: versions in place of workspace ranges.
(cd packages/network && pnpm pack --pack-destination "$scratch" >/dev/null)
tar xzf "$scratch/evcharging-network-${after}.tgz" -O package/package.json |
  node -e "
    const pkg = JSON.parse(require('fs').readFileSync(0, 'utf8'));
    const deps = { ...pkg.dependencies, ...pkg.peerDependencies };
    const bad = Object.entries(deps).filter(([n, r]) => n.startsWith('@evcharging/') && !r.includes('${after}'));
    if (bad.length) { console.error('release-rehearsal: internal ranges not bumped:', bad); process.exit(1); }
    console.log('internal ranges of @evcharging/network ${after}:', Object.entries(deps).filter(([n]) => n.startsWith('@evcharging/')).map(([n, r]) => n + '@' + r).join(', '));
  "
echo "release-rehearsal: ${published} packages would be published at ${after}"
