#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite (ctest) against both stores:
# every test on SQLite, and the CLI tests (tests/cli/*_test.py, as <name>_pg) again on a
# throwaway PostgreSQL cluster that this script starts (scripts/pg_cluster.sh) and stops.
# With FINDEX_TEST_PG already set (a libpq URI whose role may create schemas in its database),
# the _pg tests use that server instead and none is started. PostgreSQL is never skipped here:
# a server that cannot start or be reached fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/check_werror.sh

if [ -z "${FINDEX_TEST_PG:-}" ]; then
  pgdir=$(mktemp -d /tmp/findex-pg.XXXXXX)
  trap './scripts/pg_cluster.sh stop "$pgdir"' EXIT
  FINDEX_TEST_PG=$(./scripts/pg_cluster.sh start "$pgdir")
  echo "test: PostgreSQL $FINDEX_TEST_PG" >&2
fi
export FINDEX_TEST_PG
export FINDEX_TEST_PG_REQUIRED=1
ctest --test-dir build --output-on-failure -j "$(nproc)"
