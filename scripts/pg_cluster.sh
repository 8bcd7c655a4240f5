#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests (Debian's postgresql package; run as root, or as a
# developer who may sudo). The server runs as the `postgres` user, listens on a Unix socket in a
# private directory only (no TCP), trusts local connections, and does not fsync: it is for tests.
#
#   scripts/pg_cluster.sh start DIR   initdb into DIR (created; must not hold a cluster already),
#                                     start the server, create the role `findex` (no superuser,
#                                     no CREATEDB, no CREATEROLE) owning the database
#                                     `findex_test`, and print its libpq URI on stdout
#                                     (also kept in DIR/uri). The server log is DIR/log.
#                                     A second role, `findex_reader`, has no rights at all:
#                                     tests grant it read access to their schema
#                                     (tests/cli/roles_test.py).
#   scripts/pg_cluster.sh stop DIR    stop that server (if it runs) and remove DIR.
#   scripts/pg_cluster.sh uri DIR     print the URI again.
#   scripts/pg_cluster.sh admin-uri DIR   the URI of the cluster's superuser (postgres) on
#                                     findex_test: for a test's set-up that needs an
#                                     administrator (CREATE ROLE, as the README's role SQL);
#                                     findex itself is never run with it.
#
# The tests' URI base is the printed URI; each test appends `&schema=t_<unique>` (see
# tests/cli/findex_cli.py). Never touches any other server: the port only names the socket
# file in DIR's own socket directory. PG_CLUSTER_PORT overrides the port (default 55432).
# PG_CLUSTER_ICU_LOCALE=en-US creates findex_test with that ICU collation instead of C, as many
# production servers have (text sorts and compares by language rules, not by code point): findex
# must give the same output there too.
set -euo pipefail

usage() { echo "usage: $0 start|stop|uri|admin-uri DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1
dir=$2
case "$dir" in
  /*) ;;
  *) dir="$(pwd)/$dir" ;;
esac
case "$dir" in
  *[!A-Za-z0-9/._-]*) echo "pg_cluster: DIR must be a plain path ([A-Za-z0-9/._-]): $dir" >&2; exit 2 ;;
esac
port=${PG_CLUSTER_PORT:-55432}

SUDO=()
[ "$(id -u)" -eq 0 ] || SUDO=(sudo)
# Runs a command as the postgres user, from / (the caller's directory may be closed to it).
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    (cd / && runuser -u postgres -- "$@")
  else
    (cd / && sudo -u postgres -- "$@")
  fi
}

pg_bindir() {
  local d
  # The newest installed server (Debian: /usr/lib/postgresql/<major>/bin); `pg_config --bindir`
  # may name the client's directory, which has no initdb.
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4,4 -n -r); do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ]; then
      echo "$d"
      return 0
    fi
  done
  if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
    dirname "$(readlink -f "$(command -v initdb)")"
    return 0
  fi
  echo "pg_cluster: no PostgreSQL server found (apt-get install postgresql)" >&2
  return 1
}

uri() { echo "postgresql://${1:-findex}@/findex_test?host=$dir/sock&port=$port"; }

start() {
  id postgres >/dev/null 2>&1 || { echo "pg_cluster: no postgres user (apt-get install postgresql)" >&2; exit 1; }
  local bin
  bin=$(pg_bindir)
  if [ -e "$dir/data" ]; then
    echo "pg_cluster: $dir/data exists; stop that cluster first ($0 stop $dir)" >&2
    exit 1
  fi
  "${SUDO[@]}" mkdir -p "$dir"
  # The postgres user owns DIR; everyone may enter it to reach the socket (trust auth: a test
  # cluster on a machine whose users are trusted).
  "${SUDO[@]}" chown postgres: "$dir"
  "${SUDO[@]}" chmod 755 "$dir"
  as_pg mkdir -m 755 "$dir/sock"
  local out
  if ! out=$(as_pg "$bin/initdb" -D "$dir/data" --locale=C -E UTF8 --auth=trust -U postgres \
        --no-instructions 2>&1); then
    echo "$out" >&2
    echo "pg_cluster: initdb failed" >&2
    exit 1
  fi
  if ! as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 \
        -o "-c port=$port -c listen_addresses= -c unix_socket_directories=$dir/sock -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100" \
        start >/dev/null; then
    echo "pg_cluster: the server did not start; its log ($dir/log):" >&2
    as_pg cat "$dir/log" >&2 || true
    exit 1
  fi
  local locale_opts=""
  if [ -n "${PG_CLUSTER_ICU_LOCALE:-}" ]; then
    case "$PG_CLUSTER_ICU_LOCALE" in
      *[!A-Za-z0-9_-]*) echo "pg_cluster: bad PG_CLUSTER_ICU_LOCALE" >&2; exit 2 ;;
    esac
    locale_opts="TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE '$PG_CLUSTER_ICU_LOCALE'"
  fi
  as_pg "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir/sock" -p "$port" -U postgres -d postgres <<SQL
CREATE ROLE findex LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
CREATE ROLE findex_reader LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
CREATE DATABASE findex_test OWNER findex $locale_opts;
SQL
  # The database owner owns its public schema on PostgreSQL 15 (pg_database_owner); older
  # servers grant CREATE on public to everyone. Either way findex may create its own schemas.
  uri | as_pg tee "$dir/uri" >/dev/null
  uri postgres | as_pg tee "$dir/admin_uri" >/dev/null
  uri
}

stop() {
  local bin
  if [ -f "$dir/data/postmaster.pid" ]; then
    bin=$(pg_bindir)
    as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null || true
  fi
  if [ -d "$dir" ]; then
    "${SUDO[@]}" rm -rf "$dir"
  fi
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  uri) [ -f "$dir/uri" ] || { echo "pg_cluster: no cluster in $dir" >&2; exit 1; }; cat "$dir/uri" ;;
  admin-uri) [ -f "$dir/admin_uri" ] || { echo "pg_cluster: no cluster in $dir" >&2; exit 1; }; cat "$dir/admin_uri" ;;
  *) usage ;;
esac
