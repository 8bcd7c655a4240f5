#!/usr/bin/env bash
# Rebuilds docs/report.png (README "HTML report"): a store from the bundled samples, ingested as
# a team would over three months (rescans fix and reopen findings), `findex report`, and a
# screenshot by headless Chromium (Debian's chromium). Usage: docs/report-screenshot.sh [FINDEX]
set -euo pipefail
cd "$(dirname "$0")/.."
FINDEX=$(realpath "${1:-build/cli/findex}")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
s=$PWD/samples
out=$PWD/docs/report.png
cd "$tmp"
export FINDEX_DB=findex.db  # as the page shows it
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
# Prioritisation feeds in the published shapes of CISA KEV and FIRST EPSS for the store's CVEs.
# ILLUSTRATIVE values (which CVEs are listed, the scores): a picture of the page, not advice.
"$FINDEX" sql --format csv "SELECT DISTINCT vuln_id FROM v_findings WHERE vuln_id LIKE 'CVE-%' ORDER BY vuln_id" |
  tail -n +2 | python3 -c '
import hashlib, json, sys
cves = [l.strip() for l in sys.stdin if l.strip()]
score = lambda c: int(hashlib.sha256(c.encode()).hexdigest()[:8], 16) / 2**32
kev = [c for c in cves if score(c) > 0.93][:6]
entry = lambda c, i: {"cveID": c, "vendorProject": "example", "product": "example", "vulnerabilityName": "illustrative",
                      "dateAdded": "2026-10-01", "shortDescription": "illustrative", "requiredAction": "patch",
                      "dueDate": "2026-12-0%d" % (3 + i), "knownRansomwareCampaignUse": "Known" if i == 0 else "Unknown",
                      "notes": "", "cwes": []}
json.dump({"title": "illustrative", "catalogVersion": "2026.12.01", "dateReleased": "2026-12-01T00:00:00.000Z",
           "count": len(kev), "vulnerabilities": [entry(c, i) for i, c in enumerate(kev)]}, open(sys.argv[1], "w"))
with open(sys.argv[2], "w") as f:
    f.write("#model_version:v2025.03.14,score_date:2026-12-01T00:00:00Z\ncve,epss,percentile\n")
    for c in cves:
        f.write("%s,%.5f,%.5f\n" % (c, score(c) ** 6, score(c)))
' "$tmp/kev.json" "$tmp/epss.csv"
FINDEX_NOW=2026-12-01T09:00:00Z "$FINDEX" enrich --kev "$tmp/kev.json" --epss "$tmp/epss.csv"
FINDEX_NOW=2026-12-01T09:00:00Z "$FINDEX" report -o "$tmp/report.html" --sla CRITICAL=7,HIGH=30,MEDIUM=90,LOW=180,kev=due_date
chromium --headless --disable-gpu --no-sandbox --no-first-run --user-data-dir="$tmp/profile" \
  --host-resolver-rules="MAP * ~NOTFOUND" --virtual-time-budget=5000 --hide-scrollbars \
  --window-size=1400,2400 --screenshot="$tmp/report.png" "file://$tmp/report.html" 2>/dev/null
cp "$tmp/report.png" "$out"
echo "wrote docs/report.png" >&2
