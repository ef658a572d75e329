#!/usr/bin/env bash
# scripts/kafka.sh — run a real single-node Apache Kafka broker (KRaft, broker+controller
# combined, loopback only) without Docker, from Maven Central artifacts.
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
#
# Environment (all optional):
#   KAFKA_PORT             client (PLAINTEXT) port, default 9092; bootstrap = 127.0.0.1:$KAFKA_PORT
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
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 1))}"
is_port "$KAFKA_CONTROLLER_PORT" || die "KAFKA_CONTROLLER_PORT must be a TCP port number, got '$KAFKA_CONTROLLER_PORT'"
[[ "$KAFKA_CONTROLLER_PORT" != "$KAFKA_PORT" ]] || die "KAFKA_CONTROLLER_PORT must differ from KAFKA_PORT ($KAFKA_PORT)"
[[ "$KAFKA_VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+([.-][A-Za-z0-9.-]+)?$ ]] || die "bad KAFKA_VERSION '$KAFKA_VERSION'"

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
    # 16 random bytes, base64url without padding = 22 characters
    head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n' >"$CLUSTER_ID_FILE"
  fi
  cat "$CLUSTER_ID_FILE"
}

# Listener settings. To add e.g. a SASL listener later, extend LISTENERS / ADVERTISED /
# PROTOCOL_MAP here and emit its extra keys from extra_listener_config.
listener_config() {
  local listeners="PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT"
  local advertised="PLAINTEXT://127.0.0.1:$KAFKA_PORT"
  local protocol_map="PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
  cat <<EOF
listeners=$listeners
advertised.listeners=$advertised
listener.security.protocol.map=$protocol_map
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
EOF
  extra_listener_config
}

extra_listener_config() { :; }

write_config() {
  local major="${KAFKA_VERSION%%.*}"
  mkdir -p "$DATA_DIR"
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

port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

# Send a real Metadata request (v4, all topics) over /dev/tcp and check that the answer lists a
# broker. Cheaper than starting a JVM per poll.
metadata_ok() {
  local req out
  # size=23 | api_key=3 | api_version=4 | correlation_id=0x4b53 | client_id "kafka-sh" |
  # topics=null (-1) | allow_auto_topic_creation=false
  req='\x00\x00\x00\x17\x00\x03\x00\x04\x00\x00\x4b\x53\x00\x08kafka-sh\xff\xff\xff\xff\x00'
  out="$(LC_ALL=C timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$KAFKA_PORT || exit 1
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

cmd_start() {
  require_java
  mkdir -p "$BROKER_DIR"
  exec 9>"$BROKER_DIR/.lock"
  flock -w 120 9 || die "another kafka.sh is starting/stopping the broker on port $KAFKA_PORT"
  local pid
  if pid="$(broker_pid)"; then
    info "already running on 127.0.0.1:$KAFKA_PORT (pid $pid)"
    return 0
  fi
  rm -f "$PID_FILE"
  local p
  for p in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
    if port_open "$p"; then
      die "port $p on 127.0.0.1 is already in use by another process (not a broker started by this script with KAFKA_HOME_DIR=$KAFKA_HOME_DIR); choose other KAFKA_PORT / KAFKA_CONTROLLER_PORT values"
    fi
  done

  local t0
  t0="$(date +%s%N)"
  ensure_libs
  write_config
  local cid
  cid="$(cluster_id)"

  [[ -f "$LOG_FILE" ]] && mv -f "$LOG_FILE" "$LOG_FILE.1"
  # Format once per data dir (skipping it on warm starts saves a JVM launch).
  if [[ ! -f "$DATA_DIR/meta.properties" ]] &&
     ! java -Xms64m -Xmx256m -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
        -cp "$LIBS_DIR/*" kafka.tools.StorageTool format \
        -t "$cid" -c "$PROPS_FILE" --ignore-formatted >"$BROKER_DIR/format.log" 2>&1; then
    cat "$BROKER_DIR/format.log" >&2
    die "formatting the storage in $DATA_DIR failed (if the data dir belongs to another cluster, delete $BROKER_DIR)"
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
    if metadata_ok; then break; fi
    if (( SECONDS >= deadline )); then
      tail -n 60 "$LOG_FILE" >&2 || true
      pid="$(broker_pid || true)"
      [[ -n "$pid" ]] && stop_pid "$pid" >/dev/null 2>&1 || true
      rm -f "$PID_FILE"
      die "the broker did not answer a metadata request on 127.0.0.1:$KAFKA_PORT within ${KAFKA_START_TIMEOUT}s (log: $LOG_FILE)"
    fi
  done
  echo "$KAFKA_VERSION" >"$BROKER_DIR/version"
  local ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  pid="$(broker_pid || cat "$PID_FILE")"
  info "Kafka $KAFKA_VERSION ready on 127.0.0.1:$KAFKA_PORT (controller $KAFKA_CONTROLLER_PORT, pid $pid) in $((ms / 1000)).$(printf '%03d' $((ms % 1000))) s"
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
      echo "running: pid $pid, bootstrap 127.0.0.1:$KAFKA_PORT, version $(cat "$BROKER_DIR/version" 2>/dev/null || echo '?')"
    else
      echo "running (not answering metadata yet): pid $pid, bootstrap 127.0.0.1:$KAFKA_PORT"
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
  -h|--help|help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' ;;
  *) echo "usage: $0 start|stop|restart|status|logs [-f]|path" >&2; exit 2 ;;
esac
