#!/usr/bin/env bash
# Installs what is missing, builds, then runs the main job on the bundled samples:
# ingests samples/ into a fresh store (demo.db) under the example policy samples/findex.yml,
# prints the summary, the policy gates and a plain --fail-on gate.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
DB="${FINDEX_DB:-demo.db}"
rm -f "$DB" "$DB-wal" "$DB-shm"
echo "== findex ingest samples/  (store: $DB)"
# samples/ also holds golden files and deliberately broken reports (truncated, mislabeled):
# each of those is reported on stderr as one line naming the file and the reason (exit 2).
set +e
# Each sample report is its own project: its scope is "<folder>:<file>".
./build/cli/findex --db "$DB" ingest --policy samples/findex.yml --scope-from-path 'samples/{format}/{report}' \
  --exclude '*.expected.json' --exclude '*.tsv' --exclude '*.md' --exclude '*.yml' samples/
ingest_rc=$?
echo
echo "== findex query --group-by severity"
./build/cli/findex --db "$DB" query --state ACTIVE --group-by severity
echo
echo "== findex gate --all-scopes --policy samples/findex.yml  (its gates: no-new-high, fixable-sca)"
./build/cli/findex --db "$DB" gate --all-scopes --policy samples/findex.yml --show 5 --report markdown -o demo-gate.md
policy_rc=$?
echo "(pull-request comment written to demo-gate.md)"
echo
echo "== findex report --policy samples/findex.yml -o demo-report.html"
./build/cli/findex --db "$DB" report --policy samples/findex.yml -o demo-report.html
echo "(open demo-report.html in a browser: charts, trend, SLA ageing, findings table)"
echo
echo "== findex gate --all-scopes --fail-on CRITICAL"
./build/cli/findex --db "$DB" gate --all-scopes --fail-on CRITICAL --show 5
gate_rc=$?
set -e
echo
echo "ingest exit code: $ingest_rc (2 = some files failed, as the broken samples must); policy gate exit code: $policy_rc, gate exit code: $gate_rc (1 = failed)"
