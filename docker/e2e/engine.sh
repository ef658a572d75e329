#!/usr/bin/env bash
# docker/e2e/engine.sh — a Docker engine for the container end-to-end test on a machine that may
# have none (our CI: Debian, root, no Docker Hub).
#
# Usage: bash docker/e2e/engine.sh start    install docker.io, docker-compose and debootstrap with
#                                           apt when missing, start dockerd when no engine answers
#        bash docker/e2e/engine.sh stop     stop the dockerd that `start` started (and nothing else)
#
# State: the pid of the dockerd it started in $ENGINE_STATE_DIR/dockerd.pid (default
# /tmp/evcharging-docker-e2e), its log next to it.
set -euo pipefail

STATE_DIR="${ENGINE_STATE_DIR:-/tmp/evcharging-docker-e2e}"
PID_FILE="$STATE_DIR/dockerd.pid"
LOG_FILE="$STATE_DIR/dockerd.log"

say() { echo "engine.sh: $*" >&2; }
die() { echo "engine.sh: error: $*" >&2; exit 1; }
as_root() { if [[ "$(id -u)" == 0 ]]; then "$@"; else sudo "$@"; fi; }

install_missing() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  command -v docker-compose >/dev/null 2>&1 || docker compose version >/dev/null 2>&1 || missing+=(docker-compose)
  command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
  ((${#missing[@]} == 0)) && return 0
  say "installing ${missing[*]} (apt)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

start() {
  install_missing
  if docker info >/dev/null 2>&1; then
    say "a Docker engine already answers ($(docker info --format '{{.ServerVersion}}' 2>/dev/null)); using it"
    return 0
  fi
  mkdir -p "$STATE_DIR"
  say "starting dockerd (log: $LOG_FILE)"
  as_root bash -c 'setsid nohup dockerd >"$1" 2>&1 </dev/null & echo $! >"$2"' _ "$LOG_FILE" "$PID_FILE"
  local deadline=$((SECONDS + 60))
  until docker info >/dev/null 2>&1; do
    if ! kill -0 "$(cat "$PID_FILE")" 2>/dev/null; then
      tail -20 "$LOG_FILE" >&2
      die "dockerd exited while starting"
    fi
    ((SECONDS < deadline)) || die "dockerd did not answer within 60 s (log: $LOG_FILE)"
    sleep 0.5
  done
  say "Docker engine $(docker info --format '{{.ServerVersion}}') ready (pid $(cat "$PID_FILE"))"
}

stop() {
  [[ -s "$PID_FILE" ]] || { say "no dockerd started by engine.sh"; return 0; }
  local pid
  pid="$(cat "$PID_FILE")"
  if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q dockerd; then
    as_root kill -TERM "$pid"
    local deadline=$((SECONDS + 60))
    while kill -0 "$pid" 2>/dev/null; do
      ((SECONDS < deadline)) || { as_root kill -KILL "$pid"; break; }
      sleep 0.5
    done
    say "dockerd (pid $pid) stopped"
  fi
  rm -f "$PID_FILE"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
