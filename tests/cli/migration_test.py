#!/usr/bin/env python3
"""A store written by the previous release (schema 5: one ASFF document per finding) opens,
migrates to the normalized schema 6 and gives byte-for-byte the output that release gave for it
(tests/data/store_v5: built by findex 29a4651 from one sample per format, a policy run and a
triage). A re-ingest of the same findings after the upgrade finds them unchanged: the content
hash is recomputed the way ingest computes it.
Usage: migration_test.py PATH_TO_FINDEX (run from the source tree)."""
import gzip, json, os, shutil, sqlite3, subprocess, sys, tempfile, unittest

import findex_cli

FINDEX = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else "build/cli/findex"
SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURE = os.path.join(SRC, "tests", "data", "store_v5")
# Samples whose reader has learned more since the fixture was built: their findings carry the
# exploitation data the report holds (issue 11: EPSS, CISA KEV, ExploitAvailable), so a re-ingest
# updates them.
GAINED_DATA = {"dd_asff_array_many_inspector.json", "derived_schema4.1_cvss4_kev_related.xml",
               "dd_grype_0.94.0_epss.json", "dd_aws_inspector2_many_vul.json"}


def gunzip(name):
    with gzip.open(os.path.join(FIXTURE, name), "rb") as f:
        return f.read()


@findex_cli.sqlite_only("upgrades a schema-5 SQLite file in place (moving a SQLite store to PostgreSQL is"
                        " migrate-store's test)")
class Migration(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="findex-migration-")
        self.db = os.path.join(self.tmp, "v5.db")
        with open(self.db, "wb") as f:
            f.write(gunzip("store.db.gz"))
        self.env = findex_cli.clean_env(FINDEX_NOW="2026-11-03T00:00:00.000Z")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def run_findex(self, *args, now=None):
        env = dict(self.env, FINDEX_NOW=now) if now else self.env
        return subprocess.run([FINDEX, "--db", self.db, *args], capture_output=True, env=env, cwd=SRC)

    def sql(self, q):
        con = sqlite3.connect(self.db)
        try:
            return con.execute(q).fetchall()
        finally:
            con.close()

    def test_fixture_is_schema_5(self):
        # The fixture itself: a schema-5 store with documents (else this test proves nothing).
        self.assertEqual(self.sql("PRAGMA user_version")[0][0], 5)
        self.assertGreater(self.sql("SELECT count(*) FROM finding_docs")[0][0], 300)

    def test_exports_are_byte_identical_after_migration(self):
        for fmt, name in (("asff", "export.asff.json.gz"), ("sarif", "export.sarif.gz")):
            out = os.path.join(self.tmp, "out." + fmt)
            r = self.run_findex("export", "--format", fmt, "-o", out)
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(out, "rb") as f:
                got = f.read()
            self.assertEqual(got, gunzip(name), fmt + " export differs from the previous release's")
        r = self.run_findex("query", "--all-states", "--format", "json")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, gunzip("query.json.gz"))
        # Migrated: no documents, details and shared texts instead.
        self.assertEqual(self.sql("PRAGMA user_version")[0][0], 9)
        # Schema 9: no identity keys yet; rows last seen up to the fixture's last run record
        # theirs when next seen.
        self.assertEqual(self.sql("SELECT count(*) FROM identity_keys")[0][0], 0)
        self.assertEqual(self.sql("SELECT run FROM identity_keys_from"), self.sql("SELECT max(id) FROM runs"))
        self.assertEqual(self.sql("SELECT count(*) FROM sqlite_master WHERE name='finding_docs'")[0][0], 0)
        self.assertEqual(self.sql("SELECT count(*) FROM findings f LEFT JOIN finding_details d ON d.id = f.id"
                                  " WHERE d.details IS NULL")[0][0], 0)
        self.assertGreater(self.sql("SELECT count(*) FROM texts")[0][0], 0)
        # Other SQLite clients still read the documented view.
        self.assertEqual(self.sql("SELECT count(*) FROM v_findings")[0][0], 316)

    def test_reingest_after_migration_finds_the_findings_unchanged(self):
        self.assertEqual(self.run_findex("query", "--limit", "1").returncode, 0)  # migrates
        with open(os.path.join(FIXTURE, "files.txt")) as f:
            files = [l.strip() for l in f if l.strip()]
        copies = []
        for i, rel in enumerate(files):
            # New bytes (a trailing newline), the same findings: read again, not a repeat.
            dst = os.path.join(self.tmp, "%02d-%s" % (i, os.path.basename(rel)))
            with open(os.path.join(SRC, rel), "rb") as a, open(dst, "wb") as b:
                b.write(a.read() + b"\n")
            copies.append(dst)
        r = self.run_findex("ingest", "--summary", "json", "--no-policy", *copies, now="2026-11-04T00:00:00.000Z")
        self.assertIn(r.returncode, (0, 2), r.stderr)
        runs = [json.loads(l) for l in r.stdout.decode().splitlines() if l.strip()]
        checked = 0
        for s in runs:
            if s.get("status") not in ("ok", "unchanged"):
                continue
            self.assertEqual(s.get("new", 0), 0, s)
            if s.get("format") == "zap-json":
                continue  # last stored under a policy (the fixture's second ingest): updated is right
            if os.path.basename(s.get("file", ""))[3:] in GAINED_DATA:
                continue  # read with more data than 29a4651 read: updated is right
            self.assertEqual(s.get("updated", 0), 0, s)
            checked += s.get("unchanged", 0)
        self.assertGreater(checked, 250)
        # The vulnerability findings seen again recorded their versionless keys (schema 9), though
        # unchanged; an ingest of the same files once more records nothing new.
        keys = self.sql("SELECT count(*) FROM identity_keys")[0][0]
        self.assertGreater(keys, 0)
        r = self.run_findex("ingest", "--no-policy", *copies, now="2026-11-05T00:00:00.000Z")
        self.assertIn(r.returncode, (0, 2), r.stderr)
        self.assertEqual(self.sql("SELECT count(*) FROM identity_keys")[0][0], keys)


if __name__ == "__main__":
    findex_cli.main()
