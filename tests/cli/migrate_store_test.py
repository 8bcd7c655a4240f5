#!/usr/bin/env python3
"""findex migrate-store (issue 10): a SQLite store with real history (ZAP scans of bodgeit that
resolve and reopen findings, rejected records, triage, a note, gate verdicts) copied into an
empty PostgreSQL schema gives the same export, query, history and table counts there; ids and
lifecycle continue (a further ingest, triage and gate give the same results on both); a target
that holds findex data is refused; a failure part-way leaves the target empty (one transaction);
U+0000 in text becomes U+FFFD.

Needs a PostgreSQL server: FINDEX_TEST_PG, a libpq URI (e.g.
postgresql://findex@/findex?host=/tmp/pgdev&port=55433). Every store is a schema of its own
(mig_<random>), dropped at the end. Without FINDEX_TEST_PG the test is skipped (exit 77 when run
as the PostgreSQL variant of tests/CMakeLists.txt, where ctest reports it skipped), unless
FINDEX_TEST_PG_REQUIRED=1. Usage: migrate_store_test.py PATH_TO_FINDEX (from the source tree)."""
import gzip, json, os, re, shutil, sqlite3, subprocess, sys, tempfile, unittest, uuid

FINDEX = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else "build/cli/findex"
SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ZAP = os.path.join(SRC, "samples", "zap-xml")
SCAN1 = os.path.join(ZAP, "dd_zap_2.10.0_bodgeit_scan1.xml")
SCAN2 = os.path.join(ZAP, "dd_zap_2.10.0_bodgeit_scan2.xml")
JUICE = os.path.join(ZAP, "dd_zap_2.10.0_juiceshop.xml")
# A Trivy report whose 3 records are all rejected (tests/data/PROVENANCE.tsv): rows in `rejects`.
REJECTED = os.path.join(SRC, "tests", "data", "lifecycle", "trivy_fs_renamed_key.json")
# A store of the previous release (schema 5) and its exports then (tests/data/store_v5/README.md).
STORE_V5 = os.path.join(SRC, "tests", "data", "store_v5")

BACKEND = os.environ.get("FINDEX_TEST_BACKEND", "").strip().lower()
PG_BASE = os.environ.get("FINDEX_TEST_PG", "").strip()
PG_REQUIRED = os.environ.get("FINDEX_TEST_PG_REQUIRED", "") not in ("", "0")
TABLES = ["runs", "findings", "finding_details", "texts", "run_members", "rejects", "history", "gate_verdicts",
          "feeds", "kev", "epss", "deliveries", "action_links", "identity_keys", "identity_keys_from"]
FEEDS = os.path.join(SRC, "tests", "data", "feeds")
TRIVY = os.path.join(SRC, "samples", "trivy", "dd_trivy_cvssv4_filesystem.json")
SCHEMAS = []  # created by this test, dropped at the end


def pg_base():
    """FINDEX_TEST_PG without a schema= parameter of its own."""
    if "?" not in PG_BASE:
        return PG_BASE
    base, query = PG_BASE.split("?", 1)
    keep = [p for p in query.split("&") if p and not p.startswith("schema=")]
    return base + ("?" + "&".join(keep) if keep else "")


def psql(sql, schema=None):
    env = dict(os.environ)
    env.pop("PGOPTIONS", None)
    if schema:
        env["PGOPTIONS"] = "-c search_path=" + schema
    r = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", pg_base(), "-c", sql],
                       capture_output=True, env=env, timeout=120)
    if r.returncode != 0:
        raise AssertionError("psql failed on %r: %s" % (sql, r.stderr.decode().strip()))
    return r.stdout.decode().strip()


def new_target():
    name = "mig_" + uuid.uuid4().hex[:12]
    SCHEMAS.append(name)
    base = pg_base()
    return base + ("&" if "?" in base else "?") + "schema=" + name, name


def setUpModule():
    if BACKEND == "sqlite":
        # tests/CMakeLists.txt runs each file on both backends; this one needs both at once and
        # runs as migrate_store_test_pg.
        raise unittest.SkipTest("runs as the PostgreSQL variant (migrate_store_test_pg)")
    if not PG_BASE:
        if PG_REQUIRED:
            raise AssertionError("FINDEX_TEST_PG_REQUIRED=1 but FINDEX_TEST_PG is not set")
        if BACKEND == "postgres":
            print("migrate_store_test: FINDEX_TEST_PG is not set: skipped", file=sys.stderr)
            sys.exit(77)
        raise unittest.SkipTest("FINDEX_TEST_PG is not set (a PostgreSQL server URI)")
    psql("SELECT 1")


def tearDownModule():
    for s in SCHEMAS:
        psql('DROP SCHEMA IF EXISTS "%s" CASCADE' % s)


def findex(db, *args, now="2026-12-01T10:00:00Z"):
    env = dict(os.environ, FINDEX_NOW=now, FINDEX_USER="ci")
    env.pop("FINDEX_DB", None)
    cmd = [FINDEX] + (["--db", db] if db else []) + list(args)
    return subprocess.run(cmd, capture_output=True, env=env, timeout=300)


def sqlite_counts(path):
    con = sqlite3.connect(path)
    try:
        return {t: con.execute("SELECT count(*) FROM " + t).fetchone()[0] for t in TABLES}
    finally:
        con.close()


def sqlite_copy(src, dst):
    """A consistent copy of a store (the backup API: the WAL included)."""
    a, b = sqlite3.connect(src), sqlite3.connect(dst)
    try:
        a.backup(b)
    finally:
        a.close()
        b.close()


class MigrateStore(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="findex-migrate-")
        cls.src = os.path.join(cls.tmp, "src.db")
        t = cls

        def ok(*args, now, rc=(0,)):
            r = findex(t.src, *args, now=now)
            if r.returncode not in rc:
                raise AssertionError("findex %s: rc %d: %s" % (args, r.returncode, r.stderr.decode()))
            return r

        def ingest(path, now, *extra, rc=(0,)):
            r = ok("ingest", "--summary", "json", *extra, path, now=now, rc=rc)
            return json.loads(r.stdout.decode().splitlines()[0])

        ingest(SCAN1, "2026-11-01T10:00:00Z")
        s2 = ingest(SCAN2, "2026-11-02T10:00:00Z")
        s3 = ingest(SCAN1, "2026-11-03T10:00:00Z")
        # Real history: scan2 resolves findings of scan1, scan1 again reopens them.
        assert s2["resolved"] > 0 and s3["reopened"] > 0, (s2, s3)
        ingest(REJECTED, "2026-11-03T11:00:00Z", "--scope", "rej", rc=(2,))
        rows = json.loads(ok("query", "--all-states", "--format", "json", now="2026-11-04T10:00:00Z").stdout)
        cls.triaged, cls.noted = rows[0]["id"], rows[1]["id"]
        ok("triage", cls.triaged, "--status", "NOTIFIED", "--note", "ticket SEC-1", "--by", "alice",
           now="2026-11-04T10:00:00Z")
        ok("note", cls.noted, "looked at it", "--by", "bob", now="2026-11-04T11:00:00Z")
        cls.gate_rc = [ok("gate", "--fail-on", "CRITICAL", now="2026-11-05T10:00:00Z").returncode,
                       ok("gate", "--fail-on", "MEDIUM", "--new-only", now="2026-11-05T11:00:00Z", rc=(0, 1)).returncode]
        ok("enrich", "--kev", os.path.join(FEEDS, "kev_small.json"), "--epss", os.path.join(FEEDS, "epss_small.csv"),
           now="2026-11-05T12:00:00Z")
        # Vulnerability findings: rows in identity_keys (schema 9).
        ingest(TRIVY, "2026-11-05T13:00:00Z", "--scope", "sca")
        cls.counts = sqlite_counts(cls.src)
        for table in ("runs", "findings", "finding_details", "texts", "run_members", "rejects", "history",
                      "gate_verdicts", "feeds", "kev", "epss", "identity_keys"):
            assert cls.counts[table] > 0, (table, cls.counts)
        cls.target, cls.schema = new_target()
        cls.migrated = findex(None, "migrate-store", "--from", cls.src, "--to", cls.target)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def same(self, a, b, *args, now="2026-12-01T10:00:00Z"):
        ra, rb = findex(a, *args, now=now), findex(b, *args, now=now)
        self.assertEqual(ra.returncode, rb.returncode, (args, ra.stderr.decode(), rb.stderr.decode()))
        self.assertEqual(ra.stdout.decode(), rb.stdout.decode(), args)
        return ra

    def test_summary_counts_every_table(self):
        r = self.migrated
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertEqual(r.stdout, b"")
        got = dict((m.group(1), int(m.group(2)))
                   for m in re.finditer(r"^\s+(\w+)\s+(\d+) rows$", r.stderr.decode(), re.M))
        self.assertEqual(got, self.counts)
        for t in TABLES:
            self.assertEqual(int(psql("SELECT count(*) FROM " + t, self.schema)), self.counts[t], t)
        self.assertEqual(psql("SELECT max(version) FROM findex_schema", self.schema), "9")

    def test_same_output_on_both(self):
        self.assertEqual(self.migrated.returncode, 0, self.migrated.stderr.decode())
        a, b = self.src, self.target
        exported = self.same(a, b, "export", "--format", "asff").stdout
        self.assertGreater(len(json.loads(exported)), 10)
        self.same(a, b, "export", "--format", "csv")
        self.same(a, b, "export", "--format", "sarif")
        self.same(a, b, "query", "--all-states", "--format", "json")
        self.same(a, b, "query", "--all-states", "--group-by", "workflow", "--format", "json")
        h = self.same(a, b, "history", self.triaged, "--format", "json").stdout.decode()
        self.assertIn("alice", h)
        self.assertIn("ticket SEC-1", h)
        self.assertIn("looked at it", self.same(a, b, "history", self.noted, "--format", "json").stdout.decode())
        for sql in ("SELECT count(*) AS n, max(id) AS top, sum(new) AS new, sum(resolved) AS resolved, "
                    "sum(reopened) AS reopened FROM runs",
                    "SELECT count(*) AS n, max(id) AS top FROM history",
                    "SELECT id, scope, gate, at, passed, mark_run, violations FROM gate_verdicts ORDER BY id",
                    "SELECT id, run_id, reason FROM rejects ORDER BY id",
                    "SELECT rowid, id, state, workflow, triage, note, note_by FROM v_findings ORDER BY rowid"):
            out = self.same(a, b, "sql", sql, "--format", "json").stdout
            self.assertTrue(json.loads(out), sql)

    def test_second_migrate_is_refused(self):
        self.assertEqual(self.migrated.returncode, 0, self.migrated.stderr.decode())
        r = findex(None, "migrate-store", "--from", self.src, "--to", self.target)
        self.assertEqual(r.returncode, 2, r.stderr.decode())
        self.assertIn("already holds findex data", r.stderr.decode())
        self.assertEqual(r.stdout, b"")
        self.assertEqual(int(psql("SELECT count(*) FROM findings", self.schema)), self.counts["findings"])
        self.assertEqual(int(psql("SELECT count(*) FROM runs", self.schema)), self.counts["runs"])
        # A password in the URI is never shown (refused, or not let in: exit 2 either way).
        r = findex(None, "migrate-store", "--from", self.src, "--to", self.target + "&password=s3cret",
                   "--summary", "json")
        self.assertEqual(r.returncode, 2, r.stderr.decode())
        self.assertIn("password=***", r.stderr.decode())
        self.assertNotIn(b"s3cret", r.stdout + r.stderr)

    def test_ids_and_lifecycle_continue(self):
        # A store of its own: this test writes to both sides.
        a = os.path.join(self.tmp, "continue.db")
        sqlite_copy(self.src, a)
        b, _ = new_target()
        # Small COPY statements: every table goes in several (findings' details are ~1-5 KB each).
        r = findex(None, "migrate-store", "--from", a, "--to", b, "--summary", "json", "--chunk-kb", "4")
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertEqual(json.loads(r.stdout)["tables"], self.counts)
        self.same(a, b, "export", "--format", "asff")
        # scan2 resolves again what scan1 reported, scan1 reopens it, juiceshop brings new findings
        # (new ids, new texts).
        for path, now in ((SCAN2, "2026-12-02T10:00:00Z"), (SCAN1, "2026-12-03T10:00:00Z"),
                          (JUICE, "2026-12-04T10:00:00Z")):
            out = self.same(a, b, "ingest", "--summary", "json", path, now=now).stdout.decode()
            summary = json.loads(out.splitlines()[0])
            self.assertEqual(summary["status"], "ok", summary)
            if path == SCAN2:
                self.assertGreater(summary["resolved"], 0, summary)
            if path == SCAN1:
                self.assertGreater(summary["reopened"], 0, summary)
            if path == JUICE:
                self.assertGreater(summary["new"], 0, summary)
        new = json.loads(findex(a, "sql", "SELECT id FROM v_findings WHERE scope = 'default' ORDER BY rowid DESC "
                                "LIMIT 1", "--format", "json").stdout)[0]["id"]
        self.same(a, b, "triage", new, "--status", "SUPPRESSED", "--note", "accepted risk", "--by", "dave",
                  now="2026-12-05T10:00:00Z")
        self.same(a, b, "gate", "--fail-on", "MEDIUM", "--new-only", now="2026-12-06T10:00:00Z")
        self.same(a, b, "history", new, "--format", "json")
        self.same(a, b, "export", "--format", "asff")
        self.same(a, b, "query", "--all-states", "--format", "json")
        for t in ("runs", "history", "gate_verdicts", "rejects"):
            self.same(a, b, "sql", "SELECT count(*) AS n, max(id) AS top FROM " + t, "--format", "json")
        self.same(a, b, "sql", "SELECT rowid, id, state, workflow, first_seen_run, last_seen_run FROM v_findings "
                  "ORDER BY rowid", "--format", "json")

    def test_failure_leaves_the_target_empty(self):
        # The last table copied has a column the target lacks: everything copied before it is
        # rolled back, and the same target takes a good store afterwards.
        bad = os.path.join(self.tmp, "bad.db")
        sqlite_copy(self.src, bad)
        con = sqlite3.connect(bad)
        con.execute("ALTER TABLE gate_verdicts ADD COLUMN extra TEXT")
        con.commit()
        con.close()
        target, schema = new_target()
        r = findex(None, "migrate-store", "--from", bad, "--to", target)
        self.assertEqual(r.returncode, 2, r.stderr.decode())
        self.assertIn("gate_verdicts", r.stderr.decode())
        self.assertIn("extra", r.stderr.decode())
        for t in TABLES:
            self.assertEqual(psql("SELECT count(*) FROM " + t, schema), "0", t)
        r = findex(None, "migrate-store", "--from", self.src, "--to", target, "--summary", "none")
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertEqual((r.stdout, r.stderr), (b"", b""))
        self.assertEqual(int(psql("SELECT count(*) FROM history", schema)), self.counts["history"])

    def test_nul_becomes_replacement_character(self):
        nul = os.path.join(self.tmp, "nul.db")
        sqlite_copy(self.src, nul)
        con = sqlite3.connect(nul)
        rowid = con.execute("SELECT min(id) FROM findings").fetchone()[0]
        con.execute("UPDATE findings SET title = 'before' || char(0) || 'after' WHERE id = ?", (rowid,))
        con.commit()
        self.assertEqual(con.execute("SELECT length(CAST(title AS BLOB)) FROM findings WHERE id = ?",
                                     (rowid,)).fetchone()[0], 12)
        con.close()
        target, _ = new_target()
        r = findex(None, "migrate-store", "--from", nul, "--to", target, "--summary", "json")
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertEqual(json.loads(r.stdout)["replaced_nul"], 1)
        out = findex(target, "sql", "SELECT title FROM v_findings WHERE rowid = %d" % rowid, "--format", "json")
        self.assertEqual(out.returncode, 0, out.stderr.decode())
        self.assertEqual(json.loads(out.stdout), [{"title": "before\ufffdafter"}])

    def test_older_sqlite_schema(self):
        # A schema 5 store is upgraded on the way (the file itself too, as any findex command
        # opening it would), and the PostgreSQL store exports what the previous release did.
        old = os.path.join(self.tmp, "v5.db")
        with gzip.open(os.path.join(STORE_V5, "store.db.gz"), "rb") as f, open(old, "wb") as out:
            out.write(f.read())
        target, _ = new_target()
        r = findex(None, "migrate-store", "--from", old, "--to", target, "--summary", "json")
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertGreater(json.loads(r.stdout)["tables"]["findings"], 0)
        for fmt, name in (("asff", "export.asff.json.gz"), ("sarif", "export.sarif.gz")):
            got = findex(target, "export", "--format", fmt, now="2026-11-03T00:00:00.000Z")
            self.assertEqual(got.returncode, 0, got.stderr.decode())
            with gzip.open(os.path.join(STORE_V5, name), "rb") as f:
                self.assertEqual(got.stdout, f.read(), fmt)

    def test_usage_errors(self):
        target, schema = new_target()
        for args, text in ((["--from", self.src, "--to", os.path.join(self.tmp, "x.db")], "PostgreSQL URI"),
                           (["--from", target, "--to", target], "SQLite store file"),
                           (["--from", os.path.join(self.tmp, "missing.db"), "--to", target], "no store at"),
                           (["--from", self.src], "--to")):
            r = findex(None, "migrate-store", *args)
            self.assertEqual(r.returncode, 2, (args, r.stderr.decode()))
            self.assertIn(text, r.stderr.decode(), args)
        # Nothing was created for the refused commands.
        self.assertEqual(psql("SELECT count(*) FROM pg_namespace WHERE nspname = '%s'" % schema), "0")


if __name__ == "__main__":
    unittest.main(verbosity=2)
