#!/usr/bin/env bash
# docker/e2e/run.sh — the container end-to-end test: the compose deployment built and run in a real
# Docker engine with the project's own commands, as a new user on an air-gapped machine would.
# Called by .ci/run after the unit tests; runs alone on a machine with Node 20, Java 17 + Maven
# and root (or sudo) for apt and dockerd.
#
#   1. engine: docker/e2e/engine.sh start (docker.io, docker-compose, debootstrap; dockerd)
#   2. base images without Docker Hub: docker/offline/build-base-images.sh --env-file .env
#   3. make images (timed: cold when no role image existed), make up (timed), every service healthy
#   4. the driver completes its 10 requests; ./verify.sh and ./verify.sh --session pass
#   5. docker kill an engine -> FAULT at Central within 4 s; started again -> ACTIVATED
#   6. docker kill a monitor -> DISCONNECTED within 6 s; started again -> ACTIVATED
#   7. make cp-ko CP=2 -> FAULT; make cp-recover CP=2 -> ACTIVATED (the KO switch without a terminal)
#   8. make up again: the driver starts cleanly on its own state and completes a request
#   9. make down: no container left, no anonymous volume
#  10. the remote-Kafka variant against a separate broker (scripts/kafka.sh on the Docker bridge's
#      gateway), KAFKA_BOOTSTRAP in .env: make remote-kafka, ./verify.sh --remote, a driver request
#      completes; make down: nothing left
#  11. clean up (volumes, .env, the broker) and stop the engine if step 1 started it
# Exit 0 when every step passed; the figures are printed at the end (RELIABILITY.md keeps them).
#
# Ports (all published on 127.0.0.1; not the defaults, which also exercises KAFKA_PORT): the first
# free ones from DOCKER_E2E_PORT_BASE (26000): Central HTTP base, engines base+1 and base+2, Kafka
# base+92, Central TCP base+999, the remote broker base+192 (and +193 for its controller). An
# existing .env is set aside and put back at the end.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

PORT_BASE="${DOCKER_E2E_PORT_BASE:-26000}"
STATE_DIR="${ENGINE_STATE_DIR:-/tmp/evcharging-docker-e2e}"
PROJECT=ev-charging-simulation
COMPOSE=(docker/compose.sh)
REMOTE_FILE=docker-compose.remote-kafka.yml
mkdir -p "$STATE_DIR"
# The deployment takes its settings from the .env written below, as a user's would: a variable of
# the caller's shell (CI exports KAFKA_BOOTSTRAP for the unit tests' broker) would win over it.
for name in $(sed -n 's/^\(# \)\{0,1\}\([A-Z][A-Z0-9_]*\)=.*/\2/p' .env.example | sort -u); do
  unset "$name"
done
export COMPOSE_PROJECT_NAME="$PROJECT"

FIGURES=()
T_START=$SECONDS
now_ms() { echo $(($(date +%s%N) / 1000000)); }
secs() { printf '%d.%d s' $(($1 / 1000)) $(($1 % 1000 / 100)); }
step() { printf '\n=== docker e2e [%ds] %s\n' $((SECONDS - T_START)) "$*"; }
figure() { FIGURES+=("$1"); echo "  -> $1"; }
fail() { echo "docker e2e: FAILED: $*" >&2; exit 1; }

http_get() {
  if command -v curl >/dev/null 2>&1; then curl -fsS --max-time 3 "$1" 2>/dev/null
  else node -e 'fetch(process.argv[1],{signal:AbortSignal.timeout(3000)}).then(async r=>{if(!r.ok)process.exit(1);process.stdout.write(await r.text())}).catch(()=>process.exit(1))' "$1"; fi
}
cp_state() { http_get "http://127.0.0.1:$HTTP_PORT/cp/$1" | grep -o '"state":"[A-Z]*"' | head -1 | cut -d'"' -f4; }

# wait_state <cp> <state> <limit s> <since ms>: polls Central every 100 ms until it shows <state>.
# Prints "lo hi": the change happened after the previous answer (lo ms after <since>) and before the
# one that showed it (hi ms); fails when hi passes <limit> s.
wait_state() {
  local cp="$1" want="$2" limit_ms=$(($3 * 1000)) since="$4" state lo hi
  lo=0
  while :; do
    state="$(cp_state "$cp" || true)"
    hi=$(($(now_ms) - since))
    if [[ "$state" == "$want" ]]; then
      ((hi <= limit_ms)) || { echo "$cp showed $want only after $(secs "$hi") (limit $3 s)" >&2; return 1; }
      echo "$lo $hi"
      return 0
    fi
    ((hi < limit_ms)) || { echo "$cp still ${state:-unknown} after $3 s (wanted $want)" >&2; return 1; }
    lo="$hi"
    sleep 0.1
  done
}
span() { printf '%s (between %s and %s)' "$(secs "$2")" "$(secs "$1")" "$(secs "$2")"; }
# The moment a container's process ended, ms since the epoch (the daemon's own record of the kill).
finished_ms() { echo $(($(date -d "$(docker inspect --format '{{.State.FinishedAt}}' "$1")" +%s%N) / 1000000)); }

# The container id of a service (file args first: -f <file>).
container_of() {
  local svc="${*: -1}"
  "${COMPOSE[@]}" "${@:1:$#-1}" ps -q "$svc" 2>/dev/null | head -1
}
# status|health|exit code of a service's container ("none||" when it has none).
service_status() {
  local id
  id="$(container_of "$@")"
  [[ -n "$id" ]] || { echo "none||"; return; }
  docker inspect --format '{{.State.Status}}|{{if .State.Health}}{{.State.Health.Status}}{{end}}|{{.State.ExitCode}}' "$id"
}

# wait_healthy <limit s> [-f <file>]: every long-running service of the file up and healthy.
wait_healthy() {
  local limit="$1" svc s
  shift
  local deadline=$((SECONDS + limit)) services=(ev-central ev-cp-e-1 ev-cp-e-2 ev-cp-m-1 ev-cp-m-2) pending
  [[ $# -eq 0 ]] && services=(kafka "${services[@]}")
  while :; do
    pending=()
    for svc in "${services[@]}"; do
      s="$(service_status "$@" "$svc")"
      [[ "$s" == running\|healthy\|* ]] || pending+=("$svc:$s")
    done
    ((${#pending[@]} == 0)) && return 0
    ((SECONDS < deadline)) || fail "not healthy within $limit s: ${pending[*]}"
    sleep 2
  done
}

# wait_driver_line <pattern> <limit s> <file args...>: a log line of ev-driver matching pattern.
wait_driver_line() {
  local pattern="$1" limit="$2" deadline
  shift 2
  deadline=$((SECONDS + limit))
  until "${COMPOSE[@]}" "$@" logs --no-color ev-driver 2>/dev/null | grep -qE "$pattern"; do
    ((SECONDS < deadline)) || fail "ev-driver logged no line matching '$pattern' within $limit s"
    sleep 2
  done
}

# A port nothing listens on, on any address (other work on the machine may hold the first choice);
# without ss, one that refuses a connection on 127.0.0.1.
port_free() {
  if command -v ss >/dev/null 2>&1; then [[ -z "$(ss -Htln "sport = :$1" 2>/dev/null)" ]]
  else ! timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; fi
}
# free_port <first> [<span>]: the first port from <first> (stepping by 1000) whose <span> ports
# (default 1) are all free.
free_port() {
  local p="$1" span="${2:-1}" i ok
  while ((p < 65000)); do
    ok=1
    for ((i = 0; i < span; i++)); do port_free $((p + i)) || ok=0; done
    ((ok)) && { echo "$p"; return 0; }
    p=$((p + 1000))
  done
  fail "no free port from $1"
}

anonymous_volumes() { docker volume ls -q | grep -E '^[0-9a-f]{64}$' | sort || true; }
project_containers() { docker ps -aq --filter "label=com.docker.compose.project=$PROJECT"; }

set_env_line() {
  if grep -q "^$1=" .env; then sed -i "s|^$1=.*|$1=$2|" .env; else printf '%s=%s\n' "$1" "$2" >>.env; fi
}

ENGINE_STARTED=0
BROKER_STARTED=0
cleanup() {
  local code=$?
  set +e
  if docker info >/dev/null 2>&1; then
    if ((code != 0)); then
      echo "--- last log lines of the deployment ---"
      "${COMPOSE[@]}" logs --no-color --tail 30 2>/dev/null | tail -80
      [[ -f .env ]] && grep -q '^KAFKA_BOOTSTRAP=.' .env &&
        "${COMPOSE[@]}" -f "$REMOTE_FILE" logs --no-color --tail 30 2>/dev/null | tail -60
    fi
    # Named volumes too: the next run starts from nothing. A loaded machine can make the engine
    # fail a stop ("is zombie and can not be killed"): try again.
    local attempt
    for attempt in 1 2 3; do
      [[ -f .env ]] && grep -q '^KAFKA_BOOTSTRAP=.' .env && "${COMPOSE[@]}" -f "$REMOTE_FILE" down -v >/dev/null 2>&1
      "${COMPOSE[@]}" down -v --remove-orphans >/dev/null 2>&1 && [[ -z "$(project_containers)" ]] && break
      sleep 5
    done
  fi
  if ((BROKER_STARTED)); then KAFKA_PORT="$REMOTE_PORT" bash scripts/kafka.sh stop >/dev/null 2>&1; fi
  rm -f .env
  [[ -f "$STATE_DIR/env.backup" ]] && mv "$STATE_DIR/env.backup" .env
  if ((ENGINE_STARTED)); then bash docker/e2e/engine.sh stop; fi
  echo
  echo "=== docker e2e: $([[ $code == 0 ]] && echo PASSED || echo "FAILED (exit $code)") in $((SECONDS - T_START)) s"
  local f
  for f in "${FIGURES[@]}"; do echo "  $f"; done
  exit "$code"
}
trap cleanup EXIT

# The steps, in one function: bash reads it whole before running it, so editing this file while a
# run is under way cannot change what that run does.
main() {

  # ------------------------------------------------------------------------------ 1. engine
  step "1. Docker engine"
  had_engine=0
  docker info >/dev/null 2>&1 && had_engine=1
  bash docker/e2e/engine.sh start
  ((had_engine)) || ENGINE_STARTED=1
  echo "  $(docker version --format 'client {{.Client.Version}}, engine {{.Server.Version}}' 2>/dev/null); compose: $(docker compose version --short 2>/dev/null || docker-compose version --short)"

  # ------------------------------------------------------------------------------ 2. base images
  step "2. base images without Docker Hub (docker/offline/build-base-images.sh)"
  [[ -f .env ]] && mv .env "$STATE_DIR/env.backup"
  cp .env.example .env
  HTTP_PORT="$(free_port "$PORT_BASE")"
  E1_PORT="$(free_port $((PORT_BASE + 1)))"
  E2_PORT="$(free_port $((PORT_BASE + 2)))"
  KAFKA_PORT_E2E="$(free_port $((PORT_BASE + 92)))"
  TCP_PORT="$(free_port $((PORT_BASE + 999)))"
  OCPP_PORT="$(free_port $((PORT_BASE + 900)))"
  REMOTE_PORT="$(free_port $((PORT_BASE + 192)) 2)"
  echo "  ports on 127.0.0.1: Central $HTTP_PORT, $TCP_PORT and OCPP $OCPP_PORT, engines $E1_PORT and $E2_PORT, Kafka $KAFKA_PORT_E2E; remote broker $REMOTE_PORT"
  set_env_line KAFKA_PORT "$KAFKA_PORT_E2E"
  set_env_line CENTRAL_HTTP_PORT "$HTTP_PORT"
  set_env_line CENTRAL_LISTEN_PORT "$TCP_PORT"
  set_env_line CENTRAL_OCPP_PORT "$OCPP_PORT"
  set_env_line CP_E_1_PORT "$E1_PORT"
  set_env_line CP_E_2_PORT "$E2_PORT"
  t0="$(now_ms)"
  bash docker/offline/build-base-images.sh --env-file .env
  figure "base images (Debian via debootstrap, Node, Kafka): $(secs $(($(now_ms) - t0)))"

  # A clean slate: nothing of an earlier run (containers, volumes: the driver's state).
  "${COMPOSE[@]}" down -v --remove-orphans >/dev/null 2>&1 || true
  ANON_BEFORE="$(anonymous_volumes)"

  # ------------------------------------------------------------------------------ 3. images, up
  step "3. make images, make up"
  kind="cold (no role image yet)"
  docker image inspect evcharging/central:latest >/dev/null 2>&1 && kind="after a source change"
  t0="$(now_ms)"
  make images >"$STATE_DIR/images.log" 2>&1 || { tail -40 "$STATE_DIR/images.log"; fail "make images"; }
  # Every step from the cache: nothing ran.
  grep -q '^ ---> Running in' "$STATE_DIR/images.log" || kind="warm (every layer cached)"
  figure "role images, $kind: $(secs $(($(now_ms) - t0))) (context $(grep -m1 -o 'Sending build context to Docker daemon *[0-9.]*[kMG]*B' "$STATE_DIR/images.log" | awk '{print $NF}'))"
  grep -q 'node_root_dir=/usr/local' "$STATE_DIR/images.log" && echo "  better-sqlite3 built against the image's Node headers (/usr/local)"
  t0="$(now_ms)"
  make up || fail "make up"
  figure "make up (images cached): $(secs $(($(now_ms) - t0)))"
  wait_healthy 240
  figure "make up to every service healthy: $(secs $(($(now_ms) - t0)))"
  # The images' NODE_OPTIONS reach the role processes: V8's heap limit in Central's container is
  # ~144 MiB above a bare node's there (64 MiB semi-spaces instead of 16).
  heap_limit='process.stdout.write(String(require("v8").getHeapStatistics().heap_size_limit))'
  central_id="$(container_of ev-central)"
  flagged="$(docker exec "$central_id" node -e "$heap_limit")"
  bare="$(docker exec -e NODE_OPTIONS= "$central_id" node -e "$heap_limit")"
  ((flagged - bare > 100 * 1024 * 1024)) || fail "NODE_OPTIONS not in effect in ev-central (heap limit $flagged vs bare $bare)"
  figure "ev-central runs Node with 64 MiB semi-spaces: heap limit +$(((flagged - bare) / 1048576)) MiB over a bare node"

  # ------------------------------------------------------------------------------ 4. driver, verify
  step "4. the driver's 10 requests; ./verify.sh; ./verify.sh --session"
  t0="$(now_ms)"
  wait_driver_line '10 of 10 requests completed' 420
  figure "driver: 10 of 10 requests completed $(secs $(($(now_ms) - t0))) after the services were healthy"
  deadline=$((SECONDS + 60))
  until [[ "$(service_status ev-driver)" == exited\|*\|0 ]]; do
    ((SECONDS < deadline)) || fail "ev-driver did not exit 0: $(service_status ev-driver)"
    sleep 1
  done
  ./verify.sh || fail "./verify.sh"
  t0="$(now_ms)"
  ./verify.sh --session || fail "./verify.sh --session"
  figure "./verify.sh --session: $(secs $(($(now_ms) - t0)))"

  # ------------------------------------------------------------------------------ 5. kill an engine
  step "5. docker kill an engine: FAULT at Central within 4 s; started: ACTIVATED"
  wait_state CP-001 ACTIVATED 30 "$(now_ms)" >/dev/null || fail "CP-001 not ACTIVATED before the kill"
  sleep 2 # a few probes and heartbeats of the live engine first
  id="$(container_of ev-cp-e-1)"
  docker kill "$id" >/dev/null
  t0="$(finished_ms "$id")"
  # On failure, the moment it died in the logs' own unit ("time" of the JSON lines, ms since the epoch).
  r="$(wait_state CP-001 FAULT 4 "$t0")" || fail "engine kill (the engine died at $t0 ms since the epoch)"
  read -r lo hi <<<"$r"
  figure "engine killed -> FAULT at Central: $(span "$lo" "$hi") after it died (limit 4 s)"
  t0="$(now_ms)"
  "${COMPOSE[@]}" start ev-cp-e-1
  r="$(wait_state CP-001 ACTIVATED 90 "$t0")" || fail "engine restart"
  read -r lo hi <<<"$r"
  figure "engine started again (docker/compose.sh start) -> ACTIVATED: $(secs "$hi")"

  # ------------------------------------------------------------------------------ 6. kill a monitor
  step "6. docker kill a monitor: DISCONNECTED within 6 s; started: ACTIVATED"
  id="$(container_of ev-cp-m-2)"
  wait_state CP-002 ACTIVATED 30 "$(now_ms)" >/dev/null || fail "CP-002 not ACTIVATED before the kill"
  docker kill "$id" >/dev/null
  t0="$(finished_ms "$id")"
  r="$(wait_state CP-002 DISCONNECTED 6 "$t0")" || fail "monitor kill (the monitor died at $t0 ms since the epoch)"
  read -r lo hi <<<"$r"
  figure "monitor killed -> DISCONNECTED at Central: $(span "$lo" "$hi") after it died (limit 6 s)"
  t0="$(now_ms)"
  "${COMPOSE[@]}" start ev-cp-m-2
  r="$(wait_state CP-002 ACTIVATED 90 "$t0")" || fail "monitor restart"
  read -r lo hi <<<"$r"
  figure "monitor started again (docker/compose.sh start) -> ACTIVATED: $(secs "$hi")"

  # ------------------------------------------------------------------------------ 7. KO switch
  step "7. make cp-ko CP=2: FAULT; make cp-recover CP=2: ACTIVATED"
  t0="$(now_ms)"
  make cp-ko CP=2 || fail "make cp-ko"
  r="$(wait_state CP-002 FAULT 20 "$t0")" || fail "KO signal"
  read -r lo hi <<<"$r"
  figure "make cp-ko -> FAULT at Central: $(secs "$hi") from the command (Compose's start-up included)"
  t0="$(now_ms)"
  make cp-recover CP=2 || fail "make cp-recover"
  r="$(wait_state CP-002 ACTIVATED 20 "$t0")" || fail "recover signal"
  read -r lo hi <<<"$r"
  figure "make cp-recover -> ACTIVATED: $(secs "$hi") from the command"

  # ------------------------------------------------------------------------------ 8. up again
  step "8. make up again: the driver starts cleanly on its state"
  since="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  t0="$(now_ms)"
  make up || fail "make up (again)"
  figure "make up again (warm): $(secs $(($(now_ms) - t0)))"
  wait_healthy 180
  id="$(container_of ev-driver)"
  deadline=$((SECONDS + 120))
  until docker logs --since "$since" "$id" 2>&1 | grep -q 'completed: .*(1 of 10)'; do
    s="$(service_status ev-driver)"
    [[ "$s" == exited\|* ]] && { docker logs --since "$since" "$id" 2>&1 | tail -5; fail "the driver exited on the second make up: $s"; }
    ((SECONDS < deadline)) || fail "the driver completed no request within 120 s of the second make up"
    sleep 2
  done
  if docker logs --since "$since" "$id" 2>&1 | grep -E '"level":(50|60)'; then fail "the driver logged errors on the second make up"; fi
  figure "second make up: the driver started on its state file and completed a request"

  # ------------------------------------------------------------------------------ 9. down
  step "9. make down: no container, no anonymous volume"
  make down || fail "make down"
  [[ -z "$(project_containers)" ]] || fail "containers left after make down: $(project_containers | tr '\n' ' ')"
  new_anon="$(comm -13 <(echo "$ANON_BEFORE") <(anonymous_volumes) | grep . || true)"
  [[ -z "$new_anon" ]] || fail "anonymous volumes left after make down: $new_anon"
  figure "make down: 0 containers, 0 anonymous volumes left"

  # ------------------------------------------------------------------------------ 10. remote Kafka
  step "10. the remote-Kafka variant against a separate broker"
  # The engine's own bridge gateway: an address of this machine that containers reach (never the
  # machine's outward address). The default bridge's IPAM may not name it; its interface has it.
  gateway="$(docker network inspect bridge --format '{{range .IPAM.Config}}{{.Gateway}}{{end}}')"
  if [[ -z "$gateway" ]]; then
    bridge_if="$(docker network inspect bridge --format '{{index .Options "com.docker.network.bridge.name"}}')"
    gateway="$(ip -4 -o addr show dev "${bridge_if:-docker0}" 2>/dev/null | awk '{print $4}' | cut -d/ -f1 | head -1)"
  fi
  [[ -n "$gateway" ]] || fail "no gateway address on the Docker bridge"
  KAFKA_PORT="$REMOTE_PORT" KAFKA_LISTEN_HOST="$gateway" KAFKA_ADVERTISED_HOST="$gateway" \
    KAFKA_START_TIMEOUT=180 bash scripts/kafka.sh start
  BROKER_STARTED=1
  set_env_line KAFKA_BOOTSTRAP "$gateway:$REMOTE_PORT"
  t0="$(now_ms)"
  make remote-kafka || fail "make remote-kafka"
  wait_healthy 240 -f "$REMOTE_FILE"
  figure "make remote-kafka (broker $gateway:$REMOTE_PORT) to every service healthy: $(secs $(($(now_ms) - t0)))"
  ./verify.sh --remote || fail "./verify.sh --remote"
  # The driver keeps its state volume across both files (one project): it may resume mid-list.
  wait_driver_line 'completed: .*\([0-9]+ of 10\)' 120 -f "$REMOTE_FILE"
  figure "remote Kafka: ./verify.sh --remote passed; the driver completed a request over $gateway:$REMOTE_PORT"
  make down || fail "make down (remote)"
  [[ -z "$(project_containers)" ]] || fail "containers left after make down: $(project_containers | tr '\n' ' ')"
  new_anon="$(comm -13 <(echo "$ANON_BEFORE") <(anonymous_volumes) | grep . || true)"
  [[ -z "$new_anon" ]] || fail "anonymous volumes left after make down: $new_anon"
  figure "make down after the remote variant: 0 containers, 0 anonymous volumes left"

  step "11. clean up"
}

# On one line, read before it runs: nothing after it is read from the file.
main "$@"; exit $?
