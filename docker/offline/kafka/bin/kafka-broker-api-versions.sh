#!/bin/sh
# Kafka's API-versions tool (kafka-broker-api-versions.sh of the Apache distribution).
exec java -Xmx256m -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp '/opt/kafka/libs/*' \
  org.apache.kafka.tools.BrokerApiVersionsCommand "$@"
