#!/bin/bash
# Starts one Kafka node configured from the environment, as the apache/kafka image does: every
# KAFKA_<NAME> becomes a server property (NAME lower-cased, "_" -> ".", "__" -> "_", "___" -> "-"),
# except the JVM settings; CLUSTER_ID formats the log directory on the first start.
set -euo pipefail
PROPS=/opt/kafka/config/server.properties
LIBS='/opt/kafka/libs/*'
JVM_VARIABLES='^KAFKA_(HEAP_OPTS|OPTS|JVM_PERFORMANCE_OPTS|LOG4J_OPTS|JMX_OPTS|GC_LOG_OPTS|VERSION|HOME)$'

: >"$PROPS"
for name in $(compgen -e | grep '^KAFKA_' | sort); do
  [[ "$name" =~ $JVM_VARIABLES ]] && continue
  key="${name#KAFKA_}"
  key="${key,,}"
  key="${key//___/-}"
  key="${key//__/@}"
  key="${key//_/.}"
  key="${key//@/_}"
  printf '%s=%s\n' "$key" "${!name}" >>"$PROPS"
done
LOG_DIRS="$(sed -n 's/^log\.dirs=//p' "$PROPS")"
if [[ -z "$LOG_DIRS" ]]; then
  LOG_DIRS=/var/lib/kafka/data
  echo "log.dirs=$LOG_DIRS" >>"$PROPS"
fi

if [[ ! -f "${LOG_DIRS%%,*}/meta.properties" ]]; then
  [[ -n "${CLUSTER_ID:-}" ]] || { echo "start-kafka.sh: CLUSTER_ID is required to format ${LOG_DIRS}" >&2; exit 1; }
  java -Xmx256m -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$LIBS" \
    kafka.tools.StorageTool format -t "$CLUSTER_ID" -c "$PROPS" --ignore-formatted
fi

# shellcheck disable=SC2086  # the JVM options are word lists
exec java ${KAFKA_HEAP_OPTS:--Xmx1g -Xms1g} -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
  -Dorg.slf4j.simpleLogger.showDateTime=true ${KAFKA_OPTS:-} -cp "$LIBS" kafka.Kafka "$PROPS"
