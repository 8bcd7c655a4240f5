#!/usr/bin/env python3
"""CLI tests for the CycloneDX and GitLab readers (issue 13): one finding for the same CVE + package
from Trivy, GitLab dependency/container scanning and a CycloneDX BOM; CycloneDX VEX analysis
(not_affected -> SUPPRESSED with the justification as the note); duplicates stored once; a clean
SBOM is zero findings; secrets never stored in clear; malformed or foreign files are exit 2.
Usage: bom_formats_test.py PATH_TO_FINDEX (run from the source tree)."""
import json, os, subprocess, sys

import findex_cli
from findex_cli import StoreCase

FINDEX = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else "build/cli/findex"
SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SAMPLES = os.path.join(SRC, "samples")

CVE = "CVE-2021-44228"
PURL = "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"

TRIVY = {
    "SchemaVersion": 2, "ArtifactName": "app.jar", "ArtifactType": "filesystem",
    "Results": [
        {"Target": "app/pom.xml", "Class": "lang-pkgs", "Type": "pom", "Vulnerabilities": [
            {"VulnerabilityID": CVE, "PkgName": "org.apache.logging.log4j:log4j-core",
             "PkgIdentifier": {"PURL": PURL}, "InstalledVersion": "2.14.1", "FixedVersion": "2.15.0",
             "Severity": "CRITICAL", "Title": "Log4Shell"}]},
        # An OS package without a purl (older Trivy): ecosystem from the Result Type.
        {"Target": "registry/app:1 (debian 10.9)", "Class": "os-pkgs", "Type": "debian", "Vulnerabilities": [
            {"VulnerabilityID": "CVE-2020-1751", "PkgName": "libc6", "InstalledVersion": "2.28-10",
             "Severity": "HIGH"}]},
    ],
}

GITLAB_DS = {
    "version": "15.0.7",
    "vulnerabilities": [{
        "id": "per-report-id-1", "name": "Log4Shell", "description": "JNDI lookup", "severity": "Critical",
        "solution": "Upgrade to version 2.15.0 or above.",
        "location": {"file": "app/pom.xml", "dependency": {"package": {"name": "org.apache.logging.log4j/log4j-core"},
                                                           "version": "2.14.1"}},
        "identifiers": [
            {"type": "gemnasium", "name": "Gemnasium-x", "value": "x",
             "url": "https://gitlab.com/gitlab-org/security-products/gemnasium-db/-/blob/master/maven/org.apache.logging.log4j/log4j-core/CVE-2021-44228.yml"},
            {"type": "cve", "name": CVE, "value": CVE}],
        "links": [{"url": "https://nvd.nist.gov/vuln/detail/" + CVE}]}],
    "dependency_files": [{"path": "app/pom.xml", "package_manager": "maven", "dependencies": []}],
    "scan": {"scanner": {"id": "gemnasium-maven", "name": "gemnasium-maven", "vendor": {"name": "GitLab"},
                         "version": "4.0.0"},
             "type": "dependency_scanning", "status": "success"},
}

GITLAB_CS = {
    "version": "15.0.7",
    "vulnerabilities": [{
        "id": "per-report-id-2", "description": "glibc", "severity": "High",
        "location": {"dependency": {"package": {"name": "libc6"}, "version": "2.28-10"},
                     "operating_system": "debian 10.9", "image": "registry/app:1"},
        "identifiers": [{"type": "cve", "name": "CVE-2020-1751", "value": "CVE-2020-1751"}]}],
    "scan": {"scanner": {"id": "trivy", "name": "Trivy", "vendor": {"name": "GitLab"}}, "type": "container_scanning",
             "status": "success"},
}


def bom(vulns, components=None, extra=None):
    doc = {"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
           "metadata": {"component": {"type": "application", "name": "app", "bom-ref": "app"}},
           "components": components if components is not None else [
               {"type": "library", "bom-ref": "log4j", "group": "org.apache.logging.log4j", "name": "log4j-core",
                "version": "2.14.1", "purl": PURL + "?type=jar"}]}
    if vulns is not None:
        doc["vulnerabilities"] = vulns
    doc.update(extra or {})
    return doc


class BomFormats(StoreCase):
    TMP_PREFIX = "findex-bom-"

    def setUp(self):
        super().setUp()
        self.env = findex_cli.clean_env(FINDEX_NOW="2026-02-03T04:05:06.000Z")

    def findex(self, *args):
        return subprocess.run([FINDEX, "--db", self.db, *args], capture_output=True, env=self.env, cwd=self.tmp,
                              timeout=120)

    def write(self, name, obj):
        path = os.path.join(self.tmp, name)
        with open(path, "w" if isinstance(obj, (dict, list, str)) else "wb") as f:
            if isinstance(obj, (dict, list)):
                json.dump(obj, f)
            else:
                f.write(obj)
        return path

    def ingest(self, *args):
        r = self.findex("ingest", "--no-policy", "--summary", "json", *args)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        return [json.loads(l) for l in r.stdout.decode().splitlines() if l.strip()]

    def findings(self):
        r = self.findex("export", "--format", "asff")
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        return json.loads(r.stdout.decode())

    # --- cross-tool identity ---
    def test_trivy_gitlab_and_cyclonedx_name_one_finding(self):
        cdx = bom([{"id": CVE, "ratings": [{"severity": "critical"}], "affects": [{"ref": "log4j"}]}])
        out = self.ingest(self.write("trivy.json", TRIVY), self.write("gl-dependency-scanning-report.json", GITLAB_DS),
                          self.write("gl-container-scanning-report.json", GITLAB_CS), self.write("bom.cdx.json", cdx))
        self.assertEqual([o["format"] for o in out], ["trivy", "gitlab", "gitlab", "cyclonedx"])
        found = self.findings()
        by_vuln = {}
        for f in found:
            by_vuln.setdefault(f["Vulnerabilities"][0]["Id"], []).append(f)
        self.assertEqual(sorted(by_vuln), sorted([CVE, "CVE-2020-1751"]), [f["Title"] for f in found])
        self.assertEqual(len(found), 2)
        scanners = self.rows("SELECT sources FROM findings")
        self.assertEqual(len(scanners), 2)
        for row in scanners:
            self.assertIn("gitlab", row["sources"])
            self.assertIn("trivy", row["sources"])
        self.assertTrue(any("cyclonedx" in row["sources"] for row in scanners))

    def test_cyclonedx_xml_and_json_of_one_bom_are_one_finding_set(self):
        out = self.ingest(os.path.join(SAMPLES, "cyclonedx", "dd_log4j.json"),
                          os.path.join(SAMPLES, "cyclonedx", "dd_log4j.xml"))
        self.assertEqual([o["format"] for o in out], ["cyclonedx", "cyclonedx"])
        self.assertEqual(out[0]["new"], 8)
        self.assertEqual(out[1]["new"], 0)
        self.assertEqual(len(self.findings()), 8)

    # --- VEX analysis ---
    def test_not_affected_is_suppressed_with_the_justification(self):
        cdx = bom([{"id": CVE, "ratings": [{"severity": "critical"}], "affects": [{"ref": "log4j"}],
                    "analysis": {"state": "not_affected", "justification": "code_not_reachable",
                                 "response": ["will_not_fix"], "detail": "JndiLookup class removed"}},
                   {"id": "CVE-2021-45046", "ratings": [{"score": 9.0, "method": "CVSSv31"}],
                    "affects": [{"ref": "log4j"}], "analysis": {"state": "exploitable"}}])
        self.ingest(self.write("vex.json", cdx))
        found = {f["Vulnerabilities"][0]["Id"]: f for f in self.findings()}
        sup = found[CVE]
        self.assertEqual(sup["Workflow"]["Status"], "SUPPRESSED")
        self.assertIn("not_affected", sup["Note"]["Text"])
        self.assertIn("code_not_reachable", sup["Note"]["Text"])
        self.assertIn("JndiLookup class removed", sup["Note"]["Text"])
        self.assertEqual(sup["ProductFields"]["cyclonedx/AnalysisJustification"], "code_not_reachable")
        self.assertEqual(sup["Severity"]["Label"], "CRITICAL")
        open_ = found["CVE-2021-45046"]
        self.assertEqual(open_["Workflow"]["Status"], "NEW")
        self.assertEqual(open_["Severity"]["Label"], "CRITICAL")  # score 9.0 by the CVSS v3 bands
        # The same in the spec's XML example.
        self.ingest("--scope", "xml", os.path.join(SAMPLES, "cyclonedx", "dd_valid_vulnerability_1.4.xml"))
        r = self.findex("export", "--format", "asff", "--scope", "xml")
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        (x,) = json.loads(r.stdout.decode())
        self.assertEqual(x["Workflow"]["Status"], "SUPPRESSED")
        self.assertIn("code_not_reachable", x["Note"]["Text"])
        self.assertEqual(x["Vulnerabilities"][0]["Id"], "CVE-2018-7489")  # the CVE alias of the Snyk id

    # --- duplicates ---
    def test_duplicates_are_stored_once(self):
        v = {"id": CVE, "ratings": [{"severity": "high"}], "affects": [{"ref": "log4j"}, {"ref": "log4j-again"}]}
        comps = [{"type": "library", "bom-ref": "log4j", "name": "log4j-core", "group": "org.apache.logging.log4j",
                  "version": "2.14.1", "purl": PURL},
                 {"type": "library", "bom-ref": "log4j-again", "name": "log4j-core",
                  "group": "org.apache.logging.log4j", "version": "2.14.1", "purl": PURL,
                  "components": [{"type": "library", "bom-ref": "nested", "name": "x", "purl": "pkg:npm/x@1.0.0"}]}]
        nested = {"id": "CVE-2020-0001", "affects": [{"ref": "nested"}]}
        out = self.ingest(self.write("dup.cdx.json", bom([v, dict(v), nested], comps)))
        self.assertEqual(out[0]["new"], 2, out)
        found = {f["Vulnerabilities"][0]["Id"]: f for f in self.findings()}
        self.assertEqual(len(found), 2)
        self.assertEqual(found["CVE-2020-0001"]["Severity"]["Label"], "MEDIUM")  # no rating: MEDIUM
        self.assertEqual(found["CVE-2020-0001"]["ProductFields"]["cyclonedx/Purl"], "pkg:npm/x@1.0.0")
        gl = json.loads(json.dumps(GITLAB_DS))
        second = dict(gl["vulnerabilities"][0], id="per-report-id-other")
        gl["vulnerabilities"].append(second)
        sast = {"version": "15.0.7", "vulnerabilities": [
            {"id": "a", "name": "eval", "description": "eval of input", "severity": "Medium",
             "location": {"file": "app.py", "start_line": 3, "end_line": 3},
             "identifiers": [{"type": "semgrep_id", "name": "eval", "value": "python.eval"}]},
            {"id": "b", "name": "eval", "description": "eval of input", "severity": "Medium",
             "location": {"file": "app.py", "start_line": 3, "end_line": 3},
             "identifiers": [{"type": "semgrep_id", "name": "eval", "value": "python.eval"}]},
            {"id": "c", "name": "eval", "description": "eval of input", "severity": "Medium",
             "location": {"file": "app.py", "start_line": 9, "end_line": 9},
             "identifiers": [{"type": "semgrep_id", "name": "eval", "value": "python.eval"}]}],
            "scan": {"type": "sast", "status": "success", "scanner": {"id": "semgrep", "name": "Semgrep"}}}
        out = self.ingest("--scope", "gl", self.write("gl-ds.json", gl), self.write("gl-sast.json", sast))
        self.assertEqual(out[0]["new"], 1, out)
        self.assertEqual(out[1]["new"], 2, out)  # the same entry twice is one; another line is another

    # --- clean scans ---
    def test_sbom_without_vulnerabilities_is_a_clean_scan(self):
        out = self.ingest(self.write("sbom.json", bom(None)))
        self.assertEqual(out[0]["format"], "cyclonedx")
        self.assertEqual(out[0]["new"], 0)
        self.assertEqual(out[0]["status"], "ok")
        out = self.ingest(self.write("empty.xml", '<?xml version="1.0"?>\n<bom xmlns="http://cyclonedx.org/schema/bom/1.6" '
                                                  'version="1"><components/></bom>\n'))
        self.assertEqual(out[0]["format"], "cyclonedx")
        self.assertEqual(out[0]["new"], 0)

    # --- secrets ---
    def test_gitlab_secret_is_never_stored_in_clear(self):
        secret = "AKIAZZZZSECRETVALUE1234567890"
        report = {"version": "15.0.7", "vulnerabilities": [{
            "id": "s1", "name": "AWS access token", "description": "AWS access token", "severity": "Critical",
            "raw_source_code_extract": secret, "cve": "config.py:%s:AWS" % ("ab" * 32),
            "location": {"file": "config.py", "start_line": 4, "end_line": 4, "commit": {"sha": "0000000"}},
            "identifiers": [{"type": "gitleaks_rule_id", "name": "Gitleaks rule ID AWS", "value": "AWS"}]}],
            "scan": {"type": "secret_detection", "status": "success", "scanner": {"id": "gitleaks", "name": "Gitleaks"}}}
        self.ingest(self.write("gl-secret-detection-report.json", report))
        r = self.findex("export", "--format", "asff")
        self.assertNotIn(secret, r.stdout.decode())
        (f,) = json.loads(r.stdout.decode())
        self.assertTrue(f["ProductFields"]["gitlab/SecretHash"].startswith("xxh3-128:"))
        self.assertIn("redacted", f["ProductFields"]["gitlab/SecretPreview"])
        for table in findex_cli.tables(self.db):
            for row in self.rows('SELECT * FROM "%s"' % table):
                for v in row.values():
                    self.assertNotIn(secret.encode() if isinstance(v, bytes) else secret,
                                     v if isinstance(v, bytes) else str(v), table)

    # --- malformed ---
    def test_malformed_and_foreign_files_are_exit_2(self):
        good = json.dumps(bom([{"id": CVE, "affects": [{"ref": "log4j"}]}]))
        cases = [
            ("trunc.cdx.json", good[: len(good) // 2], []),
            ("trunc.xml", '<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.4"><vulnerabilities>', []),
            ("notbom.xml", '<?xml version="1.0"?><project><x/></project>', ["--format", "cyclonedx"]),
            ("notbom.json", json.dumps({"bomFormat": "SPDX", "vulnerabilities": []}), ["--format", "cyclonedx"]),
            ("vulns.json", json.dumps(bom([], extra={"vulnerabilities": {"id": "x"}})), []),
            ("gl-trunc.json", json.dumps(GITLAB_DS)[:300], ["--format", "gitlab"]),
            ("gl-none.json", json.dumps({"version": "15.0.0", "remediations": []}), ["--format", "gitlab"]),
        ]
        for name, text, extra in cases:
            r = self.findex("ingest", "--no-policy", *extra, self.write(name, text))
            self.assertEqual(r.returncode, 2, (name, r.stderr.decode()))
            self.assertTrue(r.stderr.strip(), name)
        # The corpus's "DAST empty with error" is yarn audit output (JSON lines), not a GitLab report.
        yarn = os.path.join(SRC, "tests", "data", "bom", "yarn_audit_not_gitlab.json")
        for extra in ([], ["--format", "gitlab"]):
            r = self.findex("ingest", "--no-policy", *extra, yarn)
            self.assertEqual(r.returncode, 2, r.stderr.decode())
        self.assertEqual(len(self.findings()), 0)

    def test_bad_records_are_rejects_not_file_errors(self):
        cdx = bom([{"id": CVE, "affects": [{"ref": "log4j"}]}, "not an object", {"description": "no id"},
                   {"id": "CVE-2020-0002", "affects": [{"versions": []}]}])
        out = self.ingest(self.write("rejects.cdx.json", cdx))
        self.assertEqual(out[0]["new"], 1, out)
        self.assertEqual(out[0]["rejects"], 3, out)
        gl = {"version": "15.0.7", "vulnerabilities": [GITLAB_DS["vulnerabilities"][0], 7, {"name": "no ids"}]}
        out = self.ingest("--scope", "gl", "--format", "gitlab", self.write("gl.json", gl))
        self.assertEqual(out[0]["new"], 1, out)
        self.assertEqual(out[0]["rejects"], 2, out)


if __name__ == "__main__":
    findex_cli.main()
