#!/bin/sh
# Format (once) and run a single-node KRaft broker advertised as $KAFKA_HOST:9092.
set -e
HOST="${KAFKA_HOST:-kafka}"
mkdir -p /var/lib/kafka
cat > /var/lib/kafka/server.properties <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@localhost:9093
listeners=PLAINTEXT://:9092,CONTROLLER://localhost:9093
advertised.listeners=PLAINTEXT://${HOST}:9092
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=/var/lib/kafka/data
num.partitions=3
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
PROPS
CP='/opt/kafka/lib/*'  # java expands the wildcard itself: keep it from the shell
java -Xmx256m -cp "$CP" kafka.tools.StorageTool format -t l2cContainerKRaft0001 \
  -c /var/lib/kafka/server.properties --ignore-formatted
exec java -Xms128m -Xmx384m -XX:+UseSerialGC -cp "$CP" kafka.Kafka /var/lib/kafka/server.properties
