#!/usr/bin/env bash
# scripts/kafka.sh — run a real single-node Apache Kafka broker (KRaft, broker+controller
# combined; loopback only unless KAFKA_LISTEN_HOST says otherwise) without Docker, from Maven
# Central artifacts.
#
# Usage:
#   scripts/kafka.sh start     start the broker in the background; returns once it answers a
#                              metadata request (idempotent: already running -> exit 0)
#   scripts/kafka.sh stop      stop the broker this script started on KAFKA_PORT (TERM, then KILL
#                              after KAFKA_STOP_TIMEOUT s; idempotent)
#   scripts/kafka.sh restart   stop, then start
#   scripts/kafka.sh status    print running/stopped with pid and port; exit 0 running, 3 stopped
#   scripts/kafka.sh logs      tail the broker log (KAFKA_LOG_LINES lines; -f to follow)
#   scripts/kafka.sh path      resolve the jars if needed, print the libs directory on stdout,
#                              e.g. java -cp "$(scripts/kafka.sh path)/*" org.apache.kafka.tools.TopicCommand ...
#   scripts/kafka.sh config    print the server.properties a start would write (passwords masked)
#
# Environment (all optional):
#   KAFKA_PORT             client (PLAINTEXT) port, default 9092; bootstrap = 127.0.0.1:$KAFKA_PORT
#   KAFKA_LISTEN_HOST      interface of the client listeners, default 127.0.0.1 (this machine only);
#                          0.0.0.0 (every interface) or one address lets other machines connect
#                          (lab machines without Docker). The controller stays on 127.0.0.1.
#   KAFKA_ADVERTISED_HOST  the address clients are told to use; default KAFKA_LISTEN_HOST, required
#                          with 0.0.0.0 (the address other machines reach this one at)
#   KAFKA_CONTROLLER_PORT  KRaft controller port, default KAFKA_PORT+1 (so run two brokers on
#                          ports at least 2 apart, e.g. 9092 and 9094)
#   KAFKA_HOME_DIR         cache + data dir, default <repo>/.kafka (git-ignored)
#   KAFKA_VERSION          org.apache.kafka:kafka_2.13 version, default 4.4.0 (4.x needs Java 17+)
#   KAFKA_START_TIMEOUT    seconds to wait for the broker to answer, default 90
#   KAFKA_STOP_TIMEOUT     seconds to wait after SIGTERM before SIGKILL, default 30
#   KAFKA_HEAP_OPTS        default "-Xms256m -Xmx512m"
#   KAFKA_JAVA_OPTS        extra JVM options for the broker
#   KAFKA_LOG_LEVEL        slf4j-simple default level, default info
#
# Opt-in SASL (off by default; nothing changes without KAFKA_SASL):
#   KAFKA_SASL             mechanisms for an extra SASL_PLAINTEXT listener, comma-separated:
#                          plain, scram-sha-256, scram-sha-512, scram (= both SCRAM), e.g. "plain"
#   KAFKA_SASL_PORT        its port, default KAFKA_PORT+2
#   KAFKA_SASL_USERNAME    the one client user, default evcharging
#   KAFKA_SASL_PASSWORD    its password (required with KAFKA_SASL; no default). PLAIN users live in
#                          the listener's JAAS config; SCRAM credentials are stored in the cluster
#                          metadata at format time (or updated with kafka-configs when they change)
#   The PLAINTEXT listener stays on loopback for the broker itself and for tools; give clients
#   only the SASL port. Example:
#     KAFKA_PORT=19492 KAFKA_SASL=plain,scram KAFKA_SASL_PASSWORD=s3cret scripts/kafka.sh start
#     -> PLAINTEXT 127.0.0.1:19492, SASL 127.0.0.1:19494 (user evcharging)
#
# Layout under KAFKA_HOME_DIR:
#   libs-<version>/             runtime jars (shared by all ports; reused on warm starts)
#   broker-<port>/server.properties, cluster.id, kafka.pid, kafka.log, data/ (log.dirs)
#
# Needs: java (17+) always; mvn only when the jar cache for KAFKA_VERSION is cold.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"

KAFKA_VERSION="${KAFKA_VERSION:-4.4.0}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_HOME_DIR="${KAFKA_HOME_DIR:-$REPO_ROOT/.kafka}"
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
KAFKA_STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
KAFKA_JAVA_OPTS="${KAFKA_JAVA_OPTS:-}"
KAFKA_LOG_LEVEL="${KAFKA_LOG_LEVEL:-info}"
KAFKA_LOG_LINES="${KAFKA_LOG_LINES:-100}"
MVN_DEPENDENCY_PLUGIN_VERSION="3.8.1"

die() { echo "kafka.sh: error: $*" >&2; exit 1; }
info() { echo "kafka.sh: $*" >&2; }

is_port() { [[ "$1" =~ ^[0-9]+$ ]] && (( "$1" > 0 && "$1" < 65536 )); }
is_port "$KAFKA_PORT" || die "KAFKA_PORT must be a TCP port number, got '$KAFKA_PORT'"
KAFKA_LISTEN_HOST="${KAFKA_LISTEN_HOST:-127.0.0.1}"
[[ "$KAFKA_LISTEN_HOST" =~ ^[A-Za-z0-9.:-]+$ ]] || die "KAFKA_LISTEN_HOST must be an address or host name, got '$KAFKA_LISTEN_HOST'"
if [[ "$KAFKA_LISTEN_HOST" == 0.0.0.0 || "$KAFKA_LISTEN_HOST" == "::" ]]; then
  # Every interface: this script reaches the broker on loopback; clients need a real address.
  PROBE_HOST=127.0.0.1
  [[ -n "${KAFKA_ADVERTISED_HOST:-}" ]] ||
    die "KAFKA_LISTEN_HOST=$KAFKA_LISTEN_HOST needs KAFKA_ADVERTISED_HOST: the address other machines reach this one at (e.g. 192.168.1.10)"
else
  PROBE_HOST="$KAFKA_LISTEN_HOST"
fi
KAFKA_ADVERTISED_HOST="${KAFKA_ADVERTISED_HOST:-$KAFKA_LISTEN_HOST}"
[[ "$KAFKA_ADVERTISED_HOST" =~ ^[A-Za-z0-9.:-]+$ ]] || die "KAFKA_ADVERTISED_HOST must be an address or host name, got '$KAFKA_ADVERTISED_HOST'"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 1))}"
is_port "$KAFKA_CONTROLLER_PORT" || die "KAFKA_CONTROLLER_PORT must be a TCP port number, got '$KAFKA_CONTROLLER_PORT'"
[[ "$KAFKA_CONTROLLER_PORT" != "$KAFKA_PORT" ]] || die "KAFKA_CONTROLLER_PORT must differ from KAFKA_PORT ($KAFKA_PORT)"
[[ "$KAFKA_VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+([.-][A-Za-z0-9.-]+)?$ ]] || die "bad KAFKA_VERSION '$KAFKA_VERSION'"

# Opt-in SASL listener: the mechanisms as Kafka names them, or nothing.
KAFKA_SASL="${KAFKA_SASL:-}"
SASL_MECHANISMS=""
if [[ -n "$KAFKA_SASL" ]]; then
  for m in ${KAFKA_SASL//,/ }; do
    case "${m,,}" in
      plain) SASL_MECHANISMS+=",PLAIN" ;;
      scram-sha-256) SASL_MECHANISMS+=",SCRAM-SHA-256" ;;
      scram-sha-512) SASL_MECHANISMS+=",SCRAM-SHA-512" ;;
      scram) SASL_MECHANISMS+=",SCRAM-SHA-256,SCRAM-SHA-512" ;;
      *) die "KAFKA_SASL: unknown mechanism '$m' (expected plain, scram-sha-256, scram-sha-512 or scram, comma-separated)" ;;
    esac
  done
  SASL_MECHANISMS="$(echo "${SASL_MECHANISMS#,}" | tr ',' '\n' | awk '!seen[$0]++' | paste -sd, -)"
  KAFKA_SASL_PORT="${KAFKA_SASL_PORT:-$((KAFKA_PORT + 2))}"
  is_port "$KAFKA_SASL_PORT" || die "KAFKA_SASL_PORT must be a TCP port number, got '$KAFKA_SASL_PORT'"
  [[ "$KAFKA_SASL_PORT" != "$KAFKA_PORT" && "$KAFKA_SASL_PORT" != "$KAFKA_CONTROLLER_PORT" ]] ||
    die "KAFKA_SASL_PORT ($KAFKA_SASL_PORT) must differ from KAFKA_PORT and KAFKA_CONTROLLER_PORT"
  KAFKA_SASL_USERNAME="${KAFKA_SASL_USERNAME:-evcharging}"
  [[ "$KAFKA_SASL_USERNAME" =~ ^[A-Za-z0-9._-]+$ ]] ||
    die "KAFKA_SASL_USERNAME may only hold letters, digits, '.', '_' and '-', got '$KAFKA_SASL_USERNAME'"
  [[ -n "${KAFKA_SASL_PASSWORD:-}" ]] || die "KAFKA_SASL=$KAFKA_SASL needs KAFKA_SASL_PASSWORD (there is no default password)"
  [[ "$KAFKA_SASL_PASSWORD" != *[\"\\$'\n'\]\,]* ]] ||
    die 'KAFKA_SASL_PASSWORD must not contain a double quote, a backslash, "]", "," or a newline'
fi

mkdir -p "$KAFKA_HOME_DIR"
KAFKA_HOME_DIR="$(cd "$KAFKA_HOME_DIR" && pwd)"
LIBS_DIR="$KAFKA_HOME_DIR/libs-$KAFKA_VERSION"
BROKER_DIR="$KAFKA_HOME_DIR/broker-$KAFKA_PORT"
PROPS_FILE="$BROKER_DIR/server.properties"
PID_FILE="$BROKER_DIR/kafka.pid"
LOG_FILE="$BROKER_DIR/kafka.log"
CLUSTER_ID_FILE="$BROKER_DIR/cluster.id"
DATA_DIR="$BROKER_DIR/data"

# ---------------------------------------------------------------------------------------------
# prerequisites

require_java() {
  command -v java >/dev/null 2>&1 ||
    die "'java' not found on PATH. Apache Kafka $KAFKA_VERSION needs a Java 17+ runtime (Debian: apt-get install openjdk-17-jre-headless)."
  local v major
  v="$(java -version 2>&1 | awk -F'"' '/version/ {print $2; exit}')"
  major="${v%%.*}"
  [[ "$major" == 1 ]] && major="$(echo "$v" | cut -d. -f2)"
  if [[ "$major" =~ ^[0-9]+$ ]] && (( major < 17 )) && [[ "${KAFKA_VERSION%%.*}" -ge 4 ]]; then
    die "java $v found, but Apache Kafka $KAFKA_VERSION needs Java 17 or newer."
  fi
}

require_mvn() {
  command -v mvn >/dev/null 2>&1 ||
    die "'mvn' not found on PATH and the jar cache $LIBS_DIR is empty; Maven is needed once to fetch org.apache.kafka:kafka_2.13:$KAFKA_VERSION (Debian: apt-get install maven)."
}

# ---------------------------------------------------------------------------------------------
# jar cache

write_pom() { # $1 = dir, $2 = slf4j-simple version or empty
  local extra=""
  if [[ -n "$2" ]]; then
    extra="    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-simple</artifactId><version>$2</version></dependency>"
  fi
  cat >"$1/pom.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<!-- throw-away pom written by scripts/kafka.sh to resolve the broker's runtime classpath -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.kafka-sh</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$KAFKA_VERSION</version></dependency>
$extra
  </dependencies>
  <build>
    <pluginManagement>
      <plugins>
        <plugin>
          <groupId>org.apache.maven.plugins</groupId>
          <artifactId>maven-dependency-plugin</artifactId>
          <version>$MVN_DEPENDENCY_PLUGIN_VERSION</version>
        </plugin>
      </plugins>
    </pluginManagement>
  </build>
</project>
EOF
}

copy_deps() { # $1 = work dir, $2 = output dir
  if ! (cd "$1" && mvn -q -B dependency:copy-dependencies -DincludeScope=runtime \
        -DoutputDirectory="$2" >"$1/mvn.log" 2>&1); then
    tail -n 40 "$1/mvn.log" >&2
    die "mvn could not resolve org.apache.kafka:kafka_2.13:$KAFKA_VERSION (full log: $1/mvn.log)"
  fi
}

ensure_libs() {
  [[ -f "$LIBS_DIR/.complete" ]] && return 0
  # one resolver at a time (two ports starting on a cold cache)
  exec 8>"$KAFKA_HOME_DIR/.libs.lock"
  flock -w 900 8 || die "timed out waiting for another kafka.sh to resolve the jars"
  if [[ -f "$LIBS_DIR/.complete" ]]; then exec 8>&-; return 0; fi
  require_mvn
  info "cold cache: resolving org.apache.kafka:kafka_2.13:$KAFKA_VERSION with Maven (once) ..."
  local t0=$SECONDS work tmp api_jar slf4j_version
  work="$KAFKA_HOME_DIR/.resolve-$KAFKA_VERSION"
  tmp="$LIBS_DIR.tmp"
  rm -rf "$work" "$tmp"
  mkdir -p "$work" "$tmp"
  write_pom "$work" ""
  copy_deps "$work" "$tmp"
  # Kafka ships no logging back-end: add slf4j-simple matching the slf4j-api that landed.
  api_jar="$(cd "$tmp" && ls slf4j-api-*.jar 2>/dev/null | head -n1 || true)"
  [[ -n "$api_jar" ]] || die "no slf4j-api jar among the resolved dependencies in $tmp"
  slf4j_version="${api_jar#slf4j-api-}"
  slf4j_version="${slf4j_version%.jar}"
  write_pom "$work" "$slf4j_version"
  copy_deps "$work" "$tmp"
  [[ -n "$(cd "$tmp" && ls slf4j-simple-*.jar 2>/dev/null)" ]] || die "slf4j-simple $slf4j_version did not land in $tmp"
  [[ -n "$(cd "$tmp" && ls kafka_2.13-*.jar 2>/dev/null)" ]] || die "kafka_2.13 jar did not land in $tmp"
  echo "$KAFKA_VERSION slf4j=$slf4j_version" >"$tmp/.complete"
  rm -rf "$LIBS_DIR"
  mv "$tmp" "$LIBS_DIR"
  rm -rf "$work"
  info "resolved $(ls "$LIBS_DIR" | wc -l) jars into $LIBS_DIR in $((SECONDS - t0)) s (slf4j $slf4j_version)"
  exec 8>&-
}

# ---------------------------------------------------------------------------------------------
# config

cluster_id() {
  if [[ ! -s "$CLUSTER_ID_FILE" ]]; then
    # 16 random bytes, base64url without padding = 22 characters. Drawn again when it starts with
    # "-" (one id in 64), as Kafka's own Uuid.randomUuid does: tools would read it as an option.
    local id="-"
    while [[ "$id" == -* ]]; do
      id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    done
    printf '%s' "$id" >"$CLUSTER_ID_FILE"
  fi
  cat "$CLUSTER_ID_FILE"
}

# Listener settings: PLAINTEXT (broker and tools) and CONTROLLER, plus SASL_PLAINTEXT with KAFKA_SASL.
listener_config() {
  local listeners="PLAINTEXT://$KAFKA_LISTEN_HOST:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT"
  local advertised="PLAINTEXT://$KAFKA_ADVERTISED_HOST:$KAFKA_PORT"
  local protocol_map="PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
  if [[ -n "$SASL_MECHANISMS" ]]; then
    listeners+=",SASL_PLAINTEXT://$KAFKA_LISTEN_HOST:$KAFKA_SASL_PORT"
    advertised+=",SASL_PLAINTEXT://$KAFKA_ADVERTISED_HOST:$KAFKA_SASL_PORT"
    protocol_map+=",SASL_PLAINTEXT:SASL_PLAINTEXT"
  fi
  cat <<EOF
listeners=$listeners
advertised.listeners=$advertised
listener.security.protocol.map=$protocol_map
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
EOF
  extra_listener_config
}

# The SASL listener's JAAS configuration: PLAIN users inline; SCRAM credentials live in the
# cluster metadata, so their login module needs no options.
extra_listener_config() {
  [[ -n "$SASL_MECHANISMS" ]] || return 0
  echo "sasl.enabled.mechanisms=$SASL_MECHANISMS"
  local m lower
  for m in ${SASL_MECHANISMS//,/ }; do
    lower="${m,,}"
    if [[ "$m" == PLAIN ]]; then
      echo "listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_$KAFKA_SASL_USERNAME=\"$KAFKA_SASL_PASSWORD\";"
    else
      echo "listener.name.sasl_plaintext.$lower.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;"
    fi
  done
}

scram_mechanisms() { echo "$SASL_MECHANISMS" | tr ',' '\n' | grep '^SCRAM-' || true; }

# A fingerprint of the SCRAM credentials the metadata holds, to update them only when they change.
scram_stamp() { printf '%s\n%s\n%s' "$(scram_mechanisms)" "$KAFKA_SASL_USERNAME" "$KAFKA_SASL_PASSWORD" | sha256sum | cut -c1-64; }

write_config() {
  local major="${KAFKA_VERSION%%.*}"
  {
    echo "# written by scripts/kafka.sh on each start; edits are overwritten"
    echo "process.roles=broker,controller"
    echo "node.id=1"
    echo "controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT"
    listener_config
    echo "log.dirs=$DATA_DIR"
    echo "num.partitions=1"
    echo "default.replication.factor=1"
    echo "offsets.topic.replication.factor=1"
    echo "offsets.topic.num.partitions=1"
    echo "transaction.state.log.replication.factor=1"
    echo "transaction.state.log.min.isr=1"
    echo "transaction.state.log.num.partitions=1"
    if (( major >= 4 )); then
      echo "share.coordinator.state.topic.replication.factor=1"
      echo "share.coordinator.state.topic.min.isr=1"
      echo "share.coordinator.state.topic.num.partitions=1"
    fi
    echo "min.insync.replicas=1"
    echo "group.initial.rebalance.delay.ms=0"
    echo "auto.create.topics.enable=false"
  } >"$PROPS_FILE"
  # With SASL the file holds a password.
  chmod 600 "$PROPS_FILE"
}

# ---------------------------------------------------------------------------------------------
# process helpers

# pid of the broker this script started on this port, or nothing
broker_pid() {
  [[ -s "$PID_FILE" ]] || return 1
  local pid
  pid="$(cat "$PID_FILE")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [[ -r "/proc/$pid/cmdline" ]] || return 1
  local cmd
  cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
  [[ "$cmd" == *java* && "$cmd" == *" kafka.Kafka $PROPS_FILE"* ]] || return 1
  echo "$pid"
}

port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/${2:-$PROBE_HOST}/$1" 2>/dev/null; }

# Send a real Metadata request (v4, all topics) over /dev/tcp and check that the answer lists a
# broker. Cheaper than starting a JVM per poll.
metadata_ok() {
  local req out
  # size=23 | api_key=3 | api_version=4 | correlation_id=0x4b53 | client_id "kafka-sh" |
  # topics=null (-1) | allow_auto_topic_creation=false
  req='\x00\x00\x00\x17\x00\x03\x00\x04\x00\x00\x4b\x53\x00\x08kafka-sh\xff\xff\xff\xff\x00'
  out="$(LC_ALL=C timeout 3 bash -c "exec 3<>/dev/tcp/$PROBE_HOST/$KAFKA_PORT || exit 1
           printf '$req' >&3; head -c 20 <&3" 2>/dev/null | od -An -tu1 -v | tr -s ' \n' ' ')" || true
  local -a b
  read -r -a b <<<"$out"
  (( ${#b[@]} >= 16 )) || return 1
  # bytes 4..7 correlation id, 8..11 throttle, 12..15 number of brokers
  (( b[4] == 0 && b[5] == 0 && b[6] == 0x4b && b[7] == 0x53 )) || return 1
  local brokers=$(( (b[12] << 24) | (b[13] << 16) | (b[14] << 8) | b[15] ))
  (( brokers >= 1 && brokers < 1000 ))
}

# ---------------------------------------------------------------------------------------------
# commands

# Whether the running broker's configuration (and SCRAM credentials) are what this call asks for.
sasl_matches_running() {
  local expected
  expected="$(mktemp)"
  local saved="$PROPS_FILE"
  PROPS_FILE="$expected" write_config
  PROPS_FILE="$saved"
  local same=1
  cmp -s "$expected" "$PROPS_FILE" || same=0
  rm -f "$expected"
  if [[ -n "$(scram_mechanisms)" && "$(cat "$BROKER_DIR/scram.stamp" 2>/dev/null)" != "$(scram_stamp)" ]]; then same=0; fi
  (( same == 1 ))
}

cmd_start() {
  require_java
  mkdir -p "$BROKER_DIR"
  exec 9>"$BROKER_DIR/.lock"
  flock -w 120 9 || die "another kafka.sh is starting/stopping the broker on port $KAFKA_PORT"
  local pid
  if pid="$(broker_pid)"; then
    if [[ -n "$SASL_MECHANISMS" ]] && ! sasl_matches_running; then
      die "the broker on port $KAFKA_PORT (pid $pid) runs without this KAFKA_SASL setup (mechanisms, port, user or password differ); stop it first"
    fi
    info "already running on $KAFKA_ADVERTISED_HOST:$KAFKA_PORT (pid $pid)"
    return 0
  fi
  rm -f "$PID_FILE"
  local p
  local ports=("$KAFKA_PORT:$PROBE_HOST" "$KAFKA_CONTROLLER_PORT:127.0.0.1")
  [[ -n "$SASL_MECHANISMS" ]] && ports+=("$KAFKA_SASL_PORT:$PROBE_HOST")
  for p in "${ports[@]}"; do
    if port_open "${p%%:*}" "${p#*:}"; then
      die "port ${p%%:*} on ${p#*:} is already in use by another process (not a broker started by this script with KAFKA_HOME_DIR=$KAFKA_HOME_DIR); choose other KAFKA_PORT / KAFKA_CONTROLLER_PORT values"
    fi
  done

  local t0
  t0="$(date +%s%N)"
  ensure_libs
  mkdir -p "$DATA_DIR"
  write_config
  local cid
  cid="$(cluster_id)"

  [[ -f "$LOG_FILE" ]] && mv -f "$LOG_FILE" "$LOG_FILE.1"
  # Format once per data dir (skipping it on warm starts saves a JVM launch). SCRAM credentials
  # go into the metadata at format time, so they exist before the first client connects.
  local scram_args=() m
  for m in $(scram_mechanisms); do
    scram_args+=(--add-scram "$m=[name=$KAFKA_SASL_USERNAME,password=$KAFKA_SASL_PASSWORD]")
  done
  if [[ ! -f "$DATA_DIR/meta.properties" ]]; then
    if ! java -Xms64m -Xmx256m -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
        -cp "$LIBS_DIR/*" kafka.tools.StorageTool format \
        --cluster-id="$cid" -c "$PROPS_FILE" --ignore-formatted "${scram_args[@]}" >"$BROKER_DIR/format.log" 2>&1; then
      cat "$BROKER_DIR/format.log" >&2
      die "formatting the storage in $DATA_DIR failed (if the data dir belongs to another cluster, delete $BROKER_DIR)"
    fi
    if (( ${#scram_args[@]} > 0 )); then scram_stamp >"$BROKER_DIR/scram.stamp"; else rm -f "$BROKER_DIR/scram.stamp"; fi
  fi

  # shellcheck disable=SC2086  # heap/java opts are word lists on purpose
  setsid nohup bash -c 'echo $$ >"$0"; exec "$@"' "$PID_FILE" \
    java $KAFKA_HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
      -Dorg.slf4j.simpleLogger.defaultLogLevel="$KAFKA_LOG_LEVEL" \
      -Dorg.slf4j.simpleLogger.showDateTime=true \
      -Dorg.slf4j.simpleLogger.dateTimeFormat="yyyy-MM-dd'T'HH:mm:ss.SSS" \
      $KAFKA_JAVA_OPTS \
      -cp "$LIBS_DIR/*" kafka.Kafka "$PROPS_FILE" \
    >"$LOG_FILE" 2>&1 </dev/null 8>&- 9>&- &
  disown || true

  local deadline=$((SECONDS + KAFKA_START_TIMEOUT))
  while :; do
    sleep 0.25
    if [[ -s "$PID_FILE" ]] && ! kill -0 "$(cat "$PID_FILE")" 2>/dev/null; then
      tail -n 60 "$LOG_FILE" >&2 || true
      rm -f "$PID_FILE"
      die "the broker exited during startup (log: $LOG_FILE)"
    fi
    if metadata_ok && { [[ -z "$SASL_MECHANISMS" ]] || port_open "$KAFKA_SASL_PORT"; }; then break; fi
    if (( SECONDS >= deadline )); then
      tail -n 60 "$LOG_FILE" >&2 || true
      pid="$(broker_pid || true)"
      [[ -n "$pid" ]] && stop_pid "$pid" >/dev/null 2>&1 || true
      rm -f "$PID_FILE"
      die "the broker did not answer a metadata request on $PROBE_HOST:$KAFKA_PORT within ${KAFKA_START_TIMEOUT}s (log: $LOG_FILE)"
    fi
  done
  echo "$KAFKA_VERSION" >"$BROKER_DIR/version"
  update_scram_credentials
  local ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  pid="$(broker_pid || cat "$PID_FILE")"
  local sasl=""
  [[ -n "$SASL_MECHANISMS" ]] && sasl=", SASL_PLAINTEXT $KAFKA_ADVERTISED_HOST:$KAFKA_SASL_PORT ($SASL_MECHANISMS, user $KAFKA_SASL_USERNAME)"
  info "Kafka $KAFKA_VERSION ready on $KAFKA_ADVERTISED_HOST:$KAFKA_PORT (controller $KAFKA_CONTROLLER_PORT$sasl, pid $pid) in $((ms / 1000)).$(printf '%03d' $((ms % 1000))) s"
}

# On a warm start whose SCRAM user or password changed: upsert them through the PLAINTEXT listener.
update_scram_credentials() {
  [[ -n "$(scram_mechanisms)" ]] || return 0
  local stamp
  stamp="$(scram_stamp)"
  [[ "$(cat "$BROKER_DIR/scram.stamp" 2>/dev/null)" == "$stamp" ]] && return 0
  # kafka-configs' class moved to the tools module in Kafka 4.
  local main=kafka.admin.ConfigCommand
  (( ${KAFKA_VERSION%%.*} >= 4 )) && main=org.apache.kafka.tools.ConfigCommand
  info "updating the SCRAM credentials of $KAFKA_SASL_USERNAME ..."
  local m
  # One mechanism per request: the broker refuses two changes to one user in a single request.
  for m in $(scram_mechanisms); do
    if ! java -Xms64m -Xmx256m -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$LIBS_DIR/*" \
        "$main" --bootstrap-server "$PROBE_HOST:$KAFKA_PORT" --alter \
        --entity-type users --entity-name "$KAFKA_SASL_USERNAME" --add-config "$m=[password=$KAFKA_SASL_PASSWORD]" \
        >"$BROKER_DIR/scram.log" 2>&1; then
      cat "$BROKER_DIR/scram.log" >&2
      local pid
      pid="$(broker_pid || true)"
      [[ -n "$pid" ]] && stop_pid "$pid" >/dev/null 2>&1
      rm -f "$PID_FILE"
      die "could not store the $m credentials of $KAFKA_SASL_USERNAME, broker stopped (log: $BROKER_DIR/scram.log)"
    fi
  done
  echo "$stamp" >"$BROKER_DIR/scram.stamp"
}

stop_pid() {
  local pid="$1"
  kill -TERM "$pid" 2>/dev/null || return 0
  local deadline=$((SECONDS + KAFKA_STOP_TIMEOUT))
  while kill -0 "$pid" 2>/dev/null; do
    if (( SECONDS >= deadline )); then
      info "pid $pid still alive ${KAFKA_STOP_TIMEOUT}s after SIGTERM: sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      local i
      for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      break
    fi
    sleep 0.2
  done
}

cmd_stop() {
  mkdir -p "$BROKER_DIR"
  exec 9>"$BROKER_DIR/.lock"
  flock -w 120 9 || die "another kafka.sh is starting/stopping the broker on port $KAFKA_PORT"
  local pid
  if ! pid="$(broker_pid)"; then
    rm -f "$PID_FILE"
    info "not running on port $KAFKA_PORT"
    return 0
  fi
  local t0=$SECONDS
  stop_pid "$pid"
  rm -f "$PID_FILE"
  info "stopped broker on port $KAFKA_PORT (pid $pid) in $((SECONDS - t0)) s"
}

cmd_status() {
  local pid
  if pid="$(broker_pid)"; then
    if metadata_ok; then
      echo "running: pid $pid, bootstrap $KAFKA_ADVERTISED_HOST:$KAFKA_PORT, version $(cat "$BROKER_DIR/version" 2>/dev/null || echo '?')"
    else
      echo "running (not answering metadata yet): pid $pid, bootstrap $KAFKA_ADVERTISED_HOST:$KAFKA_PORT"
    fi
    return 0
  fi
  echo "stopped: port $KAFKA_PORT"
  return 3
}

cmd_logs() {
  [[ -f "$LOG_FILE" ]] || die "no log yet at $LOG_FILE"
  if [[ "${1:-}" == "-f" ]]; then
    exec tail -n "$KAFKA_LOG_LINES" -F "$LOG_FILE"
  fi
  tail -n "$KAFKA_LOG_LINES" "$LOG_FILE"
}

cmd_config() {
  local saved="$PROPS_FILE"
  PROPS_FILE="$(mktemp)"
  write_config
  if [[ -n "${KAFKA_SASL_PASSWORD:-}" ]]; then
    sed "s/$(printf '%s' "$KAFKA_SASL_PASSWORD" | sed 's/[][\/.*^$&]/\\&/g')/****/g" "$PROPS_FILE"
  else
    cat "$PROPS_FILE"
  fi
  rm -f "$PROPS_FILE"
  PROPS_FILE="$saved"
}

cmd_path() {
  require_java
  ensure_libs
  echo "$LIBS_DIR"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  restart) cmd_stop; cmd_start ;;
  status) cmd_status ;;
  logs) shift; cmd_logs "$@" ;;
  path) cmd_path ;;
  config) cmd_config ;;
  -h|--help|help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' ;;
  *) echo "usage: $0 start|stop|restart|status|logs [-f]|path|config" >&2; exit 2 ;;
esac
