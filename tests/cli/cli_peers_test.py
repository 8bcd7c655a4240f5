#!/usr/bin/env python3
"""CLI tests for "a CLI that behaves like its peers" (issue 8): global options after the
subcommand, content-free reports (--format, --format NAME=GLOB, the file-name table), query
defaults and columns (ARCHIVED hidden, --all-states, scope column, --columns), relative dates,
did-you-mean for scanner and scope values, --id as triage takes it, --account-id validation,
`findex help` and the man page. Expected rows come from the store's tables (findex_cli.rows), never from
findex's own output.
Usage: cli_peers_test.py PATH_TO_FINDEX (run from the source tree)."""
import json, os, re, shutil, subprocess, sys

import findex_cli
from findex_cli import StoreCase, rows

FINDEX = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else "build/cli/findex"
SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SAMPLES = os.path.join(SRC, "samples")
ZAP1 = os.path.join(SAMPLES, "zap-xml", "dd_zap_2.10.0_bodgeit_scan1.xml")
ZAP2 = os.path.join(SAMPLES, "zap-xml", "dd_zap_2.10.0_bodgeit_scan2.xml")
BANDIT = os.path.join(SAMPLES, "bandit", "dd_bandit_many_vulns.json")
GITLEAKS = os.path.join(SAMPLES, "gitleaks", "dd_gitleaks8_many.json")
NOW1 = "2026-02-03T04:05:06.000Z"
NOW2 = "2026-02-04T04:05:06.000Z"


def run(*args, env=None, cwd=None):
    e = dict(os.environ, FINDEX_NOW=NOW1)
    for k in ("FINDEX_DB", "FINDEX_ACCOUNT_ID"):
        e.pop(k, None)
    e.update(env or {})
    return subprocess.run([FINDEX, *args], capture_output=True, env=e, cwd=cwd)


class Base(StoreCase):
    TMP_PREFIX = "findex-peers-"

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def ok(self, r):
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        return r


class GlobalOptions(Base):
    def test_global_options_after_the_subcommand(self):
        # `--db` after the subcommand: the store is the one named, not ./findex.db.
        self.ok(run("ingest", "--db", self.db, "--scope", "web", ZAP1, cwd=self.tmp))
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "findex.db")))
        n = rows(self.db, "SELECT count(*) AS n FROM findings")[0]["n"]
        self.assertGreater(n, 0)
        # After the positional arguments too, and with every global option, -q included.
        r = self.ok(run("ingest", ZAP1, "--scope", "web2", "--db", self.db, "--account-id", "123456789012",
                        "--region", "eu-west-1", "--partition", "aws", "-q", cwd=self.tmp))
        self.assertEqual(r.stderr, b"")
        r = self.ok(run("export", "--format", "asff", "--scope", "web2", "--db", self.db, "--account-id",
                        "123456789012", "--region", "eu-west-1"))
        docs = json.loads(r.stdout)
        self.assertTrue(docs and all(d["AwsAccountId"] == "123456789012" and d["Region"] == "eu-west-1" for d in docs))
        # query, gate, sql, history, formats, help and the nested policy check.
        self.ok(run("query", "--scope", "web", "--db", self.db, "-v"))
        r = run("gate", "--scope", "web", "--fail-on", "CRITICAL", "--no-policy", "--db", self.db)
        self.assertIn(r.returncode, (0, 1), r.stderr.decode())
        self.ok(run("sql", "SELECT count(*) FROM v_findings", "--db", self.db))
        rowid = rows(self.db, "SELECT id FROM findings LIMIT 1")[0]["id"]
        self.ok(run("history", str(rowid), "--db", self.db))
        self.ok(run("formats", "-q"))
        policy = self.write("findex.yml", "version: 1\n")
        self.ok(run("policy", "check", policy, "--db", self.db, "-q"))
        # Before the subcommand, as always.
        self.ok(run("--db", self.db, "query", "--scope", "web"))

    def test_positionals_still_parse_and_unknown_options_still_fail(self):
        r = run("ingest", "--db", self.db, "--bogus", ZAP1)
        self.assertEqual(r.returncode, 2)
        self.assertIn("--bogus", r.stderr.decode())
        # An expression after a global option is still the expression.
        self.ok(run("ingest", ZAP1, "--db", self.db))
        r = self.ok(run("query", "--db", self.db, "--format", "json", "severity>=HIGH", "--all-states"))
        want = {x["asff_id"] for x in rows(self.db, "SELECT asff_id FROM findings WHERE severity >= 3")}
        self.assertEqual({x["id"] for x in json.loads(r.stdout)}, want)


class AccountId(Base):
    def test_account_id_must_be_12_digits(self):
        for bad in ("12345", "12345678901a", "1234567890123", "abc"):
            r = run("--account-id", bad, "formats")
            self.assertEqual(r.returncode, 2, bad)
            self.assertIn("12 digits", r.stderr.decode())
            self.assertEqual(r.stdout, b"")
            r = run("query", "--db", self.db, env={"FINDEX_ACCOUNT_ID": bad})
            self.assertEqual(r.returncode, 2, bad)
            self.assertIn("$FINDEX_ACCOUNT_ID", r.stderr.decode())
        self.ok(run("--account-id", "123456789012", "formats"))
        self.ok(run("formats", env={"FINDEX_ACCOUNT_ID": "123456789012"}))

    def test_placeholder_account_warns_on_asff_export(self):
        self.ok(run("ingest", "--db", self.db, ZAP1))
        r = self.ok(run("export", "--db", self.db, "--format", "asff"))
        self.assertIn("placeholder account 000000000000", r.stderr.decode())
        r = self.ok(run("export", "--db", self.db, "--format", "asff", "--account-id", "123456789012"))
        self.assertNotIn("placeholder", r.stderr.decode())
        r = self.ok(run("export", "--db", self.db, "--format", "csv"))
        self.assertNotIn("placeholder", r.stderr.decode())


class ContentFree(Base):
    FORMS = {"empty-array": "[]\n", "empty-object": "{ }", "null": "null\n", "empty": "", "blank": " \n\t\n"}

    def formats(self):
        r = self.ok(run("formats"))
        lines = r.stdout.decode().splitlines()[1:]
        return [l.split()[0] for l in lines if l.strip()]

    def runs(self):
        return rows(self.db, "SELECT file, format, scanner, records FROM runs ORDER BY id")

    def test_every_format_accepts_every_content_free_form_with_format(self):
        fmts = self.formats()
        self.assertGreater(len(fmts), 15)
        for fmt in fmts:
            for form, text in self.FORMS.items():
                with self.subTest(format=fmt, form=form):
                    path = self.write("%s-%s.txt" % (fmt, form), text)
                    r = run("ingest", "--db", self.db, "--scope", fmt + form, "--format", fmt, "--summary", "json", path)
                    self.assertEqual(r.returncode, 0, r.stderr.decode())
                    s = json.loads(r.stdout.decode().splitlines()[0])
                    self.assertEqual((s["format"], s["records"], s["status"]), (fmt, 0, "ok"))

    def test_clean_reports_in_each_scanners_own_form_are_detected(self):
        # What the scanners write when they find nothing: detected from the content, zero findings.
        cases = {
            "phpstan": '{"totals":{"errors":0,"file_errors":0},"files":[],"errors":[]}',  # PHP encodes {} as []
            "asff": '{"Findings": []}',
            "bandit": '{"errors":[],"generated_at":"2024-01-01T00:00:00Z","metrics":{"_totals":{"loc":0}},"results":[]}',
            "semgrep": '{"results":[],"errors":[],"paths":{"scanned":[]}}',
            "sarif": '{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"CodeQL"}},"results":[]}]}',
            "trivy": '{"SchemaVersion":2,"ArtifactName":"x","ArtifactType":"filesystem"}',
            "grype": '{"matches":[],"source":{"type":"image","target":{}},"descriptor":{"name":"grype"}}',
            "codeguru": '{"RecommendationSummaries":[]}',
        }
        for fmt, text in cases.items():
            with self.subTest(format=fmt):
                path = self.write("clean-report-%s.txt" % fmt, text)
                r = run("ingest", "--db", self.db, "--scope", fmt, "--summary", "json", path)
                self.assertEqual(r.returncode, 0, r.stderr.decode())
                s = json.loads(r.stdout)
                self.assertEqual((s["format"], s["records"], s["status"]), (fmt, 0, "ok"))

    def test_without_a_format_it_is_the_clear_error(self):
        for form, text in self.FORMS.items():
            with self.subTest(form=form):
                path = self.write("report-%s.json" % form, text)
                r = run("ingest", "--db", self.db, path)
                self.assertEqual(r.returncode, 2)
                self.assertIn("empty report", r.stderr.decode())
                self.assertIn("--format NAME", r.stderr.decode())

    def test_clean_gitleaks_run_resolves_by_absence(self):
        # A real Gitleaks report, then a clean run (`[]`) named gitleaks-report.json: the file name
        # says which scanner, and the scan's findings are resolved.
        self.ok(run("ingest", "--db", self.db, GITLEAKS))
        before = rows(self.db, "SELECT count(*) AS n FROM findings WHERE scanner='gitleaks' AND record_state='ACTIVE'")
        self.assertGreater(before[0]["n"], 0)
        clean = self.write("gitleaks-report.json", "[]")
        r = self.ok(run("ingest", "--db", self.db, "--summary", "json", clean, env={"FINDEX_NOW": NOW2}))
        s = json.loads(r.stdout)
        self.assertEqual((s["format"], s["records"], s["resolved"]), ("gitleaks", 0, before[0]["n"]))
        after = rows(self.db, "SELECT count(*) AS n FROM findings WHERE scanner='gitleaks' AND record_state='ACTIVE'")
        self.assertEqual(after[0]["n"], 0)

    def test_file_name_table(self):
        cases = {"gitleaks.json": "gitleaks", "trivy-image.json": "trivy", "Grype.JSON": "grype",
                 "semgrep-results.json": "semgrep", "bandit.json": "bandit", "checkov_report.json": "checkov",
                 "app.sarif": "sarif", "codeql.sarif.json": "sarif", "zap-report.xml": "zap-xml",
                 "dependency-check-report.json": "dependency-check-json", "gitleaks.json.gz": "gitleaks",
                 "report-gitleaks.json": "gitleaks", "ci_trivy_fs.json": "trivy", "sonar-issues.json": "sonarqube",
                 "trivy-results.sarif.json": "sarif"}
        import gzip
        for i, (name, fmt) in enumerate(cases.items()):
            with self.subTest(name=name):
                d = os.path.join(self.tmp, "d%d" % i)
                os.mkdir(d)
                path = os.path.join(d, name)
                if name.endswith(".gz"):
                    with gzip.open(path, "wb") as f:
                        f.write(b"[]")
                else:
                    with open(path, "w") as f:
                        f.write("{}" if fmt.startswith("zap") else "[]")
                r = run("ingest", "--db", self.db, "--scope", "s%d" % i, "--summary", "json", path)
                self.assertEqual(r.returncode, 0, r.stderr.decode())
                self.assertEqual(json.loads(r.stdout)["format"], fmt)
        # `findex formats` lists the patterns.
        out = self.ok(run("formats")).stdout.decode()
        self.assertIn("FILE NAMES", out)
        self.assertRegex(out, r"(?m)^gitleaks\s+gitleaks\s+\*gitleaks\*\.json")
        # Content always wins over the name; a name matching no pattern is the clear error.
        r = run("ingest", "--db", self.db, "--summary", "json", "--scope", "z", ZAP1)
        self.assertEqual(json.loads(r.stdout)["format"], "zap-xml")
        other = self.write("results.json", "[]")
        r = run("ingest", "--db", self.db, other)
        self.assertEqual(r.returncode, 2)
        self.assertIn("empty report", r.stderr.decode())

    def test_format_name_equals_glob_per_file(self):
        d = os.path.join(self.tmp, "reports")
        os.mkdir(d)
        for name in ("leaks.json", "deps.json", "other.json"):
            with open(os.path.join(d, name), "w") as f:
                f.write("[]")
        shutil.copy(BANDIT, os.path.join(d, "bandit-out.txt"))
        r = run("ingest", "--db", self.db, "--summary", "json", "--format", "gitleaks=*leaks*.json",
                "--format", "grype=" + os.path.join(d, "deps.json"), d)
        self.assertEqual(r.returncode, 2)  # other.json: no rule, no name, no content
        got = {os.path.basename(s["file"]): (s["format"], s["status"]) for s in map(json.loads, r.stdout.decode().splitlines())}
        self.assertEqual(got["leaks.json"], ("gitleaks", "ok"))
        self.assertEqual(got["deps.json"], ("grype", "ok"))
        self.assertEqual(got["other.json"][1], "error")
        self.assertEqual(got["bandit-out.txt"], ("bandit", "ok"))  # detected from the content
        self.assertIn("other.json", r.stderr.decode())
        # A plain NAME covers the rest; a NAME=GLOB rule wins over it.
        r = self.ok(run("ingest", "--db", self.db, "--scope", "b", "--summary", "json", "--format", "trivy",
                        "--format", "gitleaks=*leaks*", os.path.join(d, "leaks.json"), os.path.join(d, "other.json")))
        got = {os.path.basename(s["file"]): s["format"] for s in map(json.loads, r.stdout.decode().splitlines())}
        self.assertEqual(got, {"leaks.json": "gitleaks", "other.json": "trivy"})
        # Usage errors.
        for args, needle in [(["--format", "nope=*.json"], "unknown format 'nope'"),
                             (["--format", "gitleaks="], "needs a glob"),
                             (["--format", "trivy", "--format", "grype"], "one --format NAME")]:
            r = run("ingest", "--db", self.db, *args, os.path.join(d, "leaks.json"))
            self.assertEqual(r.returncode, 2, args)
            self.assertIn(needle, r.stderr.decode())


class Query(Base):
    def setUp(self):
        super().setUp()
        self.ok(run("ingest", "--db", self.db, "--scope", "repo:main", ZAP1))
        self.ok(run("ingest", "--db", self.db, "--scope", "repo:main", ZAP2, env={"FINDEX_NOW": NOW2}))
        self.ok(run("ingest", "--db", self.db, "--scope", "code", BANDIT, env={"FINDEX_NOW": NOW2}))
        self.all = rows(self.db, "SELECT * FROM findings")
        self.assertTrue(any(r["record_state"] == "ARCHIVED" for r in self.all))

    def ids(self, *args, env=None):
        r = run("query", "--db", self.db, "--format", "json", *args, env=env)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        return sorted(x["id"] for x in json.loads(r.stdout))

    def want(self, pred):
        return sorted(r["asff_id"] for r in self.all if pred(r))

    def test_archived_only_when_asked(self):
        active = self.want(lambda r: r["record_state"] == "ACTIVE")
        self.assertEqual(self.ids(), active)
        self.assertEqual(self.ids("--scope", "repo:main"),
                         self.want(lambda r: r["record_state"] == "ACTIVE" and r["scope"] == "repo:main"))
        self.assertEqual(self.ids("--all-states"), self.want(lambda r: True))
        self.assertEqual(self.ids("state=ARCHIVED"), self.want(lambda r: r["record_state"] == "ARCHIVED"))
        self.assertEqual(self.ids("--state", "ARCHIVED"), self.want(lambda r: r["record_state"] == "ARCHIVED"))
        self.assertEqual(self.ids("state in (ACTIVE, ARCHIVED)"), self.want(lambda r: True))
        # --state with a workflow value names the states wanted: no ACTIVE default.
        self.assertEqual(self.ids("--state", "RESOLVED"), self.want(lambda r: r["workflow"] == "RESOLVED"))
        # Counts too.
        r = self.ok(run("query", "--db", self.db, "--group-by", "state", "--format", "json"))
        self.assertEqual({g["state"] for g in json.loads(r.stdout)}, {"ACTIVE"})
        # Export keeps its documented semantics: ASFF, JSON and CSV hold ARCHIVED findings too
        # (Security Hub needs them to archive its copy).
        r = self.ok(run("export", "--db", self.db, "--format", "json"))
        self.assertEqual(sorted(x["id"] for x in json.loads(r.stdout)), self.want(lambda r: True))

    def test_table_has_a_scope_column_and_columns_choose(self):
        r = self.ok(run("query", "--db", self.db, "--scope", "code", "--limit", "3"))
        lines = r.stdout.decode().splitlines()
        self.assertEqual(lines[0].split(), ["SEVERITY", "STATE", "WORKFLOW", "SCANNER", "SCOPE", "TITLE", "LOCATION", "ID"])
        self.assertTrue(all(" code " in l for l in lines[1:4]), lines)
        r = self.ok(run("query", "--db", self.db, "--columns", "scope,severity,fingerprint", "--scope", "code", "--limit", "2"))
        lines = r.stdout.decode().splitlines()
        self.assertEqual(lines[0].split(), ["SCOPE", "SEVERITY", "FINGERPRINT"])
        self.assertRegex(lines[1], r"^code\s+[A-Z]+\s+[0-9a-f]{32}$")
        r = self.ok(run("query", "--db", self.db, "--columns", "id,occurrences", "--format", "json", "--scope", "code"))
        data = json.loads(r.stdout)
        self.assertEqual(set(data[0]), {"id", "occurrences"})
        self.assertIsInstance(data[0]["occurrences"], int)
        r = self.ok(run("query", "--db", self.db, "--columns", "title , scope", "--format", "csv", "--scope", "code"))
        self.assertEqual(r.stdout.decode().split("\r\n")[0], "title,scope")
        r = run("query", "--db", self.db, "--columns", "scope,sevrity")
        self.assertEqual(r.returncode, 2)
        err = r.stderr.decode()
        self.assertIn("unknown column 'sevrity' (did you mean severity?)", err)
        self.assertIn("first_observed_at", err)  # the valid columns are listed
        self.assertIn("first_observed_at", self.ok(run("help", "query")).stdout.decode())

    def test_relative_dates_and_date_errors(self):
        env = {"FINDEX_NOW": "2026-02-10T12:00:00.000Z"}
        first = {r["asff_id"]: r["first_observed_at"] for r in self.all}
        self.assertEqual(self.ids("--all-states", "first_seen<now-7d", env=env),
                         self.want(lambda r: r["first_observed_at"] < "2026-02-03T12:00:00.000Z"))
        self.assertEqual(self.ids("--all-states", "age>7d", env=env), self.ids("--all-states", "first_seen<now-7d", env=env))
        self.assertEqual(self.ids("--all-states", "age>1w", env=env), self.ids("--all-states", "age>7d", env=env))
        self.assertEqual(self.ids("--all-states", "age<=156h", env=env),
                         self.want(lambda r: r["first_observed_at"] >= "2026-02-04T00:00:00.000Z"))
        self.assertEqual(self.ids("--all-states", "first_seen=2026-02-03"),
                         self.want(lambda r: first[r["asff_id"]].startswith("2026-02-03")))
        self.assertGreater(len(self.ids("--all-states", "age>7d", env=env)), 0)
        self.assertLess(len(self.ids("--all-states", "age>7d", env=env)), len(self.all))
        for expr, needle in [("first_seen<2026-13-01", "query: 1:12: first_seen takes an RFC 3339 time"),
                             ("scanner=zap and updated>last-week", "query: 1:25:"),
                             ("age>30", "query: 1:5: age takes a duration"),
                             ("age=3d", "query: 1:4: operator '=' does not apply to age")]:
            for cmd in ("query", "export"):
                r = run(cmd, "--db", self.db, expr)
                self.assertEqual(r.returncode, 2, expr)
                self.assertEqual(r.stdout, b"")
                self.assertIn(needle, r.stderr.decode())

    def test_did_you_mean_for_scanner_and_scope(self):
        for args, needle in [(["--scanner", "zpa"], "--scanner: unknown scanner 'zpa' (did you mean zap?)"),
                             (["--scope", "repo:mian"], "--scope: unknown scope 'repo:mian' (did you mean repo:main?)"),
                             (["scanner=bandti"], "query: 1:9: unknown scanner 'bandti' (did you mean bandit?)"),
                             (["severity>=LOW and scope in (code, repo:mai)"], "query: 1:35: unknown scope 'repo:mai'"),
                             (["--group-by", "scanner", "scope=cod"], "(did you mean code?)")]:
            r = run("query", "--db", self.db, *args)
            self.assertEqual(r.returncode, 2, args)
            self.assertEqual(r.stdout, b"")
            self.assertIn(needle, r.stderr.decode())
        # A known scanner that has no findings here, or a value close to nothing, selects no rows.
        for args in (["--scanner", "trivy"], ["--scope", "elsewhere"], ["scope=somewhere-else"], ["--scanner", "ZAP"]):
            r = self.ok(run("query", "--db", self.db, "--format", "json", *args))
            if args[-1] != "ZAP":
                self.assertEqual(json.loads(r.stdout), [])

    def test_id_accepts_what_triage_accepts(self):
        r = self.all[0]
        fp = r["fingerprint"].hex()
        hash_part = r["asff_id"][len("findex/"):]
        for key in (r["asff_id"], fp[:8], fp.upper()[:12], hash_part[:8], str(r["id"]), r["asff_id"][:16]):
            with self.subTest(key=key):
                self.assertEqual(self.ids("--all-states", "--id", key), [r["asff_id"]])
                h = run("history", key, "--db", self.db)
                self.assertEqual(h.returncode, 0, h.stderr.decode())


class Help(Base):
    def option_lines(self, text):
        return [l.strip() for l in text.splitlines() if l.strip().startswith("-")]

    def test_help_command_matches_dash_dash_help(self):
        for cmd in (["ingest"], ["query"], ["gate"], ["export"], ["policy", "check"], ["sql"], ["triage"]):
            with self.subTest(cmd=cmd):
                a = self.ok(run("help", *cmd)).stdout.decode()
                b = self.ok(run(*cmd, "--help")).stdout.decode()
                self.assertEqual(a, b)
                self.assertGreater(len(self.option_lines(a)), 0)
        self.assertIn("--format", self.ok(run("help", "ingest")).stdout.decode())
        self.assertEqual(self.ok(run("help")).stdout, self.ok(run("--help")).stdout)
        r = run("help", "injest")
        self.assertEqual(r.returncode, 2)
        self.assertIn("no command 'injest'", r.stderr.decode())

    def test_man_page_holds_every_command_help(self):
        page = self.ok(run("help", "--man")).stdout.decode()
        self.assertTrue(page.startswith(".TH FINDEX 1"))
        for cmd in (["ingest"], ["query"], ["gate"], ["policy", "check"]):
            self.assertIn(".SS findex " + " ".join(cmd), page)
            for line in self.option_lines(self.ok(run(*cmd, "--help")).stdout.decode()):
                self.assertIn(line.replace("\\", "\\e").replace("-", "\\-").split()[0], page)
        # The build writes it next to the binary's build folder.
        built = os.path.join(os.path.dirname(os.path.dirname(FINDEX)), "findex.1")
        if os.path.exists(built):
            with open(built) as f:
                self.assertEqual(f.read(), page)
        if shutil.which("man"):
            p = self.write("findex.1", page)
            r = subprocess.run(["man", "-l", p], capture_output=True, env=dict(os.environ, MANPAGER="cat", MANWIDTH="100"))
            if r.returncode == 0:
                self.assertIn("findex ingest", r.stdout.decode())


if __name__ == "__main__":
    findex_cli.main()
