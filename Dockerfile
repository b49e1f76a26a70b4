# One image for every L2C role: `l2c <role>` picks it (serve|api|relay|policies <service>,
# gateway, insights worker, insights rebuild, topics). Multi-stage: the build stage makes
# the virtualenv from requirements.lock (hashes checked) and the generated protobuf code;
# the runtime stage has only Python, the venv and the source, and runs as a non-root user
# with a read-only root filesystem (writes go to /var/lib/l2c and /tmp volumes).
#
# The base is a build argument so the same file builds where no registry is reachable:
#   podman build --build-arg BASE=localhost/debian-base:bookworm -t l2c .
ARG BASE=docker.io/library/debian:bookworm-slim

FROM ${BASE} AS build
# Behind a TLS-inspecting proxy, mount its CA bundle at build time and name it here
# (build.sh does: -v <bundle>:/etc/ssl/certs/build-ca.crt --build-arg PIP_CERT=...).
ARG PIP_CERT=""
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      python3 python3-venv python3-dev ca-certificates build-essential \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements-bootstrap.lock requirements.lock pyproject.toml ./
RUN python3 -m venv /opt/venv \
 && /opt/venv/bin/pip install ${PIP_CERT:+--cert "$PIP_CERT"} --no-cache-dir --require-hashes \
      -r requirements-bootstrap.lock \
 && /opt/venv/bin/pip install ${PIP_CERT:+--cert "$PIP_CERT"} --no-cache-dir --require-hashes \
      -r requirements.lock
COPY proto ./proto
RUN mkdir -p gen/python && /opt/venv/bin/python -m grpc_tools.protoc -Iproto \
      -I"$(/opt/venv/bin/python -c 'import grpc_tools, os; print(os.path.join(os.path.dirname(grpc_tools.__file__), "_proto"))')" \
      --python_out=gen/python $(find proto -name '*.proto')
COPY kernel ./kernel
COPY services ./services
COPY devenv ./devenv
RUN /opt/venv/bin/pip install --no-cache-dir --no-deps --no-build-isolation --no-index -e . \
 && printf '%s\n%s\n' /app /app/gen/python \
      > "$(/opt/venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/l2c-app.pth"

FROM ${BASE} AS runtime
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      python3 ca-certificates tini \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 10001 l2c && useradd --uid 10001 --gid l2c --no-create-home l2c \
 && mkdir -p /var/lib/l2c && chown l2c:l2c /var/lib/l2c
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    L2C_DATA_DIR=/var/lib/l2c \
    L2C_BIND_HOST=0.0.0.0
WORKDIR /app
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["tini", "--", "l2c"]
CMD ["--help"]
