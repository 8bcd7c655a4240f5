#!/usr/bin/env python3
"""CLI tests for a gate that fails closed (issue 8, gate part): new-only that survives retries,
unknown or empty scopes, expiry stored with the policy decision, --no-policy, unknown policy keys,
the summary line and the report flags. Usage: gate_test.py PATH_TO_FINDEX (run from the source
tree). Each test runs in its own temp dir (cwd, --db) with FINDEX_NOW as the clock.

Counts come from the sample reports (see tests/cli/policy_test.py for the full list): ZAP bodgeit
scan1 has 15 alerts, HIGH 4: 40012 XSS reflected, 40026 XSS DOM (the two CWE-79 alerts), 40018
SQL injection, 10062 PII; MEDIUM 3 (10038 CSP, 10020, 30001). scan2 has the same minus 10062 PII,
plus 40033 NoSQL injection (HIGH) and three LOW/INFORMATIONAL alerts. Grype's upstream image
report has one CRITICAL (CVE-1999-0002 on package-2) and one LOW.
"""
import json, os, subprocess, sys

import findex_cli
from findex_cli import StoreCase

FINDEX = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else "build/cli/findex"
SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SAMPLES = os.path.join(SRC, "samples")
SCAN1 = os.path.join(SAMPLES, "zap-xml", "dd_zap_2.10.0_bodgeit_scan1.xml")
SCAN2 = os.path.join(SAMPLES, "zap-xml", "dd_zap_2.10.0_bodgeit_scan2.xml")
GRYPE = os.path.join(SAMPLES, "grype", "upstream_golden_json_image.json")

NOW = "2026-02-03T04:05:06.000Z"

XSS_SUPPRESSION = """\
suppressions:
  - name: legacy-xss
    match: {cwe: 79}
    reason: legacy app, WAF in front
    owner: alice
    expires: 2026-03-01
"""


class GateCli(StoreCase):
    TMP_PREFIX = "findex-gate-"

    def setUp(self):
        super().setUp()
        self.env = findex_cli.clean_env(FINDEX_NOW=NOW)

    def run_findex(self, *args, now=None, cwd=None):
        env = dict(self.env, FINDEX_NOW=now) if now else self.env
        return subprocess.run([FINDEX, "--db", self.db, *args], capture_output=True, env=env, cwd=cwd or self.tmp)

    def ingest(self, *args, now=None):
        r = self.run_findex("ingest", "--summary", "json", *args, now=now)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        out = [json.loads(l) for l in r.stdout.decode().splitlines() if l.strip()]
        self.assertEqual(len(out), 1)
        return out[0]

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def gate(self, *args, now=None, cwd=None):
        return self.run_findex("gate", *args, now=now, cwd=cwd)

    def err(self, r):
        return r.stderr.decode()

    def summary(self, r):
        lines = [l for l in self.err(r).splitlines() if l.startswith("gate summary: ")]
        self.assertEqual(len(lines), 1, self.err(r))
        return lines[0]

    def finding_id(self, rule, scope, vuln=None):
        sql = "SELECT id FROM v_findings WHERE rule=? AND scope=?" + (" AND vuln_id=?" if vuln else "")
        got = self.rows(sql, rule, scope, *([vuln] if vuln else []))
        self.assertEqual(len(got), 1, got)
        return got[0]["id"]

    # ============================================================================================
    # New means new since the last passing gate
    # ============================================================================================
    def test_new_only_survives_retries_and_reopening(self):
        self.ingest("--no-policy", "--scope", "b", SCAN1)
        # The first gate of a scope has no passing gate to compare with: everything is new.
        g = self.gate("--no-policy", "--scope", "b", "--fail-on", "HIGH", "--new-only")
        self.assertEqual(g.returncode, 1, self.err(g))
        self.assertIn("gate FAILED: 4 new findings at or above HIGH", self.err(g))
        self.assertIn("new since no passing gate yet", self.summary(g))
        # Adopting the legacy scope: a pass recorded without evaluating, with who and why.
        g = self.gate("--no-policy", "--scope", "b", "--fail-on", "HIGH", "--new-only", "--accept-current",
                      "--by", "alice", "--reason", "legacy shop, tracked in SEC-12")
        self.assertEqual(g.returncode, 0, self.err(g))
        self.assertIn("by alice: legacy shop, tracked in SEC-12", self.err(g))
        self.assertTrue(self.summary(g).startswith("gate summary: ACCEPTED | scope b |"), self.summary(g))
        v = self.rows("SELECT * FROM gate_verdicts ORDER BY id")
        self.assertEqual([(x["gate"], x["passed"], x["accepted_by"]) for x in v],
                         [("fail-on-high", 0, None), ("fail-on-high", 1, "alice")])
        g = self.gate("--no-policy", "--scope", "b", "--fail-on", "HIGH", "--new-only")
        self.assertEqual(g.returncode, 0, self.err(g))
        self.assertIn("accepted by alice: legacy shop, tracked in SEC-12", self.summary(g))

        # The pull request brings NoSQL injection (HIGH): the gate fails ...
        self.ingest("--no-policy", "--scope", "b", SCAN2)
        g = self.gate("--no-policy", "--scope", "b", "--fail-on", "HIGH", "--new-only")
        self.assertEqual(g.returncode, 1, self.err(g))
        self.assertIn("gate FAILED: 1 new finding at or above HIGH (1 HIGH)", self.err(g))
        self.assertIn("NoSQL Injection", self.err(g))
        # ... and a retry with the byte-identical report (recorded as a repeat) fails again ...
        s = self.ingest("--no-policy", "--scope", "b", SCAN2)
        self.assertEqual(s["status"], "unchanged")
        g = self.gate("--no-policy", "--scope", "b", "--fail-on", "HIGH", "--new-only")
        self.assertEqual(g.returncode, 1, self.err(g))
        self.assertIn("gate FAILED: 1 new finding at or above HIGH", self.err(g))
        # ... as does a retry of the gate alone.
        g = self.gate("--no-policy", "--scope", "b", "--fail-on", "HIGH", "--new-only")
        self.assertEqual(g.returncode, 1, self.err(g))
        # The same with a policy gate (new_only: true) and a report (the full evaluation).
        self.write("findex.yml", "gates:\n  - name: no-new-high\n    new_only: true\n    max: {HIGH: 0, CRITICAL: 0}\n")
        out = os.path.join(self.tmp, "v.json")
        g = self.gate("--scope", "b", "--report", "json", "-o", out)
        self.assertEqual(g.returncode, 1, self.err(g))
        # (A gate's verdicts are its own: this one never passed, so all 4 active HIGH are new.)
        self.assertIn("gate 'no-new-high' FAILED: HIGH: 4 > 0 (new since the last passing gate)", self.err(g))
        self.assertIn("no-new-high (new since no passing gate yet", self.summary(g))
        os.remove(os.path.join(self.tmp, "findex.yml"))

        # A person decides: false positive. The gate passes and records the pass.
        r = self.run_findex("triage", self.finding_id("zap/40033", "b"), "--status", "SUPPRESSED", "--by", "bob",
                            "--note", "no MongoDB behind basket.jsp")
        self.assertEqual(r.returncode, 0, r.stderr)
        g = self.gate("--no-policy", "--scope", "b", "--fail-on", "HIGH", "--new-only")
        self.assertEqual(g.returncode, 0, self.err(g))
        # After that pass, a genuinely new finding fails (Grype's CRITICAL, another scanner).
        self.ingest("--no-policy", "--scope", "b", GRYPE)
        g = self.gate("--no-policy", "--scope", "b", "--fail-on", "HIGH", "--new-only")
        self.assertEqual(g.returncode, 1, self.err(g))
        self.assertIn("gate FAILED: 1 new finding at or above HIGH (1 CRITICAL)", self.err(g))
        self.assertIn("new since the pass at " + NOW, self.summary(g))
        r = self.run_findex("triage", self.finding_id("grype/dpkg-matcher", "b", "CVE-1999-0002"), "--status", "SUPPRESSED", "--by",
                            "bob", "--note", "not reachable")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.gate("--no-policy", "--scope", "b", "--fail-on", "HIGH", "--new-only").returncode, 0)
        # A finding that was resolved (PII: absent from scan2) and comes back counts as new.
        self.assertEqual(self.rows("SELECT state FROM v_findings WHERE rule='zap/10062'"), [{"state": "ARCHIVED"}])
        self.ingest("--no-policy", "--scope", "b", SCAN1)
        g = self.gate("--no-policy", "--scope", "b", "--fail-on", "HIGH", "--new-only")
        self.assertEqual(g.returncode, 1, self.err(g))
        self.assertIn("gate FAILED: 1 new finding at or above HIGH (1 HIGH)", self.err(g))
        self.assertIn("PII Disclosure", self.err(g))  # 10062

    def test_accept_current_needs_who_and_why(self):
        self.ingest("--no-policy", "--scope", "b", SCAN1)
        # Who: --by or $FINDEX_USER, never $USER (in CI, the runner's account).
        self.env["USER"] = self.env["LOGNAME"] = "runner"
        g = self.gate("--no-policy", "--scope", "b", "--fail-on", "HIGH", "--accept-current", "--reason", "x")
        self.assertEqual(g.returncode, 2)
        self.assertIn("--accept-current needs --by NAME", self.err(g))
        g = self.gate("--no-policy", "--scope", "b", "--fail-on", "HIGH", "--accept-current", "--by", " ", "--reason", "x")
        self.assertEqual(g.returncode, 2)
        g = self.gate("--no-policy", "--scope", "b", "--fail-on", "HIGH", "--accept-current", "--by", "alice")
        self.assertEqual(g.returncode, 2)
        g = self.gate("--no-policy", "--scope", "b", "--fail-on", "HIGH", "--by", "alice", "--reason", "x")
        self.assertEqual(g.returncode, 2)
        self.assertIn("--by and --reason go with --accept-current", self.err(g))
        self.assertEqual(self.rows("SELECT count(*) AS n FROM gate_verdicts"), [{"n": 0}])
        self.env["FINDEX_USER"] = "carol"
        g = self.gate("--no-policy", "--scope", "b", "--fail-on", "HIGH", "--accept-current", "--reason", "adopted")
        self.assertEqual(g.returncode, 0, self.err(g))
        self.assertEqual(self.rows("SELECT accepted_by, reason FROM gate_verdicts"),
                         [{"accepted_by": "carol", "reason": "adopted"}])

    # ============================================================================================
    # Unknown scope is an error
    # ============================================================================================
    def test_all_scopes_of_a_store_with_nothing_ingested_is_an_error(self):
        # A CI job whose every report failed leaves a store with no scope: nothing checked is no pass.
        self.write("junk.json", "{}")
        self.assertEqual(self.run_findex("ingest", "junk.json").returncode, 2)
        g = self.gate("--all-scopes", "--fail-on", "LOW")
        self.assertEqual(g.returncode, 2, self.err(g))
        self.assertIn("nothing has been ingested into this store yet", self.err(g))

    def test_unknown_empty_and_default_scope(self):
        self.ingest("--no-policy", "--scope", "shop:main", SCAN1)
        self.ingest("--no-policy", "--scope", "shop:pr-42", SCAN2)
        g = self.gate("--scope", "shop:mian", "--fail-on", "HIGH")
        self.assertEqual(g.returncode, 2, self.err(g))
        self.assertIn("unknown scope 'shop:mian'", self.err(g))
        self.assertIn("did you mean 'shop:main'? known scopes: shop:main, shop:pr-42", self.err(g))
        # An empty value (an unset $CI_BRANCH) never means every scope.
        g = self.gate("--scope", "", "--fail-on", "HIGH")
        self.assertEqual(g.returncode, 2, self.err(g))
        self.assertIn("--scope is empty", self.err(g))
        # No --scope: the scope "default", as ingest; here never ingested.
        g = self.gate("--fail-on", "HIGH")
        self.assertEqual(g.returncode, 2, self.err(g))
        self.assertIn("unknown scope 'default'", self.err(g))
        # Every scope is asked for by name.
        g = self.gate("--all-scopes", "--fail-on", "HIGH")
        self.assertEqual(g.returncode, 1, self.err(g))
        self.assertIn("gate FAILED: 8 findings at or above HIGH", self.err(g))  # 4 + 4
        self.assertIn("| scope * (all scopes) |", self.summary(g))
        self.assertEqual(self.gate("--all-scopes", "--scope", "shop:main", "--fail-on", "HIGH").returncode, 2)
        # An unknown or empty baseline is an error too.
        g = self.gate("--scope", "shop:pr-42", "--baseline", "shop:mainn", "--fail-on", "HIGH")
        self.assertEqual(g.returncode, 2, self.err(g))
        self.assertIn("unknown baseline scope 'shop:mainn'", self.err(g))
        self.assertIn("did you mean 'shop:main'?", self.err(g))
        g = self.gate("--scope", "shop:pr-42", "--baseline", "", "--fail-on", "HIGH")
        self.assertEqual(g.returncode, 2, self.err(g))
        self.write("findex.yml", "gates:\n  - name: pr\n    new_only: true\n    baseline: shop:mian\n    max: {HIGH: 0}\n")
        g = self.gate("--scope", "shop:pr-42")
        self.assertEqual(g.returncode, 2, self.err(g))
        self.assertIn("unknown baseline scope 'shop:mian'", self.err(g))
        # The default scope, when it exists, is gated without --scope.
        self.ingest("--no-policy", GRYPE)
        g = self.gate("--no-policy", "--fail-on", "CRITICAL")
        self.assertEqual(g.returncode, 1, self.err(g))
        self.assertIn("gate FAILED: 1 finding at or above CRITICAL", self.err(g))
        self.assertIn("| scope default |", self.summary(g))

    def test_gate_needs_a_store(self):
        g = self.gate("--scope", "b", "--fail-on", "HIGH")
        self.assertEqual(g.returncode, 2, self.err(g))
        self.assertIn("no store at", self.err(g))
        self.assertFalse(self.store_exists())

    # ============================================================================================
    # Expiry stored with the decision; --no-policy
    # ============================================================================================
    def test_expired_suppression_counts_with_without_policy_and_no_policy(self):
        self.write("findex.yml", XSS_SUPPRESSION)
        s = self.ingest("--scope", "b", SCAN1, now="2026-02-03T00:00:00Z")
        self.assertEqual(s["suppressed"], 2)
        # The expiry is stored with the decision (end of 2026-03-01 UTC, in Unix ms).
        got = self.rows("SELECT policy_workflow, policy_expires FROM findings WHERE generator_id IN ('zap/40012', 'zap/40026')")
        self.assertEqual(got, [{"policy_workflow": "SUPPRESSED", "policy_expires": 1772409600000}] * 2)
        elsewhere = os.path.join(self.tmp, "elsewhere")
        os.mkdir(elsewhere)  # no findex.yml there: the gate reads no policy file
        before, after = "2026-02-20T00:00:00Z", "2026-03-02T00:00:00Z"
        # Before the expiry: 2 HIGH left (SQLi, PII), with or without the file.
        g = self.gate("--scope", "b", "--fail-on", "HIGH", now=before)
        self.assertEqual(g.returncode, 1, self.err(g))
        self.assertIn("gate 'fail-on-high' FAILED: HIGH: 2 > 0", self.err(g))
        g = self.gate("--scope", "b", "--fail-on", "HIGH", now=before, cwd=elsewhere)
        self.assertEqual(g.returncode, 1, self.err(g))
        self.assertIn("gate FAILED: 2 findings at or above HIGH (2 HIGH)", self.err(g))
        self.assertIn("| policy none |", self.summary(g))
        # After it: the two XSS count again, with the file, without it (index-only --fail-on
        # path and full evaluation with a report).
        g = self.gate("--scope", "b", "--fail-on", "HIGH", now=after)
        self.assertEqual(g.returncode, 1, self.err(g))
        self.assertIn("gate 'fail-on-high' FAILED: HIGH: 4 > 0", self.err(g))
        g = self.gate("--scope", "b", "--fail-on", "HIGH", now=after, cwd=elsewhere)
        self.assertEqual(g.returncode, 1, self.err(g))
        self.assertIn("gate FAILED: 4 findings at or above HIGH (4 HIGH)", self.err(g))
        out = os.path.join(self.tmp, "v.json")
        g = self.gate("--scope", "b", "--fail-on", "HIGH", "--report", "json", "-o", out, now=after, cwd=elsewhere)
        self.assertEqual(g.returncode, 1, self.err(g))
        self.assertIn("gate 'fail-on-high' FAILED: HIGH: 4 > 0", self.err(g))
        self.assertIn("2 findings suppressed by the policy at ingest are no longer suppressed", self.err(g))
        with open(out) as f:
            v = json.load(f)
        self.assertEqual(v["counts"]["suppressed"], 0)
        # --no-policy: no policy decision applies at all, expired or not.
        g = self.gate("--scope", "b", "--fail-on", "HIGH", "--no-policy", now=before)
        self.assertEqual(g.returncode, 1, self.err(g))
        self.assertIn("gate FAILED: 4 findings at or above HIGH (4 HIGH)", self.err(g))
        self.assertIn("| policy none (--no-policy) |", self.summary(g))
        g = self.gate("--scope", "b", "--fail-on", "HIGH", "--no-policy", "--report", "json", "-o", out, now=before)
        self.assertEqual(g.returncode, 1, self.err(g))
        self.assertIn("gate 'fail-on-high' FAILED: HIGH: 4 > 0", self.err(g))

    def test_no_policy_ignores_stored_decisions_but_keeps_triage(self):
        self.write("findex.yml", XSS_SUPPRESSION + """\
severity_overrides:
  - name: csp-high
    match: {rule: "zap/10038"}
    severity: HIGH
""")
        self.ingest("--scope", "b", SCAN1)
        r = self.run_findex("triage", self.finding_id("zap/40018", "b"), "--status", "SUPPRESSED", "--by", "bob",
                            "--note", "parameterized since 2.1")
        self.assertEqual(r.returncode, 0, r.stderr)
        elsewhere = os.path.join(self.tmp, "elsewhere")
        os.mkdir(elsewhere)
        # Stored decisions (no policy file here): CSP raised to HIGH, XSS suppressed, SQLi triaged:
        # HIGH = PII + CSP.
        g = self.gate("--scope", "b", "--fail-on", "HIGH", cwd=elsewhere)
        self.assertEqual(g.returncode, 1, self.err(g))
        self.assertIn("gate FAILED: 2 findings at or above HIGH (2 HIGH)", self.err(g))
        # --no-policy: CSP is MEDIUM again, both XSS count; the person's SQLi decision stays:
        # HIGH = XSS x2 + PII.
        for extra in ([], ["--report", "json", "-o", os.path.join(self.tmp, "v.json")]):
            g = self.gate("--scope", "b", "--fail-on", "HIGH", "--no-policy", *extra)
            self.assertEqual(g.returncode, 1, self.err(g))
            self.assertIn("3", self.err(g).splitlines()[0])
            self.assertNotIn("SQL Injection", self.err(g).replace("NoSQL", ""))
        g = self.gate("--scope", "b", "--fail-on", "HIGH", "--no-policy")
        self.assertIn("gate FAILED: 3 findings at or above HIGH (3 HIGH)", self.err(g))

    # ============================================================================================
    # Unknown policy keys are errors
    # ============================================================================================
    TYPOS = {
        "match": ("suppressions:\n  - name: s\n    match: {pakage: lodash, cwe: 79}\n    reason: r\n", "3:13",
                  "unknown key 'pakage' in match (did you mean package? known: id, scanner"),
        "suppression": ("suppressions:\n  - name: s\n    match: {cwe: 79}\n    reason: r\n    expire: 2026-03-01\n",
                        "5:5", "unknown key 'expire' in a suppression (did you mean expires? known: name, match"),
        "override": ("severity_overrides:\n  - name: o\n    match: {cwe: 79}\n    severty: LOW\n    severity: LOW\n",
                     "4:5", "unknown key 'severty' in a severity override (did you mean severity?"),
        "rule": ("automation_rules:\n  - name: r\n    match: {cwe: 79}\n    terminl: true\n    actions: {note: x}\n",
                 "4:5", "unknown key 'terminl' in an automation rule (did you mean terminal?"),
        "actions": ("automation_rules:\n  - name: r\n    match: {cwe: 79}\n    actions: {note: x, workfow: NOTIFIED}\n",
                    "4:24", "unknown key 'workfow' in actions (did you mean workflow?"),
        "gate": ("gates:\n  - name: g\n    max: {HIGH: 0}\n    new_onyl: true\n", "4:5",
                 "unknown key 'new_onyl' in a gate (did you mean new_only?"),
        "top": ("version: 1\nsupressions: []\ngates:\n  - name: g\n    max: {HIGH: 0}\n", "2:1",
                "unknown key 'supressions' in the policy (did you mean suppressions?"),
    }

    def test_unknown_policy_keys_are_errors_in_every_section(self):
        self.ingest("--no-policy", "--scope", "b", SCAN1)
        for section, (text, pos, msg) in self.TYPOS.items():
            with self.subTest(section=section):
                path = self.write("findex.yml", text)
                want = f"./findex.yml:{pos}: error P002: {msg}"
                r = self.run_findex("policy", "check")
                self.assertEqual(r.returncode, 2, self.err(r))
                self.assertIn(want, self.err(r))
                g = self.gate("--scope", "b", "--fail-on", "HIGH")
                self.assertEqual(g.returncode, 2, self.err(g))
                self.assertIn(want, self.err(g))
                self.assertIn("policy has errors", self.err(g))
                g = self.gate("--scope", "b", "--policy", path)
                self.assertEqual(g.returncode, 2, self.err(g))
        self.assertEqual(self.rows("SELECT count(*) AS n FROM gate_verdicts"), [{"n": 0}])

    def test_trivyignore_yaml_entry_with_unknown_key_is_an_error(self):
        # Trivy would ignore `path:` and suppress the id everywhere.
        self.ingest("--no-policy", "--scope", "b", SCAN1)
        self.write(".trivyignore.yaml", "vulnerabilities:\n  - id: CVE-2023-1\n    path: [usr/lib/x]\n")
        g = self.gate("--scope", "b", "--fail-on", "HIGH")
        self.assertEqual(g.returncode, 2, self.err(g))
        self.assertIn("./.trivyignore.yaml:3:5: error I101: unknown key 'path' in vulnerabilities", self.err(g))

    # ============================================================================================
    # Summary line, report flags
    # ============================================================================================
    def test_summary_line_on_success_and_quiet(self):
        self.write("findex.yml", XSS_SUPPRESSION + "gates:\n  - name: high-budget\n    max: {HIGH: 2}\n"
                   "  - name: no-new-critical\n    new_only: true\n    max: {CRITICAL: 0}\n")
        self.ingest("--scope", "b", SCAN1)
        g = self.gate("--scope", "b")
        self.assertEqual(g.returncode, 0, self.err(g))
        self.assertEqual(self.err(g).splitlines(), [
            "gate passed: 2 gates (13 active findings checked, 2 suppressed)",
            "gate summary: PASSED | scope b | policy ./findex.yml | baseline none | gates high-budget, no-new-critical "
            "(new since no passing gate yet: every finding is new) | clock " + NOW + " (FINDEX_NOW)"])
        # -q: one line, the summary.
        g = self.run_findex("-q", "gate", "--scope", "b")
        self.assertEqual(g.returncode, 0, self.err(g))
        self.assertEqual(self.err(g).splitlines(), [
            "gate summary: PASSED | scope b | policy ./findex.yml | baseline none | gates high-budget, no-new-critical "
            "(new since the pass at " + NOW + " (run 1)) | clock " + NOW + " (FINDEX_NOW)"])
        # Both verdicts were recorded per gate.
        v = self.rows("SELECT scope, gate, passed, mark_run, policy FROM gate_verdicts ORDER BY id")
        self.assertEqual(v[:2], [
            {"scope": "b", "gate": "high-budget", "passed": 1, "mark_run": 1, "policy": "./findex.yml"},
            {"scope": "b", "gate": "no-new-critical", "passed": 1, "mark_run": 1, "policy": "./findex.yml"}])

    def test_output_needs_report_and_report_is_case_insensitive(self):
        self.ingest("--no-policy", "--scope", "b", SCAN1)
        out = os.path.join(self.tmp, "v.json")
        g = self.gate("--scope", "b", "--fail-on", "HIGH", "-o", out)
        self.assertEqual(g.returncode, 2, self.err(g))
        self.assertIn("-o/--output needs --report", self.err(g))
        self.assertFalse(os.path.exists(out))
        for flag, value in (("--report", "JSON"), ("--format", "Json"), ("--format", "json")):
            with self.subTest(flag=flag, value=value):
                if os.path.exists(out):
                    os.remove(out)
                g = self.gate("--scope", "b", "--fail-on", "HIGH", flag, value, "-o", out)
                self.assertEqual(g.returncode, 1, self.err(g))
                with open(out) as f:
                    self.assertFalse(json.load(f)["passed"])
        g = self.gate("--scope", "b", "--fail-on", "HIGH", "--report", "JUnit", "-o", os.path.join(self.tmp, "j.xml"))
        self.assertEqual(g.returncode, 1, self.err(g))
        with open(os.path.join(self.tmp, "j.xml")) as f:
            self.assertTrue(f.read().startswith("<?xml"))
        g = self.gate("--scope", "b", "--fail-on", "HIGH", "--format", "html")
        self.assertEqual(g.returncode, 2, self.err(g))

    # ============================================================================================
    # The gate on columns (no report) decides as the gate over every document
    # ============================================================================================
    def test_gate_on_columns_equals_gate_over_documents(self):
        """Without --report the gate evaluates the policy on columns (rules/policy_sql.h) and tallies
        as it streams; FINDEX_GATE_DOCS=1 forces the path that decodes every finding. Both must print
        the same verdicts, listings, notices and counts, exit alike and record the same verdicts, over
        real samples, policies with every matcher kind, stored decisions, --no-policy, new_only,
        baselines and --all-scopes."""
        def sample(*p):
            return os.path.join(SAMPLES, *p)
        sets = {
            "a": [SCAN1, GRYPE, sample("trivy", sorted(f for f in os.listdir(sample("trivy")) if f.endswith(".json")
                                                      and "expected" not in f)[0]),
                  sample("codeguru", "awscli_codeguru_reviewer_recommendations.json"),
                  sample("sarif", "dd_njsscan_0.2.3.sarif"), sample("sarif", "dd_grype_0.34.7_cxf.sarif")],
            "legacy-b": [SCAN2, sample("dependency-check-json", "vjwa_dc_12.1.0_all_formats.json"),
                         sample("semgrep", sorted(f for f in os.listdir(sample("semgrep")) if "expected" not in f)[0])],
        }
        gates_policy = self.write("gates.yml", """\
version: 1
severity_overrides:
  - {name: zap-high-is-critical, match: {scanner: zap, severity_at_least: HIGH}, severity: CRITICAL}
suppressions:
  - {name: xss, match: {cwe: 79}, reason: waf, expires: 2026-03-01}
  - {name: old, match: {title_regex: "(?i)cookie"}, reason: r, expires: 2026-01-01}
  - {name: pkgs, match: {package: [package-2, "Lodash"]}, reason: r}
automation_rules:
  - {name: crit-notified, match: {severity_at_least: CRITICAL, scanner: [trivy, grype]}, actions: {workflow: NOTIFIED}}
gates:
  - {name: no-critical, max: {CRITICAL: 0}}
  - {name: few-high, max: {HIGH: 2, MEDIUM: 5}}
  - {name: fixable, max: {CRITICAL: 0, HIGH: 0}, fixable_only: true, scanner: [trivy, grype, dependency-check]}
  - {name: new-paths, max: {LOW: 0, MEDIUM: 0, HIGH: 0, CRITICAL: 0}, new_only: true, match: {path: ["**/*.js", "**/*.java"]}}
""")
        for scope, files in sets.items():
            r = self.run_findex("ingest", "--scope", scope, *files, "--policy", gates_policy)
            self.assertEqual(r.returncode, 0, self.err(r))
        # A later run in scope a: "new" differs from the first pass on.
        self.assertEqual(self.gate("--scope", "a", "--policy", gates_policy, "--gate", "new-paths",
                                   "--accept-current", "--by", "t", "--reason", "r").returncode, 0)
        self.ingest("--scope", "a", SCAN2, "--policy", gates_policy)
        bench = os.path.join(SRC, "bench", "policy_bench.yml")
        data = os.path.join(SRC, "tests", "data", "policy")
        cases = [
            ["--scope", "a", "--policy", gates_policy],
            ["--all-scopes", "--policy", gates_policy, "--show", "3"],
            ["--scope", "a", "--policy", gates_policy, "--new-only"],
            ["--scope", "a", "--policy", gates_policy, "--baseline", "legacy-b"],
            ["--scope", "legacy-b", "--policy", bench, "--fail-on", "LOW", "--gate", "no-critical"],
            ["--all-scopes", "--policy", bench, "--policy", gates_policy],
            ["--scope", "a", "--policy", os.path.join(data, "codeguru-ignore.yml"), "--fail-on", "LOW"],
            ["--scope", "a", "--policy", os.path.join(data, "trivyignore.yaml"), "--fail-on", "MEDIUM", "--show", "0"],
            ["--scope", "a", "--policy", os.path.join(data, "trivyignore"), "--fail-on", "INFORMATIONAL", "--show", "50"],
            ["--scope", "a", "--fail-on", "HIGH", "--baseline", "legacy-b"],                  # stored decisions
            ["--all-scopes", "--no-policy", "--fail-on", "MEDIUM", "--baseline", "legacy-b"],  # none at all
            ["--scope", "legacy-b", "--fail-on", "LOW", "--baseline", "a"],
        ]
        for now in (NOW, "2026-06-01T00:00:00.000Z"):  # before and after the suppressions' expiry
            for args in cases:
                with self.subTest(now=now, args=args):
                    got = {}
                    for mode in ("docs", "columns"):
                        db = self.new_store(mode + ".db")
                        findex_cli.copy_store(self.db, db)
                        env = dict(self.env, FINDEX_NOW=now)
                        if mode == "docs":
                            env["FINDEX_GATE_DOCS"] = "1"
                        r = subprocess.run([FINDEX, "--db", db, "gate", *args], capture_output=True, env=env, cwd=self.tmp)
                        verdicts = findex_cli.rows(db, "SELECT scope, gate, passed, mark_run, violations FROM gate_verdicts "
                                                        "ORDER BY id")
                        findex_cli.drop(db)
                        if not findex_cli.PG:
                            os.remove(db)
                        got[mode] = (r.returncode, r.stderr.decode(), verdicts)
                    self.assertIn(got["docs"][0], (0, 1), got["docs"][1])
                    self.assertEqual(got["columns"], got["docs"])


if __name__ == "__main__":
    findex_cli.main()
