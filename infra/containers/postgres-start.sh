#!/bin/sh
# A cluster owned by postgres, listening on every address, with one password user and db.
set -e
BIN=$(ls -d /usr/lib/postgresql/*/bin | tail -1)
DATA=/var/lib/postgresql/data
if [ ! -s "$DATA/PG_VERSION" ]; then
  mkdir -p "$DATA" && chown postgres:postgres "$DATA"
  echo "$POSTGRES_PASSWORD" > /tmp/pw && chown postgres /tmp/pw
  su postgres -c "$BIN/initdb -D $DATA -U postgres -E UTF8 --locale=C.UTF-8 -A scram-sha-256 --pwfile=/tmp/pw"
  rm -f /tmp/pw
  echo "host all all 0.0.0.0/0 scram-sha-256" >> "$DATA/pg_hba.conf"
  su postgres -c "$BIN/pg_ctl -D $DATA -o \"-c listen_addresses='' -c unix_socket_directories=/tmp\" -w start"
  PGPASSWORD="$POSTGRES_PASSWORD" su postgres -c "psql -h /tmp -v ON_ERROR_STOP=1 \
    -c \"CREATE USER $POSTGRES_USER PASSWORD '$POSTGRES_PASSWORD'\" \
    -c \"CREATE DATABASE $POSTGRES_DB OWNER $POSTGRES_USER\""
  su postgres -c "$BIN/pg_ctl -D $DATA -w stop"
fi
exec su postgres -c "$BIN/postgres -D $DATA -c listen_addresses='*' -c unix_socket_directories=/tmp"
