#!/usr/bin/env bash
# Consumer smoke test: the packages as someone outside this repository gets them. Packs every
# package, installs the tarballs with npm into a fresh project under /tmp (the in-memory ones
# first, timed, and checked for native builds), then type-checks strictly (skipLibCheck off, so
# the published .d.ts are checked too), compiles and runs every TypeScript example of the READMEs,
# runs the root README's simulation twice (same event-log hash), checks the SQLite store's
# missing-peer error, and runs the READMEs' vitest tests (a custom CP model).
# Needs `pnpm build` first. KEEP_CONSUMER=1 keeps the project for a look.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="$(mktemp -d /tmp/evcharging-consumer.XXXXXX)"
if [ -z "${KEEP_CONSUMER:-}" ]; then trap 'rm -rf "$work"' EXIT; else echo "consumer project kept in $work/app"; fi
step() { printf '\n--> %s\n' "$*"; }
version() { node -p "require('$root/package.json').devDependencies['$1']"; }

step "packing every package"
bash "$here/pack-packages.sh" "$work/tarballs" >/dev/null
tgz() { ls "$work"/tarballs/evcharging-"$1"-*.tgz; }
app="$work/app"
mkdir -p "$app/src"
cp "$here/consumer/package.json" "$here/consumer/tsconfig.json" "$app/"
cp "$here"/consumer/src/*.ts "$app/src/"
cd "$app"

step "npm install of the in-memory packages and their peers (what a simulation user installs)"
started=$(date +%s.%N)
npm install --no-audit --no-fund --loglevel=error \
  "$(tgz core)" "$(tgz transport-memory)" "$(tgz cp)" "$(tgz central)" "$(tgz driver)" "$(tgz network)" \
  tsyringe@^4.10.0 reflect-metadata@^0.2.2
seconds=$(node -e "console.log((($(date +%s.%N)) - $started).toFixed(1))")
packages=$(node -e "console.log(Object.keys(require('./node_modules/.package-lock.json').packages).length - 0)")
native=$(find node_modules -name '*.node' -o -name binding.gyp | head -5)
if [ -e node_modules/better-sqlite3 ] || [ -n "$native" ]; then
  echo "consumer-smoke: the in-memory install pulled a native build: ${native:-better-sqlite3}" >&2
  exit 1
fi
echo "installed ${packages} packages in ${seconds} s, no native module, no better-sqlite3"

step "npm install of the Kafka transport, OCPP and the tools (typescript, vitest, @types/node)"
npm install --no-audit --no-fund --loglevel=error "$(tgz transport-kafka)" "$(tgz ocpp)"
npm install --no-audit --no-fund --loglevel=error --save-dev \
  "typescript@$(version typescript)" "vitest@$(version vitest)" "@types/node@$(version @types/node)"

step "extracting the READMEs' TypeScript examples"
node "$here/extract-readme-examples.mjs" "$root" "$app/src" | tee examples.txt

step "tsc --noEmit, strict, skipLibCheck off"
npx tsc --noEmit -p .
npx tsc -p .

step "running every complete example (compiled by tsc, run by node)"
failed=0
while read -r kind file readme; do
  [ "$kind" = run ] || continue
  js="out/${file%.ts}.js"
  if timeout 180 node "$js" >"$js.log" 2>&1; then
    echo "ok   $readme ($(wc -l <"$js.log") lines of output)"
  else
    echo "FAIL $readme: node $js exited $?"; sed 's/^/     /' "$js.log" | tail -20; failed=1
  fi
done <examples.txt
[ "$failed" = 0 ] || exit 1

step "the root README's simulation, twice: one seed, one event-log hash"
timeout 180 node out/root-1.js >second-run.log 2>&1
first=$(grep -oE '[0-9a-f]{64}' out/root-1.js.log | tail -1 || true)
second=$(grep -oE '[0-9a-f]{64}' second-run.log | tail -1 || true)
if [ -z "$first" ] || [ "$first" != "$second" ]; then
  echo "consumer-smoke: event-log hashes differ or are missing: '${first}' vs '${second}'" >&2
  cat out/root-1.js.log second-run.log >&2
  exit 1
fi
echo "same hash on both runs: $first"

step "SQLite without better-sqlite3: the error names the package"
node out/sqlite-optional.js

step "the READMEs' vitest tests"
npx vitest run --root . --dir src
echo
echo "consumer-smoke: passed (in-memory install ${seconds} s, ${packages} packages)"
