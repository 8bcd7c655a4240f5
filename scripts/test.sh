#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite (ctest) against both stores:
# every test on SQLite, and the CLI tests (tests/cli/*_test.py, as <name>_pg) again on a
# throwaway PostgreSQL cluster that this script starts (scripts/pg_cluster.sh: as the postgres
# user, socket only, in a fresh /tmp/findex-pg.* directory) and stops and removes on exit. It
# never uses another server: FINDEX_TEST_PG from the caller's environment is replaced. (To run
# the _pg tests on a server of your own: FINDEX_TEST_PG=URI ctest --test-dir build -L postgres.)
# PostgreSQL is never skipped here: a cluster that cannot start fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/check_werror.sh

pgdir=$(mktemp -d /tmp/findex-pg.XXXXXX)
trap './scripts/pg_cluster.sh stop "$pgdir"' EXIT
FINDEX_TEST_PG=$(./scripts/pg_cluster.sh start "$pgdir")
echo "test: PostgreSQL $FINDEX_TEST_PG (stopped and removed at exit)" >&2
# The cluster's superuser, for test set-up that needs an administrator (roles); never findex's.
FINDEX_TEST_PG_ADMIN=$(./scripts/pg_cluster.sh admin-uri "$pgdir")
export FINDEX_TEST_PG FINDEX_TEST_PG_ADMIN
export FINDEX_TEST_PG_REQUIRED=1
ctest --test-dir build --output-on-failure -j "$(nproc)"
