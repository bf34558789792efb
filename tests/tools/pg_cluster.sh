#!/bin/sh
# pg_cluster.sh start|stop STATE -- a throw-away PostgreSQL cluster for the
# tests that run the store against PostgreSQL.
#
# start: initdb + pg_ctl start in a fresh temporary directory (fsync off:
#   nothing in it needs to survive a power cut), listening on a unix socket
#   in that directory and on a free loopback port with a random password;
#   waits until it accepts connections (pg_isready, with a deadline), then
#   writes the libpq URI to STATE/uri (postgresql://postgres:PW@127.0.0.1:
#   PORT/postgres), prints it, and keeps the data directory's name in
#   STATE/datadir. The tests read STATE/uri and create one database each.
#   As root (CI) the server runs as the system user postgres (runuser),
#   since PostgreSQL refuses to run as root.
#   Without PostgreSQL's server binaries it writes the reason to STATE/skip
#   and exits 0: the PostgreSQL tests then say "skipped" (exit 77). Any
#   other failure is an error (exit 1) with the server's log.
# stop: pg_ctl stop -m immediate and removes the data directory.
#
# Binaries: WARD_PG_BIN, else the newest /usr/lib/postgresql/*/bin (Debian),
# else initdb and pg_ctl from PATH.
set -eu

usage() {
  echo "usage: $0 start|stop STATE_DIR" >&2
  exit 2
}
[ $# -eq 2 ] || usage
cmd=$1
state=$2

find_bin() {
  if [ -n "${WARD_PG_BIN:-}" ]; then
    echo "$WARD_PG_BIN"
    return
  fi
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n -r); do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
      echo "$d"
      return
    fi
  done
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(command -v initdb)"
  fi
}

# Runs a command as the cluster's owner.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

start() {
  mkdir -p "$state"
  rm -f "$state/uri" "$state/skip" "$state/datadir"
  bin=$(find_bin)
  if [ -z "$bin" ]; then
    echo "PostgreSQL server binaries (initdb, pg_ctl) not installed" >"$state/skip"
    echo "pg_cluster: skipped: $(cat "$state/skip")"
    exit 0
  fi
  if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
    echo "pg_cluster: running as root needs the system user 'postgres'" \
      "(created by Debian's postgresql package)" >&2
    exit 1
  fi
  data=$(mktemp -d /tmp/ward-pg.XXXXXX)
  echo "$data" >"$state/datadir"
  pw=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
  printf '%s\n' "$pw" >"$data/pw"
  chmod 600 "$data/pw"
  [ "$(id -u)" -eq 0 ] && chown -R postgres "$data"
  if ! as_owner "$bin/initdb" -D "$data/db" -U postgres --pwfile="$data/pw" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C \
    --no-sync >"$data/initdb.log" 2>&1; then
    cat "$data/initdb.log" >&2
    echo "pg_cluster: initdb failed" >&2
    exit 1
  fi
  # a free port: try a few random ones (another cluster or service may
  # hold one); pg_ctl -w waits until the server accepts connections
  tries=0
  while :; do
    tries=$((tries + 1))
    port=$(shuf -i 20000-60999 -n 1)
    rm -f "$data/server.log"
    if as_owner "$bin/pg_ctl" start -w -t 120 -D "$data/db" -l "$data/server.log" \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $data -c fsync=off \
-c synchronous_commit=off -c full_page_writes=off -c max_connections=200 \
-c shared_buffers=32MB -c deadlock_timeout=100ms -c log_min_messages=warning" >/dev/null 2>&1; then
      break
    fi
    if [ $tries -ge 10 ] || ! grep -q -i -E 'could not bind|address already in use' \
      "$data/server.log" 2>/dev/null; then
      cat "$data/server.log" >&2 2>/dev/null || true
      echo "pg_cluster: the server did not start" >&2
      exit 1
    fi
  done
  # ready for connections over TCP as well (deadline 60 s)
  ready=0
  for _ in $(seq 1 600); do
    if "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" 2>/dev/null; then
      ready=1
      break
    fi
    sleep 0.1
  done
  if [ $ready -ne 1 ]; then
    cat "$data/server.log" >&2
    echo "pg_cluster: the server does not accept connections on port $port" >&2
    exit 1
  fi
  echo "postgresql://postgres:$pw@127.0.0.1:$port/postgres" >"$state/uri"
  echo "postgresql:///postgres?host=$data&port=$port&user=postgres" >"$state/socket_uri"
  cat "$state/uri"
}

stop() {
  [ -f "$state/datadir" ] || exit 0
  data=$(cat "$state/datadir")
  bin=$(find_bin)
  if [ -n "$bin" ] && [ -d "$data/db" ]; then
    as_owner "$bin/pg_ctl" stop -m immediate -D "$data/db" >/dev/null 2>&1 || true
  fi
  case "$data" in
  /tmp/ward-pg.*) rm -rf "$data" ;;
  esac
  rm -f "$state/uri" "$state/socket_uri" "$state/datadir"
}

case "$cmd" in
start) start ;;
stop) stop ;;
*) usage ;;
esac
