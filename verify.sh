#!/usr/bin/env bash
# verify.sh — checks a running deployment: the compose one (Docker) or local-run (processes).
#
# Usage: ./verify.sh [--compose | --local] [--session] [-h]
#   --compose   check `docker compose` services (needs a running Docker engine)
#   --local     check `pnpm local-run` processes (pid files and logs under LOCAL_RUN_DIR)
#               (default: --local when local-run has a run in LOCAL_RUN_DIR, else --compose)
#   --session   also run one charging session end to end (a one-request driver) and expect a ticket
#
# Checks: services/processes, ports, Kafka topics, Central's /health, the CPs Central lists
# (GET /cp), errors in the logs, and optionally a session. Exit 0 when every check passed, 1 if any
# failed, 2 on a usage error.
#
# Environment: LOCAL_RUN_DIR (default .local-run), EXPECTED_CPS (default "CP-001 CP-002"),
# CENTRAL_HOST (default localhost), CENTRAL_HTTP_PORT / CENTRAL_LISTEN_PORT / KAFKA_PORT (compose,
# defaults 8000 / 9999 / 9092; read from .env when present), VERIFY_SESSION_TIMEOUT (s, default 90).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"

MODE=""
SESSION=0
for arg in "$@"; do
  case "$arg" in
    --compose) MODE=compose ;;
    --local) MODE=local ;;
    --session) SESSION=1 ;;
    -h | --help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
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
  if port_open 127.0.0.1 "$CENTRAL_HTTP_PORT"; then pass "Central HTTP $CENTRAL_HTTP_PORT"; else fail "Central HTTP $CENTRAL_HTTP_PORT closed"; fi
  if port_open 127.0.0.1 "$CENTRAL_LISTEN_PORT"; then pass "Central TCP control plane $CENTRAL_LISTEN_PORT"; else fail "Central TCP $CENTRAL_LISTEN_PORT closed"; fi
  local port answer
  for port in $ENGINE_PORTS; do
    answer="$(ping_engine 127.0.0.1 "$port")"
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

  check_health_and_cps "http://127.0.0.1:$CENTRAL_HTTP_PORT"

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
    if ! cp="$(free_cp "http://127.0.0.1:$CENTRAL_HTTP_PORT")"; then
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

verify_compose() {
  if ! docker_engine; then
    echo "verify.sh: --compose needs a running Docker engine ('docker info' fails here)." >&2
    echo "           Without Docker, run the same topology as processes: pnpm local-run && ./verify.sh --local" >&2
    exit 1
  fi
  if [[ -f .env ]]; then set -a; . ./.env; set +a; fi
  local host="${CENTRAL_HOST:-localhost}"
  local http_port="${CENTRAL_HTTP_PORT:-8000}" tcp_port="${CENTRAL_LISTEN_PORT:-9999}"
  echo "${BOLD}Verifying the compose deployment${RESET} ($(docker compose version --short 2>/dev/null || echo compose))"

  section "Services"
  local ps svc state
  ps="$(docker compose ps --all --format '{{.Service}} {{.State}} {{.Health}} {{.ExitCode}}' 2>/dev/null)"
  for svc in kafka ev-central ev-cp-e-1 ev-cp-e-2 ev-cp-m-1 ev-cp-m-2; do
    state="$(awk -v s="$svc" '$1 == s {print $2, $3}' <<<"$ps")"
    case "$state" in
      "running healthy" | "running ") pass "$svc $state" ;;
      "") fail "$svc is not deployed" ;;
      *) fail "$svc is $state" ;;
    esac
  done
  state="$(awk '$1 == "ev-driver" {print $2, $NF}' <<<"$ps")"
  case "$state" in
    running*) pass "ev-driver running" ;;
    "exited 0") pass "ev-driver finished its requests (exit 0)" ;;
    "") note "ev-driver is not deployed" ;;
    *) fail "ev-driver: $state" ;;
  esac

  section "Ports"
  local p
  for p in "${KAFKA_PORT:-9092}:Kafka" "$http_port:Central HTTP" "$tcp_port:Central TCP" "8001:CP engine 1" "8002:CP engine 2"; do
    if port_open "$host" "${p%%:*}"; then pass "${p#*:} ${p%%:*}"; else fail "${p#*:} ${p%%:*} closed on $host"; fi
  done

  section "Kafka topics"
  local list
  local prefix="${KAFKA_TOPIC_PREFIX:-}"
  if list="$(docker compose exec -T kafka /opt/kafka/bin/kafka-topics.sh --bootstrap-server localhost:9092 --list 2>/dev/null)"; then
    check_topics "$(sed -n "s/^${prefix//./\\.}//p" <<<"$list")" "$prefix"
  else
    fail "could not list topics in the kafka container"
  fi

  check_health_and_cps "http://$host:$http_port"

  section "Errors in the logs (docker compose logs)"
  local errors
  errors="$(docker compose logs --no-color --no-log-prefix ev-central ev-cp-e-1 ev-cp-e-2 ev-cp-m-1 ev-cp-m-2 ev-driver 2>/dev/null | grep -E '"level":(50|60)' || true)"
  if [[ -z "$errors" ]]; then pass "no error or fatal lines"
  else
    fail "$(wc -l <<<"$errors" | tr -d ' ') error line(s):"
    head -5 <<<"$errors" | cut -c1-300 | sed 's/^/      /'
  fi

  if ((SESSION)); then
    section "Session test (one request, a driver of its own)"
    local cp tmp code
    if ! cp="$(free_cp "http://$host:$http_port")"; then fail "no CP became ACTIVATED within 30 s"; return; fi
    tmp="$(mktemp -d)"
    printf '%s duration=3\n' "$cp" >"$tmp/requests.txt"
    chmod 755 "$tmp" && chmod 644 "$tmp/requests.txt"
    docker compose run --rm -T -v "$tmp:/verify:ro" -e DRIVER_DRIVER_ID="verify-$$" \
      -e DRIVER_REQUESTS_FILE=/verify/requests.txt -e DRIVER_REQUEST_INTERVAL=0 ev-driver >"$tmp/driver.log" 2>&1
    code=$?
    if ((code == 0)) && grep -q "$cp completed" "$tmp/driver.log"; then pass "a session on $cp completed with a ticket"
    else fail "the session on $cp did not complete (exit $code); log: $tmp/driver.log"; fi
  fi
}

# ------------------------------------------------------------------------------------ main

if [[ -z "$MODE" ]]; then
  if [[ -f "$LOCAL_RUN_DIR/local-run.env" ]]; then MODE=local
  elif docker_engine; then MODE=compose
  else
    echo "verify.sh: nothing to verify: no local run in $LOCAL_RUN_DIR and no Docker engine." >&2
    echo "           Start one: pnpm local-run (processes) or docker compose up -d (needs Docker)." >&2
    exit 1
  fi
fi

if [[ "$MODE" == local ]]; then verify_local; else verify_compose; fi

echo
if ((FAILURES == 0)); then
  echo "${GREEN}${BOLD}All $PASSES checks passed.${RESET}"
  exit 0
fi
echo "${RED}${BOLD}$FAILURES of $((PASSES + FAILURES)) checks failed.${RESET}"
exit 1
