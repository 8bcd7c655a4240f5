#!/usr/bin/env python3
"""findex enrich (issue 11): CISA KEV and FIRST EPSS feeds loaded into the store, resolved to
findings through their CVEs and aliases (GHSA <-> CVE as the report gives them), "no data" kept
distinct from "not in KEV" and from a score of 0, feeds applied at later ingests, a bad feed that
changes nothing. Feeds are written by the test in the published shapes (KEV JSON, EPSS CSV).
Report: a real Grype report (samples/grype/dd_grype_0.28.0_all_fields.json): CVE-2004-0971,
CVE-2021-32626 (no aliases), CVE-2021-33574 (two packages), GHSA-v6rh-hp5x-86rv (alias
CVE-2021-44420). Usage: enrich_test.py PATH_TO_FINDEX (run from the source tree)."""
import gzip, json, os, subprocess, sys

import findex_cli
from findex_cli import StoreCase

FINDEX = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else "build/cli/findex"
SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
GRYPE = os.path.join(SRC, "samples", "grype", "dd_grype_0.28.0_all_fields.json")


def kev_doc(entries, version="2026.12.01"):
    vulns = []
    for cve, due, ransomware in entries:
        vulns.append({"cveID": cve, "vendorProject": "Vendor", "product": "Product", "vulnerabilityName": "name " + cve,
                      "dateAdded": "2026-11-01", "shortDescription": "desc", "requiredAction": "Apply updates.",
                      "dueDate": due, "knownRansomwareCampaignUse": "Known" if ransomware else "Unknown",
                      "notes": "", "cwes": ["CWE-20"]})
    return {"title": "CISA Catalog of Known Exploited Vulnerabilities", "catalogVersion": version,
            "dateReleased": "2026-12-01T15:00:00.0000Z", "count": len(vulns), "vulnerabilities": vulns}


def epss_text(rows, date="2026-12-01T00:00:00Z"):
    return "#model_version:v2025.03.14,score_date:%s\ncve,epss,percentile\n" % date + "".join(
        "%s,%s,%s\n" % r for r in rows)


class Enrich(StoreCase):
    TMP_PREFIX = "findex-enrich-"

    def setUp(self):
        super().setUp()
        self.env = findex_cli.clean_env(FINDEX_NOW="2026-12-02T10:00:00.000Z")

    def run_findex(self, *args, db=None):
        return subprocess.run([FINDEX, "--db", db or self.db, *args], capture_output=True, text=True, env=self.env,
                              cwd=self.tmp)

    def write(self, name, text, gz=False):
        path = os.path.join(self.tmp, name)
        if gz:
            with gzip.open(path, "wt") as f:
                f.write(text)
        else:
            with open(path, "w") as f:
                f.write(text)
        return path

    def feeds(self, kev=None, epss=None, gz=False):
        args = []
        if kev is not None:
            args += ["--kev", self.write("kev.json", json.dumps(kev_doc(kev)))]
        if epss is not None:
            args += ["--epss", self.write("epss.csv.gz" if gz else "epss.csv", epss_text(epss), gz=gz)]
        return args

    def enrich(self, *args, db=None, rc=0):
        r = self.run_findex("enrich", "--summary", "json", *args, db=db)
        self.assertEqual(r.returncode, rc, r.stderr)
        return json.loads(r.stdout) if rc == 0 else r

    def ingest(self, path, db=None):
        r = self.run_findex("ingest", "-q", path, db=db)
        self.assertEqual(r.returncode, 0, r.stderr)

    def columns(self, db=None):
        """{(vuln_id, package): (kev, kev_due, ransomware, epss, epss_percentile)}"""
        got = {}
        for r in findex_cli.rows(db or self.db, "SELECT vuln_id, package, kev, kev_due, ransomware, epss,"
                                                " epss_percentile FROM findings"):
            got[(r["vuln_id"], r["package"])] = (r["kev"], r["kev_due"], r["ransomware"],
                                                 None if r["epss"] is None else float(r["epss"]),
                                                 None if r["epss_percentile"] is None else float(r["epss_percentile"]))
        return got

    KEV = [("CVE-2021-44420", "2026-12-20", True), ("CVE-2021-33574", "2026-11-20", False)]
    EPSS = [("CVE-2021-44420", "0.91234", "0.99100"), ("CVE-2004-0971", "0.00000", "0.00000"),
            ("CVE-2021-33574", "0.20000", "0.95000")]

    def test_no_feed_means_no_data(self):
        self.ingest(GRYPE)
        for key, cols in self.columns().items():
            self.assertEqual(cols, (None, None, None, None, None), key)

    def test_feeds_resolve_through_cves_and_aliases(self):
        self.ingest(GRYPE)
        out = self.enrich(*self.feeds(self.KEV, self.EPSS))
        self.assertEqual(sorted(f["name"] for f in out["feeds"]), ["epss", "kev"])
        kev = next(f for f in out["feeds"] if f["name"] == "kev")
        self.assertEqual((kev["version"], kev["entries"]), ("2026.12.01", 2))
        epss = next(f for f in out["feeds"] if f["name"] == "epss")
        self.assertEqual((epss["version"], epss["released"], epss["entries"]),
                         ("v2025.03.14", "2026-12-01T00:00:00Z", 3))
        cols = self.columns()
        # The GHSA finding meets CISA's and FIRST's CVE through the report's alias.
        self.assertEqual(cols[("GHSA-V6RH-HP5X-86RV", "Django")], (1, "2026-12-20", 1, 0.91234, 0.991))
        self.assertEqual(cols[("CVE-2021-33574", "libc6")], (1, "2026-11-20", 0, 0.2, 0.95))
        self.assertEqual(cols[("CVE-2021-33574", "libc-bin")], (1, "2026-11-20", 0, 0.2, 0.95))
        # A score of 0 is data; a CVE the EPSS feed lacks is not.
        self.assertEqual(cols[("CVE-2004-0971", "libgssapi-krb5-2")], (0, None, None, 0.0, 0.0))
        self.assertEqual(cols[("CVE-2021-32626", "redis")], (0, None, None, None, None))
        self.assertEqual(out["kev"], 3)
        self.assertEqual(out["ransomware"], 1)
        self.assertEqual(out["epss"], 4)
        self.assertEqual(out["changed"], out["findings"])
        # The documented view carries them too.
        v = findex_cli.rows(self.db, "SELECT kev, kev_due, ransomware, epss FROM v_findings WHERE vuln_id = ?",
                            "GHSA-V6RH-HP5X-86RV")
        self.assertEqual((v[0]["kev"], v[0]["kev_due"], v[0]["ransomware"], float(v[0]["epss"])),
                         (1, "2026-12-20", 1, 0.91234))

    def test_reloading_a_feed_replaces_it(self):
        self.ingest(GRYPE)
        self.enrich(*self.feeds(self.KEV, self.EPSS))
        # A newer catalog without the GHSA's CVE, the EPSS feed left as loaded.
        out = self.enrich(*self.feeds([("CVE-2021-33574", "2026-11-20", False)]))
        self.assertEqual(findex_cli.value(self.db, "SELECT count(*) FROM kev"), 1)
        self.assertEqual(findex_cli.value(self.db, "SELECT count(*) FROM epss"), 3)
        cols = self.columns()
        self.assertEqual(cols[("GHSA-V6RH-HP5X-86RV", "Django")], (0, None, None, 0.91234, 0.991))
        self.assertEqual(out["changed"], 1)
        # The same feeds again change nothing.
        self.assertEqual(self.enrich(*self.feeds([("CVE-2021-33574", "2026-11-20", False)]))["changed"], 0)

    def test_ingest_after_enrich_gives_the_same_columns(self):
        self.enrich(*self.feeds(self.KEV, self.EPSS, gz=True))
        self.ingest(GRYPE)
        other = self.new_store("other.db")
        self.ingest(GRYPE, db=other)
        self.enrich(*self.feeds(self.KEV, self.EPSS), db=other)
        self.assertEqual(self.columns(), self.columns(other))
        self.assertEqual(self.columns()[("GHSA-V6RH-HP5X-86RV", "Django")][0], 1)

    def test_a_bad_feed_changes_nothing(self):
        self.ingest(GRYPE)
        self.enrich(*self.feeds(self.KEV, self.EPSS))
        before = self.columns()
        feeds_before = findex_cli.rows(self.db, "SELECT name, version, released, entries FROM feeds ORDER BY name")
        bad = self.write("bad.csv", epss_text([("CVE-2021-44420", "0.5", "0.5"), ("CVE-2021-33574", "1.5", "0.9")]))
        r = self.enrich("--kev", self.write("kev2.json", json.dumps(kev_doc([]))), "--epss", bad, rc=2)
        self.assertIn("bad.csv", r.stderr)
        self.assertIn("bad.csv:4:", r.stderr)
        self.assertEqual(self.columns(), before)
        self.assertEqual(findex_cli.rows(self.db, "SELECT name, version, released, entries FROM feeds ORDER BY name"),
                         feeds_before)
        r = self.enrich("--kev", self.write("broken.json", '{"vulnerabilities": [}'), rc=2)
        self.assertIn("broken.json", r.stderr)
        self.assertEqual(self.columns(), before)

    @findex_cli.pg_only("SQLite's upgrade from schema 6 is migration_test's")
    def test_a_schema_6_postgresql_store_is_upgraded(self):
        self.ingest(GRYPE)
        # Back to what schema 6 had: no feed tables, no exploitation columns.
        findex_cli.execute(self.db, "DROP VIEW v_findings")
        for stmt in ("DROP TABLE feeds", "DROP TABLE kev", "DROP TABLE epss", "DELETE FROM findex_schema WHERE version >= 7",
                     "DROP TABLE IF EXISTS deliveries", "DROP TABLE IF EXISTS action_links",
                     "DROP TABLE IF EXISTS identity_keys", "DROP TABLE IF EXISTS identity_keys_from",
                     "ALTER TABLE findings DROP COLUMN IF EXISTS actions",
                     "ALTER TABLE findings DROP COLUMN kev, DROP COLUMN kev_due, DROP COLUMN ransomware,"
                     " DROP COLUMN epss, DROP COLUMN epss_percentile",
                     "CREATE VIEW v_findings AS SELECT id FROM findings"):
            findex_cli.execute(self.db, stmt)
        r = self.run_findex("query", "--format", "json")
        self.assertEqual(r.returncode, 2)
        self.assertIn("older than this findex", r.stderr)
        out = self.enrich(*self.feeds(self.KEV, self.EPSS))
        self.assertEqual(out["kev"], 3)
        self.assertGreaterEqual(findex_cli.value(self.db, "SELECT max(version) FROM findex_schema"), 7)
        self.assertEqual(findex_cli.value(self.db, "SELECT count(*) FROM v_findings WHERE kev = 1"), 3)

    def test_nothing_to_load_is_a_usage_error(self):
        r = self.run_findex("enrich")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--kev", r.stderr)


if __name__ == "__main__":
    findex_cli.main()
