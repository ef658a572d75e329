#!/usr/bin/env bash
# Packs every published package (packages/*) into one folder, the way `pnpm publish` would:
# publishConfig applied, workspace:^ ranges replaced by versions. Needs `pnpm build` first.
# Usage: bash scripts/packaging/pack-packages.sh <destination folder>
set -euo pipefail
dest="${1:?usage: pack-packages.sh <destination folder>}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
mkdir -p "$dest"
dest="$(cd "$dest" && pwd)"
for dir in "$root"/packages/*/; do
  if [ ! -f "$dir/dist/index.js" ]; then
    echo "pack-packages: $dir has no dist/index.js: run pnpm build first" >&2
    exit 1
  fi
  (cd "$dir" && pnpm pack --pack-destination "$dest" >/dev/null)
done
ls "$dest"/*.tgz
