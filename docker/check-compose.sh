#!/usr/bin/env bash
# Validates the compose deployment without a Docker engine (pnpm compose:check):
#  1. the static checks of examples/compose/src/compose-files.test.ts (services, build targets,
#     commands, environment against the role schemas, .env.example up to date, Dockerfile);
#  2. `docker compose config` or Debian's `docker-compose config` when one is installed (they
#     parse and interpolate without an engine); skipped with a note when neither is.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> static checks (vitest: examples/compose/src/compose-files.test.ts)"
EXAMPLE_COMPOSE_STATIC_ONLY=1 pnpm exec vitest run --project example-compose src/compose-files.test.ts

# `docker compose` (v2) reads the files as they are. Debian's docker-compose 1.29 knows everything
# in them but the top-level `name:` (a v2 addition): it checks a copy without that line, written
# next to the original so relative paths resolve the same.
check() {
  local file="$1"
  shift
  if docker compose version >/dev/null 2>&1; then
    env "$@" docker compose -f "$file" config -q
    return
  fi
  local copy
  copy="$(dirname "$file")/.v1-check.$(basename "$file")"
  grep -v '^name:' "$file" >"$copy"
  local status=0
  env "$@" docker-compose -f "$copy" config -q || status=$?
  rm -f "$copy"
  return "$status"
}

if docker compose version >/dev/null 2>&1; then tool="docker compose"
elif command -v docker-compose >/dev/null 2>&1; then tool="docker-compose $(docker-compose version --short 2>/dev/null)"
else
  echo "==> compose config: skipped (neither 'docker compose' nor Debian's 'docker-compose' is installed)"
  exit 0
fi
echo "==> $tool config"
check docker-compose.yml
echo "docker-compose.yml: valid"
check docker/docker-compose.remote-kafka.yml KAFKA_BOOTSTRAP=kafka.example.com:9092
echo "docker/docker-compose.remote-kafka.yml: valid (with KAFKA_BOOTSTRAP set)"
if check docker/docker-compose.remote-kafka.yml KAFKA_BOOTSTRAP= 2>/dev/null; then
  echo "docker/docker-compose.remote-kafka.yml: accepted an empty KAFKA_BOOTSTRAP" >&2
  exit 1
fi
echo "docker/docker-compose.remote-kafka.yml: refuses an unset KAFKA_BOOTSTRAP, as it should"
