#!/usr/bin/env bash
# Rebuilds docs/report.png (README "HTML report"): a store from the bundled samples, ingested as
# a team would over three months (rescans fix and reopen findings), `findex report`, and a
# screenshot by headless Chromium (Debian's chromium). Usage: docs/report-screenshot.sh [FINDEX]
set -euo pipefail
cd "$(dirname "$0")/.."
FINDEX=$(realpath "${1:-build/cli/findex}")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export FINDEX_DB="$tmp/findex.db"
s=samples
ingest() { FINDEX_NOW="$1" "$FINDEX" -q ingest --no-policy --scope "$2" "${@:3}"; }
ingest 2026-09-01T09:00:00Z shop-web  $s/zap-xml/dd_zap_2.10.0_bodgeit_scan1.xml
ingest 2026-09-01T09:10:00Z shop-api  $s/bandit/dd_bandit_many_vulns.json $s/sarif/dd_semgrep_oss_1.69.0_juiceshop_38_results_derived.sarif
ingest 2026-09-01T09:20:00Z shop-deps $s/grype/dd_grype_0.7.0_many_vulns3.json
ingest 2026-09-15T09:00:00Z infra     $s/checkov/dd_checkov_1.0.467_terraform.json
ingest 2026-10-01T09:00:00Z shop-web  $s/zap-xml/dd_zap_2.10.0_bodgeit_scan2.xml
ingest 2026-10-01T09:10:00Z shop-api  $s/sarif/dd_semgrep_1.97.0_run1_as_sarif.sarif
ingest 2026-10-15T09:00:00Z shop-deps $s/grype/dd_grype_0.94.0_epss.json $s/dependency-check-json/derived_schema4.1_cvss4_kev_related.json
ingest 2026-11-01T09:00:00Z infra     $s/checkov/dd_checkov_2.2.34_severity.json
ingest 2026-11-10T09:10:00Z shop-api  $s/sarif/dd_semgrep_1.97.0_run2_as_sarif.sarif
ingest 2026-11-20T09:00:00Z shop-web  $s/zap-xml/dd_zap_2.10.0_bodgeit_scan1.xml
FINDEX_NOW=2026-12-01T09:00:00Z "$FINDEX" report -o "$tmp/report.html" --sla CRITICAL=7,HIGH=30,MEDIUM=90,LOW=180,kev=due_date
chromium --headless --disable-gpu --no-sandbox --no-first-run --user-data-dir="$tmp/profile" \
  --host-resolver-rules="MAP * ~NOTFOUND" --virtual-time-budget=5000 --hide-scrollbars \
  --window-size=1400,2400 --screenshot="$tmp/report.png" "file://$tmp/report.html" 2>/dev/null
cp "$tmp/report.png" docs/report.png; [ -z "${KEEP:-}" ] || cp "$tmp/findex.db" "$KEEP"
echo "wrote docs/report.png" >&2
