#!/usr/bin/env bash
# docker/compose.sh — Docker Compose for this repository, v2 or v1, with the same files: what make,
# deploy.sh and verify.sh run instead of `docker compose` or `docker-compose` directly.
#
# Usage: docker/compose.sh [compose arguments]      e.g. docker/compose.sh ps, docker/compose.sh -f docker-compose.remote-kafka.yml up -d
#
#  - `docker compose` (v2) when the docker CLI has it, else Debian's `docker-compose` (v1, 1.29);
#  - the project name: COMPOSE_PROJECT_NAME from the environment, else from the repository's .env,
#    else ev-charging-simulation (the compose files cannot carry a `name:`, which v1 rejects; without
#    one each Compose would name the project after the folder, v1 and v2 differently);
#  - DOCKER_BUILDKIT=0 when the docker CLI has no buildx (a new CLI would otherwise refuse to
#    build; the classic builder works with every engine), unless DOCKER_BUILDKIT is set.
# Exit 127 when neither Compose is installed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if [[ -z "${COMPOSE_PROJECT_NAME:-}" ]]; then
  if [[ -f "$ROOT/.env" ]]; then
    COMPOSE_PROJECT_NAME="$(sed -n 's/^[[:space:]]*COMPOSE_PROJECT_NAME=//p' "$ROOT/.env" | tail -1)"
  fi
  COMPOSE_PROJECT_NAME="${COMPOSE_PROJECT_NAME:-ev-charging-simulation}"
fi
export COMPOSE_PROJECT_NAME

if [[ -z "${DOCKER_BUILDKIT:-}" ]] && ! docker buildx version >/dev/null 2>&1; then
  export DOCKER_BUILDKIT=0
fi

if docker compose version >/dev/null 2>&1; then
  exec docker compose "$@"
elif command -v docker-compose >/dev/null 2>&1; then
  exec docker-compose "$@"
fi
echo "docker/compose.sh: neither 'docker compose' (v2) nor 'docker-compose' (v1) is installed" >&2
exit 127
