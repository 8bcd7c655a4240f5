#!/usr/bin/env python3
"""CLI tests for `findex query EXPR` (the filter language), --group-by/--sort/--limit with an
expression, and `findex sql`. Expected rows are computed independently in Python from the
store's findings table (tests/cli/findex_cli.py: sqlite3 or psql), never from findex's own output.
Usage: query_test.py PATH_TO_FINDEX (run from the source tree)."""
import json, os, re, shutil, subprocess, sys, tempfile, unittest

import findex_cli
from findex_cli import PG

FINDEX = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else "build/cli/findex"
SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SAMPLES = os.path.join(SRC, "samples")
ZAP1 = os.path.join(SAMPLES, "zap-xml", "dd_zap_2.10.0_bodgeit_scan1.xml")
ZAP2 = os.path.join(SAMPLES, "zap-xml", "dd_zap_2.10.0_bodgeit_scan2.xml")
BANDIT = os.path.join(SAMPLES, "bandit", "dd_bandit_many_vulns.json")
GRYPE = os.path.join(SAMPLES, "grype", "dd_grype_0.7.0_many_vulns3.json")
RANK = {"INFORMATIONAL": 0, "LOW": 1, "MEDIUM": 2, "HIGH": 3, "CRITICAL": 4}


def glob_re(pattern, segments=True):
    """Independent translation of the documented glob: * within a segment, ** across, **/ any
    number of whole directories, ? one character (not '/')."""
    out, i = "", 0
    while i < len(pattern):
        c = pattern[i]
        if c == "*" and pattern[i:i + 2] == "**":
            while pattern[i:i + 1] == "*":
                i += 1
            if segments and pattern[i:i + 1] == "/" and (out == "" or out.endswith("/")):
                out += "(?:.*/)?"
                i += 1
            else:
                out += ".*"
            continue
        if c == "*":
            out += "[^/]*" if segments else ".*"
        elif c == "?":
            out += "[^/]" if segments else "."
        else:
            out += re.escape(c)
        i += 1
    return re.compile(out + r"\Z", re.S)


def path_of(location):
    if location is None or "://" in location:
        return None
    m = re.match(r"^(.+):(\d+)$", location)
    return m.group(1) if m else location


class Query(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="findex-query-")
        cls.db = findex_cli.new_store(cls.tmp)
        cls.env = findex_cli.clean_env(FINDEX_NOW="2026-02-03T04:05:06.000Z")
        for scope, files in [("web", [ZAP1]), ("code", [BANDIT]), ("deps", [GRYPE])]:
            r = cls.run_findex_cls("ingest", "--scope", scope, *files)
            assert r.returncode == 0, r.stderr
        # A second ZAP scan, a day later: what it no longer reports is ARCHIVED/RESOLVED.
        env = dict(cls.env, FINDEX_NOW="2026-02-04T04:05:06.000Z")
        r = cls.run_findex_cls("ingest", "--scope", "web", ZAP2, env=env)
        assert r.returncode == 0, r.stderr
        cls.rows = findex_cli.rows(cls.db, "SELECT * FROM findings")
        for r in cls.rows:
            r["path"] = path_of(r["location"])
            r["url"] = r["location"] if r["location"] and "://" in r["location"] else None

    @classmethod
    def tearDownClass(cls):
        findex_cli.drop(cls.db)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def other_store(self, name):
        db = findex_cli.new_store(self.tmp, name)
        self.addCleanup(findex_cli.drop, db)
        return db

    @classmethod
    def run_findex_cls(cls, *args, env=None, db=None):
        return subprocess.run([FINDEX, "--db", db or cls.db, *args], capture_output=True, env=env or cls.env,
                              cwd=cls.tmp)

    def run_findex(self, *args, **kw):
        return self.run_findex_cls(*args, **kw)

    def query_ids(self, *args):
        # --all-states: these tests check the language; the ACTIVE default has its own tests.
        r = self.run_findex("query", "--all-states", "--format", "json", *args)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        return [x["id"] for x in json.loads(r.stdout)]

    def expect(self, pred):
        return {r["asff_id"] for r in self.rows if pred(r)}

    def test_store_has_the_variety_the_tests_rely_on(self):
        scanners = {r["scanner"] for r in self.rows}
        self.assertEqual(scanners, {"zap", "bandit", "grype"})
        self.assertTrue(any(r["record_state"] == "ARCHIVED" for r in self.rows))
        self.assertTrue(any(r["path"] for r in self.rows))
        self.assertTrue(any(r["url"] for r in self.rows))
        self.assertTrue(any(r["package"] for r in self.rows))

    def test_expressions_select_the_right_rows(self):
        cases = [
            ("severity>=HIGH and scanner=zap and state=ACTIVE",
             lambda r: r["severity"] >= 3 and r["scanner"] == "zap" and r["record_state"] == "ACTIVE"),
            ('severity>=medium and path~"dojo/**"',
             lambda r: r["severity"] >= 2 and r["path"] is not None and glob_re("dojo/**").match(r["path"])),
            ('path~"dojo/*.py"', lambda r: r["path"] is not None and glob_re("dojo/*.py").match(r["path"])),
            ('path~"**/forms.py" or url~"http://*:8080"',
             lambda r: (r["path"] is not None and glob_re("**/forms.py").match(r["path"]))
             or (r["url"] is not None and glob_re("http://*:8080").match(r["url"]))),
            ("state=ARCHIVED", lambda r: r["record_state"] == "ARCHIVED"),
            ("workflow=RESOLVED and not scanner=bandit", lambda r: r["workflow"] == "RESOLVED" and r["scanner"] != "bandit"),
            ("scanner in (zap, grype) and severity in (LOW, INFORMATIONAL)",
             lambda r: r["scanner"] in ("zap", "grype") and r["severity"] in (0, 1)),
            ("package != \"\" and package !~ \"lib*\"",
             lambda r: r["package"] is not None and not glob_re("lib*", False).match(r["package"].lower())),
            ('vuln~"CVE-2019-*" || (scope=code && severity=LOW)',
             lambda r: (r["vuln_id"] is not None and glob_re("cve-2019-*", False).match(r["vuln_id"].lower()))
             or (r["scope"] == "code" and r["severity"] == 1)),
            ('title~"*injection*"', lambda r: glob_re("*injection*", False).match(r["title"].lower())),
            ("last_seen<2026-02-04", lambda r: r["last_observed_at"] < "2026-02-04"),
            ("updated>=2026-02-04 and scanner=zap", lambda r: r["updated_at"] >= "2026-02-04" and r["scanner"] == "zap"),
            ("normalized>=70", lambda r: r["normalized"] >= 70),
            ("rule=B101", lambda r: r["generator_id"] == "B101"),
            ("not (scanner=bandit or scanner=grype)", lambda r: r["scanner"] not in ("bandit", "grype")),
        ]
        for expr, pred in cases:
            with self.subTest(expr=expr):
                want = self.expect(pred)
                got = self.query_ids(expr)
                self.assertEqual(len(got), len(set(got)))
                self.assertEqual(set(got), want)
        # The cases are not trivially empty or everything.
        self.assertGreater(len(self.expect(cases[1][1])), 5)
        self.assertLess(len(self.expect(cases[1][1])), len(self.rows))

    def test_expression_ands_with_flags_and_unquoted_words_join(self):
        want = self.expect(lambda r: r["scanner"] == "bandit" and r["severity"] == 2 and r["path"]
                           and glob_re("dojo/**").match(r["path"]))
        self.assertGreater(len(want), 0)
        self.assertEqual(set(self.query_ids("--scanner", "bandit", 'severity=MEDIUM and path~"dojo/**"')), want)
        # Without shell quoting, the words arrive separately and are joined with spaces.
        self.assertEqual(set(self.query_ids("--scanner", "bandit", "severity=MEDIUM", "and", 'path~"dojo/**"')), want)

    def test_id_by_fingerprint_prefix(self):
        r = self.rows[0]
        fp = r["fingerprint"].hex()
        self.assertEqual(self.query_ids("id=" + fp[:10]), [r["asff_id"]])
        self.assertEqual(self.query_ids('id="%s"' % r["asff_id"]), [r["asff_id"]])

    def test_errors_exit_2_with_one_line_and_column(self):
        for expr, needle in [
            ("severity>=HIGH and sevrity=LOW", "query: 1:20: unknown field 'sevrity' (did you mean severity?)"),
            ("severity>=HGH", "query: 1:11: unknown severity 'HGH'"),
            ("(scanner=zap", "query: 1:13: expected ')'"),
            ("scanner=zap sevrity", "query: 1:13: unexpected 'sevrity'"),
            ('path~"src/**', "query: 1:6: unterminated string"),
        ]:
            for cmd in (["query"], ["query", "--group-by", "scanner"], ["export"]):
                with self.subTest(expr=expr, cmd=cmd):
                    r = self.run_findex(*cmd, expr)
                    self.assertEqual(r.returncode, 2)
                    self.assertEqual(r.stdout, b"")
                    err = r.stderr.decode().strip().splitlines()
                    self.assertEqual(len(err), 1, err)
                    self.assertIn(needle, err[0])

    def test_group_by_accepts_the_expression(self):
        r = self.run_findex("query", "--group-by", "scanner", "--format", "json", "severity>=MEDIUM and state=ACTIVE")
        self.assertEqual(r.returncode, 0, r.stderr)
        got = {g["scanner"]: g["count"] for g in json.loads(r.stdout)}
        want = {}
        for row in self.rows:
            if row["severity"] >= 2 and row["record_state"] == "ACTIVE":
                want[row["scanner"]] = want.get(row["scanner"], 0) + 1
        self.assertEqual(got, want)
        r = self.run_findex("query", "--group-by", "path", "--format", "csv", "scanner=bandit")
        lines = r.stdout.decode().strip().split("\r\n")
        self.assertEqual(lines[0], "path,count")
        counts = {}
        for row in self.rows:
            if row["scanner"] == "bandit":
                counts[row["path"]] = counts.get(row["path"], 0) + 1
        got = dict((l.rsplit(",", 1)[0], int(l.rsplit(",", 1)[1])) for l in lines[1:])
        self.assertEqual(got, {(k if k is not None else "(none)"): v for k, v in counts.items()})

    def test_sort_and_limit_with_expression(self):
        r = self.run_findex("query", "--format", "json", "--sort", "title", "--limit", "7", "scanner=bandit")
        self.assertEqual(r.returncode, 0, r.stderr)
        titles = [x["title"] for x in json.loads(r.stdout)]
        self.assertEqual(len(titles), 7)
        want = sorted((row["title"], row["id"]) for row in self.rows if row["scanner"] == "bandit")[:7]
        self.assertEqual(titles, [t for t, _ in want])

    def test_export_accepts_the_expression(self):
        r = self.run_findex("export", "--format", "json", "scanner=grype and severity>=HIGH")
        self.assertEqual(r.returncode, 0, r.stderr)
        got = {x["id"] for x in json.loads(r.stdout)}
        want = self.expect(lambda r: r["scanner"] == "grype" and r["severity"] >= 3)
        self.assertGreater(len(want), 0)
        self.assertEqual(got, want)

    # --- findex sql ---
    def test_sql_json_keeps_types(self):
        r = self.run_findex("sql", "--format", "json",
                            "SELECT scanner, count(*) AS n, avg(normalized) AS avg_norm, NULL AS absent"
                            " FROM v_findings GROUP BY scanner ORDER BY scanner")
        self.assertEqual(r.returncode, 0, r.stderr)
        data = json.loads(r.stdout)
        self.assertEqual([d["scanner"] for d in data], ["bandit", "grype", "zap"])
        counts = {}
        for row in self.rows:
            counts[row["scanner"]] = counts.get(row["scanner"], 0) + 1
        for d in data:
            self.assertEqual(d["n"], counts[d["scanner"]])
            self.assertIsInstance(d["n"], int)
            self.assertIsInstance(d["avg_norm"], float)
            self.assertIsNone(d["absent"])

    def test_sql_table_and_csv(self):
        r = self.run_findex("sql", "SELECT severity, count(*) AS n FROM v_findings WHERE scanner='bandit'"
                            " GROUP BY severity, severity_rank ORDER BY severity_rank DESC")
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.decode().splitlines()
        self.assertEqual(lines[0].split(), ["severity", "n"])
        self.assertEqual(lines[-1], "%d rows" % (len(lines) - 2))
        r = self.run_findex("sql", "--format", "csv", "SELECT id, title FROM v_findings WHERE location LIKE '%forms.py%';")
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = r.stdout.decode().strip().split("\r\n")
        self.assertEqual(rows[0], "id,title")
        self.assertEqual(len(rows) - 1, sum(1 for x in self.rows if x["location"] and "forms.py" in x["location"]))

    def test_sql_refuses_writes_and_reports_database_errors(self):
        before = len(self.rows)
        stmts = ["DELETE FROM findings", "UPDATE findings SET title='x'", "DROP VIEW v_findings",
                 "INSERT INTO runs(file) VALUES('x')", "CREATE TABLE t(x int)", "BEGIN", "VACUUM"]
        if PG:
            stmts += ["TRUNCATE findings", "CREATE SCHEMA findex_evil"]
        else:
            stmts += ["PRAGMA user_version=99", "ATTACH DATABASE 'other.db' AS o"]
        for stmt in stmts:
            with self.subTest(stmt=stmt):
                r = self.run_findex("sql", stmt)
                self.assertEqual(r.returncode, 2, r.stdout)
                self.assertEqual(r.stdout, b"")
                self.assertEqual(len(r.stderr.decode().strip().splitlines()), 1)
        r = self.run_findex("sql", "SELECT 1; DELETE FROM findings")
        self.assertEqual(r.returncode, 2)
        self.assertIn("one statement", r.stderr.decode())
        # The database's own message, on one line.
        r = self.run_findex("sql", "SELEC * FROM v_findings")
        self.assertEqual(r.returncode, 2)
        self.assertIn('syntax error at or near "SELEC"' if PG else 'near "SELEC": syntax error', r.stderr.decode())
        r = self.run_findex("sql", "SELECT nope FROM v_findings")
        self.assertEqual(r.returncode, 2)
        self.assertIn('column "nope" does not exist' if PG else "no such column: nope", r.stderr.decode())
        r = self.run_findex("sql")
        self.assertEqual(r.returncode, 2)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "other.db")))
        self.assertEqual(findex_cli.value(self.db, "SELECT count(*) FROM findings"), before)
        self.assertNotIn("t", findex_cli.tables(self.db))
        if PG:
            self.assertEqual(findex_cli.value(self.db, "SELECT count(*) FROM pg_namespace WHERE nspname = 'findex_evil'"), 0)
        else:
            self.assertEqual(findex_cli.value(self.db, "PRAGMA user_version") < 99, True)

    def test_sql_can_use_the_glob_function(self):
        r = self.run_findex("sql", "--format", "json",
                            "SELECT count(*) AS n FROM v_findings WHERE findex_glob('dojo/**', location)")
        self.assertEqual(r.returncode, 0, r.stderr)
        want = sum(1 for x in self.rows if x["location"] and glob_re("dojo/**").match(x["location"]))
        self.assertGreater(want, 0)
        self.assertEqual(json.loads(r.stdout)[0]["n"], want)

    def test_sql_schema_documents_every_column_without_a_store(self):
        absent = self.other_store("absent.db")
        r = self.run_findex("sql", "--schema", "--format", "json", db=absent)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertFalse(findex_cli.exists(absent))
        doc = json.loads(r.stdout)
        if PG:
            _, schema = findex_cli._split_schema(self.db)
            cols = [x["column_name"] for x in findex_cli.rows(
                self.db, "SELECT column_name FROM information_schema.columns WHERE table_schema = ?"
                " AND table_name = 'v_findings' ORDER BY ordinal_position", schema)]
        else:
            cols = [x["name"] for x in findex_cli.rows(self.db, "PRAGMA table_info(v_findings)")]
        self.assertIn("severity", cols)
        # Another SQLite client reads the stored view; findex adds asff, which it renders. On
        # PostgreSQL the view is what findex sql reads: no asff.
        self.assertNotIn("asff", cols)
        self.assertEqual([d["column"] for d in doc], cols + ([] if PG else ["asff"]))
        undocumented = [d["column"] for d in doc if d["description"] == "(undocumented)"]
        self.assertEqual(undocumented, [], "describe these columns in cli/cmd_sql.cpp ColumnDocs()")

    def test_sql_without_store_is_error(self):
        r = self.run_findex("sql", "SELECT 1", db=self.other_store("nope.db"))
        self.assertEqual(r.returncode, 2)
        self.assertRegex(r.stderr.decode(), "no (findex )?store")


if __name__ == "__main__":
    findex_cli.main()
