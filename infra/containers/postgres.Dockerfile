# PostgreSQL from Debian's package: for the container tests where no image can be pulled.
ARG BASE=docker.io/library/debian:bookworm-slim
FROM ${BASE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql \
 && rm -rf /var/lib/apt/lists/*
COPY postgres-start.sh /postgres-start.sh
EXPOSE 5432
ENTRYPOINT ["sh", "/postgres-start.sh"]
