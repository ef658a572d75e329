#!/usr/bin/env bash
# Validates the compose deployment without a Docker engine (pnpm compose:check):
#  1. the static checks of examples/compose/src/compose-files.test.ts (services, build targets,
#     commands, environment against the role schemas, .env.example up to date, Dockerfile);
#  2. `config` of each compose file as it is, with every Compose installed here: `docker compose`
#     (v2) and Debian's `docker-compose` (v1, 1.29); both must accept the same files. Skipped with a
#     note when neither is installed. (No engine is needed: config only parses and interpolates.)
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> static checks (vitest: examples/compose/src/compose-files.test.ts)"
EXAMPLE_COMPOSE_STATIC_ONLY=1 pnpm exec vitest run --project example-compose src/compose-files.test.ts

tools=()
docker compose version >/dev/null 2>&1 && tools+=("docker compose")
command -v docker-compose >/dev/null 2>&1 && tools+=("docker-compose")
if ((${#tools[@]} == 0)); then
  echo "==> compose config: skipped (neither 'docker compose' nor Debian's 'docker-compose' is installed)"
  exit 0
fi

# A .env of the user's would change what is checked: check the files with compose's defaults (an
# empty env file; v1 accepts only a regular file).
EMPTY_ENV="$(mktemp)"
trap 'rm -f "$EMPTY_ENV"' EXIT
check() {
  local tool="$1" file="$2"
  shift 2
  # shellcheck disable=SC2086  # "docker compose" is two words
  env -u COMPOSE_FILE "$@" $tool --env-file "$EMPTY_ENV" -f "$file" config -q
}

for tool in "${tools[@]}"; do
  echo "==> $tool config ($($tool version --short 2>/dev/null))"
  check "$tool" docker-compose.yml
  echo "docker-compose.yml: valid"
  check "$tool" docker-compose.remote-kafka.yml KAFKA_BOOTSTRAP=kafka.example.com:9092
  echo "docker-compose.remote-kafka.yml: valid (with KAFKA_BOOTSTRAP set)"
  if check "$tool" docker-compose.remote-kafka.yml KAFKA_BOOTSTRAP= 2>/dev/null; then
    echo "docker-compose.remote-kafka.yml: accepted an empty KAFKA_BOOTSTRAP" >&2
    exit 1
  fi
  echo "docker-compose.remote-kafka.yml: refuses an unset KAFKA_BOOTSTRAP, as it should"
done
