#!/usr/bin/env python3
"""CLI tests for the SCA readers osv-scanner, npm-audit, pip-audit and snyk: a finding of theirs
and a Trivy finding of the same CVE and package are ONE finding in the store; the same finding
twice in one report is stored once; pip-audit's skipped dependencies are INFORMATIONAL scan
gaps; Snyk's ignored issues are SUPPRESSED; broken or foreign files are one clear error (exit 2).
Usage: sca_formats_test.py PATH_TO_FINDEX (run from the source tree)."""
import json, os, subprocess, sys

import findex_cli
from findex_cli import StoreCase

FINDEX = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else "build/cli/findex"
SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SAMPLES = os.path.join(SRC, "samples")


def trivy_report(target, rtype, vulns):
    """A minimal Trivy SchemaVersion 2 report: one Result of `rtype` with `vulns`
    [(cve, pkg_name, installed, purl or None)]."""
    out = []
    for cve, name, version, purl in vulns:
        v = {"VulnerabilityID": cve, "PkgName": name, "InstalledVersion": version, "Severity": "HIGH",
             "Title": "from trivy"}
        if purl:
            v["PkgIdentifier"] = {"PURL": purl}
        out.append(v)
    return {"SchemaVersion": 2, "ArtifactName": "app", "ArtifactType": "filesystem",
            "Results": [{"Target": target, "Class": "lang-pkgs", "Type": rtype, "Vulnerabilities": out}]}


class ScaFormats(StoreCase):
    TMP_PREFIX = "findex-sca-"

    def setUp(self):
        super().setUp()
        self.env = findex_cli.clean_env(FINDEX_NOW="2026-02-03T04:05:06.000Z")

    def findex(self, *args, stdin=None):
        return subprocess.run([FINDEX, "--db", self.db, *args], capture_output=True, env=self.env, cwd=self.tmp,
                              input=stdin, timeout=120)

    def write(self, name, obj):
        path = os.path.join(self.tmp, name)
        with open(path, "wb") as f:
            f.write(obj if isinstance(obj, bytes) else json.dumps(obj).encode())
        return path

    def ingest(self, *args):
        r = self.findex("ingest", "--summary", "json", *args)
        lines = [json.loads(l) for l in r.stdout.decode().splitlines() if l.strip()]
        return r, lines

    def query(self, *args):
        r = self.findex("query", "--format", "json", *args)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def assert_one_with_trivy(self, report, fmt, cve, trivy):
        tp = self.write("trivy.json", trivy)
        r, out = self.ingest("--scope", "app", report, tp)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual([o["format"] for o in out], [fmt, "trivy"])
        self.assertEqual(out[1]["new"], 0, out)  # Trivy's finding is the one already stored
        rows = self.query("--vuln", cve)
        self.assertEqual(len(rows), 1, rows)
        self.assertIn("trivy:", rows[0]["sources"])
        self.assertIn(fmt + ":", rows[0]["sources"])

    # --- cross-tool identity ---
    def test_osv_scanner_group_meets_trivy_on_cve_and_go_module(self):
        # The group GHSA-c3h9-896r-86jm + GO-2021-0053 names CVE-2021-3121 in its aliases; OSV
        # writes the Go version "1.3.1", Trivy's purl "v1.3.1".
        report = os.path.join(SAMPLES, "osv-scanner", "upstream_ci_vuln_results_b.json")
        trivy = trivy_report("go.mod", "gomod", [("CVE-2021-3121", "github.com/gogo/protobuf", "v1.3.1",
                                                    "pkg:golang/github.com/gogo/protobuf@v1.3.1")])
        self.assert_one_with_trivy(report, "osv-scanner", "CVE-2021-3121", trivy)

    def test_npm6_advisory_meets_trivy_on_cve_package_and_version(self):
        report = os.path.join(SAMPLES, "npm-audit", "dd_npm6_one_vuln.json")
        trivy = trivy_report("package-lock.json", "npm", [("CVE-2017-16042", "growl", "1.9.2", None)])
        self.assert_one_with_trivy(report, "npm-audit", "CVE-2017-16042", trivy)

    def npm7_and_trivy(self):
        """npm 7's report of debug (GHSA-gxpj-cx7g-858c, GHSA-9vvw-cc9w-f27h; no CVE, no installed
        version) and a Trivy report of the same problems by CVE, the GHSA among VendorIDs, in
        debug 2.6.8, plus CVE-2017-16137 in a second install, debug 2.2.0."""
        npm = os.path.join(SAMPLES, "npm-audit", "dd_npm7_one_vuln.json")
        vulns = []
        for cve, ghsa, version in (("CVE-2017-16137", "GHSA-gxpj-cx7g-858c", "2.6.8"),
                                   ("CVE-2017-20165", "GHSA-9vvw-cc9w-f27h", "2.6.8"),
                                   ("CVE-2017-16137", "GHSA-gxpj-cx7g-858c", "2.2.0")):
            vulns.append({"VulnerabilityID": cve, "VendorIDs": [ghsa], "PkgName": "debug",
                          "PkgIdentifier": {"PURL": "pkg:npm/debug@" + version}, "InstalledVersion": version,
                          "FixedVersion": "2.6.9", "Severity": "HIGH", "Title": "from trivy"})
        trivy = self.write("trivy-debug.json", {
            "SchemaVersion": 2, "ArtifactName": "app", "ArtifactType": "filesystem",
            "Results": [{"Target": "package-lock.json", "Class": "lang-pkgs", "Type": "npm", "Vulnerabilities": vulns}]})
        return npm, trivy

    def rows_of(self, scope):
        return {r["id"]: r for r in self.query("--scope", scope, "--state", "ACTIVE")}

    def test_npm7_advisory_meets_trivy_through_the_ghsa(self):
        # npm 7+ names the GHSA but neither the CVE nor the installed version: its finding is
        # (GHSA, debug), and meets Trivy's (CVE, debug 2.6.8) through the GHSA Trivy names.
        npm, trivy = self.npm7_and_trivy()
        for scope, order in (("npm-first", (npm, trivy)), ("trivy-first", (trivy, npm))):
            with self.subTest(order=scope):
                r, out = self.ingest("--scope", scope, *order)
                self.assertEqual(r.returncode, 0, r.stderr)
                new = {o["format"]: o["new"] for o in out}
                # Three findings in all: the two GHSAs in 2.6.8 (one finding each, whichever tool
                # came first), and CVE-2017-16137 in 2.2.0, which npm's report does not tell apart.
                self.assertEqual(new, {"npm-audit": 2, "trivy": 1} if order[0] == npm else {"trivy": 3, "npm-audit": 0})
                rows = self.rows_of(scope)
                self.assertEqual(len(rows), 3, rows)
                both = [r for r in rows.values() if "npm-audit:" in r["sources"] and "trivy:" in r["sources"]]
                self.assertEqual(len(both), 2, rows)
                # Rescans, in either order, are the same findings under the same Ids.
                for again in (order, tuple(reversed(order))):
                    r, out = self.ingest("--scope", scope, *again)
                    self.assertEqual(r.returncode, 0, r.stderr)
                    self.assertEqual([(o["new"], o["resolved"], o["reopened"]) for o in out], [(0, 0, 0)] * 2, out)
                    self.assertEqual(set(self.rows_of(scope)), set(rows))

    def test_npm7_alone_is_stable_and_meets_nothing_by_mistake(self):
        npm, _ = self.npm7_and_trivy()
        # A Trivy finding of another package, and of the same package under another advisory,
        # stay apart.
        other = self.write("trivy-other.json", trivy_report("package-lock.json", "npm", [
            ("CVE-2017-16137", "ms", "2.0.0", "pkg:npm/ms@2.0.0"),
            ("CVE-2099-0001", "debug", "2.6.8", "pkg:npm/debug@2.6.8")]))
        r, out = self.ingest("--scope", "app", npm, other)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual([o["new"] for o in out], [2, 2])
        r, out = self.ingest("--scope", "app", npm)
        self.assertEqual((out[0]["new"], out[0]["resolved"]), (0, 0), out)

    def test_pip_audit_alias_meets_trivy_with_pep503_names(self):
        pip = {"dependencies": [
            {"name": "pyyaml", "version": "5.3", "vulns": [
                {"id": "PYSEC-2020-96", "fix_versions": ["5.3.1"], "aliases": ["GHSA-6757-jp84-gxfx", "CVE-2020-1747"]}]},
            {"name": "zope-interface", "version": "5.0", "vulns": [
                {"id": "PYSEC-2099-1", "fix_versions": [], "aliases": ["CVE-2099-0001"]}]}],
            "fixes": []}
        pp = self.write("pip.json", pip)
        trivy = trivy_report("requirements.txt", "pip", [
            ("CVE-2020-1747", "PyYAML", "5.3", "pkg:pypi/pyyaml@5.3"),
            ("CVE-2099-0001", "zope.interface", "5.0", "pkg:pypi/zope.interface@5.0")])
        self.assert_one_with_trivy(pp, "pip-audit", "CVE-2020-1747", trivy)
        self.assertEqual(len(self.query("--vuln", "CVE-2099-0001")), 1)

    def test_snyk_issue_meets_trivy_on_cve(self):
        # snykcontainer_epss: the juice-shop application's express-jwt 0.1.3, CVE-2020-15084.
        report = os.path.join(SAMPLES, "snyk", "dd_snykcontainer_epss.json")
        trivy = trivy_report("juice-shop/package.json", "node-pkg", [("CVE-2020-15084", "express-jwt", "0.1.3",
                                                                        "pkg:npm/express-jwt@0.1.3")])
        self.assert_one_with_trivy(report, "snyk", "CVE-2020-15084", trivy)

    # --- duplicates ---
    def test_the_same_finding_twice_in_one_report_is_stored_once(self):
        pkg = {"package": {"name": "lodash", "version": "4.17.20", "ecosystem": "npm"},
               "vulnerabilities": [{"id": "GHSA-35jh-r3h4-6jhm", "aliases": ["CVE-2021-23337"],
                                    "database_specific": {"severity": "HIGH"}}],
               "groups": [{"ids": ["GHSA-35jh-r3h4-6jhm"], "aliases": ["CVE-2021-23337", "GHSA-35jh-r3h4-6jhm"]}]}
        osv = {"results": [{"source": {"path": "/a/package-lock.json", "type": "lockfile"}, "packages": [pkg]},
                           {"source": {"path": "/b/package-lock.json", "type": "lockfile"}, "packages": [pkg, pkg]}]}
        r, out = self.ingest(self.write("osv.json", osv))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(out[0]["format"], "osv-scanner")
        rows = self.query()
        self.assertEqual(len(rows), 1, rows)
        self.assertEqual(rows[0]["severity"], "HIGH")
        # Snyk lists an issue once per dependency path: the two paths are one finding.
        issue = {"id": "SNYK-JS-LODASH-1040724", "title": "Command Injection", "severity": "high",
                 "packageName": "lodash", "version": "4.17.20", "name": "lodash", "packageManager": "npm",
                 "identifiers": {"CVE": ["CVE-2021-23337"], "CWE": ["CWE-78"]}, "fixedIn": ["4.17.21"]}
        snyk = {"vulnerabilities": [dict(issue, **{"from": ["app@1.0.0", "lodash@4.17.20"]}),
                                    dict(issue, **{"from": ["app@1.0.0", "x@1.0.0", "lodash@4.17.20"]})],
                "ok": False, "dependencyCount": 2, "packageManager": "npm", "projectName": "app",
                "displayTargetFile": "package-lock.json", "path": "/a", "uniqueCount": 1,
                "filtered": {"ignore": [], "patch": []}}
        r, out = self.ingest(self.write("snyk.json", snyk))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(out[0]["format"], "snyk")
        self.assertEqual(out[0]["new"], 0, out)  # the OSV finding again: same CVE + package
        rows = self.query()
        self.assertEqual(len(rows), 1, rows)

    # --- severity and workflow ---
    def test_pip_audit_skip_reason_is_an_informational_scan_gap(self):
        r, out = self.ingest("--format", "pip-audit", os.path.join(SAMPLES, "pip-audit", "dd_many_vulns_new.json"))
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = self.query()
        gaps = [x for x in rows if x["severity"] == "INFORMATIONAL"]
        self.assertEqual(len(gaps), 1, gaps)
        self.assertIn("azure-devops", gaps[0]["title"])
        self.assertTrue(all(x["severity"] == "MEDIUM" for x in rows if x not in gaps))

    def test_snyk_ignored_issue_is_suppressed(self):
        issue = {"id": "SNYK-JS-MINIMIST-559764", "title": "Prototype Pollution", "severity": "medium",
                 "packageName": "minimist", "version": "0.0.8", "packageManager": "npm",
                 "identifiers": {"CVE": ["CVE-2020-7598"]},
                 "filtered": {"ignored": [{"reason": "dev only", "source": "cli"}]}}
        snyk = {"vulnerabilities": [], "ok": True, "dependencyCount": 1, "packageManager": "npm",
                "projectName": "app", "path": "/a", "uniqueCount": 0, "filtered": {"ignore": [issue], "patch": []}}
        r, out = self.ingest(self.write("snyk.json", snyk))
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = self.query("--state", "SUPPRESSED")
        self.assertEqual(len(rows), 1, rows)

    # --- clear errors ---
    def test_npm_error_object_is_one_clear_error(self):
        err = (b'{\n  "error": {\n    "code": "ENOAUDIT",\n    "summary": "Your configured registry '
               b'(https://registry.npmjs.org/) may not support audit requests, or the audit endpoint may be '
               b'temporarily unavailable.",\n    "detail": ""\n  }\n}\n')
        path = self.write("npm-audit.json", err)
        for args in ((path,), ("--format", "npm-audit", path)):
            r = self.findex("ingest", *args)
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertEqual(r.stderr.count(b"npm audit failed: ENOAUDIT"), 1, r.stderr)
        self.assertEqual(self.query(), [])

    def test_broken_and_foreign_files_are_clear_errors(self):
        # DefectDojo's osv_scanner/no_findings.json: 0 bytes. Nothing in it names a scanner: an
        # error when detected (with --format osv-scanner findex takes it as a clean scan, as for
        # every format).
        empty = self.write("osv.json", b"")
        r = self.findex("ingest", empty)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn(b"empty report", r.stderr)
        truncated = self.write("pip.json", b'{"dependencies": [{"name": "x", "version": "1", "vulns": [')
        r = self.findex("ingest", "--format", "pip-audit", truncated)
        self.assertEqual(r.returncode, 2, r.stderr)
        r = self.findex("ingest", "--format", "snyk", self.write("snyk-fail.json",
                        {"ok": False, "error": "Could not detect supported target files", "path": "/a"}))
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn(b"snyk test failed: Could not detect supported target files", r.stderr)
        r = self.findex("ingest", "--format", "snyk", self.write("snyk-all-fail.json",
                        [{"ok": False, "error": "Missing node_modules folder", "path": "/a"}]))
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn(b"snyk test failed: Missing node_modules folder", r.stderr)
        # snyk code test --json is SARIF: read by the sarif format, refused by --format snyk.
        sarif = {"$schema": "https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json",
                 "version": "2.1.0", "runs": [{"tool": {"driver": {"name": "SnykCode", "rules": [
                     {"id": "javascript/NoHardcodedPasswords", "shortDescription": {"text": "Hardcoded password"}}]}},
                     "results": [{"ruleId": "javascript/NoHardcodedPasswords", "level": "warning",
                                  "message": {"text": "Do not hardcode passwords"},
                                  "locations": [{"physicalLocation": {"artifactLocation": {"uri": "src/db.js"},
                                                                      "region": {"startLine": 3}}}]}]}]}
        sp = self.write("snyk-code.json", sarif)
        r = self.findex("ingest", "--format", "snyk", sp)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn(b"--format sarif", r.stderr)
        r, out = self.ingest(sp)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(out[0]["format"], "sarif")
        # Another scanner's report is not claimed by these readers.
        r = self.findex("ingest", "--format", "npm-audit", os.path.join(SAMPLES, "pip-audit", "dd_many_vulns_new.json"))
        self.assertEqual(r.returncode, 2, r.stderr)


if __name__ == "__main__":
    findex_cli.main()
