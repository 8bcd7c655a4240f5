#!/usr/bin/env python3
"""Issue 10: the same commands on the same reports give the same results on both stores. One
history (ingests over three days in four scopes with a policy, a scan that resolves findings,
triage, a note, a gate that accepts the current findings) is written to a SQLite file and to a
PostgreSQL schema; then every export format, queries, gates (with their stored verdicts),
history and `findex sql` must print byte-identical output, exit alike and store the same rows.
Then `findex migrate-store` moves the SQLite store into a new PostgreSQL schema, which must give
the same again. Runs in the _pg variant only (it needs a server; FINDEX_TEST_PG).
Usage: backends_test.py PATH_TO_FINDEX (run from the source tree)."""
import json, os, shutil, subprocess, sys, tempfile, unittest

import findex_cli
from findex_cli import pg_only

FINDEX = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else "build/cli/findex"
SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SAMPLES = os.path.join(SRC, "samples")
ZAP1 = os.path.join(SAMPLES, "zap-xml", "dd_zap_2.10.0_bodgeit_scan1.xml")
ZAP2 = os.path.join(SAMPLES, "zap-xml", "dd_zap_2.10.0_bodgeit_scan2.xml")
BANDIT = os.path.join(SAMPLES, "bandit", "dd_bandit_many_vulns.json")
GRYPE = os.path.join(SAMPLES, "grype", "dd_grype_0.7.0_many_vulns3.json")
TRIVY = os.path.join(SAMPLES, "trivy", "scb_trivy_image_juiceshop_v10.2.0.json")
GITLEAKS = os.path.join(SAMPLES, "gitleaks", "dd_gitleaks8_many.json")
DAY1, DAY2, DAY3 = "2026-02-03T04:05:06.000Z", "2026-02-04T04:05:06.000Z", "2026-02-05T04:05:06.000Z"

POLICY = """\
severity_overrides:
  - name: csp-high
    match: {rule: "zap/10038"}
    severity: HIGH
suppressions:
  - name: legacy-xss
    match: {cwe: 79}
    reason: legacy app, WAF in front
    owner: alice
    expires: 2026-03-01
  - name: lodash
    match: {package: [lodash]}
    reason: not reachable
automation_rules:
  - name: crit-notified
    match: {severity_at_least: CRITICAL, scanner: [trivy, grype]}
    actions: {workflow: NOTIFIED}
gates:
  - name: no-critical
    max: {CRITICAL: 0}
  - name: few-high
    max: {HIGH: 2, MEDIUM: 5}
  - name: new-only
    max: {LOW: 0, MEDIUM: 0, HIGH: 0, CRITICAL: 0}
    new_only: true
"""

# Compared with `findex sql` on both: the documented view without asff (SQLite only).
VIEW_SQL = ("SELECT id, scope, scanner, format, rule, title, severity, severity_rank, normalized, workflow, state,"
            " resource, location, vuln_id, package, sources, fingerprint FROM v_findings ORDER BY id")


@pg_only("compares a SQLite store with a PostgreSQL one")
class Backends(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="findex-backends-")
        cls.env = findex_cli.clean_env()
        cls.policy = os.path.join(cls.tmp, "policy.yml")
        with open(cls.policy, "w") as f:
            f.write(POLICY)
        cls.sqlite = os.path.join(cls.tmp, "t.db")
        cls.pg = cls.new_pg("pg")
        cls.stores = {"sqlite": cls.sqlite, "postgres": cls.pg}
        cls.setup_log = {}
        for name, db in cls.stores.items():
            cls.setup_log[name] = cls.build(db)

    @classmethod
    def new_pg(cls, name):
        # A PostgreSQL store whatever FINDEX_TEST_BACKEND says (this test runs in _pg only).
        if not findex_cli.PG_BASE:
            raise unittest.SkipTest("no FINDEX_TEST_PG")
        schema = "t_" + os.urandom(10).hex()
        return findex_cli.PG_BASE + ("&" if "?" in findex_cli.PG_BASE else "?") + "schema=" + schema

    @classmethod
    def tearDownClass(cls):
        for db in list(cls.stores.values()) + [getattr(cls, "migrated", "")]:
            if db and findex_cli.is_pg(db):
                findex_cli.drop(db)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def findex(cls, db, *args, now=DAY3, cwd=None):
        r = subprocess.run([FINDEX, "--db", db, "--account-id", "123456789012", *args], capture_output=True,
                           env=dict(cls.env, FINDEX_NOW=now, FINDEX_USER="ci"), cwd=cwd or cls.tmp, timeout=300)
        # The outputs must match except for the store's own name.
        return r.returncode, r.stdout.replace(db.encode(), b"STORE"), r.stderr.replace(db.encode(), b"STORE")

    @classmethod
    def build(cls, db):
        """The same history on a store; returns every command's result (compared as well)."""
        log = []
        steps = [
            (DAY1, ["ingest", "--summary", "json", "--scope", "web", ZAP1, "--policy", cls.policy]),
            (DAY1, ["ingest", "--summary", "json", "--scope", "code", BANDIT, GITLEAKS]),
            (DAY1, ["ingest", "--summary", "json", "--scope", "deps", GRYPE, TRIVY, "--policy", cls.policy]),
            (DAY1, ["gate", "--scope", "web", "--policy", cls.policy, "--accept-current", "--by", "ci",
                    "--reason", "baseline"]),
            (DAY2, ["ingest", "--summary", "json", "--scope", "web", ZAP2, "--policy", cls.policy]),
            (DAY2, ["ingest", "--summary", "json", "--scope", "web", ZAP2, "--policy", cls.policy]),  # a repeat
        ]
        for now, args in steps:
            r = cls.findex(db, *args, now=now)
            log.append((args[0], r))
        # Triage and a note by id (the same finding on both: ids are content-derived).
        code, out, err = cls.findex(db, "query", "--all-states", "--format", "json", "--sort", "title",
                                    "scanner=zap and severity>=MEDIUM")
        ids = [x["id"] for x in json.loads(out or b"[]")]
        log.append(("query ids", (code, out, err)))
        code, out, err = cls.findex(db, "query", "--format", "json", "--sort", "title", "--limit", "5",
                                    "scanner=bandit and severity=MEDIUM")
        log.append(("query bandit", (code, out, err)))
        bandit = [x["id"] for x in json.loads(out or b"[]")]
        if bandit:
            log.append(("suppress", cls.findex(db, "triage", *bandit, "--status", "SUPPRESSED", "--note",
                                               "false positive", "--by", "bob", now=DAY2)))
        if ids:
            log.append(("triage", cls.findex(db, "triage", ids[0], "--status", "RESOLVED", "--note", "fixed in 2.1",
                                             "--by", "carol", now=DAY2)))
            log.append(("note", cls.findex(db, "note", ids[-1], "see ticket SEC-12", "--by", "dora", now=DAY3)))
        cls_ids = getattr(cls, "ids", None)
        if cls_ids is None:
            cls.ids = ids
        return log

    def both(self, *args, now=DAY3):
        got = {name: self.findex(db, *args, now=now) for name, db in self.stores.items()}
        self.assertEqual(got["postgres"], got["sqlite"], args)
        return got["sqlite"]

    def test_setup_history_is_the_same(self):
        a, b = self.setup_log["sqlite"], self.setup_log["postgres"]
        self.assertEqual(len(a), len(b))
        for (what, ra), (_, rb) in zip(a, b):
            with self.subTest(step=what):
                self.assertEqual(rb, ra)
        # And the history did something: findings, resolutions, a suppression, ids to triage.
        self.assertGreater(len(self.ids), 3)
        self.assertEqual([r[1][0] for r in a], [0] * len(a), a)

    def test_every_export_format(self):
        for fmt in ("asff", "ocsf", "ocsf-json", "json", "csv", "sarif", "junit", "markdown", "codeinsights"):
            with self.subTest(format=fmt):
                code, out, err = self.both("export", "--format", fmt)
                self.assertEqual(code, 0, err)
                self.assertGreater(len(out), 100)
        for args in (["--scope", "web", "--state", "ARCHIVED"], ["scanner=grype and severity>=HIGH"],
                     ["--format", "sarif", "--scope", "code"]):
            with self.subTest(args=args):
                self.assertEqual(self.both("export", *args)[0], 0)

    def test_asff_batches(self):
        out = {}
        for name, db in self.stores.items():
            d = os.path.join(self.tmp, "batches-" + name)
            code, _, err = self.findex(db, "export", "--format", "asff", "--batch-dir", d)
            self.assertEqual(code, 0, err)
            out[name] = {}
            for f in sorted(os.listdir(d)):
                with open(os.path.join(d, f), "rb") as fh:
                    out[name][f] = fh.read()
        self.assertGreater(len(out["sqlite"]), 1)
        self.assertEqual(out["postgres"], out["sqlite"])

    def test_queries(self):
        cases = [
            [], ["--all-states"], ["--all-states", "--format", "json"], ["--format", "csv", "--columns",
                                                                         "id,scope,severity,fingerprint,occurrences"],
            ["--group-by", "scanner"], ["--group-by", "severity", "--format", "json"], ["--group-by", "state", "--all-states"],
            ["--group-by", "path", "--format", "csv", "scanner=bandit"],
            ["--sort", "title", "--limit", "7", "--format", "json"],
            ["--format", "json", 'severity>=medium and path~"dojo/**"'],
            ["--format", "json", '--all-states', 'path~"**/forms.py" or url~"http://*:8080"'],
            ["--format", "json", "scanner in (zap, grype) and severity in (LOW, INFORMATIONAL)"],
            ["--format", "json", 'package != "" and package !~ "lib*"'],
            ["--format", "json", 'vuln~"CVE-2019-*" || (scope=code && severity=LOW)'],
            ["--format", "json", 'title~"*injection*"', "--all-states"],
            ["--format", "json", "last_seen<2026-02-04", "--all-states"],
            ["--format", "json", "updated>=2026-02-04 and scanner=zap", "--all-states"],
            ["--format", "json", "normalized>=70"], ["--format", "json", "workflow=SUPPRESSED", "--all-states"],
            ["--format", "json", "--vuln", "cve-2021-23337"], ["--format", "json", "--package", "LODASH"],
            ["--format", "json", "--title", "IGNORED ERROR"], ["--scope", "nope"], ["severity>=HGH"],
        ]
        nonempty = 0
        for args in cases:
            with self.subTest(args=args):
                code, out, _ = self.both("query", *args)
                nonempty += code == 0 and out.strip() not in (b"", b"[]")
        self.assertGreater(nonempty, len(cases) // 2)

    def test_gates_and_their_stored_verdicts(self):
        cases = [
            ["--scope", "web", "--fail-on", "HIGH"], ["--scope", "web", "--fail-on", "MEDIUM", "--new-only"],
            ["--scope", "web", "--policy", self.policy], ["--all-scopes", "--policy", self.policy, "--show", "3"],
            ["--scope", "deps", "--policy", self.policy, "--gate", "no-critical"],
            ["--scope", "code", "--fail-on", "LOW", "--no-policy"], ["--scope", "web", "--fail-on", "LOW", "--baseline", "code"],
            ["--scope", "web", "--fail-on", "HIGH", "--report", "junit"], ["--scope", "deps", "--fail-on", "HIGH", "--report", "sarif"],
            ["--scope", "nope", "--fail-on", "HIGH"],
        ]
        for now in (DAY3, "2026-06-01T00:00:00.000Z"):  # before and after the suppression's expiry
            for args in cases:
                with self.subTest(now=now, args=args):
                    code, _, err = self.both("gate", *args, now=now)
                    self.assertIn(code, (0, 1, 2), err)
        sql = "SELECT scope, gate, passed, mark_run, violations FROM gate_verdicts ORDER BY id"
        got = {name: findex_cli.rows(db, sql) for name, db in self.stores.items()}
        self.assertGreater(len(got["sqlite"]), 5)
        norm = lambda rs: [{k: (int(v) if isinstance(v, bool) else v) for k, v in r.items()} for r in rs]
        self.assertEqual(norm(got["postgres"]), norm(got["sqlite"]))

    def test_history_and_sql(self):
        for ident in self.ids[:3] + self.ids[-1:]:
            with self.subTest(id=ident):
                code, out, err = self.both("history", ident, "--format", "json")
                self.assertEqual(code, 0, err)
                self.assertGreater(len(json.loads(out)), 0)
        code, out, err = self.both("sql", "--format", "json", VIEW_SQL)
        self.assertEqual(code, 0, err)
        self.assertGreater(len(json.loads(out)), 50)
        for q in ["SELECT scanner, count(*) AS n, sum(occurrences) AS o FROM v_findings GROUP BY scanner ORDER BY scanner",
                  "SELECT state, workflow, count(*) AS n FROM v_findings GROUP BY state, workflow ORDER BY state, workflow",
                  "SELECT scope, count(*) AS n FROM runs GROUP BY scope ORDER BY scope"]:
            with self.subTest(sql=q):
                for fmt in ("json", "csv", "table"):
                    self.assertEqual(self.both("sql", "--format", fmt, q)[0], 0)

    def test_stored_rows_are_the_same(self):
        # The tables' contents (ids aside: a PostgreSQL sequence may skip numbers).
        checks = {
            "findings": "SELECT asff_id, scope, scanner, severity, workflow, record_state, title, first_observed_at,"
                        " last_observed_at, updated_at FROM findings ORDER BY asff_id",
            "runs": "SELECT scope, file, format, scanner, records FROM runs ORDER BY scope, file, records",
            "history": "SELECT f.asff_id, h.action FROM history h JOIN findings f ON f.id = h.finding_id"
                       " ORDER BY f.asff_id, h.action",
        }
        for table, sql in checks.items():
            with self.subTest(table=table):
                got = {name: findex_cli.rows(db, sql) for name, db in self.stores.items()}
                self.assertGreater(len(got["sqlite"]), 0)
                self.assertEqual(got["postgres"], got["sqlite"])

    def test_migrate_store_keeps_everything(self):
        # A copy of the SQLite store, so that the other tests' stores stay as built.
        src = os.path.join(self.tmp, "migrate-src.db")
        findex_cli.copy_store(self.sqlite, src)
        dst = self.new_pg("migrated")
        type(self).migrated = dst
        r = subprocess.run([FINDEX, "migrate-store", "--from", src, "--to", dst], capture_output=True,
                           env=self.env, cwd=self.tmp, timeout=300)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        migrated = {"sqlite": src, "postgres": dst}
        for args in (["export", "--format", "asff"], ["export", "--format", "sarif"], ["query", "--all-states", "--format", "json"],
                     ["history", self.ids[0], "--format", "json"], ["sql", "--format", "json", VIEW_SQL],
                     ["gate", "--scope", "web", "--fail-on", "MEDIUM", "--new-only"]):
            with self.subTest(args=args):
                got = {name: self.findex(db, *args) for name, db in migrated.items()}
                self.assertEqual(got["postgres"], got["sqlite"])
        # The copy is independent of the source: a later ingest into it is an ingest like any other.
        got = {name: self.findex(db, "ingest", "--summary", "json", "--scope", "web", ZAP1, "--policy", self.policy)
               for name, db in migrated.items()}
        self.assertEqual(got["postgres"], got["sqlite"])


if __name__ == "__main__":
    findex_cli.main()
