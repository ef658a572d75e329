#!/bin/sh
# Kafka's topic tool (kafka-topics.sh of the Apache distribution).
exec java -Xmx256m -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp '/opt/kafka/libs/*' \
  org.apache.kafka.tools.TopicCommand "$@"
