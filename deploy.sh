#!/usr/bin/env bash
# deploy.sh — deploy the EV charging simulation: a menu, or one action given as an argument.
#
# Usage: ./deploy.sh                 the menu
#        ./deploy.sh <action>        non-interactive, one of:
#   check         prerequisites (Docker, compose, ports, memory; Node, pnpm, Java for local runs)
#   full          option 1: everything on this machine (docker compose up -d)            [docker]
#   remote        option 2: every role against KAFKA_BOOTSTRAP (no Kafka here)           [docker]
#   lab-central   option 3A, machine 1: Kafka + Central, Kafka reachable by other hosts   [docker]
#   lab-cps       option 3, a CP machine: engines + monitors (KAFKA_BOOTSTRAP, CENTRAL_HOST) [docker]
#   lab-central-remote  option 3B, machine 1: Central only, on the shared KAFKA_BOOTSTRAP [docker]
#   lab-driver    option 3B, machine 3: the driver (KAFKA_BOOTSTRAP)                       [docker]
#   local         option 4: the whole topology as processes (pnpm local-run), no Docker
#   status        what runs (compose services, or the local run)
#   stop          stop it (compose down, or local-run stop)
#   clean         stop it and remove containers and volumes (asks first unless -y), or the local run
# Variables: KAFKA_BOOTSTRAP, CENTRAL_HOST, KAFKA_ADVERTISED_HOST, PUBLISH_HOST (see .env.example),
# from the environment or .env (the environment wins, as in compose).
# Exit codes: 0 done, 1 failed (a missing prerequisite names itself), 2 usage.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"
REMOTE_FILE=docker-compose.remote-kafka.yml
ASSUME_YES=0

if [[ -t 1 ]]; then GREEN=$'\e[32m'; RED=$'\e[31m'; YELLOW=$'\e[33m'; BOLD=$'\e[1m'; RESET=$'\e[0m'
else GREEN=""; RED=""; YELLOW=""; BOLD=""; RESET=""; fi
ok() { echo "  ${GREEN}✓${RESET} $*"; }
bad() { echo "  ${RED}✗${RESET} $*"; }
warn() { echo "  ${YELLOW}!${RESET} $*"; }
die() { echo "${RED}deploy.sh: $*${RESET}" >&2; exit 1; }

# docker/compose.sh runs v2 or v1 with the project name both need; empty when neither is installed.
compose_cmd() {
  if docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null 2>&1; then
    echo "$ROOT/docker/compose.sh"
  fi
}
compose_name() {
  if docker compose version >/dev/null 2>&1; then echo "docker compose (v2)"
  elif command -v docker-compose >/dev/null 2>&1; then echo "docker-compose $(docker-compose version --short 2>/dev/null) (v1)"
  fi
}

# load_dotenv: the repository's .env, as compose reads it.
source scripts/dotenv.sh
load_dotenv
docker_engine() { command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; }
port_busy() { timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

require_docker() {
  docker_engine || die "this needs a running Docker engine ('docker info' fails here).
  Without Docker, run the same topology as processes: ./deploy.sh local"
  [[ -n "$(compose_cmd)" ]] || die "this needs Docker Compose ('docker compose' or 'docker-compose')."
}

# ask VAR "question" default: keeps an exported value, else asks (non-interactive: the default).
ask() {
  local var="$1" question="$2" default="${3:-}" answer
  if [[ -n "${!var:-}" ]]; then echo "  $var=${!var}"; return; fi
  if [[ -t 0 ]]; then
    read -r -p "  $question [${default}]: " answer
    answer="${answer:-$default}"
  else
    answer="$default"
  fi
  [[ -n "$answer" ]] || die "$var is required ($question)"
  export "$var=$answer"
  echo "  $var=$answer"
}

this_host() { hostname -I 2>/dev/null | awk '{print $1}'; }

# ------------------------------------------------------------------------------------ actions

check() {
  local mode="${1:-all}" failures=0
  echo "${BOLD}Prerequisites${RESET}"
  if [[ "$mode" != local ]]; then
    if command -v docker >/dev/null 2>&1; then ok "docker CLI ($(docker --version 2>/dev/null | head -1))"
    else bad "docker CLI not found (https://docs.docker.com/engine/install/)"; failures=$((failures + 1)); fi
    if docker_engine; then ok "Docker engine running"
    else bad "no Docker engine answers ('docker info' fails): options 1-3 need one; option 4 (local) does not"; failures=$((failures + 1)); fi
    if [[ -n "$(compose_cmd)" ]]; then ok "compose: $(compose_name)"
    else bad "Docker Compose not found"; failures=$((failures + 1)); fi
  fi
  if [[ "$mode" != docker ]]; then
    if command -v node >/dev/null 2>&1 && [[ "$(node -p 'process.versions.node.split(".")[0]')" -ge 20 ]]; then
      ok "node $(node --version)"
    else bad "Node.js 20+ not found (option 4)"; failures=$((failures + 1)); fi
    if command -v pnpm >/dev/null 2>&1; then ok "pnpm $(pnpm --version)"
    else bad "pnpm not found: npm install -g pnpm@9 (corepack fails on lab machines)"; failures=$((failures + 1)); fi
    if [[ -d node_modules ]]; then ok "workspace installed"
    else warn "workspace not installed yet: pnpm install"; fi
    if [[ -n "${KAFKA_BOOTSTRAP:-}" ]]; then ok "Kafka: KAFKA_BOOTSTRAP=$KAFKA_BOOTSTRAP"
    elif command -v java >/dev/null 2>&1; then ok "java for the local Kafka broker ($(java -version 2>&1 | head -1))"
    else bad "no java and no KAFKA_BOOTSTRAP: the local run needs Java 17+ (scripts/kafka.sh) or a broker"; failures=$((failures + 1)); fi
    if [[ -d .kafka/libs-4.4.0 ]] || command -v mvn >/dev/null 2>&1 || [[ -n "${KAFKA_BOOTSTRAP:-}" ]]; then ok "Kafka jars cached or Maven available"
    else warn "no Maven and no cached Kafka jars: scripts/kafka.sh needs mvn once"; fi
  fi
  local port
  for port in "${KAFKA_PORT:-9092}" "${CENTRAL_HTTP_PORT:-8000}" "${CENTRAL_LISTEN_PORT:-9999}" "${CP_E_1_PORT:-8001}" "${CP_E_2_PORT:-8002}"; do
    if port_busy "$port"; then warn "port $port is in use (fine if it is this deployment already running)"
    else ok "port $port free"; fi
  done
  local mem
  mem="$(awk '/MemAvailable/ {print int($2/1024)}' /proc/meminfo 2>/dev/null || echo 0)"
  if ((mem >= 4096)); then ok "memory available: ${mem} MB"
  elif ((mem > 0)); then warn "memory available: ${mem} MB (4 GB recommended)"; fi
  if ((failures > 0)); then echo "${RED}$failures prerequisite(s) missing${RESET}"; return 1; fi
  echo "${GREEN}ready${RESET}"
}

full() {
  require_docker
  local c
  c="$(compose_cmd)"
  echo "${BOLD}Option 1: everything on this machine${RESET}"
  $c up -d --build || die "compose up failed (see: $c logs)"
  echo "Started. Services become healthy in 30-60 s: make status; dashboard http://127.0.0.1:${CENTRAL_HTTP_PORT:-8000}/; then ./verify.sh"
}

remote() {
  require_docker
  echo "${BOLD}Option 2: every role against a remote Kafka${RESET}"
  ask KAFKA_BOOTSTRAP "Kafka bootstrap servers (host:port)" ""
  $(compose_cmd) -f "$REMOTE_FILE" up -d --build || die "compose up failed"
  echo "Started against $KAFKA_BOOTSTRAP. Services become healthy in 30-60 s; then: ./verify.sh --remote"
}

lab_central() {
  require_docker
  echo "${BOLD}Option 3A, machine 1: Kafka + Central${RESET}"
  ask KAFKA_ADVERTISED_HOST "address other machines use to reach this one" "$(this_host)"
  # Other machines reach Kafka and Central here: publish on every interface, not only 127.0.0.1.
  ask PUBLISH_HOST "address the ports are published on (0.0.0.0: every interface)" "0.0.0.0"
  $(compose_cmd) up -d --build kafka ev-central || die "compose up failed"
  echo "On the CP machine:     export KAFKA_BOOTSTRAP=$KAFKA_ADVERTISED_HOST:${KAFKA_PORT:-9092} CENTRAL_HOST=$KAFKA_ADVERTISED_HOST; ./deploy.sh lab-cps"
  echo "On the driver machine: export KAFKA_BOOTSTRAP=$KAFKA_ADVERTISED_HOST:${KAFKA_PORT:-9092}; ./deploy.sh lab-driver"
}

lab_central_remote() {
  require_docker
  echo "${BOLD}Option 3B, machine 1: Central on the shared Kafka${RESET}"
  ask KAFKA_BOOTSTRAP "shared Kafka bootstrap servers (host:port)" ""
  # The monitors on the CP machines reach Central here.
  ask PUBLISH_HOST "address the ports are published on (0.0.0.0: every interface)" "0.0.0.0"
  $(compose_cmd) -f "$REMOTE_FILE" up -d --build ev-central || die "compose up failed"
}

lab_cps() {
  require_docker
  echo "${BOLD}Option 3, a CP machine: engines CP-001, CP-002 and their monitors${RESET}"
  ask KAFKA_BOOTSTRAP "Kafka bootstrap servers (host:port)" ""
  ask CENTRAL_HOST "address of the machine running Central" ""
  ask CP_MONITOR_CENTRAL_PORT "Central's published HTTP port" "8000"
  $(compose_cmd) -f "$REMOTE_FILE" up -d --build ev-cp-e-1 ev-cp-e-2 ev-cp-m-1 ev-cp-m-2 || die "compose up failed"
}

lab_driver() {
  require_docker
  echo "${BOLD}Option 3, the driver machine${RESET}"
  ask KAFKA_BOOTSTRAP "Kafka bootstrap servers (host:port)" ""
  $(compose_cmd) -f "$REMOTE_FILE" up -d --build ev-driver || die "compose up failed"
  echo "Follow it: $(compose_cmd) -f $REMOTE_FILE logs -f ev-driver"
}

local_run() {
  echo "${BOLD}Option 4: the whole topology as processes (no Docker)${RESET}"
  check local || die "install what is missing above first"
  [[ -d node_modules ]] || pnpm install --frozen-lockfile || die "pnpm install failed"
  pnpm -s local-run start || die "local-run failed (logs in ${LOCAL_RUN_DIR:-.local-run}/)"
  echo "Then: ./verify.sh   pnpm local-run status   pnpm local-run stop"
}

has_local_run() { [[ -f "${LOCAL_RUN_DIR:-.local-run}/local-run.json" ]]; }

status() {
  local shown=0
  if docker_engine && [[ -n "$(compose_cmd)" ]]; then
    echo "${BOLD}Compose services${RESET}"; $(compose_cmd) ps; shown=1
  fi
  if has_local_run; then echo "${BOLD}Local run${RESET}"; pnpm -s local-run status; shown=1; fi
  ((shown)) || die "nothing deployed here: no Docker engine and no local run"
}

stop() {
  local done=0
  if has_local_run; then pnpm -s local-run stop; done=1; fi
  if docker_engine && [[ -n "$(compose_cmd)" ]]; then $(compose_cmd) down; done=1; fi
  ((done)) || die "nothing to stop: no Docker engine and no local run"
}

clean() {
  if [[ "$ASSUME_YES" != 1 && -t 0 ]]; then
    read -r -p "Remove the containers, their volumes (Central's database, Kafka's data) and the local run? [y/N] " answer
    [[ "$answer" == [yY]* ]] || { echo "nothing removed"; return 0; }
  fi
  if has_local_run; then pnpm -s local-run clean; fi
  if docker_engine && [[ -n "$(compose_cmd)" ]]; then
    $(compose_cmd) down -v --remove-orphans
    [[ -n "${KAFKA_BOOTSTRAP:-}" ]] && $(compose_cmd) -f "$REMOTE_FILE" down -v --remove-orphans
  else
    echo "no Docker engine: no containers or volumes to remove"
  fi
  return 0
}

run_action() {
  case "$1" in
    check) check all ;;
    full) full ;;
    remote) remote ;;
    lab-central) lab_central ;;
    lab-central-remote) lab_central_remote ;;
    lab-cps) lab_cps ;;
    lab-driver) lab_driver ;;
    local) local_run ;;
    status) status ;;
    stop) stop ;;
    clean) clean ;;
    *) echo "deploy.sh: unknown action '$1' (./deploy.sh --help)" >&2; return 2 ;;
  esac
}

menu() {
  while true; do
    cat <<EOF

${BOLD}EV charging simulation: deployment${RESET}
  1) Check prerequisites
  2) Full deployment on this machine                  [docker]
  3) Remote Kafka deployment                          [docker]
  4) Lab machines: Kafka + Central here (3A)          [docker]
  5) Lab machines: charging points here               [docker]
  6) Lab machines: Central here, shared Kafka (3B)    [docker]
  7) Lab machines: driver here                        [docker]
  8) Local processes, no Docker (pnpm local-run)
  9) Status
 10) Stop
 11) Clean
  q) Quit
EOF
    local choice
    read -r -p "Choice: " choice || return 0
    case "$choice" in
      1) (check all) ;;
      2) (full) ;;
      3) (remote) ;;
      4) (lab_central) ;;
      5) (lab_cps) ;;
      6) (lab_central_remote) ;;
      7) (lab_driver) ;;
      8) (local_run) ;;
      9) (status) ;;
      10) (stop) ;;
      11) (clean) ;;
      q | Q) return 0 ;;
      *) echo "choose 1-11 or q" ;;
    esac
  done
}

if [[ $# -eq 0 ]]; then
  [[ -t 0 ]] || { echo "deploy.sh: no terminal for the menu; give an action (./deploy.sh --help)" >&2; exit 2; }
  menu
  exit 0
fi
case "$1" in
  -h | --help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac
[[ "${2:-}" == "-y" ]] && ASSUME_YES=1
run_action "$1"
