#!/usr/bin/env python3
"""CLI tests: run the built findex binary against real samples and check exit codes, stdout
data, stderr messages and the store's contents. Usage: cli_test.py PATH_TO_FINDEX
(run from the source tree; ../shared/asff/asff_check.py validates exported ASFF)."""
import gzip, json, os, shutil, subprocess, sys

import findex_cli
from findex_cli import StoreCase, group_concat_sql, hex_sql

FINDEX = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else "build/cli/findex"
SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ASFF_CHECK = os.path.join(SRC, "..", "shared", "asff", "asff_check.py")
PHPSTAN = os.path.join(SRC, "samples", "phpstan")
PHP_A = os.path.join(PHPSTAN, "linter_samples_phpstan_2020.json")
PHP_B = os.path.join(PHPSTAN, "maphapay_phpstan_83.json")
ZAP = os.path.join(SRC, "samples", "zap-xml")
SCAN1 = os.path.join(ZAP, "dd_zap_2.10.0_bodgeit_scan1.xml")
SCAN2 = os.path.join(ZAP, "dd_zap_2.10.0_bodgeit_scan2.xml")


class Cli(StoreCase):
    def setUp(self):
        super().setUp()
        self.env = findex_cli.clean_env(FINDEX_NOW="2026-02-03T04:05:06.000Z")

    def run_findex(self, *args, stdin=None, env=None):
        return subprocess.run([FINDEX, "--db", self.db, *args], input=stdin, capture_output=True,
                              env=env or self.env, cwd=self.tmp)

    def ingest_json(self, *args, **kw):
        r = self.run_findex("ingest", "--summary", "json", *args, **kw)
        lines = [json.loads(l) for l in r.stdout.decode().splitlines() if l.strip()]
        return r, lines

    def count(self, sql):
        return self.value(sql)

    # --- ingest contract ---
    def test_ingest_summary_json_fields(self):
        r, out = self.ingest_json(PHP_A)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(out), 1)
        s = out[0]
        for k in ["file", "format", "records", "new", "updated", "unchanged", "reopened", "resolved", "rejects", "status"]:
            self.assertIn(k, s)
        self.assertEqual(s["format"], "phpstan")
        self.assertEqual(s["records"], 4)
        self.assertEqual(s["new"], 4)
        self.assertEqual(s["status"], "ok")
        self.assertEqual(r.stderr.decode().strip(), "")  # quiet on success with --summary json

    def test_identical_reingest_is_noop(self):
        self.ingest_json(PHP_A)
        runs = self.count("SELECT count(*) FROM runs")
        findings = self.count("SELECT %s FROM findings f JOIN finding_details d ON d.id = f.id"
                              % group_concat_sql("f.updated_at || " + hex_sql("d.details"), "f.id"))
        observations = self.count("SELECT coalesce(sum(n), 0) FROM run_members")
        r, out = self.ingest_json(PHP_A)
        self.assertEqual(r.returncode, 0)
        self.assertEqual(out[0]["status"], "unchanged")
        # The findings are not touched; the run is recorded as a repeat of the first one.
        self.assertEqual(self.count("SELECT %s FROM findings f JOIN finding_details d ON d.id = f.id"
                              % group_concat_sql("f.updated_at || " + hex_sql("d.details"), "f.id")), findings)
        self.assertEqual(self.count("SELECT coalesce(sum(n), 0) FROM run_members"), observations)
        self.assertEqual(self.count("SELECT count(*) FROM runs"), runs + 1)
        self.assertEqual(self.count("SELECT same_as FROM runs ORDER BY id DESC LIMIT 1"), 1)
        # Issue 8: a repeat does not make a gate's findings old. New means not active at the
        # gate's last pass; there is none yet, so all 4 are new, before and after the repeat.
        g = self.run_findex("gate", "--fail-on", "LOW", "--new-only")
        self.assertEqual(g.returncode, 1, g.stderr)
        self.assertIn("gate FAILED: 4 new findings at or above LOW", g.stderr.decode())

    def test_truncated_file_is_clear_error_and_store_unchanged(self):
        self.ingest_json(PHP_A)
        before = self.count("SELECT count(*) FROM findings"), self.count("SELECT count(*) FROM runs")
        bad = os.path.join(self.tmp, "cut.json")
        data = open(PHP_B, "rb").read()
        open(bad, "wb").write(data[: len(data) // 2])
        r, out = self.ingest_json("--format", "phpstan", bad)
        self.assertEqual(r.returncode, 2)
        err = r.stderr.decode().strip().splitlines()
        self.assertEqual(len(err), 1, err)
        self.assertIn("cut.json", err[0])
        self.assertEqual(out[0]["status"], "error")
        after = self.count("SELECT count(*) FROM findings"), self.count("SELECT count(*) FROM runs")
        self.assertEqual(before, after)

    def test_good_files_still_ingested_when_one_fails(self):
        bad = os.path.join(self.tmp, "notareport.json")
        open(bad, "w").write('{"hello": "world"}')
        r, out = self.ingest_json(PHP_A, bad)
        self.assertEqual(r.returncode, 2)
        self.assertEqual([o["status"] for o in out], ["ok", "error"])
        self.assertIn("notareport.json", r.stderr.decode())
        self.assertEqual(self.count("SELECT count(*) FROM findings"), 4)

    def test_unknown_format_and_missing_path_are_usage_errors(self):
        self.assertEqual(self.run_findex("ingest", "--format", "nope", PHP_A).returncode, 2)
        self.assertEqual(self.run_findex("ingest", os.path.join(self.tmp, "missing.json")).returncode, 2)
        self.assertEqual(self.run_findex("frobnicate").returncode, 2)
        self.assertEqual(self.run_findex("gate").returncode, 2)  # --fail-on is required
        self.assertEqual(self.run_findex("gate", "--fail-on", "SEVERE").returncode, 2)

    def test_stdin_and_gzip(self):
        r, out = self.ingest_json("-", stdin=open(PHP_A, "rb").read())
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(out[0]["records"], 4)
        gz = os.path.join(self.tmp, "b.json.gz")
        with gzip.open(gz, "wb") as f:
            f.write(open(PHP_B, "rb").read())
        r, out = self.ingest_json("--scope", "gz", gz)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(out[0]["records"], 83)

    def test_scope_from_path(self):
        for repo, branch in [("app1", "main"), ("app2", "dev")]:
            d = os.path.join(self.tmp, "reports", repo, branch)
            os.makedirs(d)
            shutil.copy(PHP_A, d)
        r, out = self.ingest_json("--scope-from-path", "reports/{repo}/{branch}/*", "reports")
        self.assertEqual(r.returncode, 0, r.stderr)
        scopes = sorted(x["scope"] for x in self.rows("SELECT DISTINCT scope FROM findings"))
        self.assertEqual(scopes, ["app1:main", "app2:dev"])

    # --- lifecycle (ZAP bodgeit scan 1 -> scan 2 -> scan 1) ---
    def test_lifecycle_resolve_and_reopen(self):
        r, s1 = self.ingest_json("--scope", "bodgeit", SCAN1)
        self.assertEqual(r.returncode, 0, r.stderr)
        n1 = s1[0]["new"]
        self.assertGreater(n1, 0)
        r, s2 = self.ingest_json("--scope", "bodgeit", SCAN2)
        self.assertEqual(r.returncode, 0, r.stderr)
        s2 = s2[0]
        # Everything of scan 1 is either seen again or resolved.
        self.assertEqual(s2["unchanged"] + s2["updated"] + s2["resolved"], n1)
        resolved = self.count("SELECT count(*) FROM findings WHERE workflow='RESOLVED' AND record_state='ARCHIVED'")
        self.assertEqual(resolved, s2["resolved"])
        r, s3 = self.ingest_json("--scope", "bodgeit", SCAN1)
        s3 = s3[0]
        self.assertEqual(s3["reopened"], s2["resolved"])
        self.assertEqual(s3["resolved"], s2["new"])
        # A reopened finding is ACTIVE and NEW again; first observation time is kept.
        self.assertEqual(self.count("SELECT count(*) FROM findings WHERE record_state='ACTIVE'"), n1)
        # Every run observed what it reported.
        self.assertEqual(self.count("SELECT count(*) FROM runs"), 3)
        obs = self.count("SELECT n FROM run_members WHERE run_id=(SELECT min(id) FROM runs)")
        self.assertEqual(obs, n1)

    def test_other_scope_is_independent(self):
        self.ingest_json("--scope", "a", SCAN1)
        r, out = self.ingest_json("--scope", "b", SCAN2)
        self.assertEqual(out[0]["resolved"], 0)

    # --- gate ---
    def test_gate_exit_codes_and_new_only(self):
        self.ingest_json("--scope", "s", PHP_A)
        g = self.run_findex("gate", "--scope", "s", "--fail-on", "HIGH")
        self.assertEqual(g.returncode, 0, g.stderr)
        g = self.run_findex("gate", "--scope", "s", "--fail-on", "MEDIUM")
        self.assertEqual(g.returncode, 1)
        self.assertIn("gate FAILED: 4 findings at or above MEDIUM", g.stderr.decode())
        self.assertEqual(g.stdout, b"")
        # Findings that were already there when the gate last passed are not new in a later
        # ingest (issue 8: the failed MEDIUM gate adopts PHP_A explicitly).
        g = self.run_findex("gate", "--scope", "s", "--fail-on", "MEDIUM", "--accept-current", "--by", "ci",
                            "--reason", "PHP_A reviewed")
        self.assertEqual(g.returncode, 0, g.stderr)
        self.ingest_json("--scope", "s", PHP_B)
        g = self.run_findex("gate", "--scope", "s", "--fail-on", "MEDIUM", "--new-only")
        self.assertEqual(g.returncode, 1)
        self.assertIn("83 new findings", g.stderr.decode())
        # Issue 8: a scope never ingested is an error, not a clean pass.
        g = self.run_findex("gate", "--scope", "other", "--fail-on", "LOW")
        self.assertEqual(g.returncode, 2)
        self.assertIn("unknown scope 'other'", g.stderr.decode())

    def test_gate_without_store_is_error(self):
        g = self.run_findex("gate", "--fail-on", "HIGH")
        self.assertEqual(g.returncode, 2)
        self.assertIn("no store", g.stderr.decode())

    def test_reading_commands_without_store_are_errors_and_create_nothing(self):
        # Reading a store that is not there is an error on both backends, and leaves no file or
        # schema behind (a gate writes its verdict, but only into a store that exists).
        for args in (["query"], ["export"], ["export", "--format", "sarif"], ["sql", "SELECT 1 AS x"],
                     ["history", "abcdef12"], ["gate", "--fail-on", "HIGH"], ["gate", "--scope", "s", "--fail-on", "LOW"]):
            with self.subTest(args=args):
                r = self.run_findex(*args)
                self.assertEqual(r.returncode, 2, r.stdout)
                self.assertEqual(r.stdout, b"")
                self.assertRegex(r.stderr.decode(), "no (findex )?store")
                self.assertFalse(self.store_exists())

    # --- export / query ---
    def test_export_asff_is_valid(self):
        self.ingest_json("--scope", "x", PHP_A, PHP_B, SCAN1)
        out = os.path.join(self.tmp, "asff.json")
        r = self.run_findex("--account-id", "123456789012", "--region", "eu-west-1", "export", "-o", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        data = json.load(open(out))
        self.assertGreater(len(data), 80)
        self.assertTrue(all(f["AwsAccountId"] == "123456789012" for f in data))
        self.assertTrue(all(f["ProductArn"].startswith("arn:aws:securityhub:eu-west-1:123456789012:product/") for f in data))
        if os.path.exists(ASFF_CHECK):
            c = subprocess.run([sys.executable, ASFF_CHECK, out], capture_output=True, text=True)
            self.assertEqual(c.returncode, 0, c.stdout[-2000:])

    def test_query_filters_group_by_and_formats(self):
        self.ingest_json("--scope", "q", PHP_A)
        self.ingest_json("--scope", "z", SCAN1)
        r = self.run_findex("query", "--group-by", "scanner", "--format", "json")
        groups = {g["scanner"]: g["count"] for g in json.loads(r.stdout)}
        self.assertEqual(groups["phpstan"], 4)
        r = self.run_findex("query", "--scanner", "phpstan", "--format", "csv")
        rows = r.stdout.decode().strip().split("\r\n")
        self.assertEqual(len(rows), 5)
        self.assertTrue(rows[0].startswith("id,scope,scanner,severity"))
        r = self.run_findex("query", "--severity", "HIGH", "--scanner", "phpstan", "--format", "json")
        self.assertEqual(json.loads(r.stdout), [])
        # Three of the four are "Ignored error pattern ..." (top-level errors); one is a file message.
        r = self.run_findex("query", "--title", "IGNORED ERROR", "--format", "json")
        self.assertEqual(len(json.loads(r.stdout)), 3)
        r = self.run_findex("query", "--group-by", "nonsense")
        self.assertEqual(r.returncode, 2)
        r = self.run_findex("query", "--state", "bogus")
        self.assertEqual(r.returncode, 2)

    # --- issue 3: one finding per real problem, event streams ---
    def test_same_cve_from_trivy_and_grype_is_one_finding_with_both_sources(self):
        trivy = {"SchemaVersion": 2, "ArtifactName": "app", "ArtifactType": "filesystem", "Results": [
            {"Target": "package-lock.json", "Class": "lang-pkgs", "Type": "npm", "Vulnerabilities": [
                {"VulnerabilityID": "CVE-2021-23337", "PkgName": "lodash", "InstalledVersion": "4.17.20",
                 "FixedVersion": "4.17.21", "Severity": "HIGH", "Title": "command injection"}]}]}
        grype = {"matches": [{"vulnerability": {"id": "CVE-2021-23337", "severity": "Critical",
                                                "fix": {"versions": ["4.17.21"], "state": "fixed"}},
                              "artifact": {"name": "lodash", "version": "4.17.20", "type": "npm",
                                           "purl": "pkg:npm/lodash@4.17.20",
                                           "locations": [{"path": "/app/package-lock.json"}]}}],
                 "source": {"type": "directory", "target": "/app"}, "descriptor": {"name": "grype", "version": "0.74.0"}}
        tp, gp = os.path.join(self.tmp, "trivy.json"), os.path.join(self.tmp, "grype.json")
        json.dump(trivy, open(tp, "w"))
        json.dump(grype, open(gp, "w"))
        r, out = self.ingest_json("--scope", "app", tp, gp)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual([o["format"] for o in out], ["trivy", "grype"])
        self.assertEqual(out[1]["new"], 0)
        rows = json.loads(self.run_findex("query", "--vuln", "cve-2021-23337", "--format", "json").stdout)
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows[0]["severity"], "CRITICAL")  # the highest of the two
        self.assertEqual(rows[0]["sources"], "grype:CRITICAL(Critical);trivy:HIGH(HIGH)")
        rows = json.loads(self.run_findex("query", "--package", "LODASH", "--format", "json").stdout)
        self.assertEqual(len(rows), 1)
        # Trivy no longer reports it, Grype still does: still active.
        trivy["Results"][0]["Vulnerabilities"] = []
        json.dump(trivy, open(tp, "w"))
        r, out = self.ingest_json("--scope", "app", tp)
        self.assertEqual(out[0]["resolved"], 0)

    def test_falco_stream_on_stdin(self):
        falco = os.path.join(SRC, "samples", "falco", "falco_repo_cat_write_2021_source_tags.jsonl")
        data = open(falco, "rb").read() + b'{"output": "cut'
        r = self.run_findex("ingest", "--summary", "json", "-", stdin=data)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = [json.loads(l) for l in r.stdout.decode().splitlines()]
        self.assertEqual(out[-1]["format"], "falco")
        self.assertEqual(sum(o["rejects"] for o in out), 1)  # the truncated last line
        rows = json.loads(self.run_findex("query", "--format", "json").stdout)
        self.assertEqual([x["occurrences"] for x in rows], [8])
        # The same events again add up; runtime alerts are never resolved by absence.
        self.run_findex("ingest", "-", stdin=open(falco, "rb").read())
        rows = json.loads(self.run_findex("query", "--format", "json").stdout)
        self.assertEqual([x["occurrences"] for x in rows], [16])
        self.assertEqual(rows[0]["state"], "ACTIVE")

    def test_formats_lists_every_sample_folder(self):
        r = self.run_findex("formats")
        self.assertEqual(r.returncode, 0)
        names = {l.split()[0] for l in r.stdout.decode().splitlines()[1:] if l.strip()}
        folders = {d for d in os.listdir(os.path.join(SRC, "samples")) if os.path.isdir(os.path.join(SRC, "samples", d))}
        self.assertEqual(names, folders)


if __name__ == "__main__":
    findex_cli.main()
