#!/usr/bin/env bash
# Starts or stops the PostgreSQL server the store tests use: Debian's
# PostgreSQL (installed by scripts/setup.sh), initialised in a temporary
# data folder, listening on 127.0.0.1 only, with trust authentication for
# the local superuser. `start` writes its URL to target/postgres/url.
#
#   scripts/postgres.sh start
#   scripts/postgres.sh stop
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
state="$root/target/postgres"
mkdir -p "$state"

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$bin" ] || [ ! -x "$bin/pg_ctl" ]; then
  echo "PostgreSQL is not installed: run scripts/setup.sh (it installs Debian's postgresql)" >&2
  exit 1
fi

# initdb and the server refuse to run as root: use the postgres account.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

case "${1:-}" in
  start)
    if [ -f "$state/datadir" ] && [ -d "$(cat "$state/datadir")" ]; then
      "$0" stop || true
    fi
    data=$(mktemp -d /tmp/intoto-pg.XXXXXX)
    [ "$(id -u)" -eq 0 ] && chown postgres "$data"
    as_pg "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 >"$state/initdb.log" 2>&1 \
      || { cat "$state/initdb.log" >&2; exit 1; }
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
    as_pg "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $data -c max_connections=200 -c fsync=on" start >/dev/null \
      || { cat "$data/server.log" >&2; exit 1; }
    echo "$data" > "$state/datadir"
    echo "postgres://postgres@127.0.0.1:$port/postgres" > "$state/url"
    echo "PostgreSQL on 127.0.0.1:$port (data in $data)"
    ;;
  stop)
    if [ -f "$state/datadir" ]; then
      data=$(cat "$state/datadir")
      if [ -d "$data" ]; then
        as_pg "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
        rm -rf "$data"
      fi
      rm -f "$state/datadir" "$state/url"
    fi
    ;;
  *)
    echo "usage: scripts/postgres.sh start|stop" >&2
    exit 2
    ;;
esac
