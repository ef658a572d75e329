#!/bin/sh
# Kafka's consumer-group tool (kafka-consumer-groups.sh of the Apache distribution).
exec java -Xmx256m -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp '/opt/kafka/libs/*' \
  org.apache.kafka.tools.consumer.group.ConsumerGroupCommand "$@"
