#!/usr/bin/env bash
# verify.sh — checks a running deployment: the compose one (Docker), the remote-Kafka compose one,
# or local-run (processes).
#
# Usage: ./verify.sh [--compose | --remote | --local] [--session] [-h]
#   --compose   the services of docker-compose.yml (needs a running Docker engine)
#   --remote    the services of docker-compose.remote-kafka.yml deployed on this machine (all of them,
#               or a lab machine's share), against KAFKA_BOOTSTRAP
#   --local     `pnpm local-run` processes (pid files and logs under LOCAL_RUN_DIR)
#               (default: --local when local-run has a run in LOCAL_RUN_DIR, else --compose when
#               the compose project has a kafka container, else --remote)
#   --session   also run one charging session end to end (a one-request driver) and expect a ticket
#
# Checks: services/processes, ports, Kafka topics, Central's /health, the CPs Central lists
# (GET /cp), errors in the logs, and optionally a session. Exit 0 when every check passed, 1 if any
# failed, 2 on a usage error. Works with Compose v2 and v1 (docker/compose.sh picks one).
#
# Environment (compose modes read .env too; the environment wins, as in compose): VERIFY_HOST
# (where the published ports are reached, default 127.0.0.1), CENTRAL_HTTP_PORT / CENTRAL_LISTEN_PORT
# / KAFKA_PORT / CP_E_1_PORT / CP_E_2_PORT (defaults 8000 / 9999 / 9092 / 8001 / 8002),
# KAFKA_BOOTSTRAP and CENTRAL_HOST (--remote), LOCAL_RUN_DIR (default .local-run), EXPECTED_CPS
# (default "CP-001 CP-002"), VERIFY_SESSION_TIMEOUT (s, default 90).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"

MODE=""
SESSION=0
for arg in "$@"; do
  case "$arg" in
    --compose) MODE=compose ;;
    --remote) MODE=remote ;;
    --local) MODE=local ;;
    --session) SESSION=1 ;;
    -h | --help) sed -n '2,/^set -uo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "verify.sh: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

if [[ -t 1 ]]; then GREEN=$'\e[32m'; RED=$'\e[31m'; YELLOW=$'\e[33m'; BOLD=$'\e[1m'; RESET=$'\e[0m'
else GREEN=""; RED=""; YELLOW=""; BOLD=""; RESET=""; fi
FAILURES=0
PASSES=0
pass() { PASSES=$((PASSES + 1)); echo "  ${GREEN}✓${RESET} $*"; }
fail() { FAILURES=$((FAILURES + 1)); echo "  ${RED}✗${RESET} $*"; }
note() { echo "  ${YELLOW}·${RESET} $*"; }
section() { echo; echo "${BOLD}$*${RESET}"; }

EXPECTED_CPS="${EXPECTED_CPS:-CP-001 CP-002}"
EXPECTED_TOPICS="central.commands cp.status cp.telemetry cp.session_end driver.requests driver.updates"
LOCAL_RUN_DIR="${LOCAL_RUN_DIR:-.local-run}"
[[ "$LOCAL_RUN_DIR" = /* ]] || LOCAL_RUN_DIR="$ROOT/$LOCAL_RUN_DIR"
NODE_SRC=(node --conditions=@evcharging/source --import tsx)

# ------------------------------------------------------------------------------------ helpers

# port_open host port: a TCP connect within 2 s (bash's /dev/tcp: no nc needed).
port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }

# ping_engine host port: the monitor's probe, PING -> OK:<STATE> or KO:<reason>.
ping_engine() {
  timeout 3 bash -c "exec 3<>/dev/tcp/$1/$2; printf 'PING\n' >&3; IFS= read -r -t 2 line <&3; printf '%s' \"\${line%\$'\r'}\"" 2>/dev/null
}

http_get() {
  if command -v curl >/dev/null 2>&1; then
    curl -fsS --max-time 5 "$1" 2>/dev/null
  else
    node -e 'fetch(process.argv[1],{signal:AbortSignal.timeout(5000)}).then(async r=>{if(!r.ok)process.exit(1);process.stdout.write(await r.text())}).catch(()=>process.exit(1))' "$1"
  fi
}

# is_role_pid pid role: the pid runs and is that role's node process (not a reused pid).
is_role_pid() {
  local pid="$1" role="$2"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  if [[ -r "/proc/$pid/cmdline" ]]; then
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "/$role\." || return 1
    ! grep -qE '^[0-9]+ \(.*\) Z ' "/proc/$pid/stat" 2>/dev/null
  fi
}

docker_engine() { command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; }

check_health_and_cps() {
  local base="$1"
  section "Central /health ($base/health)"
  local health
  if health="$(http_get "$base/health")" && grep -q '"status":"healthy"' <<<"$health"; then
    pass "healthy: $(grep -o '"cps":[0-9]*\|"store":"[a-z]*"\|"uptime_s":[0-9]*' <<<"$health" | tr '\n' ' ')"
  else
    fail "no healthy answer from $base/health"
  fi

  section "Charging points at Central (GET $base/cp)"
  local cps count state
  if ! cps="$(http_get "$base/cp")"; then
    fail "no answer from $base/cp"
    return
  fi
  count="$(grep -o '"cp_id":"[^"]*"' <<<"$cps" | wc -l | tr -d ' ')"
  local expected
  expected="$(wc -w <<<"$EXPECTED_CPS" | tr -d ' ')"
  if ((count >= expected)); then pass "Central lists $count CP(s) (expected at least $expected)"
  else fail "Central lists $count CP(s), expected at least $expected ($EXPECTED_CPS)"; fi
  for cp in $EXPECTED_CPS; do
    # GET /cp/{id} answers 404 for an unknown CP.
    state="$(http_get "$base/cp/$cp" | grep -o '"state":"[A-Z]*"' | head -1 | cut -d'"' -f4)"
    case "$state" in
      ACTIVATED | SUPPLYING) pass "$cp is $state" ;;
      "") fail "$cp is unknown to Central" ;;
      *) fail "$cp is $state (expected ACTIVATED or SUPPLYING)" ;;
    esac
  done
}

check_topics() {
  local list="$1" prefix="$2"
  for t in $EXPECTED_TOPICS; do
    if grep -qx "$t" <<<"$list"; then pass "topic ${prefix}$t"; else fail "topic ${prefix}$t is missing"; fi
  done
}

# free_cp base: a CP Central shows ACTIVATED, for the session test.
free_cp() {
  local base="$1" cp state
  for _ in $(seq 1 30); do
    for cp in $EXPECTED_CPS; do
      state="$(http_get "$base/cp/$cp" | grep -o '"state":"[A-Z]*"' | head -1 | cut -d'"' -f4)"
      [[ "$state" == ACTIVATED ]] && { echo "$cp"; return 0; }
    done
    sleep 1
  done
  return 1
}

# ------------------------------------------------------------------------------------ local-run

verify_local() {
  local envfile="$LOCAL_RUN_DIR/local-run.env"
  if [[ ! -f "$envfile" ]]; then
    echo "verify.sh: no local run in $LOCAL_RUN_DIR (start one with: pnpm local-run)" >&2
    exit 1
  fi
  # shellcheck disable=SC1090
  source "$envfile"
  local host="${LOCAL_HOST:-127.0.0.1}"
  echo "${BOLD}Verifying local-run in $LOCAL_RUN_DIR${RESET} (Kafka $KAFKA_BOOTSTRAP, prefix '${KAFKA_TOPIC_PREFIX}')"

  section "Processes"
  local entry name role pid
  for entry in $PROCESSES; do
    name="${entry%%:*}"
    role="${entry##*:}"
    pid="$(cat "$LOCAL_RUN_DIR/$name.pid" 2>/dev/null || true)"
    if is_role_pid "$pid" "$role"; then
      pass "$name running (pid $pid)"
    elif [[ "$role" == driver ]] && grep -q '"pending":\[\]' "$DRIVER_STATE_FILE" 2>/dev/null; then
      pass "$name finished its requests ($(grep -o '"status":"completed"' "$DRIVER_STATE_FILE" | wc -l | tr -d ' ') completed)"
    else
      fail "$name is not running (pid file: ${pid:-none}; log: $LOCAL_RUN_DIR/$name.log)"
    fi
  done

  section "Ports"
  local kafka_host="${KAFKA_BOOTSTRAP%%,*}"
  if port_open "${kafka_host%:*}" "${kafka_host##*:}"; then pass "Kafka $kafka_host"; else fail "Kafka $kafka_host refuses connections"; fi
  if port_open "$host" "$CENTRAL_HTTP_PORT"; then pass "Central HTTP $CENTRAL_HTTP_PORT"; else fail "Central HTTP $CENTRAL_HTTP_PORT closed"; fi
  if port_open "$host" "$CENTRAL_LISTEN_PORT"; then pass "Central TCP control plane $CENTRAL_LISTEN_PORT"; else fail "Central TCP $CENTRAL_LISTEN_PORT closed"; fi
  local port answer
  for port in $ENGINE_PORTS; do
    answer="$(ping_engine "$host" "$port")"
    if [[ "$answer" == OK:* ]]; then pass "engine health $port answers $answer"; else fail "engine health $port answers '${answer:-nothing}'"; fi
  done

  section "Kafka topics"
  local list
  local cmd=("${NODE_SRC[@]}" examples/compose/src/kafka-topics.ts)
  [[ "${LOCAL_RUN_MODE:-source}" == dist ]] && cmd=(node examples/compose/dist/kafka-topics.js)
  if list="$("${cmd[@]}" --bootstrap "$KAFKA_BOOTSTRAP" --prefix "$KAFKA_TOPIC_PREFIX")"; then
    check_topics "$list" "$KAFKA_TOPIC_PREFIX"
  else
    fail "could not list the topics of $KAFKA_BOOTSTRAP"
  fi

  check_health_and_cps "http://$host:$CENTRAL_HTTP_PORT"

  section "Errors in the logs ($LOCAL_RUN_DIR/*.log)"
  local errors
  # pino levels: 50 error, 60 fatal.
  errors="$(grep -H -E '"level":(50|60)' "$LOCAL_RUN_DIR"/*.log 2>/dev/null || true)"
  if [[ -z "$errors" ]]; then pass "no error or fatal lines"
  else
    fail "$(wc -l <<<"$errors" | tr -d ' ') error line(s):"
    head -5 <<<"$errors" | cut -c1-300 | sed 's/^/      /'
  fi

  if ((SESSION)); then
    section "Session test (one request, a driver of its own)"
    local cp tmp driver_id code
    if ! cp="$(free_cp "http://$host:$CENTRAL_HTTP_PORT")"; then
      fail "no CP became ACTIVATED within 30 s"
      return
    fi
    tmp="$(mktemp -d)"
    driver_id="verify-$$"
    printf '%s duration=3\n' "$cp" >"$tmp/requests.txt"
    local dcmd=("${NODE_SRC[@]}" examples/compose/src/driver.ts)
    [[ "${LOCAL_RUN_MODE:-source}" == dist ]] && dcmd=(node examples/compose/dist/driver.js)
    KAFKA_BOOTSTRAP="$KAFKA_BOOTSTRAP" KAFKA_TOPIC_PREFIX="$KAFKA_TOPIC_PREFIX" \
      DRIVER_DRIVER_ID="$driver_id" DRIVER_REQUESTS_FILE="$tmp/requests.txt" DRIVER_REQUEST_INTERVAL=0 \
      DRIVER_LOG_LEVEL=INFO timeout "${VERIFY_SESSION_TIMEOUT:-90}" "${dcmd[@]}" >"$tmp/driver.log" 2>&1
    code=$?
    if ((code == 0)) && grep -q "$cp completed" "$tmp/driver.log"; then
      pass "$(grep -o "\"msg\":\"$cp completed[^\"]*\"" "$tmp/driver.log" | cut -d'"' -f4)"
    else
      fail "the session on $cp did not complete (driver exit $code); its log: $tmp/driver.log"
      tail -3 "$tmp/driver.log" | cut -c1-300 | sed 's/^/      /'
      return
    fi
    rm -rf "$tmp"
  fi
}

# ------------------------------------------------------------------------------------ compose

COMPOSE=("$ROOT/docker/compose.sh")
REMOTE_FILE=docker-compose.remote-kafka.yml

# load_dotenv: the repository's .env, as compose reads it.
source scripts/dotenv.sh

# service|oneoff|status|health|exit code of every container of the project (v1 and v2 alike).
compose_containers() {
  local ids
  ids="$("${COMPOSE[@]}" "$@" ps -a -q 2>/dev/null)" || return 1
  [[ -n "$ids" ]] || return 0
  # shellcheck disable=SC2086  # one id a word
  docker inspect --format '{{index .Config.Labels "com.docker.compose.service"}}|{{index .Config.Labels "com.docker.compose.oneoff"}}|{{.State.Status}}|{{if .State.Health}}{{.State.Health.Status}}{{end}}|{{.State.ExitCode}}' $ids 2>/dev/null |
    awk -F'|' '$2 != "True"'
}

# check_services <remote 0|1> <container lines>: each long-running service up (and healthy when it
# has a healthcheck), the driver running or done with exit 0. Remote: services not deployed on this
# machine are noted, not failed (a lab machine runs its share).
check_services() {
  local remote="$1" containers="$2" svc line status health code deployed=0
  section "Services"
  local services="kafka ev-central ev-cp-e-1 ev-cp-e-2 ev-cp-m-1 ev-cp-m-2"
  ((remote)) && services="${services#kafka }"
  for svc in $services; do
    line="$(awk -F'|' -v s="$svc" '$1 == s' <<<"$containers" | head -1)"
    if [[ -z "$line" ]]; then
      if ((remote)); then note "$svc is not deployed on this machine"; else fail "$svc is not deployed"; fi
      continue
    fi
    deployed=$((deployed + 1))
    IFS='|' read -r _ _ status health code <<<"$line"
    case "$status/$health" in
      running/healthy | running/) pass "$svc running${health:+ ($health)}" ;;
      *) fail "$svc is $status${health:+ ($health)}${code:+, exit code $code}" ;;
    esac
  done
  line="$(awk -F'|' '$1 == "ev-driver"' <<<"$containers" | head -1)"
  if [[ -z "$line" ]]; then note "ev-driver is not deployed"
  else
    deployed=$((deployed + 1))
    IFS='|' read -r _ _ status health code <<<"$line"
    case "$status/$code" in
      running/*) pass "ev-driver running" ;;
      exited/0) pass "ev-driver finished its requests (exit 0)" ;;
      *) fail "ev-driver is $status (exit code $code)" ;;
    esac
  fi
  ((deployed > 0)) || fail "no service of the deployment runs on this machine"
}

# deployed <service> <container lines>: whether this machine runs that service.
deployed() { awk -F'|' -v s="$1" '$1 == s { found = 1 } END { exit !found }' <<<"$2"; }

verify_compose() {
  local remote="$1" files=() label="the compose deployment"
  if ! docker_engine; then
    echo "verify.sh: --$MODE needs a running Docker engine ('docker info' fails here)." >&2
    echo "           Without Docker, run the same topology as processes: pnpm local-run && ./verify.sh --local" >&2
    exit 1
  fi
  load_dotenv
  if ((remote)); then
    if [[ -z "${KAFKA_BOOTSTRAP:-}" ]]; then
      echo "verify.sh: --remote needs KAFKA_BOOTSTRAP (the broker the deployment uses), in the environment or .env" >&2
      exit 1
    fi
    files=(-f "$REMOTE_FILE")
    label="the remote-Kafka compose deployment (Kafka $KAFKA_BOOTSTRAP)"
  fi
  local host="${VERIFY_HOST:-127.0.0.1}"
  local http_port="${CENTRAL_HTTP_PORT:-8000}" tcp_port="${CENTRAL_LISTEN_PORT:-9999}"
  local prefix="${KAFKA_TOPIC_PREFIX:-}"
  echo "${BOLD}Verifying $label${RESET} (project ${COMPOSE_PROJECT_NAME:-ev-charging-simulation}, published ports on $host)"

  local containers
  if ! containers="$(compose_containers "${files[@]}")"; then
    fail "compose could not list the deployment's containers (${COMPOSE[*]} ${files[*]} ps)"
    return
  fi
  check_services "$remote" "$containers"

  section "Ports"
  local p
  if ((remote)); then
    local broker="${KAFKA_BOOTSTRAP%%,*}"
    if port_open "${broker%:*}" "${broker##*:}"; then pass "Kafka $broker"; else fail "Kafka $broker refuses connections"; fi
  elif port_open "$host" "${KAFKA_PORT:-9092}"; then pass "Kafka ${KAFKA_PORT:-9092}"
  else fail "Kafka ${KAFKA_PORT:-9092} closed on $host"; fi
  if deployed ev-central "$containers"; then
    for p in "$http_port:Central HTTP" "$tcp_port:Central TCP control plane"; do
      if port_open "$host" "${p%%:*}"; then pass "${p#*:} ${p%%:*}"; else fail "${p#*:} ${p%%:*} closed on $host"; fi
    done
  fi
  local n answer port
  for n in 1 2; do
    deployed "ev-cp-e-$n" "$containers" || continue
    port="CP_E_${n}_PORT"
    port="${!port:-800$n}"
    answer="$(ping_engine "$host" "$port")"
    if [[ "$answer" == OK:* ]]; then pass "engine health $port answers $answer"; else fail "engine health $port answers '${answer:-nothing}'"; fi
  done

  section "Kafka topics"
  local list svc=""
  if ((remote)); then
    # Through a role container: it has the topic lister and sees the broker as the roles do.
    for svc in ev-central ev-cp-e-1 ev-cp-e-2 ev-driver ev-cp-m-1 ev-cp-m-2; do
      awk -F'|' -v s="$svc" '$1 == s && $3 == "running" { found = 1 } END { exit !found }' <<<"$containers" && break
      svc=""
    done
    if [[ -z "$svc" ]]; then fail "no running role container to list the topics from"
    elif list="$("${COMPOSE[@]}" "${files[@]}" exec -T "$svc" node /app/dist/kafka-topics.js --bootstrap "$KAFKA_BOOTSTRAP" --prefix "$prefix" 2>/dev/null)"; then
      check_topics "$list" "$prefix"
    else
      fail "could not list the topics of $KAFKA_BOOTSTRAP from $svc"
    fi
  # Kafka's own tool, through the internal listener: its advertised address (kafka:29092) resolves
  # inside the container whatever port the host publishes.
  elif list="$("${COMPOSE[@]}" exec -T kafka /opt/kafka/bin/kafka-topics.sh --bootstrap-server kafka:29092 --list 2>/dev/null)"; then
    check_topics "$(sed -n "s/^${prefix//./\\.}//p" <<<"$list")" "$prefix"
  else
    fail "could not list the topics in the kafka container"
  fi

  local central
  if deployed ev-central "$containers"; then central="http://$host:$http_port"
  elif [[ -n "${CENTRAL_HOST:-}" && "$CENTRAL_HOST" != ev-central ]]; then
    central="http://$CENTRAL_HOST:${CP_MONITOR_CENTRAL_PORT:-8000}"
  fi
  if [[ -n "${central:-}" ]]; then check_health_and_cps "$central"
  else
    section "Central"
    fail "Central runs elsewhere: set CENTRAL_HOST (and CP_MONITOR_CENTRAL_PORT) to reach it"
  fi

  section "Errors in the logs (compose logs)"
  local errors
  errors="$("${COMPOSE[@]}" "${files[@]}" logs --no-color ev-central ev-cp-e-1 ev-cp-e-2 ev-cp-m-1 ev-cp-m-2 ev-driver 2>/dev/null | grep -E '"level":(50|60)' || true)"
  if [[ -z "$errors" ]]; then pass "no error or fatal lines"
  else
    fail "$(wc -l <<<"$errors" | tr -d ' ') error line(s):"
    head -5 <<<"$errors" | cut -c1-300 | sed 's/^/      /'
  fi

  if ((SESSION)); then
    section "Session test (one request, a driver of its own)"
    if [[ -z "${central:-}" ]]; then fail "no Central to follow the session at"; return; fi
    local cp tmp code
    if ! cp="$(free_cp "$central")"; then fail "no CP became ACTIVATED within 30 s"; return; fi
    tmp="$(mktemp -d)"
    printf '%s duration=3\n' "$cp" >"$tmp/requests.txt"
    chmod 755 "$tmp" && chmod 644 "$tmp/requests.txt"
    # A one-off container of the driver's image with a driver id and a state file of its own (in
    # its tmpfs): the deployment's driver and its state volume are left as they were.
    timeout "${VERIFY_SESSION_TIMEOUT:-90}" "${COMPOSE[@]}" "${files[@]}" run --rm -T --no-deps \
      -v "$tmp:/verify:ro" -e DRIVER_DRIVER_ID="verify-$$" -e DRIVER_REQUESTS_FILE=/verify/requests.txt \
      -e DRIVER_STATE_FILE=/tmp/verify-driver.state.json -e DRIVER_REQUEST_INTERVAL=0 \
      -e DRIVER_START_DELAY=0 ev-driver >"$tmp/driver.log" 2>&1
    code=$?
    if ((code == 0)) && grep -q "$cp completed" "$tmp/driver.log"; then
      pass "$(grep -o "\"msg\":\"$cp completed[^\"]*\"" "$tmp/driver.log" | cut -d'"' -f4)"
      rm -rf "$tmp"
    else
      fail "the session on $cp did not complete (exit $code); log: $tmp/driver.log"
      tail -3 "$tmp/driver.log" | cut -c1-300 | sed 's/^/      /'
    fi
  fi
}

# ------------------------------------------------------------------------------------ main

if [[ -z "$MODE" ]]; then
  if [[ -f "$LOCAL_RUN_DIR/local-run.env" ]]; then MODE=local
  elif docker_engine; then
    # The full file's kafka service says which compose deployment this is.
    if [[ -n "$("${COMPOSE[@]}" ps -a -q kafka 2>/dev/null)" ]]; then MODE=compose; else MODE=remote; fi
  else
    echo "verify.sh: nothing to verify: no local run in $LOCAL_RUN_DIR and no Docker engine." >&2
    echo "           Start one: pnpm local-run (processes) or make up (needs Docker)." >&2
    exit 1
  fi
fi

case "$MODE" in
  local) verify_local ;;
  compose) verify_compose 0 ;;
  remote) verify_compose 1 ;;
esac

echo
if ((FAILURES == 0)); then
  echo "${GREEN}${BOLD}All $PASSES checks passed.${RESET}"
  exit 0
fi
echo "${RED}${BOLD}$FAILURES of $((PASSES + FAILURES)) checks failed.${RESET}"
exit 1
