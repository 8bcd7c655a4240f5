#!/usr/bin/env python3
"""CLI tests for VEX as policy input (README "### VEX"): `findex ingest --vex FILE`, the policy's
`vex: [files]`, `findex policy check`, and both gate paths. Usage: vex_test.py PATH_TO_FINDEX (run
from the source tree). Each test runs in its own temp dir (cwd, --db) with FINDEX_NOW as the clock.

The store every test starts from: a Trivy report and a Grype report of the same npm project
(written by the test): CVE-2024-1111 in foo 1.0.0 (both tools: ONE finding; both list the alias
GHSA-aaaa-bbbb-cccc), CVE-2024-1111 in foo 2.0.0 (Grype) and CVE-2024-2222 in bar 1.0.0 (Trivy):
three findings, told apart by their package path (location)."""
import json, os, subprocess, sys

import findex_cli
from findex_cli import StoreCase

FINDEX = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else "build/cli/findex"
SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
VEX_DATA = os.path.join(SRC, "tests", "data", "vex")
NOW = "2026-08-01T00:00:00.000Z"

FOO1 = "node_modules/foo/package.json"      # foo 1.0.0
FOO2 = "node_modules/x/node_modules/foo/package.json"  # foo 2.0.0
BAR1 = "node_modules/bar/package.json"      # bar 1.0.0


def trivy_report(vulns):
    return {"SchemaVersion": 2, "ArtifactName": "shop", "ArtifactType": "filesystem",
            "Results": [{"Target": "package-lock.json", "Class": "lang-pkgs", "Type": "npm", "Vulnerabilities": [
                {"VulnerabilityID": cve, "VendorIDs": aliases, "PkgName": name, "InstalledVersion": ver,
                 "PkgPath": path, "PkgIdentifier": {"PURL": "pkg:npm/%s@%s" % (name, ver)}, "Severity": "HIGH",
                 "Title": "%s in %s" % (cve, name)} for cve, aliases, name, ver, path in vulns]}]}


def grype_report(vulns):
    return {"matches": [{"vulnerability": {"id": cve, "severity": "High", "fix": {"versions": [], "state": "not-fixed"}},
                         "relatedVulnerabilities": [{"id": a} for a in aliases],
                         "artifact": {"name": name, "version": ver, "type": "npm",
                                      "purl": "pkg:npm/%s@%s" % (name, ver), "locations": [{"path": "/" + path}]}}
                        for cve, aliases, name, ver, path in vulns],
            "source": {"type": "directory", "target": "shop"}, "descriptor": {"name": "grype", "version": "0.80.0"}}


TRIVY = trivy_report([("CVE-2024-1111", ["GHSA-aaaa-bbbb-cccc"], "foo", "1.0.0", FOO1),
                      ("CVE-2024-2222", [], "bar", "1.0.0", BAR1)])
GRYPE = grype_report([("CVE-2024-1111", ["GHSA-aaaa-bbbb-cccc"], "foo", "1.0.0", FOO1),
                      ("CVE-2024-1111", [], "foo", "2.0.0", FOO2)])


def openvex(statements, ts="2026-07-01T00:00:00Z"):
    return {"@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://example.com/vex/test", "author": "test",
            "timestamp": ts, "version": 1, "statements": statements}


def stmt(vuln, products, status, ts=None, **extra):
    s = {"vulnerability": {"name": vuln}, "products": [{"@id": p} for p in products], "status": status}
    if status == "not_affected" and "justification" not in extra and "impact_statement" not in extra:
        s["justification"] = "vulnerable_code_not_in_execute_path"
    if ts:
        s["timestamp"] = ts
    s.update(extra)
    return s


class VexCli(StoreCase):
    TMP_PREFIX = "findex-vex-"

    def setUp(self):
        super().setUp()
        self.env = findex_cli.clean_env(FINDEX_NOW=NOW)
        self.trivy = self.write("trivy.json", TRIVY)
        self.grype = self.write("grype.json", GRYPE)

    def run_findex(self, *args, now=None):
        env = dict(self.env, FINDEX_NOW=now) if now else self.env
        return subprocess.run([FINDEX, "--db", self.db, *args], capture_output=True, env=env, cwd=self.tmp)

    def write(self, name, content):
        path = os.path.join(self.tmp, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(content if isinstance(content, str) else json.dumps(content, indent=2))
        return path

    def ingest(self, *args, now=None, expect=0):
        r = self.run_findex("ingest", "--scope", "shop", self.trivy, self.grype, *args, now=now)
        self.assertEqual(r.returncode, expect, r.stderr.decode())
        return r

    def state(self):
        """location -> (workflow, policy, note) of the scope's findings."""
        got = self.rows("SELECT location, vuln_id, workflow, policy, note, sources FROM v_findings WHERE scope='shop'")
        out = {}
        for r in got:
            loc = (r["location"] or "").lstrip("/")
            self.assertNotIn(loc, out)
            out[loc] = r
        self.assertEqual(sorted(out), sorted([FOO1, FOO2, BAR1]), got)
        return out

    def assert_workflows(self, foo1, foo2, bar1):
        s = self.state()
        self.assertEqual((s[FOO1]["workflow"], s[FOO2]["workflow"], s[BAR1]["workflow"]), (foo1, foo2, bar1), s)
        return s

    # --- what a statement suppresses ---
    def test_not_affected_suppresses_only_the_named_version(self):
        vex = self.write("vex.json", openvex([stmt("CVE-2024-1111", ["pkg:npm/foo@1.0.0"], "not_affected")]))
        r = self.ingest("--vex", vex)
        self.assertIn("1 newly suppressed", r.stdout.decode())
        s = self.assert_workflows("SUPPRESSED", "NEW", "NEW")
        # One finding from both tools.
        self.assertIn("grype", s[FOO1]["sources"])
        self.assertIn("trivy", s[FOO1]["sources"])
        self.assertEqual(s[FOO1]["policy"], "vex:" + vex)
        self.assertIn("not_affected (vulnerable_code_not_in_execute_path)", s[FOO1]["note"])
        self.assertIsNone(s[FOO2]["policy"])
        self.assertEqual(self.value("SELECT count(*) FROM v_findings"), 3)

    def test_purl_without_version_applies_to_every_version(self):
        vex = self.write("vex.json", openvex([stmt("CVE-2024-1111", ["pkg:npm/foo"], "not_affected")]))
        self.ingest("--vex", vex)
        self.assert_workflows("SUPPRESSED", "SUPPRESSED", "NEW")

    def test_alias_applies_when_the_finding_lists_it(self):
        # foo 1.0.0 lists GHSA-aaaa-bbbb-cccc (Trivy's VendorIDs, Grype's relatedVulnerabilities);
        # foo 2.0.0 does not. (A finding is matched as its latest report describes it.)
        vex = self.write("vex.json", openvex([stmt("GHSA-aaaa-bbbb-cccc", ["pkg:npm/foo"], "not_affected",
                                                   impact_statement="foo.parse is never called")]))
        self.ingest("--vex", vex)
        s = self.assert_workflows("SUPPRESSED", "NEW", "NEW")
        self.assertIn("foo.parse is never called", s[FOO1]["note"])

    def test_fixed_resolves_and_affected_notes(self):
        vex = self.write("vex.json", openvex([
            stmt("CVE-2024-1111", ["pkg:npm/foo@2.0.0"], "fixed"),
            stmt("CVE-2024-2222", ["pkg:npm/bar@1.0.0"], "affected", action_statement="upgrade bar to 1.0.1"),
            stmt("CVE-2024-1111", ["pkg:npm/foo@1.0.0"], "under_investigation"),
        ]))
        self.ingest("--vex", vex)
        s = self.assert_workflows("NEW", "RESOLVED", "NEW")
        self.assertIn("Resolved by VEX", s[FOO2]["note"])
        self.assertIn("upgrade bar to 1.0.1", s[BAR1]["note"])
        self.assertIn("under_investigation", s[FOO1]["note"])
        self.assertEqual(s[BAR1]["policy"], "vex:" + vex)

    def test_newest_statement_wins(self):
        older = self.write("older.json", openvex([stmt("CVE-2024-1111", ["pkg:npm/foo"], "not_affected",
                                                       ts="2026-07-01T00:00:00Z")]))
        newer = self.write("newer.json", openvex([stmt("CVE-2024-1111", ["pkg:npm/foo@2.0.0"], "affected",
                                                       ts="2026-07-02T00:00:00Z")]))
        # Whatever the order of --vex: foo 2.0.0's newest statement is `affected`.
        self.ingest("--vex", newer, "--vex", older)
        s = self.assert_workflows("SUPPRESSED", "NEW", "NEW")
        self.assertEqual(s[FOO2]["policy"], "vex:" + newer)
        self.ingest("--vex", older, "--vex", newer, now="2026-08-02T00:00:00.000Z")
        self.assert_workflows("SUPPRESSED", "NEW", "NEW")

    def test_cyclonedx_vex(self):
        bom = self.write("bom.json", {
            "bomFormat": "CycloneDX", "specVersion": "1.5", "metadata": {"timestamp": "2026-07-01T00:00:00Z"},
            "components": [{"bom-ref": "c-bar", "type": "library", "name": "bar", "version": "1.0.0",
                            "purl": "pkg:npm/bar@1.0.0"}],
            "vulnerabilities": [{"id": "CVE-2024-2222", "affects": [{"ref": "c-bar"}],
                                 "analysis": {"state": "false_positive", "detail": "the scanner misread the lockfile"}}]})
        self.ingest("--vex", bom)
        s = self.assert_workflows("NEW", "NEW", "SUPPRESSED")
        self.assertIn("false_positive: the scanner misread the lockfile", s[BAR1]["note"])

    # --- lifecycle: the suppression follows the policy ---
    def test_later_ingest_without_vex_lifts_unless_the_policy_names_it(self):
        self.write("vex/foo.json", openvex([stmt("CVE-2024-1111", ["pkg:npm/foo@1.0.0"], "not_affected")]))
        self.write("findex.yml", "vex: [vex/foo.json]\n")
        self.ingest()
        s = self.assert_workflows("SUPPRESSED", "NEW", "NEW")
        self.assertEqual(s[FOO1]["policy"], "vex:vex/foo.json")
        # The policy still names the file: the suppression stays.
        self.ingest(now="2026-08-02T00:00:00.000Z")
        self.assert_workflows("SUPPRESSED", "NEW", "NEW")
        # Neither the policy nor --vex: it lifts like any policy suppression, with history.
        os.remove(os.path.join(self.tmp, "findex.yml"))
        r = self.ingest(now="2026-08-03T00:00:00.000Z")
        self.assertIn("1 no longer suppressed", r.stdout.decode())
        s = self.assert_workflows("NEW", "NEW", "NEW")
        self.assertIsNone(s[FOO1]["policy"])
        self.assertFalse(s[FOO1]["note"])
        # --vex again suppresses again; a later ingest without it lifts again.
        self.ingest("--vex", os.path.join(self.tmp, "vex", "foo.json"), now="2026-08-04T00:00:00.000Z")
        self.assert_workflows("SUPPRESSED", "NEW", "NEW")
        self.ingest(now="2026-08-05T00:00:00.000Z")
        self.assert_workflows("NEW", "NEW", "NEW")

    def test_person_triage_wins(self):
        vex = self.write("vex.json", openvex([stmt("CVE-2024-2222", ["pkg:npm/bar"], "not_affected")]))
        self.ingest()
        asff = self.value("SELECT id FROM v_findings WHERE location LIKE ?", "%" + BAR1)
        r = self.run_findex("triage", asff, "--status", "NOTIFIED", "--by", "alice", "--note", "ticket SEC-1")
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.ingest("--vex", vex, now="2026-08-02T00:00:00.000Z")
        s = self.state()
        self.assertEqual(s[BAR1]["workflow"], "NOTIFIED")
        self.assertEqual(s[BAR1]["note"], "ticket SEC-1")

    # --- fail closed ---
    def test_invalid_document_is_an_error_before_anything_is_stored(self):
        bad_syntax = self.write("bad.json", '{\n  "statements": [\n    {"status": "fixed",}\n  ]\n}\n')
        r = self.ingest("--vex", bad_syntax, expect=2)
        self.assertIn(bad_syntax + ":3:24: error V001: JSON syntax", r.stderr.decode())
        bad_status = self.write("bad2.json", openvex([stmt("CVE-2024-1111", ["pkg:npm/foo"], "not_affected"),
                                                      stmt("CVE-2024-1111", ["pkg:npm/foo"], "nope")]))
        r = self.ingest("--vex", bad_status, expect=2)
        self.assertIn(bad_status + ": error V004: statements[1].status: unknown status 'nope'", r.stderr.decode())
        r = self.ingest("--vex", os.path.join(self.tmp, "missing.json"), expect=2)
        self.assertIn("missing.json", r.stderr.decode())
        r = self.ingest("--vex", os.path.join(VEX_DATA, "dd_not_a_document.json"), expect=2)
        self.assertIn("V002", r.stderr.decode())
        self.write("findex.yml", "vex: [bad2.json]\n")
        r = self.ingest(expect=2)
        self.assertIn("findex.yml:1:7: error P019", r.stderr.decode())
        if self.store_exists():
            self.assertEqual(self.value("SELECT count(*) FROM findings"), 0)
        r = self.ingest("--vex", os.path.join(VEX_DATA, "dd_one_vuln.json"), "--no-policy", expect=2)
        self.assertIn("--no-policy", r.stderr.decode())

    def test_policy_check(self):
        good = self.write("vex/good.json", openvex([stmt("CVE-2024-1111", ["pkg:npm/foo"], "not_affected"),
                                                    stmt("CVE-2024-2222", ["pkg:npm/bar"], "fixed")]))
        self.write("vex/bad.json", openvex([stmt("CVE-2024-1111", ["pkg:npm/foo"], "not_affected",
                                                 justification="it is fine")]))
        self.write("good.yml", "vex:\n  - vex/good.json\n  - %s\n" % os.path.join(VEX_DATA, "dd_many_vuln.json"))
        r = self.run_findex("policy", "check", "good.yml")
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        # good.json: not_affected, fixed; dd_many_vuln.json: 3 not_affected, affected, fixed, under_investigation.
        self.assertIn("vex: 2 documents, 8 statements (4 not_affected, 0 false_positive, 2 fixed, 1 affected, "
                      "1 under_investigation)", r.stderr.decode())
        self.write("bad.yml", "gates: []\nvex: vex/bad.json\n")
        r = self.run_findex("policy", "check", "bad.yml")
        self.assertEqual(r.returncode, 2)
        err = r.stderr.decode()
        self.assertIn("vex/bad.json: error V005: statements[0].justification: unknown justification 'it is fine'", err)
        self.assertIn("bad.yml:2:6: error P019", err)
        # A VEX file on its own (*.json, or --vex).
        r = self.run_findex("policy", "check", good)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        r = self.run_findex("policy", "check", "--vex", os.path.join(self.tmp, "vex", "bad.json"))
        self.assertEqual(r.returncode, 2)
        for name in ("dd_one_vuln.json", "dd_no_vuln.json", "dd_many_vuln.json", "cyclonedx_dd_valid_vulnerability_1.4.json"):
            r = self.run_findex("policy", "check", os.path.join(VEX_DATA, name))
            self.assertEqual(r.returncode, 0, name + ": " + r.stderr.decode())
        r = self.run_findex("policy", "check", os.path.join(VEX_DATA, "dd_not_a_document.json"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("V002", r.stderr.decode())

    # --- gates see what ingest stored ---
    def test_gate_paths_agree(self):
        vex = self.write("vex.json", openvex([stmt("CVE-2024-1111", ["pkg:npm/foo"], "not_affected")]))
        self.ingest("--vex", vex)
        # 3 HIGH findings, 2 suppressed by VEX: 1 counts, whichever way the gate runs.
        runs = {
            "stored decisions (index)": ["--fail-on", "HIGH"],
            "--vex (columns)": ["--fail-on", "HIGH", "--vex", vex],
            "--vex (documents)": ["--fail-on", "HIGH", "--vex", vex, "--report", "json", "-o", "gate.json"],
        }
        for what, args in runs.items():
            r = self.run_findex("gate", "--scope", "shop", *args)
            self.assertEqual(r.returncode, 1, what + ": " + r.stderr.decode())
            err = r.stderr.decode()
            self.assertTrue("(1 HIGH)" in err or "HIGH: 1 > 0" in err, what + ": " + err)
            self.assertIn("CVE-2024-2222", err, what)
            self.assertNotIn("CVE-2024-1111", err, what)
        # The policy names the file: same; without it (a policy file that does not), the VEX
        # suppression does not apply at gate time either.
        self.write("findex.yml", "vex: [vex.json]\ngates:\n  - name: no-high\n    max: {HIGH: 0}\n")
        r = self.run_findex("gate", "--scope", "shop")
        self.assertEqual(r.returncode, 1)
        self.assertIn("HIGH: 1 > 0", r.stderr.decode())
        self.assertIn(", vex:vex.json |", r.stderr.decode())
        self.write("findex.yml", "gates:\n  - name: no-high\n    max: {HIGH: 0}\n")
        r = self.run_findex("gate", "--scope", "shop")
        self.assertEqual(r.returncode, 1)
        self.assertIn("HIGH: 3 > 0", r.stderr.decode())


    # --- RESOLVED (VEX fixed, a policy rule, triage) is counted by no gate, whichever path ---
    # The gate paths (cli/cmd_gate.cpp): --fail-on alone counts from the store's index
    # (Store::Gate); a policy or a baseline without a report runs on columns (ColumnGate); a
    # report, or FINDEX_GATE_DOCS=1, reads every document (EvaluateGates).
    def crit_store(self):
        """shop: bar 1.0.0 (CVE-2024-2222) is the only CRITICAL; main (the baseline): Grype's foo only."""
        trivy = json.loads(json.dumps(TRIVY))
        for v in trivy["Results"][0]["Vulnerabilities"]:
            if v["VulnerabilityID"] == "CVE-2024-2222":
                v["Severity"] = "CRITICAL"
        self.trivy = self.write("trivy.json", trivy)
        r = self.run_findex("ingest", "--scope", "main", self.grype)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        return self.write("fixed.json", openvex([stmt("CVE-2024-2222", ["pkg:npm/bar@1.0.0"], "fixed")]))

    GATE_PATHS = {
        "index": [],
        "columns (baseline)": ["--baseline", "main"],
        "documents (report)": ["--report", "json", "-o", "gate.json"],
        "documents (forced)": ["--baseline", "main", "FINDEX_GATE_DOCS=1"],
    }

    def gate(self, what, args, expect, *extra):
        env = dict(self.env)
        args = list(args) + list(extra)
        for a in list(args):
            if a.startswith("FINDEX_GATE_DOCS="):
                env["FINDEX_GATE_DOCS"] = "1"
                args.remove(a)
        r = subprocess.run([FINDEX, "--db", self.db, "gate", "--scope", "shop", "--fail-on", "CRITICAL", *args],
                           capture_output=True, env=env, cwd=self.tmp)
        self.assertEqual(r.returncode, expect, "%s %s: %s" % (what, args, r.stderr.decode()))
        return r.stderr.decode()

    def verdict(self):
        with open(os.path.join(self.tmp, "gate.json")) as f:
            doc = json.load(f)
        return doc["counts"], {x["location"].lstrip("/"): x for x in doc["findings"]}

    def test_vex_fixed_at_gate_time_leaves_the_only_critical_out(self):
        vex = self.crit_store()
        self.ingest()
        # Nothing stored resolves it: every path fails, --new-only too (no pass yet: all is new).
        self.gate("index --new-only", ["--new-only"], 1)
        for what, args in self.GATE_PATHS.items():
            err = self.gate(what, args, 1)
            self.assertIn("CVE-2024-2222", err, what)
        # --vex at gate time (columns, or documents with a report): it passes, shown as resolved.
        self.gate("columns --vex --new-only", ["--new-only", "--vex", vex], 0)
        for what, args in self.GATE_PATHS.items():
            err = self.gate(what, args, 0, "--vex", vex)
            if what != "index":  # --vex is a policy: never the index path
                self.assertIn("1 resolved)", err, what)
        counts, found = self.verdict()
        self.assertEqual((counts["violations"], counts["suppressed"], counts["resolved"]), (0, 0, 1), counts)
        self.assertEqual(found[BAR1]["status"], "resolved")
        self.assertEqual(found[BAR1]["workflow"], "RESOLVED")
        self.assertIn("Resolved by VEX", found[BAR1]["resolution_note"])
        # JUnit: skipped, with the resolution note.
        self.gate("junit", ["--report", "junit", "-o", "gate.xml", "--vex", vex], 0)
        with open(os.path.join(self.tmp, "gate.xml")) as f:
            xml = f.read()
        self.assertRegex(xml, r'<skipped message="resolved: [^"]*Resolved by VEX')
        # The policy's vex: with its gates (columns; documents with a report).
        self.write("pol.yml", "vex: [fixed.json]\ngates:\n  - name: no-critical\n    max: {CRITICAL: 0}\n")
        self.write("nopol.yml", "gates:\n  - name: no-critical\n    max: {CRITICAL: 0}\n")
        for extra in ([], ["--report", "sarif", "-o", "gate.sarif"]):
            for pol, expect in (("pol.yml", 0), ("nopol.yml", 1)):
                r = self.run_findex("gate", "--scope", "shop", "--policy", pol, *extra)
                self.assertEqual(r.returncode, expect, "%s %s: %s" % (pol, extra, r.stderr.decode()))
        # A policy rule that resolves it does the same.
        self.write("rule.yml", "automation_rules:\n  - name: bar-fixed\n    match: {cve: CVE-2024-2222}\n"
                               "    actions: {workflow: RESOLVED, note: bar 1.0.1 deployed}\n")
        for what, args in self.GATE_PATHS.items():
            if what != "index":
                self.gate(what, args, 0, "--policy", "rule.yml")
        _, found = self.verdict()
        self.assertEqual(found[BAR1]["status"], "resolved")
        self.assertEqual(found[BAR1]["resolution_note"], "bar 1.0.1 deployed")

    def test_vex_fixed_stored_at_ingest_counts_in_no_gate_unless_no_policy(self):
        vex = self.crit_store()
        self.ingest("--vex", vex)
        self.assertEqual(self.state()[BAR1]["workflow"], "RESOLVED")
        # --no-policy: no policy decision applies, VEX included: every path fails.
        self.gate("index --new-only --no-policy", ["--new-only"], 1, "--no-policy")
        for what, args in self.GATE_PATHS.items():
            self.gate(what, args, 1, "--no-policy")
        counts, found = self.verdict()
        self.assertEqual((counts["violations"], counts["resolved"]), (1, 0), counts)
        self.assertEqual(found[BAR1]["status"], "violation")
        # The stored decision: every path passes.
        self.gate("index --new-only", ["--new-only"], 0)
        for what, args in self.GATE_PATHS.items():
            err = self.gate(what, args, 0)
            if what != "index":
                self.assertIn("1 resolved)", err, what)
        counts, found = self.verdict()
        self.assertEqual((counts["violations"], counts["resolved"]), (0, 1), counts)
        self.assertEqual(found[BAR1]["status"], "resolved")

    def test_triage_resolved_counts_again_once_a_scan_reopens_it(self):
        self.crit_store()
        self.ingest()
        asff = self.value("SELECT id FROM v_findings WHERE location LIKE ?", "%" + BAR1)
        r = self.run_findex("triage", asff, "--status", "RESOLVED", "--by", "alice", "--note", "bar 1.0.1 deployed")
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        # A person's triage applies with --no-policy too.
        for extra in ([], ["--no-policy"]):
            for what, args in self.GATE_PATHS.items():
                self.gate(what, args, 0, *extra)
            _, found = self.verdict()
            self.assertEqual(found[BAR1]["status"], "resolved", extra)
            self.assertEqual(found[BAR1]["resolution_note"], "bar 1.0.1 deployed", extra)
        # The next scan still reports it: RESOLVED does not survive, every path fails again.
        self.ingest(now="2026-08-02T00:00:00.000Z")
        self.assertEqual(self.state()[BAR1]["workflow"], "NEW")
        for extra in ([], ["--no-policy"]):
            for what, args in self.GATE_PATHS.items():
                self.gate(what, args, 1, *extra)
            _, found = self.verdict()
            self.assertEqual(found[BAR1]["status"], "violation", extra)


if __name__ == "__main__":
    findex_cli.main()
