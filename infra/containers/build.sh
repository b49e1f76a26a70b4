#!/usr/bin/env bash
# Builds what the container tests run: the L2C image from the repository's Dockerfile, and
# Kafka and PostgreSQL images from Debian packages and the project's Kafka jars, all on a
# Debian base made with debootstrap (no registry is reachable here). Installs podman and
# friends from Debian's packages when missing. Needs root (rootful podman).
set -euo pipefail
cd "$(dirname "$0")/../.."
export CONTAINERS_CONF="$PWD/infra/containers/containers.conf"
BASE=localhost/debian-base:bookworm

if ! command -v podman >/dev/null || ! command -v debootstrap >/dev/null; then
  echo "installing podman, buildah, runc and debootstrap (Debian packages)"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
    podman buildah runc fuse-overlayfs slirp4netns debootstrap
fi

if ! podman image exists "$BASE"; then
  mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  mirror=${mirror:-http://deb.debian.org/debian}
  root=$(mktemp -d)
  echo "making $BASE with debootstrap from $mirror"
  debootstrap --variant=minbase bookworm "$root/rootfs" "$mirror" >/dev/null
  tar -C "$root/rootfs" -c . | podman import - "$BASE" >/dev/null
  rm -rf "$root"
fi

# The host's CA bundle goes in for the build only (a TLS-inspecting proxy signs PyPI's
# certificates with a CA that only the host trusts); the image does not keep it.
ca=/etc/ssl/certs/ca-certificates.crt
podman build -q --build-arg BASE="$BASE" \
  --volume "$ca:/etc/ssl/certs/build-ca.crt:ro" --build-arg PIP_CERT=/etc/ssl/certs/build-ca.crt \
  -t localhost/l2c:test -f Dockerfile .

ctx=$(mktemp -d)
cp -r .cache/kafka/lib "$ctx/lib"
cp infra/containers/kafka-start.sh "$ctx/"
podman build -q --build-arg BASE="$BASE" -t localhost/l2c-kafka:test \
  -f infra/containers/kafka.Dockerfile "$ctx"
rm -rf "$ctx"

ctx=$(mktemp -d)
cp infra/containers/postgres-start.sh "$ctx/"
podman build -q --build-arg BASE="$BASE" -t localhost/l2c-postgres:test \
  -f infra/containers/postgres.Dockerfile "$ctx"
rm -rf "$ctx"
echo "images: localhost/l2c:test localhost/l2c-kafka:test localhost/l2c-postgres:test"
