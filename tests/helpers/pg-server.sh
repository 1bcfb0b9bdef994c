#!/usr/bin/env bash
# A private PostgreSQL server for the center's tests and benchmarks (Debian's postgresql package).
#
#   tests/helpers/pg-server.sh start DIR   initdb DIR (once) and start the server on a free
#                                          loopback port; prints its URL, e.g.
#                                          postgres://postgres@127.0.0.1:41234/postgres
#   tests/helpers/pg-server.sh stop DIR    stop it (immediate: the data is throwaway)
#   tests/helpers/pg-server.sh start DIR PID   as start, and stop the server and remove DIR
#                                          once process PID is gone (a test worker that is
#                                          killed never runs its exit handlers)
#
# As root the server runs as the `postgres` user (PostgreSQL refuses to run as root); as
# anyone else, as that user. Export the printed URL as CERTMGR_TEST_PG before `npm test`.
set -euo pipefail

cmd=${1:-}
dir=${2:-}
if [ -z "$cmd" ] || [ -z "$dir" ]; then
  echo "usage: $0 start|stop DIR" >&2
  exit 2
fi

bin=${PG_BIN:-}
if [ -z "$bin" ]; then
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
fi
if [ -z "$bin" ] || [ ! -x "$bin/pg_ctl" ]; then
  echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2
  exit 1
fi

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
  start)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    data="$dir/data"
    sock="$dir/sock"
    mkdir -p "$sock"
    if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$dir" "$sock"; fi
    if [ ! -f "$data/PG_VERSION" ]; then
      as_owner "$bin/initdb" -D "$data" --auth=trust --username=postgres --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
        cat "$dir/initdb.log" >&2
        exit 1
      }
    fi
    # A free port picked by the OS; if another process takes it before the server binds, try again.
    for _ in 1 2 3 4 5; do
      port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
      if as_owner "$bin/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 \
        -o "-p $port -k $sock -c listen_addresses=127.0.0.1 -c max_connections=300 -c shared_buffers=64MB" start >/dev/null; then
        echo "$port" >"$dir/port"
        owner=${3:-}
        if [ -n "$owner" ]; then
          # Detached from the caller's pipes, so the caller's read of our output ends now.
          setsid bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 1; done; "$0" stop "$2" >/dev/null 2>&1; rm -rf "$2"' \
            "$0" "$owner" "$dir" </dev/null >/dev/null 2>&1 &
        fi
        echo "postgres://postgres@127.0.0.1:$port/postgres"
        exit 0
      fi
    done
    tail -20 "$dir/server.log" >&2 || true
    exit 1
    ;;
  stop)
    dir=$(cd "$dir" && pwd)
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null
    ;;
  *)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
