#!/usr/bin/env python3
"""Identity, bundles, event counts and secrets through the CLI (issue 8, defects 6-8 and 17):
run the built binary, then look at the summary, the store (findex sql, every table's rows, the SQLite file itself)
and the ASFF export. Usage: identity_test.py PATH_TO_FINDEX (from the source tree)."""
import json, os, subprocess, sys

import findex_cli
from findex_cli import StoreCase

FINDEX = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else "build/cli/findex"
SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SAMPLES = os.path.join(SRC, "samples")

# A Bandit report with the three hard-coded password tests (B105 string, B106 function argument,
# B107 default), shaped like Bandit 1.7 writes it.
PASSWORD = "Tr0ub4dor&3-horse-battery"
BANDIT = {
    "errors": [],
    "generated_at": "2026-01-01T00:00:00Z",
    "metrics": {"_totals": {"SEVERITY.HIGH": 0, "SEVERITY.LOW": 3, "CONFIDENCE.MEDIUM": 3, "loc": 10}},
    "results": [
        {"code": "3 DB_PASSWORD = '%s'\n4 \n" % PASSWORD, "col_offset": 14, "end_col_offset": 40,
         "filename": "app/settings.py", "issue_confidence": "MEDIUM", "issue_cwe": {"id": 259, "link": "https://cwe.mitre.org/data/definitions/259.html"},
         "issue_severity": "LOW", "issue_text": "Possible hardcoded password: '%s'" % PASSWORD, "line_number": 3,
         "line_range": [3], "more_info": "https://bandit.readthedocs.io/en/1.7.5/plugins/b105_hardcoded_password_string.html",
         "test_id": "B105", "test_name": "hardcoded_password_string"},
        {"code": "7 connect(user='app', password='%s')\n" % PASSWORD, "col_offset": 0, "end_col_offset": 40,
         "filename": "app/db.py", "issue_confidence": "MEDIUM", "issue_cwe": {"id": 259, "link": "https://cwe.mitre.org/data/definitions/259.html"},
         "issue_severity": "LOW", "issue_text": "Possible hardcoded password: '%s'" % PASSWORD, "line_number": 7,
         "line_range": [7], "more_info": "https://bandit.readthedocs.io/en/1.7.5/plugins/b106_hardcoded_password_funcarg.html",
         "test_id": "B106", "test_name": "hardcoded_password_funcarg"},
        {"code": "9 def login(user, password='%s'):\n10     pass\n" % PASSWORD, "col_offset": 0, "end_col_offset": 8,
         "filename": "app/auth.py", "issue_confidence": "MEDIUM", "issue_cwe": {"id": 259, "link": "https://cwe.mitre.org/data/definitions/259.html"},
         "issue_severity": "LOW", "issue_text": "Possible hardcoded password: '%s'" % PASSWORD, "line_number": 9,
         "line_range": [9, 10], "more_info": "https://bandit.readthedocs.io/en/1.7.5/plugins/b107_hardcoded_password_default.html",
         "test_id": "B107", "test_name": "hardcoded_password_default"},
    ],
}

# The same three results as Bandit's SARIF formatter (bandit -f sarif) writes them.
BANDIT_SARIF = {
    "version": "2.1.0",
    "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
    "runs": [{
        "tool": {"driver": {"name": "Bandit", "rules": [
            {"id": t, "name": n, "properties": {"tags": ["security", "external/cwe/cwe-259"], "precision": "medium"},
             "helpUri": "https://bandit.readthedocs.io/"} for t, n in
            [("B105", "hardcoded_password_string"), ("B106", "hardcoded_password_funcarg"), ("B107", "hardcoded_password_default")]]}},
        "results": [
            {"ruleId": r["test_id"], "level": "note", "message": {"text": r["issue_text"]},
             "locations": [{"physicalLocation": {"artifactLocation": {"uri": r["filename"]},
                                                 "region": {"startLine": r["line_number"], "snippet": {"text": r["code"]}}}}],
             "properties": {"issue_severity": "LOW", "issue_confidence": "MEDIUM"}}
            for r in BANDIT["results"]],
    }],
}


class Identity(StoreCase):
    TMP_PREFIX = "findex-identity-"

    def setUp(self):
        super().setUp()
        self.env = findex_cli.clean_env(FINDEX_NOW="2026-02-03T04:05:06.000Z")

    def run_findex(self, *args, stdin=None):
        return subprocess.run([FINDEX, "--db", self.db, *args], input=stdin, capture_output=True, env=self.env,
                              cwd=self.tmp)

    def ingest(self, *paths):
        r = self.run_findex("ingest", "--no-policy", "--summary", "json", *paths)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        return [json.loads(l) for l in r.stdout.decode().splitlines() if l.strip()]

    def write(self, name, obj):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            json.dump(obj, f)
        return path

    def assert_no_password(self):
        # Every stored field: the raw store file (SQLite), every table's values (blobs as bytes),
        # findex sql over the view, the ASFF export.
        if not findex_cli.PG:
            with open(self.db, "rb") as f:
                self.assertNotIn(PASSWORD.encode(), f.read())
            for suffix in ("-wal",):
                if os.path.exists(self.db + suffix):
                    with open(self.db + suffix, "rb") as f:
                        self.assertNotIn(PASSWORD.encode(), f.read())
        tables = findex_cli.tables(self.db)
        self.assertIn("findings", tables)
        for table in tables:
            for row in self.rows('SELECT * FROM "%s"' % table):
                for v in row.values():
                    if isinstance(v, bytes):
                        self.assertNotIn(PASSWORD.encode(), v, table)
                    else:
                        self.assertNotIn(PASSWORD, str(v), table)
        r = self.run_findex("sql", "SELECT * FROM v_findings", "--format", "json")
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertNotIn(PASSWORD, r.stdout.decode())
        r = self.run_findex("export", "--format", "asff")
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        out = r.stdout.decode()
        self.assertNotIn(PASSWORD, out)
        return json.loads(out)

    # --- defect 17: Bandit B105-B107 keep only a redacted preview and a hash ---
    def test_bandit_password_tests_store_no_password(self):
        self.ingest(self.write("bandit.json", BANDIT))
        asff = self.assert_no_password()
        self.assertEqual(len(asff), 3)
        for f in asff:
            self.assertIn("redacted", f["Title"])
            pf = f["ProductFields"]
            self.assertTrue(pf["bandit/SecretPreview"].startswith("Tr0u"), pf)
            self.assertTrue(pf["bandit/SecretHash"].startswith("xxh3-128:"), pf)
            self.assertEqual(f["Types"], ["Sensitive Data Identifications/Passwords"])
        # One hash for one password, wherever it is.
        self.assertEqual(len({f["ProductFields"]["bandit/SecretHash"] for f in asff}), 1)

    def test_bandit_sarif_password_tests_store_no_password(self):
        self.ingest(self.write("bandit.sarif", BANDIT_SARIF))
        asff = self.assert_no_password()
        self.assertEqual(len(asff), 3)
        hashes = {f["ProductFields"]["bandit/SecretHash"] for f in asff}
        self.assertEqual(len(hashes), 1)

    # --- defect 8: Falco records are the events read ---
    def test_falco_records_are_events_read(self):
        path = os.path.join(SAMPLES, "falco", "falco_repo_cat_write_2021_source_tags.jsonl")
        out = self.ingest(path)
        self.assertEqual(out[0]["records"], 8)
        self.assertEqual(out[0]["new"], 1)
        r = self.run_findex("sql", "SELECT occurrences FROM v_findings", "--format", "csv")
        self.assertEqual(r.stdout.decode().split(), ["occurrences", "8"])
        r = self.run_findex("sql", "SELECT records FROM runs", "--format", "csv")
        self.assertEqual(r.stdout.decode().split(), ["records", "8"])

    def test_falco_stream_records_are_events_read(self):
        path = os.path.join(SAMPLES, "falco", "falco_repo_cat_write_2021_source_tags.jsonl")
        with open(path, "rb") as f:
            data = f.read()
        r = self.run_findex("ingest", "--no-policy", "--format", "falco", "--summary", "json", "-", stdin=data)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        r = self.run_findex("sql", "SELECT sum(records) FROM runs", "--format", "csv")
        self.assertEqual(r.stdout.decode().split()[-1], "8")

    # --- defect 7: Dependency-Check, one finding per listed vulnerability ---
    def test_dependency_check_bundle_is_one_finding_per_vulnerability(self):
        # org.eclipse.osgi-3.18.0.jar lists 2 vulnerabilities and has 1 related dependency.
        path = os.path.join(SAMPLES, "dependency-check-xml", "dd_pr6439_engine7.3.0_large.xml")
        self.ingest(path)
        r = self.run_findex("export", "--format", "asff", "--title", "org.eclipse.osgi")
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        osgi = json.loads(r.stdout.decode())
        self.assertEqual(len(osgi), 2, [f["Title"] for f in osgi])
        for f in osgi:
            related = [x for x in f["Resources"] if x.get("Details", {}).get("Other", {}).get("RelatedDependency") == "true"]
            self.assertEqual(len(related), 1, f["Resources"])


if __name__ == "__main__":
    findex_cli.main()
