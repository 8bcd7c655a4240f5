#!/usr/bin/env python3
"""CLI tests for issue 8's safety defects: no output path may be the store (14), outputs replaced
atomically, --batch-dir never writes through a symlink, SIGINT/SIGTERM on a stream and on files
(14), writers that wait for each other (15), output injection: terminal escapes, CSV formulas,
Markdown mentions, `findex sql` limits (16), and colour.
Usage: safety_test.py PATH_TO_FINDEX (run from the source tree)."""
import hashlib, json, os, re, shutil, signal, sqlite3, subprocess, sys, tempfile, threading, time, unittest

import findex_cli
from findex_cli import PG, sqlite_only

FINDEX = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else "build/cli/findex"
SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SAMPLES = os.path.join(SRC, "samples")
BANDIT = os.path.join(SAMPLES, "bandit", "dd_bandit_many_vulns.json")
GRYPE = os.path.join(SAMPLES, "grype", "dd_grype_0.7.0_many_vulns3.json")
ZAP = os.path.join(SAMPLES, "zap-xml", "dd_zap_2.10.0_bodgeit_scan1.xml")
FALCO = os.path.join(SAMPLES, "falco", "falco_derived_containers_k8s.jsonl")

OSC = "\x1b]8;;https://evil.example/\x07click\x1b]8;;\x07"
CSI = "\x1b[2J\x1b[31m"
EVIL_TITLE = "Pwned " + OSC + " " + CSI + " bell\x07 c1\u009b31m end"
FORMULA_TITLE = "=HYPERLINK(\"http://evil.example\",\"x\")"


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def raw_control(text):
    """Control characters a terminal would act on (everything but tab, LF, CR)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return [c for c in text if (ord(c) < 0x20 and c not in "\t\n\r") or 0x7f <= ord(c) <= 0x9f]


class Base(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="findex-safety-")
        cls.db = findex_cli.new_store(cls.tmp, "findex.db")
        cls.env = findex_cli.clean_env(FINDEX_NOW="2026-02-03T04:05:06.000Z")

    @classmethod
    def tearDownClass(cls):
        findex_cli.drop(cls.db)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def store(self, name):
        """Another fresh store for this test (a file in the class's temp dir, or a schema)."""
        db = findex_cli.new_store(self.tmp, name)
        self.addCleanup(findex_cli.drop, db)
        return db

    def run_findex(self, *args, db=None, cwd=None, env=None, timeout=120, **kw):
        return subprocess.run([FINDEX, "--db", db or self.db, *args], capture_output=True, env=env or self.env,
                              cwd=cwd or self.tmp, timeout=timeout, **kw)

    def ingest(self, *files, db=None, scope="x"):
        r = self.run_findex("ingest", "--scope", scope, *files, db=db)
        self.assertEqual(r.returncode, 0, r.stderr)


class OutputsNeverTheStore(Base):
    """Defect 14: `export -o findex.db` and `gate --report junit -o findex.db` overwrote the store."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        r = subprocess.run([FINDEX, "--db", cls.db, "ingest", "--scope", "x", BANDIT], capture_output=True, env=cls.env)
        assert r.returncode == 0, r.stderr
        cls.hold = None
        if not PG:
            # A -wal file exists while a connection is open; make one so that it can be named.
            con = sqlite3.connect(cls.db)
            con.execute("PRAGMA journal_mode=WAL")
            cls.hold = con  # keeps -wal and -shm present
            os.symlink(cls.db, os.path.join(cls.tmp, "link.json"))
        os.mkdir(os.path.join(cls.tmp, "sub"))

    @classmethod
    def tearDownClass(cls):
        if cls.hold is not None:
            cls.hold.close()
        super().tearDownClass()

    def assert_refused(self, r, name):
        self.assertEqual(r.returncode, 2, (name, r.stdout[-300:], r.stderr))
        self.assertIn(b"is the store", r.stderr, name)

    def assert_store_intact(self, before):
        self.assertEqual(sha256(self.db), before)
        r = self.run_findex("sql", "SELECT count(*) AS n FROM v_findings", "--format", "json")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertGreater(json.loads(r.stdout)[0]["n"], 0)

    @sqlite_only("the store is a file that an output path could name")
    def test_export_and_gate_refuse_the_store(self):
        before = sha256(self.db)
        wal = self.db + "-wal"
        self.assertTrue(os.path.exists(wal))
        cases = {
            "plain": (self.db, self.tmp),
            "relative": ("findex.db", self.tmp),
            "dot-dot": ("../findex.db", os.path.join(self.tmp, "sub")),
            "symlink": ("link.json", self.tmp),
            "wal": (wal, self.tmp),
            "relative wal": ("findex.db-wal", self.tmp),
            "shm": ("findex.db-shm", self.tmp),
        }
        for name, (out, cwd) in cases.items():
            r = self.run_findex("export", "--format", "json", "-o", out, cwd=cwd)
            self.assert_refused(r, "export " + name)
            r = self.run_findex("gate", "--scope", "x", "--fail-on", "CRITICAL", "--report", "junit", "-o", out, cwd=cwd)
            self.assert_refused(r, "gate " + name)
            self.assert_store_intact(before)
        # The store named relatively through --db, the output absolutely.
        r = self.run_findex("export", "-o", self.db, db="findex.db")
        self.assert_refused(r, "relative --db")
        self.assert_store_intact(before)

    def test_other_outputs_still_written(self):
        out = os.path.join(self.tmp, "sub", "report.xml")
        r = self.run_findex("gate", "--scope", "x", "--fail-on", "CRITICAL", "--report", "junit", "-o", out)
        self.assertIn(r.returncode, (0, 1), r.stderr)
        with open(out, encoding="utf-8") as f:
            self.assertIn("<testsuites", f.read())
        self.assertEqual([n for n in os.listdir(os.path.dirname(out)) if n.startswith(".")], [], "no temporary files left")


class AtomicOutputs(Base):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        r = subprocess.run([FINDEX, "--db", cls.db, "ingest", "--scope", "x", GRYPE], capture_output=True, env=cls.env)
        assert r.returncode == 0, r.stderr

    def test_failed_export_leaves_the_previous_file(self):
        out = os.path.join(self.tmp, "all.json")
        with open(out, "w") as f:
            f.write("previous export\n")
        # The export fails after it began writing: batch-0002.json cannot be created (a folder
        # holds the name), so the run ends with an error.
        d = os.path.join(self.tmp, "batches")
        os.makedirs(os.path.join(d, "batch-0002.json"))
        r = self.run_findex("export", "--format", "asff", "--batch-dir", d, "-o", out)
        self.assertEqual(r.returncode, 2, r.stderr)
        with open(out) as f:
            self.assertEqual(f.read(), "previous export\n")
        self.assertEqual([n for n in os.listdir(self.tmp) if n.startswith(".all.json")], [], "temporary file removed")
        shutil.rmtree(d)
        # A successful export replaces it.
        r = self.run_findex("export", "--format", "json", "-o", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(out) as f:
            self.assertGreater(len(json.load(f)), 10)

    def test_batch_dir_never_follows_a_symlink(self):
        d = os.path.join(self.tmp, "out")
        outside = os.path.join(self.tmp, "outside")
        os.makedirs(d)
        os.makedirs(outside)
        target = os.path.join(outside, "owned.json")
        os.symlink(target, os.path.join(d, "batch-0001.json"))  # dangling
        r = self.run_findex("export", "--format", "asff", "--batch-dir", d)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn(b"symlink", r.stderr)
        self.assertFalse(os.path.exists(target), "wrote through the symlink, outside --batch-dir")
        self.assertTrue(os.path.islink(os.path.join(d, "batch-0001.json")))
        # A regular earlier batch file is cleaned; the export then works.
        os.remove(os.path.join(d, "batch-0001.json"))
        with open(os.path.join(d, "batch-0007.json"), "w") as f:
            f.write("[]")
        r = self.run_findex("export", "--format", "asff", "--batch-dir", d)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertFalse(os.path.exists(os.path.join(d, "batch-0007.json")))
        self.assertTrue(os.path.exists(os.path.join(d, "batch-0001.json")))


class Signals(Base):
    """SIGINT/SIGTERM on `tail -f events | findex ingest -` threw away what was read."""

    def stream_then_signal(self, sig, db):
        with open(FALCO, "rb") as f:
            lines = [l for l in f.read().splitlines(keepends=True) if l.strip()]
        p = subprocess.Popen([FINDEX, "--db", db, "ingest", "--flush-seconds", "600", "-"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self.env, cwd=self.tmp)
        p.stdin.write(b"".join(lines))
        p.stdin.flush()  # stdin stays open, as with tail -f
        time.sleep(1.5)
        p.send_signal(sig)
        try:
            out, err = p.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            self.fail("findex did not stop on the signal")
        return p.returncode, err, len(lines)

    def count(self, db):
        r = self.run_findex("sql", "SELECT count(*) AS n, coalesce(sum(occurrences), 0) AS o FROM v_findings",
                            "--format", "json", db=db)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)[0]

    def test_sigterm_on_a_stream_commits_what_was_read(self):
        db = self.store("term.db")
        rc, err, n = self.stream_then_signal(signal.SIGTERM, db)
        self.assertEqual(rc, 143, err)
        self.assertIn(b"SIGTERM", err)
        self.assertEqual(len([l for l in err.decode().splitlines() if "SIGTERM" in l]), 1, err)
        c = self.count(db)
        self.assertGreater(c["n"], 0, err)
        self.assertEqual(c["o"], n, "every event read is counted")

    def test_sigint_on_a_stream_commits_what_was_read(self):
        db = self.store("int.db")
        rc, err, n = self.stream_then_signal(signal.SIGINT, db)
        self.assertEqual(rc, 130, err)
        self.assertIn(b"SIGINT", err)
        self.assertGreater(self.count(db)["n"], 0, err)

    def test_sigterm_between_files_keeps_earlier_files(self):
        db = self.store("files.db")
        fifo = os.path.join(self.tmp, "zz-slow.json")
        os.mkfifo(fifo)
        p = subprocess.Popen([FINDEX, "--db", db, "ingest", "--scope", "x", "-j", "1", BANDIT, fifo],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self.env, cwd=self.tmp)
        deadline = time.time() + 30
        while time.time() < deadline:  # the first file is stored; the second is still being read
            try:  # (PostgreSQL: an error until findex has created its tables)
                n = findex_cli.value(db, "SELECT count(*) FROM runs") if PG else (
                    self.count_runs_ro(db) if os.path.exists(db) else 0)
                if n >= 1:
                    break
            except (sqlite3.Error, AssertionError):
                pass
            time.sleep(0.1)
        p.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        try:  # lets the reader thread finish its read (when findex is still there to read)
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            os.set_blocking(fd, True)
            with open(GRYPE, "rb") as g:
                try:
                    os.write(fd, g.read())
                except OSError:
                    pass
            os.close(fd)
        except OSError:
            pass
        out, err = p.communicate(timeout=30)
        self.assertEqual(p.returncode, 143, err)
        self.assertIn(b"1 of 2 files stored", err)
        self.assertEqual([r["file"] for r in findex_cli.rows(db, "SELECT file FROM runs")], [BANDIT])

    @staticmethod
    def count_runs_ro(db):
        con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
        try:
            return con.execute("SELECT count(*) FROM runs").fetchone()[0]
        finally:
            con.close()


class WritersWait(Base):
    """Defect 15: a writer gave up after 10 s with 'database is locked', naming the report."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        r = subprocess.run([FINDEX, "--db", cls.db, "ingest", "--scope", "x", BANDIT], capture_output=True, env=cls.env)
        assert r.returncode == 0, r.stderr

    def hold_lock(self, seconds):
        """Another writer holds the store's write lock for `seconds`."""
        ready = threading.Event()

        def hold():
            con = sqlite3.connect(self.db, isolation_level=None, timeout=30)
            con.execute("BEGIN IMMEDIATE")
            ready.set()
            time.sleep(seconds)
            con.execute("COMMIT")
            con.close()

        t = threading.Thread(target=hold)
        t.start()
        ready.wait(10)
        return t

    @sqlite_only("holds SQLite's write lock from another connection (PostgreSQL: concurrency_test.py)")
    def test_writer_waits_and_says_for_what(self):
        t = self.hold_lock(4.5)
        start = time.time()
        r = self.run_findex("ingest", "--scope", "y", ZAP)
        t.join()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertGreaterEqual(time.time() - start, 4.0)
        err = r.stderr.decode()
        self.assertIn("waiting for the store " + self.db, err)
        self.assertEqual(err.count("waiting for the store"), 1, err)
        self.assertIn("pid %d" % os.getpid(), err, "names the holder")

    @sqlite_only("holds SQLite's write lock from another connection (PostgreSQL: concurrency_test.py)")
    def test_wait_bounds_it_and_names_the_store(self):
        t = self.hold_lock(6)
        start = time.time()
        r = self.run_findex("ingest", "--wait", "1", "--scope", "z", GRYPE)
        took = time.time() - start
        t.join()
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertLess(took, 5)
        err = r.stderr.decode()
        self.assertIn("the store " + self.db + " is locked", err)
        self.assertIn("is writing to it", err)
        self.assertIn("--wait", err)
        # Nothing of the file was stored.
        r = self.run_findex("sql", "SELECT count(*) AS n FROM runs WHERE scope='z'", "--format", "json")
        self.assertEqual(json.loads(r.stdout)[0]["n"], 0)

    @sqlite_only("holds SQLite's write lock from another connection (PostgreSQL: concurrency_test.py)")
    def test_signal_stops_a_waiting_writer(self):
        t = self.hold_lock(5)
        p = subprocess.Popen([FINDEX, "--db", self.db, "ingest", "--scope", "w", GRYPE], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=self.env)
        time.sleep(1.5)
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=30)
        t.join()
        self.assertEqual(p.returncode, 143, err)
        self.assertIn(b"interrupted while waiting", err)
        r = self.run_findex("sql", "SELECT count(*) AS n FROM runs WHERE scope='w'", "--format", "json")
        self.assertEqual(json.loads(r.stdout)[0]["n"], 0)

    def test_two_findex_writers_both_succeed(self):
        db = self.store("two.db")
        a = subprocess.Popen([FINDEX, "--db", db, "ingest", "--scope", "a", GRYPE, BANDIT, ZAP], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=self.env)
        b = subprocess.Popen([FINDEX, "--db", db, "ingest", "--scope", "b", ZAP, GRYPE, BANDIT], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=self.env)
        for p in (a, b):
            out, err = p.communicate(timeout=120)
            self.assertEqual(p.returncode, 0, err)
        r = self.run_findex("gate", "--scope", "a", "--fail-on", "CRITICAL", db=db)
        self.assertIn(r.returncode, (0, 1), r.stderr)


class Injection(Base):
    """Defect 16: OSC/CSI/BEL from report titles reached the terminal; CSV formulas; mentions."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        r = subprocess.run([FINDEX, "--db", cls.db, "--account-id", "123456789012", "ingest", "--scope", "base", BANDIT],
                           capture_output=True, env=cls.env)
        assert r.returncode == 0, r.stderr
        r = subprocess.run([FINDEX, "--db", cls.db, "--account-id", "123456789012", "export", "--format", "asff"],
                           capture_output=True, env=cls.env)
        assert r.returncode == 0, r.stderr
        findings = json.loads(r.stdout)[:3]
        titles = [EVIL_TITLE, FORMULA_TITLE, "Ping @org/security-team about #123"]
        for f, title in zip(findings, titles):
            f["Title"] = title
            f["Severity"] = {"Label": "CRITICAL", "Normalized": 90}
        path = os.path.join(cls.tmp, "evil.asff.json")
        with open(path, "w", encoding="utf-8") as fh:
            json.dump({"Findings": findings}, fh)
        r = subprocess.run([FINDEX, "--db", cls.db, "ingest", "--scope", "evil", path], capture_output=True, env=cls.env)
        assert r.returncode == 0, r.stderr
        cls.evil_id = findex_cli.value(cls.db, "SELECT asff_id FROM findings WHERE scope='evil' AND title LIKE 'Pwned%'")
        assert cls.evil_id

    def assert_clean(self, data, what):
        self.assertEqual(raw_control(data), [], what + ": " + repr(data[-2000:]))

    def test_gate_listing_is_sanitized(self):
        r = self.run_findex("gate", "--scope", "evil", "--fail-on", "HIGH", "--show", "10")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn(b"Pwned", r.stderr)
        self.assert_clean(r.stderr, "gate stderr")
        self.assertIn(b"\\x1b]8;;https://evil.example/\\x07click", r.stderr)  # visible, inert
        # The policy path formats the listing too.
        pol = os.path.join(self.tmp, "findex.yml")
        with open(pol, "w") as f:
            f.write("gates:\n  - name: ci\n    max:\n      CRITICAL: 0\n")
        r = self.run_findex("gate", "--scope", "evil", "--policy", pol)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn(b"Pwned", r.stderr)
        self.assert_clean(r.stderr, "gate (policy) stderr")

    def test_query_sql_history_tables_are_sanitized(self):
        r = self.run_findex("query", "--scope", "evil")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"Pwned", r.stdout)
        self.assert_clean(r.stdout, "query table")
        r = self.run_findex("sql", "SELECT title FROM v_findings WHERE scope='evil'")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"Pwned", r.stdout)
        self.assert_clean(r.stdout, "sql table")
        r = self.run_findex("note", self.evil_id, "see " + OSC + CSI, "--by", "alice")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.run_findex("history", self.evil_id)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"see ", r.stdout)
        self.assert_clean(r.stdout, "history table")

    def test_json_output_stays_exact(self):
        r = self.run_findex("query", "--scope", "evil", "--format", "json")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(EVIL_TITLE, [x["title"] for x in json.loads(r.stdout)])
        r = self.run_findex("sql", "SELECT title FROM v_findings WHERE scope='evil'", "--format", "json")
        self.assertIn(EVIL_TITLE, [x["title"] for x in json.loads(r.stdout)])
        self.assertNotIn(b"\x1b", r.stdout)  # escaped as \u001b

    def test_csv_formula_cells_are_neutralized(self):
        runs = {
            "query": self.run_findex("query", "--scope", "evil", "--format", "csv"),
            "export": self.run_findex("export", "--scope", "evil", "--format", "csv"),
            "sql": self.run_findex("sql", "SELECT title, -1 AS n FROM v_findings WHERE scope='evil'", "--format", "csv"),
        }
        for name, r in runs.items():
            self.assertEqual(r.returncode, 0, (name, r.stderr))
            text = r.stdout.decode()
            self.assertIn("\"'=HYPERLINK(", text, name)
            for line in text.splitlines():
                for cell in re.findall(r'(?:^|,)("(?:[^"]|"")*"|[^,]*)', line):
                    cell = cell[1:-1].replace('""', '"') if cell.startswith('"') else cell
                    if cell[:1] in ("=", "+", "@") or (cell[:1] == "-" and not re.fullmatch(r"-\d+(\.\d+)?", cell)):
                        self.fail("%s: formula cell %r" % (name, cell))
        self.assertIn(",-1\r\n", runs["sql"].stdout.decode())  # a number stays a number

    def test_markdown_neutralizes_mentions_and_references(self):
        r = self.run_findex("export", "--scope", "evil", "--format", "markdown")
        self.assertEqual(r.returncode, 0, r.stderr)
        md = r.stdout.decode()
        self.assertIn("Ping @\u200borg/security-team about \\#\u200b123", md)
        self.assertNotIn("@org/security-team", md)


class SqlLimits(Base):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        r = subprocess.run([FINDEX, "--db", cls.db, "ingest", "--scope", "x", BANDIT], capture_output=True, env=cls.env)
        assert r.returncode == 0, r.stderr

    def refused(self, sql, words, *extra):
        before = findex_cli.digest(self.db)
        r = self.run_findex("sql", sql, *extra, timeout=60)
        self.assertEqual(r.returncode, 2, (sql, r.stdout[:300], r.stderr))
        for w in words:
            self.assertIn(w, r.stderr.decode(), sql)
        self.assertEqual(findex_cli.digest(self.db), before, sql)
        return r

    @sqlite_only("SQLite's functions")
    def test_unsafe_functions_refused(self):
        self.refused("SELECT fts3_tokenizer('simple')", ["fts3_tokenizer() is not allowed"])
        self.refused("SELECT hex(fts3_tokenizer('porter'))", ["fts3_tokenizer() is not allowed"])
        self.refused("SELECT load_extension('/tmp/x')", ["load_extension() is not allowed"])

    @findex_cli.pg_only("the server's functions")
    def test_server_functions_refused(self):
        # Each needs rights the role lacks, or writes: an error, the store unchanged.
        self.refused("SELECT pg_read_file('/etc/hostname')", [])
        self.refused("SELECT lo_import('/etc/hostname')", [])
        self.refused("COPY (SELECT 1) TO '/tmp/findex-sql-copy'", [])
        self.assertFalse(os.path.exists("/tmp/findex-sql-copy"))

    def test_writes_inside_a_select_refused(self):
        # One statement, read-only all the same: a data-modifying CTE (PostgreSQL) and row locks.
        self.refused("WITH d AS (DELETE FROM findings RETURNING 1) SELECT count(*) FROM d", [])
        self.refused("WITH u AS (UPDATE runs SET file = 'x' RETURNING 1) SELECT count(*) FROM u", [])
        if PG:
            self.refused("SELECT id FROM findings FOR UPDATE", [])

    @sqlite_only("SQLite's PRAGMA and ATTACH")
    def test_state_changing_pragmas_refused(self):
        self.refused("PRAGMA writable_schema=1", ["PRAGMA writable_schema", "not allowed"])
        self.refused("PRAGMA query_only=0", ["PRAGMA query_only", "not allowed"])
        self.refused("PRAGMA journal_mode=DELETE", ["PRAGMA journal_mode", "not allowed"])
        self.refused("ATTACH DATABASE '%s' AS other" % os.path.join(self.tmp, "other.db"), ["not allowed"])

    def test_endless_recursive_cte_stops(self):
        start = time.time()
        self.refused("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
                     ["longer than 1 s", "--timeout"], "--timeout", "1")
        self.assertLess(time.time() - start, 20)

    def test_reading_still_works(self):
        common = ["SELECT count(*) FROM v_findings", "SELECT file FROM runs",
                  "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10) SELECT sum(x) FROM c"]
        if PG:
            own = ["SELECT column_name FROM information_schema.columns WHERE table_name = 'v_findings'",
                   "SELECT key FROM v_findings, json_each(json_build_object('t', v_findings.title)) LIMIT 1",
                   "SELECT current_setting('transaction_read_only') AS ro"]
        else:
            own = ["PRAGMA table_info(v_findings)", "SELECT name FROM pragma_table_info('v_findings')",
                   "PRAGMA user_version", "SELECT key FROM v_findings, json_each(v_findings.asff) LIMIT 1"]
        for sql in common + own:
            r = self.run_findex("sql", sql)
            self.assertEqual(r.returncode, 0, (sql, r.stderr))


class Colour(Base):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        r = subprocess.run([FINDEX, "--db", cls.db, "ingest", "--scope", "x", GRYPE], capture_output=True, env=cls.env)
        assert r.returncode == 0, r.stderr

    def run_tty(self, args, env):
        """Runs findex with stdout and stderr on a pseudo-terminal; returns what it printed."""
        import pty
        pid, fd = pty.fork()
        if pid == 0:
            os.execve(FINDEX, [FINDEX, "--db", self.db, *args], env)
        out = b""
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        os.waitpid(pid, 0)
        return out

    def test_colour_on_a_terminal_only(self):
        out = self.run_tty(["query", "--severity", "HIGH"], self.env)
        self.assertIn(b"\x1b[31mHIGH\x1b[0m", out)
        out = self.run_tty(["gate", "--scope", "x", "--fail-on", "HIGH"], self.env)
        self.assertIn(b"\x1b[", out)
        self.assertNotIn(b"\x1b[", self.run_tty(["query", "--severity", "HIGH", "--no-color"], self.env))
        self.assertNotIn(b"\x1b[", self.run_tty(["--no-color", "gate", "--scope", "x", "--fail-on", "HIGH"], self.env))
        self.assertNotIn(b"\x1b[", self.run_tty(["query", "--severity", "HIGH"], dict(self.env, NO_COLOR="1")))
        # Pipes and files: never.
        r = self.run_findex("query", "--severity", "HIGH")
        self.assertNotIn(b"\x1b", r.stdout)
        r = self.run_findex("gate", "--scope", "x", "--fail-on", "HIGH")
        self.assertNotIn(b"\x1b", r.stderr)


if __name__ == "__main__":
    findex_cli.main()
