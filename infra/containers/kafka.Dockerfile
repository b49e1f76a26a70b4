# Apache Kafka (KRaft, one node) from the Maven Central jars the project fetches, on
# Debian's JRE: for the container tests where no Kafka image can be pulled.
ARG BASE=docker.io/library/debian:bookworm-slim
FROM ${BASE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends openjdk-17-jre-headless \
 && rm -rf /var/lib/apt/lists/*
COPY lib /opt/kafka/lib
COPY kafka-start.sh /opt/kafka/start.sh
EXPOSE 9092
ENTRYPOINT ["sh", "/opt/kafka/start.sh"]
