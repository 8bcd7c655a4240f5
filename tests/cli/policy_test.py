#!/usr/bin/env python3
"""CLI tests for policy as code (issue 4): `findex policy check`, policy at ingest, gates on real
report pairs, CI reports, triage/note/history. Usage: policy_test.py PATH_TO_FINDEX (run from the
source tree). Each test runs in its own temp dir (cwd, --db) with FINDEX_NOW as the clock.

Expected counts come from the sample reports themselves (see the comments at each number):
ZAP bodgeit scan1 has 15 alerts: HIGH 40012 XSS reflected, 40026 XSS DOM, 40018 SQLi,
10062 PII; MEDIUM 10038 CSP, 10020 X-Frame-Options, 30001 Buffer Overflow; LOW 10202, 10021,
10063, 10036; INFORMATIONAL 10031, 10109, 10049, 10027. scan2 has 18: the same minus 10062 PII,
plus 40033 NoSQL (HIGH), 10054 and 10010 (LOW, cookies) and 10096 (INFORMATIONAL): HIGH 4,
MEDIUM 3, LOW 6, INFORMATIONAL 5. The two XSS alerts (40012, 40026) are the only CWE-79 ones.
"""
import json, os, subprocess, sys

import findex_cli
from findex_cli import StoreCase

FINDEX = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else "build/cli/findex"
SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
VALIDATE = os.path.join(SRC, "tests", "tools", "validate_reports.py")
SAMPLES = os.path.join(SRC, "samples")
SCAN1 = os.path.join(SAMPLES, "zap-xml", "dd_zap_2.10.0_bodgeit_scan1.xml")
SCAN2 = os.path.join(SAMPLES, "zap-xml", "dd_zap_2.10.0_bodgeit_scan2.xml")
SEMGREP1 = os.path.join(SAMPLES, "semgrep", "dd_semgrep_1.97.0_run1.json")
SEMGREP2 = os.path.join(SAMPLES, "semgrep", "dd_semgrep_1.97.0_run2.json")
# Grype: CVE-1999-0001 Low on package-1 with fix versions (state fixed); CVE-1999-0002 Critical
# on package-2 without any fix (versions [], state "").
GRYPE = os.path.join(SAMPLES, "grype", "upstream_golden_json_image.json")
# Trivy: 12 LOW debian packages with Status "affected" and no FixedVersion; one MEDIUM
# (CVE-2023-26136 tough-cookie) with FixedVersion 4.1.3.
TRIVY = os.path.join(SAMPLES, "trivy", "dd_trivy_image_issue9333.json")

NOW = "2026-02-03T04:05:06.000Z"

# The suppression most tests use: both XSS alerts (CWE-79), owned by alice, until 2026-03-01.
XSS_SUPPRESSION = """\
suppressions:
  - name: legacy-xss
    match: {cwe: 79}
    reason: legacy app, WAF in front
    owner: alice
    expires: 2026-03-01
"""


class PolicyCli(StoreCase):
    TMP_PREFIX = "findex-policy-"

    def setUp(self):
        super().setUp()
        self.env = findex_cli.clean_env(FINDEX_NOW=NOW)

    # --- helpers ---
    def run_findex(self, *args, now=None, stdin=None):
        env = dict(self.env, FINDEX_NOW=now) if now else self.env
        return subprocess.run([FINDEX, "--db", self.db, *args], input=stdin, capture_output=True, env=env,
                              cwd=self.tmp)

    def ingest(self, *args, now=None):
        r = self.run_findex("ingest", "--summary", "json", *args, now=now)
        self.assertIn(r.returncode, (0, 2), r.stderr)
        out = [json.loads(l) for l in r.stdout.decode().splitlines() if l.strip()]
        return r, out

    def ingest_ok(self, *args, now=None):
        r, out = self.ingest(*args, now=now)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertEqual(len(out), 1)
        return out[0]

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        return path

    def finding(self, rule, scope=None):
        sql = "SELECT * FROM v_findings WHERE rule=?" + (" AND scope=?" if scope else "")
        got = self.rows(sql, rule, *([scope] if scope else []))
        self.assertEqual(len(got), 1, got)
        return got[0]

    def history(self, ident):
        r = self.run_findex("history", "--format", "json", ident)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def read(self, path):
        with open(path, encoding="utf-8") as f:
            return f.read()

    def load(self, path):
        return json.loads(self.read(path))

    def err(self, r):
        return r.stderr.decode()

    def validate(self, kind, path):
        v = subprocess.run([sys.executable, VALIDATE, f"--{kind}", path], capture_output=True, text=True)
        self.assertEqual(v.returncode, 0, v.stdout + v.stderr)

    # ============================================================================================
    # 1. findex policy check
    # ============================================================================================
    FULL_POLICY = """\
version: 1
severity_overrides:
  - name: csp-low
    match: {rule: "zap/10038"}
    severity: LOW
""" + XSS_SUPPRESSION + """\
automation_rules:
  - name: sqli-notify
    match: {rule: "zap/40018"}
    actions:
      workflow: NOTIFIED
      note: paged the web team
      user_defined_fields: {team: web}
gates:
  - name: no-new-high
    new_only: true
    max: {HIGH: 0, CRITICAL: 0}
"""

    def test_policy_check_valid_file_and_discovery(self):
        path = self.write("policies/findex.yml", self.FULL_POLICY)
        r = self.run_findex("policy", "check", path)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.err(r).splitlines(), [
            "policy ok: 1 file, 1 severity override, 1 suppression, 1 automation rule, 1 gate, 0 warnings"])
        self.assertEqual(r.stdout, b"")
        # No file and nothing to discover: an error.
        r = self.run_findex("policy", "check")
        self.assertEqual(r.returncode, 2)
        self.assertIn("no policy file given and none found here", self.err(r))
        # findex.yml in the working directory is found without arguments; works without a store.
        self.write("findex.yml", self.FULL_POLICY)
        r = self.run_findex("policy", "check")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("policy ok: 1 file, 1 severity override", self.err(r))
        self.assertFalse(self.store_exists())
        # include: a file next to the including one; both counted.
        self.write("findex.yml", "include: shared/more.yml\ngates:\n  - name: g\n    max: {HIGH: 10}\n")
        self.write("shared/more.yml", XSS_SUPPRESSION)
        r = self.run_findex("policy", "check")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.err(r).splitlines(), [
            "policy ok: 2 files, 0 severity overrides, 1 suppression, 0 automation rules, 1 gate, 0 warnings"])
        # -q: nothing on success.
        r = self.run_findex("-q", "policy", "check")
        self.assertEqual((r.returncode, r.stderr), (0, b""))

    def test_policy_check_errors_with_positions_and_codes(self):
        path = self.write("bad.yml", """\
version: 1
suppressions:
  - name: a
    match: {rule: "x"}
    expires: 2026-13-01
  - name: a
    match: {title_regex: "(unclosed"}
    reason: r
automation_rules:
  - name: r1
    match: {scanner: zap}
    actions: {workflow: DONE}
gates:
  - name: g
    max: {SEVERE: 1}
""")
        r = self.run_findex("policy", "check", path)
        self.assertEqual(r.returncode, 2)
        lines = self.err(r).splitlines()
        want = [
            f"{path}:3:5: error P004: suppression needs a 'reason' (why this risk is accepted)",
            f"{path}:5:14: error P006: expires: '2026-13-01' is not a date (YYYY-MM-DD) or RFC 3339 time",
            f"{path}:6:11: error P009: duplicate name 'a'",
            f"{path}:7:26: error P007: title_regex: missing ): (unclosed (RE2 syntax)",
            f"{path}:12:25: error P008: unknown workflow status 'DONE' (NEW, NOTIFIED, RESOLVED, SUPPRESSED)",
            f"{path}:15:11: error P005: max: unknown severity 'SEVERE' (INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL)",
        ]
        for w in want:
            self.assertIn(w, lines)
        self.assertTrue(lines[-1].startswith("policy check failed: 6 errors, "), lines[-1])
        # YAML syntax and version errors.
        syn = self.write("syn.yml", "gates: [1,\n")
        r = self.run_findex("policy", "check", syn)
        self.assertEqual(r.returncode, 2)
        self.assertRegex(self.err(r), r"syn\.yml:2:1: error P001: YAML syntax: ")
        v2 = self.write("v2.yml", "version: 2\n")
        r = self.run_findex("policy", "check", v2)
        self.assertEqual(r.returncode, 2)
        self.assertIn("v2.yml:1:10: error P010: unsupported policy version '2' (this findex reads 1)", self.err(r))
        r = self.run_findex("policy", "check", os.path.join(self.tmp, "missing.yml"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("missing.yml: error P011: cannot read policy file", self.err(r))

    def test_bad_dates_clock_and_notes_are_clear_errors(self):
        # Once a crash (exit 134): a date std::stoi could not read.
        for bad in ['"--26-01-01"', '"2026-1--01"', "2026-02-30"]:
            self.write("findex.yml", "suppressions:\n  - match: {cwe: 79}\n    reason: r\n    expires: %s\n" % bad)
            r = self.run_findex("policy", "check")
            self.assertEqual(r.returncode, 2, (bad, self.err(r)))
            self.assertIn("findex.yml:4:14: error P006", self.err(r))
            g = self.run_findex("gate", "--fail-on", "HIGH")
            self.assertEqual(g.returncode, 2, self.err(g))
        os.remove(os.path.join(self.tmp, "findex.yml"))
        # A clock that cannot be read would disable every expiry.
        r = self.run_findex("gate", "--fail-on", "HIGH", now="2027-01-01")
        self.assertEqual(r.returncode, 2)
        self.assertIn("FINDEX_NOW='2027-01-01' is not an RFC 3339 time", self.err(r))
        # A directory is not a policy.
        os.makedirs(os.path.join(self.tmp, "pdir"))
        r = self.run_findex("policy", "check", "pdir")
        self.assertEqual(r.returncode, 2)
        self.assertIn("is a directory", self.err(r))
        # An empty note changes nothing and says so.
        self.ingest_ok("--no-policy", "--scope", "b", SCAN1)
        r = self.run_findex("note", self.finding("zap/40012")["id"], " ", "--by", "x")
        self.assertEqual(r.returncode, 2)
        self.assertIn("the note is empty", self.err(r))

    def test_gate_verdict_is_the_same_with_and_without_a_report(self):
        # Without --report the gate trims findings to what matchers read; a CodeGuru
        # recommendation id and its RuleTags must survive that (once they did not).
        self.write("findex.yml", "gates:\n"
                   "  - {name: by-id, max: {MEDIUM: 0}, match: {id: 1509b96226f77f1d3bad3f53c42f56c09ce16ac1f3713d7007c3a6871ea71d5d}}\n"
                   "  - {name: by-tag, max: {HIGH: 0}, match: {scanner: codeguru, tag: aws}}\n")
        self.ingest_ok("--scope", "cg", os.path.join(SRC, "samples", "codeguru", "hm_list_recommendations_response.json"))
        plain = self.run_findex("gate", "--scope", "cg")
        report = self.run_findex("gate", "--scope", "cg", "--report", "json", "-o", os.path.join(self.tmp, "v.json"))
        self.assertEqual(plain.returncode, 1, self.err(plain))
        self.assertEqual(report.returncode, plain.returncode)
        v = self.load(os.path.join(self.tmp, "v.json"))
        failed = sorted(g["name"] for g in v["gates"] if not g["passed"])
        self.assertIn("gate 'by-id' FAILED: MEDIUM: 1 > 0", self.err(plain))
        for name in failed:
            self.assertIn("gate '%s' FAILED" % name, self.err(plain))

    def test_policy_check_unknown_keys_are_errors(self):
        # Issue 8: an unknown key is an error (P002), with a did-you-mean when one is close; it
        # was a warning and the entry applied without it (a typo widened a suppression).
        path = self.write("findex.yml", """\
version: 1
suppressions:
  - name: s
    match: {rule: "zap/1", colour: red}
    reason: r
bogus: 1
""")
        r = self.run_findex("policy", "check", path)
        self.assertEqual(r.returncode, 2, r.stderr)
        lines = self.err(r).splitlines()
        self.assertIn(f"{path}:6:1: error P002: unknown key 'bogus' in the policy (known: version, include, "
                      "severity_overrides, suppressions, automation_rules, gates, sla, actions, vex)", lines)
        self.assertTrue(any(l.startswith(f"{path}:4:28: error P002: unknown key 'colour' in match") for l in lines), lines)
        self.assertFalse(any(l.startswith("policy ok") for l in lines), lines)

    def test_policy_check_expired_suppression_warning(self):
        path = self.write("findex.yml", XSS_SUPPRESSION)
        # Valid through 2026-03-01 (UTC): no warning on its last second.
        r = self.run_findex("policy", "check", path, now="2026-03-01T23:59:59Z")
        self.assertEqual(r.returncode, 0)
        self.assertNotIn("P012", self.err(r))
        r = self.run_findex("policy", "check", path, now="2026-03-02T00:00:00Z")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"{path}:2:5: warning P012: suppression 'legacy-xss' expired on 2026-03-01 and no longer applies",
                      self.err(r).splitlines())
        self.assertIn("1 warning", self.err(r))

    def test_policy_check_reads_trivyignore_and_codeguru_ignore(self):
        self.write(".trivyignore", "# accepted until the base image moves\nCVE-2019-14697 exp:2030-01-01\nCVE-2018-0734\n")
        self.write(".codeguru-ignore.yml", 'version: 1.0\nExcludeFiles:\n  - "test/**"\nExcludeBelowSeverity: Medium\n')
        r = self.run_findex("policy", "check")
        self.assertEqual(r.returncode, 0, r.stderr)
        # Two .trivyignore ids and two CodeGuru exclusions, each its own suppression.
        self.assertEqual(self.err(r).splitlines(), [
            "policy ok: 2 files, 0 severity overrides, 4 suppressions, 0 automation rules, 0 gates, 0 warnings"])
        bad = self.write("bad.trivyignore", "CVE-1 exp:2030-13-45\n")
        r = self.run_findex("policy", "check", bad)
        self.assertEqual(r.returncode, 2)
        self.assertIn(f"{bad}:1:7: error I103: bad expiry 'exp:2030-13-45'", self.err(r))
        cg = self.write("x.codeguru-ignore.yml", "version: 1.0\nExcludeFiles: 3\nFoo: 1\n")
        r = self.run_findex("policy", "check", cg)
        self.assertEqual(r.returncode, 2)
        self.assertIn(f"{cg}:2:15: error I102: 'ExcludeFiles' must be a list of strings, not a scalar", self.err(r))
        self.assertIn(f"{cg}:3:1: warning I101: unknown key 'Foo'", self.err(r))

    # ============================================================================================
    # 2. Policy at ingest
    # ============================================================================================
    def test_ingest_applies_discovered_policy(self):
        self.write("findex.yml", self.FULL_POLICY)
        s = self.ingest_ok("--scope", "b", SCAN1)
        self.assertEqual(s["new"], 15)
        self.assertEqual(s["suppressed"], 2)  # the two CWE-79 XSS alerts
        self.assertEqual(s["unsuppressed"], 0)
        self.assertNotIn("expired_suppressions", s)
        csp = self.finding("zap/10038")
        self.assertEqual((csp["severity"], csp["scanner_severity"]), ("LOW", "MEDIUM"))
        self.assertEqual(csp["policy"], "override:csp-low")
        self.assertEqual(csp["workflow"], "NEW")
        # Severity.Original keeps the scanner's value (asff is rendered by findex: `findex sql` on
        # SQLite; on PostgreSQL, which has no asff in findex sql, the ASFF export).
        if findex_cli.PG:
            r = self.run_findex("export", "--format", "asff", "--scope", "b", "rule=zap/10038")
            self.assertEqual(r.returncode, 0, r.stderr)
            docs = json.loads(r.stdout)
            self.assertEqual(len(docs), 1)
            asff = docs[0]
        else:
            r = self.run_findex("sql", "--format", "json", "SELECT asff FROM v_findings WHERE rule='zap/10038' AND scope='b'")
            self.assertEqual(r.returncode, 0, r.stderr)
            asff = json.loads(json.loads(r.stdout)[0]["asff"])
        self.assertEqual(asff["Severity"]["Original"], "Medium (High)")
        self.assertEqual(asff["Severity"]["Label"], "LOW")
        for rule in ("zap/40012", "zap/40026"):
            x = self.finding(rule)
            self.assertEqual(x["workflow"], "SUPPRESSED")
            self.assertEqual(x["policy_workflow"], "SUPPRESSED")
            self.assertEqual(x["lifecycle"], "NEW")
            self.assertEqual(x["policy"], "suppress:legacy-xss")
            self.assertEqual(x["note"], "Suppressed by policy 'legacy-xss': legacy app, WAF in front "
                                        "(owner alice, until 2026-03-01)")
            self.assertEqual(x["severity"], "HIGH")
        sqli = self.finding("zap/40018")
        self.assertEqual((sqli["workflow"], sqli["policy"], sqli["note"]), ("NOTIFIED", "rule:sqli-notify", "paged the web team"))
        # Exported ASFF carries what the policy decided: workflow, note, user-defined fields.
        r = self.run_findex("export", "--id", sqli["id"])
        self.assertEqual(r.returncode, 0, r.stderr)
        asff = json.loads(r.stdout)
        self.assertEqual(len(asff), 1)
        self.assertEqual(asff[0]["UserDefinedFields"], {"team": "web"})
        self.assertEqual(asff[0]["Workflow"], {"Status": "NOTIFIED"})
        self.assertEqual(asff[0]["Note"]["Text"], "paged the web team")
        self.assertEqual(asff[0]["ProductFields"]["findex/Policy"], "rule:sqli-notify")
        # Untouched findings carry no policy.
        pii = self.finding("zap/10062")
        self.assertEqual((pii["workflow"], pii["policy"], pii["severity"]), ("NEW", None, "HIGH"))
        self.assertEqual(self.rows("SELECT count(*) AS n FROM v_findings WHERE policy IS NOT NULL")[0]["n"], 4)

    def test_ingest_policy_flags(self):
        self.write("findex.yml", XSS_SUPPRESSION)
        # --no-policy ignores findex.yml.
        s = self.ingest_ok("--no-policy", "--scope", "none", SCAN1)
        self.assertEqual(s["suppressed"], 0)
        self.assertEqual(self.rows("SELECT count(*) AS n FROM v_findings WHERE scope='none' AND workflow='SUPPRESSED'")[0]["n"], 0)
        # --policy replaces discovery: this one overrides, it does not suppress.
        other = self.write("ci/other.yml", "severity_overrides:\n  - name: all-xss-critical\n    match: {cwe: CWE-79}\n"
                                           "    severity: CRITICAL\n")
        s = self.ingest_ok("--policy", other, "--scope", "explicit", SCAN1)
        self.assertEqual(s["suppressed"], 0)
        x = self.finding("zap/40012", "explicit")
        self.assertEqual((x["severity"], x["scanner_severity"], x["workflow"], x["policy"]),
                         ("CRITICAL", "HIGH", "NEW", "override:all-xss-critical"))
        # A policy with errors stops the ingest before anything is stored.
        bad = self.write("bad.yml", "suppressions:\n  - name: x\n    match: {rule: a}\n")
        r, out = self.ingest("--policy", bad, "--scope", "bad", SCAN1)
        self.assertEqual(r.returncode, 2)
        self.assertIn("bad.yml:2:5: error P004", self.err(r))
        self.assertEqual(self.rows("SELECT count(*) AS n FROM v_findings WHERE scope='bad'")[0]["n"], 0)

    def test_reingest_same_bytes_changed_policy_is_not_skipped(self):
        self.write("findex.yml", XSS_SUPPRESSION)
        self.assertEqual(self.ingest_ok("--scope", "b", SCAN1)["status"], "ok")
        # Same bytes, same policy: skipped as identical.
        s = self.ingest_ok("--scope", "b", SCAN1)
        self.assertEqual(s["status"], "unchanged")
        self.assertEqual(self.rows("SELECT count(*) AS n FROM runs WHERE same_as IS NULL")[0]["n"], 1)
        # Same bytes, the suppression removed: applied again.
        self.write("findex.yml", "version: 1\n")
        s = self.ingest_ok("--scope", "b", SCAN1, now="2026-02-04T00:00:00Z")
        self.assertEqual(s["status"], "ok")
        self.assertEqual(s["unsuppressed"], 2)
        self.assertEqual((s["new"], s["updated"], s["unchanged"]), (0, 2, 13))
        x = self.finding("zap/40012")
        self.assertEqual((x["workflow"], x["policy"], x["note"]), ("NEW", None, None))
        h = self.history(x["id"])
        self.assertEqual([e["action"] for e in h], ["created", "policy"])
        self.assertEqual((h[1]["actor"], h[1]["old"], h[1]["new"], h[1]["at"]),
                         ("policy", "SUPPRESSED", "NEW", "2026-02-04T00:00:00Z"))
        self.assertEqual(h[1]["note"], "no policy rule applies any more")

    def test_ingest_reads_discovered_trivyignore(self):
        # The MEDIUM tough-cookie CVE until Trivy's expiry date, and one of the 12 LOW ones.
        self.write(".trivyignore", "# tough-cookie upgrade blocked by the SDK\nCVE-2023-26136 exp:2026-03-01\n"
                                   "CVE-2011-3374 # apt: not reachable\n")
        s = self.ingest_ok("--scope", "t", TRIVY)
        self.assertEqual((s["records"], s["new"], s["suppressed"]), (13, 13, 2))
        got = {r["vuln_id"]: r for r in self.rows("SELECT * FROM v_findings WHERE policy IS NOT NULL")}
        self.assertEqual(sorted(got), ["CVE-2011-3374", "CVE-2023-26136"])
        tc = got["CVE-2023-26136"]
        self.assertEqual((tc["workflow"], tc["policy"]), ("SUPPRESSED", "suppress:.trivyignore:2 CVE-2023-26136"))
        self.assertEqual(tc["note"], "Suppressed by policy '.trivyignore:2 CVE-2023-26136': from .trivyignore: "
                                     "tough-cookie upgrade blocked by the SDK (until 2026-03-01)")
        self.assertIn("apt: not reachable", got["CVE-2011-3374"]["note"])
        # Trivy's exp: ends at the start of the named day (UTC).
        g = self.run_findex("gate", "--scope", "t", "--fail-on", "MEDIUM", now="2026-02-28T23:59:59Z")
        self.assertEqual(g.returncode, 0, g.stderr)
        g = self.run_findex("gate", "--scope", "t", "--fail-on", "MEDIUM", now="2026-03-01T00:00:00Z")
        self.assertEqual(g.returncode, 1)
        self.assertIn("note: suppression '.trivyignore:2 CVE-2023-26136' expired on 2026-03-01: 1 finding is no longer "
                      "suppressed (./.trivyignore:2)", self.err(g).splitlines())

    # ============================================================================================
    # 3. Expiry with the injected clock
    # ============================================================================================
    def test_suppression_expiry_at_ingest_and_gate(self):
        self.write("findex.yml", XSS_SUPPRESSION + "gates:\n  - name: high-budget\n    max: {HIGH: 2}\n")
        s = self.ingest_ok("--scope", "b", SCAN1, now="2026-02-03T00:00:00Z")
        self.assertEqual(s["suppressed"], 2)
        # Before expiry: HIGH left = SQLi + PII = 2 <= 2; 15 - 2 suppressed = 13 checked.
        # (Issue 8: a gate names its scope; without --scope it is the scope "default".)
        g = self.run_findex("gate", "--scope", "b", now="2026-02-03T00:00:00Z")
        self.assertEqual(g.returncode, 0, g.stderr)
        self.assertEqual(self.err(g).splitlines()[:-1], ["gate passed: 1 gate (13 active findings checked, 2 suppressed)"])
        self.assertTrue(self.err(g).splitlines()[-1].startswith("gate summary: PASSED | scope b | policy ./findex.yml"))
        # A week before: still applies, with a warning.
        g = self.run_findex("gate", "--scope", "b", now="2026-02-25T00:00:00Z")
        self.assertEqual(g.returncode, 0, g.stderr)
        self.assertIn("note: suppression 'legacy-xss' (owner alice) expires on 2026-03-01 (./findex.yml:2)",
                      self.err(g).splitlines())
        # The last second of the named day still counts.
        self.assertEqual(self.run_findex("gate", "--scope", "b", now="2026-03-01T23:59:59Z").returncode, 0)
        # After: both XSS count again (HIGH 4 > 2) and the gate says why.
        g = self.run_findex("gate", "--scope", "b", now="2026-03-02T00:00:00Z")
        self.assertEqual(g.returncode, 1)
        e = self.err(g).splitlines()
        self.assertIn("gate 'high-budget' FAILED: HIGH: 4 > 2 (all active findings)", e)
        self.assertIn("note: suppression 'legacy-xss' (owner alice) expired on 2026-03-01: 2 findings are no longer "
                      "suppressed (./findex.yml:2)", e)
        self.assertNotIn("expires on", self.err(g))
        # The store still says SUPPRESSED until the next ingest, which re-applies the policy.
        self.assertEqual(self.finding("zap/40012")["workflow"], "SUPPRESSED")
        s = self.ingest_ok("--scope", "b", SCAN1, now="2026-03-02T00:00:00Z")
        self.assertEqual(s["status"], "ok")  # same bytes, but the expiry changed what the policy does
        self.assertEqual(s["unsuppressed"], 2)
        self.assertEqual(s["expired_suppressions"], ["legacy-xss (expired 2026-03-01)"])
        self.assertEqual(self.finding("zap/40012")["workflow"], "NEW")
        h = self.history(self.finding("zap/40026")["id"])
        self.assertEqual(h[-1]["action"], "policy")
        self.assertIn("expired: legacy-xss (expired 2026-03-01)", h[-1]["note"])

    # ============================================================================================
    # 4. Gates on real report pairs
    # ============================================================================================
    ZAP_GATES = """\
gates:
  - name: new-stuff
    new_only: true
    max: {HIGH: 0, LOW: 1, INFORMATIONAL: 0}
  - name: exact-budget
    max: {HIGH: 4, MEDIUM: 3, LOW: 6, INFORMATIONAL: 5}
  - name: tight
    max: {HIGH: 3}
"""

    def gate_json(self, *args, now=None):
        out = os.path.join(self.tmp, "verdict.json")
        if os.path.exists(out):
            os.remove(out)
        g = self.run_findex("gate", "--report", "json", "-o", out, *args, now=now)
        self.assertIn(g.returncode, (0, 1), g.stderr)
        self.validate("verdict", out)
        return g, self.load(out)

    def test_gate_new_only_zap_scan1_then_scan2(self):
        self.write("findex.yml", self.ZAP_GATES)
        self.ingest_ok("--scope", "b", SCAN1)
        # Issue 8: new = not active at the gate's last pass; scan1 is adopted as the baseline.
        g = self.run_findex("gate", "--scope", "b", "--gate", "new-stuff", "--accept-current", "--by", "ci",
                            "--reason", "scan1 is main")
        self.assertEqual(g.returncode, 0, g.stderr)
        s = self.ingest_ok("--scope", "b", SCAN2)
        self.assertEqual((s["new"], s["resolved"]), (4, 1))  # 40033/10054/10010/10096 new; 10062 PII gone
        # new_only: only the four alerts first seen in scan2 count (HIGH 1, LOW 2, INFO 1).
        g, v = self.gate_json("--scope", "b", "--gate", "new-stuff")
        self.assertEqual(g.returncode, 1)
        self.assertEqual(self.err(g).splitlines()[0],
                         "gate 'new-stuff' FAILED: HIGH: 1 > 0, LOW: 2 > 1, INFORMATIONAL: 1 > 0 (new since the last passing gate)")
        self.assertEqual([x["name"] for x in v["gates"]], ["new-stuff"])
        self.assertEqual(v["gates"][0]["counts"], {"HIGH": 1, "LOW": 2, "INFORMATIONAL": 1})
        self.assertEqual(v["counts"]["new"], 4)
        self.assertEqual(v["counts"]["total"], 18)  # active: scan2's 18 (PII is resolved)
        viol = sorted(f["rule"] for f in v["findings"] if f["status"] == "violation")
        self.assertEqual(viol, ["zap/10010", "zap/10054", "zap/10096", "zap/40033"])
        self.assertIn("[new] NoSQL Injection - MongoDB", self.err(g))
        # All active findings, at exactly scan2's counts: passes; one HIGH less allowed: fails.
        g, v = self.gate_json("--scope", "b", "--gate", "exact-budget")
        self.assertEqual(g.returncode, 0, g.stderr)
        self.assertTrue(v["passed"])
        self.assertEqual(v["gates"][0]["counts"], {"HIGH": 4, "MEDIUM": 3, "LOW": 6, "INFORMATIONAL": 5})
        self.assertEqual(self.err(g).splitlines()[:-1], ["gate passed: 1 gate (18 active findings checked, 0 suppressed)"])
        g, v = self.gate_json("--scope", "b", "--gate", "tight")
        self.assertEqual(g.returncode, 1)
        self.assertEqual(self.err(g).splitlines()[0], "gate 'tight' FAILED: HIGH: 4 > 3 (all active findings)")
        self.assertEqual(v["counts"]["violations"], 4)
        # All three together (no --gate): fails; two gates failed.
        g, v = self.gate_json("--scope", "b")
        self.assertEqual(g.returncode, 1)
        self.assertEqual([(x["name"], x["passed"]) for x in v["gates"]],
                         [("new-stuff", False), ("exact-budget", True), ("tight", False)])
        # -q: a passing gate prints its summary line only; a failing one still explains itself.
        g = self.run_findex("-q", "gate", "--scope", "b", "--gate", "exact-budget")
        self.assertEqual(g.returncode, 0)
        self.assertEqual(len(self.err(g).splitlines()), 1, self.err(g))
        self.assertTrue(self.err(g).startswith("gate summary: PASSED | scope b |"))
        g = self.run_findex("-q", "gate", "--scope", "b", "--gate", "tight")
        self.assertEqual(g.returncode, 1)
        self.assertIn("gate 'tight' FAILED", self.err(g))
        # Repeatable --gate.
        g, v = self.gate_json("--scope", "b", "--gate", "exact-budget", "--gate", "tight")
        self.assertEqual([x["name"] for x in v["gates"]], ["exact-budget", "tight"])

    def test_gate_baseline_scope(self):
        self.write("findex.yml", "gates:\n  - name: pr\n    new_only: true\n    baseline: app:main\n    max: {HIGH: 0, MEDIUM: 0}\n")
        self.ingest_ok("--scope", "app:main", SCAN1)
        self.ingest_ok("--scope", "app:pr-1", SCAN2)
        # Against main: only 40033 NoSQL is HIGH and not active in main; no new MEDIUM.
        g, v = self.gate_json("--scope", "app:pr-1")
        self.assertEqual(g.returncode, 1)
        self.assertEqual(self.err(g).splitlines()[0], "gate 'pr' FAILED: HIGH: 1 > 0 (not in baseline app:main)")
        self.assertEqual(v["gates"][0]["counts"], {"HIGH": 1, "LOW": 2, "INFORMATIONAL": 1})
        self.assertEqual(v["baseline"], "")
        # Without the baseline, "new" is not active at the gate's last pass in pr-1: none yet, so
        # all 18 of scan2.
        self.write("findex.yml", "gates:\n  - name: pr\n    new_only: true\n    max: {HIGH: 0, MEDIUM: 0}\n")
        g, v = self.gate_json("--scope", "app:pr-1")
        self.assertEqual(g.returncode, 1)
        self.assertEqual(self.err(g).splitlines()[0], "gate 'pr' FAILED: HIGH: 4 > 0, MEDIUM: 3 > 0 (new since the last passing gate)")
        # --baseline on the command line turns the gate into a baseline gate.
        g, v = self.gate_json("--scope", "app:pr-1", "--baseline", "app:main")
        self.assertEqual(g.returncode, 1)
        self.assertEqual(v["gates"][0]["counts"], {"HIGH": 1, "LOW": 2, "INFORMATIONAL": 1})
        self.assertEqual(v["baseline"], "app:main")
        # --fail-on with --baseline: LOW and up not in main = 40033 + 10054 + 10010.
        g = self.run_findex("gate", "--no-policy", "--scope", "app:pr-1", "--baseline", "app:main", "--fail-on", "LOW")
        self.assertEqual(g.returncode, 1)
        self.assertEqual(self.err(g).splitlines()[0], "gate 'fail-on-low' FAILED: HIGH: 1 > 0, LOW: 2 > 0 (not in baseline app:main)")
        # main against itself: nothing new.
        g = self.run_findex("gate", "--no-policy", "--scope", "app:main", "--baseline", "app:main", "--fail-on", "LOW")
        self.assertEqual(g.returncode, 0, g.stderr)
        # Issue 8: a baseline scope never ingested is an error (it was a warning and a gate
        # counting everything as new); see tests/cli/gate_test.py.
        g = self.run_findex("gate", "--no-policy", "--scope", "app:pr-1", "--baseline", "app:none", "--fail-on", "HIGH")
        self.assertEqual(g.returncode, 2)
        self.assertIn("unknown baseline scope 'app:none'", self.err(g))

    def test_gate_semgrep_run1_then_run2(self):
        # One finding (dangerous-subprocess-use, HIGH) at sample/brute.py line 31 in run1 and
        # line 24 in run2: the same finding, so it is not new after run2.
        self.write("findex.yml", "gates:\n  - name: new-high\n    new_only: true\n    max: {HIGH: 0}\n"
                                 "  - name: any-high\n    max: {HIGH: 0}\n")
        s = self.ingest_ok("--scope", "s", SEMGREP1)
        self.assertEqual(s["new"], 1)
        g = self.run_findex("gate", "--scope", "s", "--gate", "new-high")
        self.assertEqual(g.returncode, 1)
        self.assertIn("gate 'new-high' FAILED: HIGH: 1 > 0 (new since the last passing gate)", self.err(g))
        self.assertIn("at sample/brute.py:31", self.err(g))
        # Issue 8: run1 is adopted (new = not active at the gate's last pass), then run2 moves it.
        g = self.run_findex("gate", "--scope", "s", "--gate", "new-high", "--accept-current", "--by", "ci",
                            "--reason", "run1 reviewed")
        self.assertEqual(g.returncode, 0, g.stderr)
        s = self.ingest_ok("--scope", "s", SEMGREP2)
        self.assertEqual((s["new"], s["resolved"], s["updated"]), (0, 0, 1))
        g = self.run_findex("gate", "--scope", "s", "--gate", "new-high")
        self.assertEqual(g.returncode, 0, g.stderr)
        g = self.run_findex("gate", "--scope", "s", "--gate", "any-high")
        self.assertEqual(g.returncode, 1)
        self.assertIn("at sample/brute.py:24", self.err(g))

    def test_gate_fixable_only_on_sca_samples(self):
        self.write("findex.yml", """\
gates:
  - name: fixable
    fixable_only: true
    max: {CRITICAL: 0, MEDIUM: 0, LOW: 0}
  - name: everything
    max: {CRITICAL: 0, MEDIUM: 0, LOW: 0}
""")
        self.ingest_ok("--scope", "grype", GRYPE)
        # Grype: only the LOW CVE-1999-0001 has a fix; the CRITICAL one has none.
        g, v = self.gate_json("--scope", "grype", "--gate", "fixable")
        self.assertEqual(g.returncode, 1)
        self.assertEqual(self.err(g).splitlines()[0], "gate 'fixable' FAILED: LOW: 1 > 0 (fixable)")
        self.assertEqual(v["gates"][0]["counts"], {"LOW": 1})
        g, v = self.gate_json("--scope", "grype", "--gate", "everything")
        self.assertEqual(g.returncode, 1)
        self.assertEqual(v["gates"][0]["counts"], {"CRITICAL": 1, "LOW": 1})
        self.assertEqual(v["gates"][0]["violated"], ["CRITICAL: 1 > 0", "LOW: 1 > 0"])
        # Trivy: 12 LOW without FixedVersion, 1 MEDIUM fixed in 4.1.3.
        self.ingest_ok("--scope", "trivy", TRIVY)
        g, v = self.gate_json("--scope", "trivy", "--gate", "fixable")
        self.assertEqual(g.returncode, 1)
        self.assertEqual(v["gates"][0]["counts"], {"MEDIUM": 1})
        viol = [f for f in v["findings"] if f["status"] == "violation"]
        self.assertEqual(len(viol), 1)
        self.assertIn("CVE-2023-26136", json.dumps(viol[0]))
        g, v = self.gate_json("--scope", "trivy", "--gate", "everything")
        self.assertEqual(v["gates"][0]["counts"], {"MEDIUM": 1, "LOW": 12})
        # The CRITICAL has no fix: a fixable-only CRITICAL gate passes.
        self.write("findex.yml", "gates:\n  - name: fixable-crit\n    fixable_only: true\n    max: {CRITICAL: 0}\n")
        g = self.run_findex("gate", "--scope", "grype")
        self.assertEqual(g.returncode, 0, g.stderr)

    def test_gate_scanner_restriction(self):
        # Scope with ZAP scan1 (4 HIGH) and the Semgrep finding (1 HIGH).
        self.write("findex.yml", """\
gates:
  - name: semgrep-high
    scanner: semgrep
    max: {HIGH: 0}
  - name: zap-high
    scanner: zap
    max: {HIGH: 4}
  - name: all-high
    max: {HIGH: 4}
""")
        self.ingest_ok("--scope", "mix", SCAN1)
        self.ingest_ok("--scope", "mix", SEMGREP1)
        g, v = self.gate_json("--scope", "mix")
        self.assertEqual(g.returncode, 1)
        by = {x["name"]: x for x in v["gates"]}
        self.assertEqual(by["semgrep-high"]["counts"], {"HIGH": 1})
        self.assertFalse(by["semgrep-high"]["passed"])
        self.assertEqual(by["zap-high"]["counts"]["HIGH"], 4)
        self.assertTrue(by["zap-high"]["passed"])
        self.assertEqual(by["all-high"]["counts"]["HIGH"], 5)
        self.assertEqual(by["all-high"]["violated"], ["HIGH: 5 > 4"])
        e = self.err(g).splitlines()
        self.assertIn("gate 'semgrep-high' FAILED: HIGH: 1 > 0 (scanner semgrep)", e)
        self.assertIn("gate 'all-high' FAILED: HIGH: 5 > 4 (all active findings)", e)
        self.assertFalse(any(l.startswith("gate 'zap-high'") for l in e))

    def test_gate_selection_errors_and_no_gate(self):
        self.ingest_ok("--no-policy", "--scope", "b", SCAN1)
        # No gate anywhere: a usage error.
        g = self.run_findex("gate")
        self.assertEqual(g.returncode, 2)
        self.assertIn("no gate to check: give --fail-on SEVERITY or define gates in findex.yml", self.err(g))
        # --gate without a policy file.
        g = self.run_findex("gate", "--gate", "x")
        self.assertEqual(g.returncode, 2)
        self.assertIn("no gate named 'x' in the policy (no policy file found; see --policy)", self.err(g))
        self.write("findex.yml", self.ZAP_GATES)
        g = self.run_findex("gate", "--gate", "nope")
        self.assertEqual(g.returncode, 2)
        self.assertIn("no gate named 'nope' in the policy", self.err(g))
        self.assertNotIn("FAILED", self.err(g))
        g = self.run_findex("gate", "--report", "html")
        self.assertEqual(g.returncode, 2)
        self.assertIn("unknown --report 'html'", self.err(g))
        # A policy with errors is an error, not a pass.
        self.write("findex.yml", "gates:\n  - name: g\n")
        g = self.run_findex("gate")
        self.assertEqual(g.returncode, 2)
        self.assertIn("findex.yml:2:5: error P004: gate needs 'max'", self.err(g))

    def test_fail_on_fast_path_messages_unchanged(self):
        self.ingest_ok("--scope", "b", SCAN1)
        g = self.run_findex("gate", "--scope", "b", "--fail-on", "HIGH")
        self.assertEqual(g.returncode, 1)
        self.assertEqual(self.err(g).splitlines()[0], "gate FAILED: 4 findings at or above HIGH (4 HIGH)")
        self.assertEqual(g.stdout, b"")
        g = self.run_findex("gate", "--scope", "b", "--fail-on", "MEDIUM")
        self.assertEqual(self.err(g).splitlines()[0], "gate FAILED: 7 findings at or above MEDIUM (4 HIGH, 3 MEDIUM)")
        g = self.run_findex("gate", "--scope", "b", "--fail-on", "CRITICAL")
        self.assertEqual(g.returncode, 0)
        self.assertEqual(self.err(g).splitlines()[:-1], ["gate passed: no active finding at or above CRITICAL"])
        # Issue 8: new = not active at the gate's last pass; scan1 is adopted for fail-on-high.
        g = self.run_findex("gate", "--scope", "b", "--fail-on", "HIGH", "--accept-current", "--by", "ci", "--reason", "main")
        self.assertEqual(g.returncode, 0, g.stderr)
        self.ingest_ok("--scope", "b", SCAN2)
        g = self.run_findex("gate", "--scope", "b", "--fail-on", "HIGH", "--new-only")
        self.assertEqual(g.returncode, 1)
        self.assertEqual(self.err(g).splitlines()[0], "gate FAILED: 1 new finding at or above HIGH (1 HIGH)")
        # With a findex.yml present, --fail-on counts the policy: the two XSS are suppressed.
        self.write("findex.yml", XSS_SUPPRESSION)
        g = self.run_findex("gate", "--scope", "b", "--fail-on", "HIGH")
        self.assertEqual(g.returncode, 1)
        # scan2 HIGH: 40018 SQLi, 40033 NoSQL (+ the two suppressed XSS).
        self.assertEqual(self.err(g).splitlines()[0], "gate 'fail-on-high' FAILED: HIGH: 2 > 0 (all active findings)")

    # ============================================================================================
    # 5. Reports
    # ============================================================================================
    REPORT_POLICY = XSS_SUPPRESSION + "gates:\n  - name: no-high\n    max: {HIGH: 0}\n"

    def report(self, fmt, *args, now=None):
        out = os.path.join(self.tmp, "report." + fmt)
        g = self.run_findex("gate", "--report", fmt, "-o", out, *args, now=now)
        self.assertTrue(os.path.exists(out), (fmt, g.stderr))
        return g, out

    def test_reports_written_and_valid(self):
        self.write("findex.yml", self.REPORT_POLICY)
        self.ingest_ok("--scope", "b", SCAN1)
        # Issue 8: scan1 adopted, so that "new" (counts, SARIF baselineState) is what scan2 adds.
        g = self.run_findex("gate", "--scope", "b", "--accept-current", "--by", "ci", "--reason", "main")
        self.assertEqual(g.returncode, 0, g.stderr)
        self.ingest_ok("--scope", "b", SCAN2)
        # scan2: HIGH 40018 SQLi, 40033 NoSQL violate (2 > 0); 40012/40026 XSS suppressed.
        g, path = self.report("json", "--scope", "b")
        self.assertEqual(g.returncode, 1)
        self.assertEqual(g.stdout, b"")
        self.validate("verdict", path)
        v = self.load(path)
        self.assertIs(v["passed"], False)
        self.assertEqual(v["counts"], {"total": 18, "violations": 2, "open": 14, "suppressed": 2, "resolved": 0, "new": 4})
        self.assertEqual(v["gates"][0]["violated"], ["HIGH: 2 > 0"])
        sup = [f for f in v["findings"] if f["status"] == "suppressed"]
        self.assertEqual(sorted(f["rule"] for f in sup), ["zap/40012", "zap/40026"])
        self.assertTrue(all(f["policy"] == ["suppress:legacy-xss"] for f in sup))

        g, path = self.report("sarif", "--scope", "b")
        self.assertEqual(g.returncode, 1)
        self.validate("sarif", path)
        s = self.load(path)
        results = s["runs"][0]["results"]
        self.assertEqual(len(results), 18)
        suppressed = [r for r in results if r.get("suppressions")]
        self.assertEqual(len(suppressed), 2)
        for r in suppressed:
            self.assertEqual(r["suppressions"][0]["status"], "accepted")
            self.assertIn("legacy app, WAF in front", r["suppressions"][0]["justification"])

        g, path = self.report("junit", "--scope", "b")
        self.assertEqual(g.returncode, 1)
        self.validate("junit", path)
        import xml.etree.ElementTree as ET
        root = ET.parse(path).getroot()
        self.assertEqual(root.get("failures"), str(1 + 2))  # the HIGH threshold + the two HIGH findings
        failed = [c.get("name") for c in root.iter("testcase") if c.find("failure") is not None]
        self.assertIn("max HIGH 0", failed)

        g, path = self.report("codeinsights", "--scope", "b")
        self.assertEqual(g.returncode, 1)
        self.validate("codeinsights", path)
        ci = self.load(path)
        self.assertEqual(ci["report"]["result"], "FAILED")

        g, path = self.report("markdown", "--scope", "b")
        self.assertEqual(g.returncode, 1)
        md = self.read(path)
        self.assertTrue(md.startswith("## findex gate: FAILED"), md[:200])
        # Counts by severity: new vs existing vs suppressed (scan2: 40033 new HIGH; SQLi existing).
        self.assertIn("| HIGH | 1 | 1 | 2 | 4 |", md)
        self.assertIn("| **Total** | 4 | 12 | 2 | 18 |", md)

        # Report to stdout when no -o.
        g = self.run_findex("gate", "--scope", "b", "--report", "json")
        self.assertEqual(g.returncode, 1)
        self.assertIs(json.loads(g.stdout)["passed"], False)

    def test_passing_verdict_matches_exit_code(self):
        self.write("findex.yml", XSS_SUPPRESSION + "gates:\n  - name: crit\n    max: {CRITICAL: 0}\n")
        self.ingest_ok("--scope", "b", SCAN1)
        for fmt in ("json", "junit", "codeinsights", "sarif"):
            g, path = self.report(fmt, "--scope", "b")
            self.assertEqual(g.returncode, 0, (fmt, g.stderr))
            self.validate({"json": "verdict"}.get(fmt, fmt), path)
        v = self.load(os.path.join(self.tmp, "report.json"))
        self.assertIs(v["passed"], True)
        self.assertEqual(v["counts"]["violations"], 0)
        self.assertEqual(v["counts"]["suppressed"], 2)
        self.assertEqual(self.load(os.path.join(self.tmp, "report.codeinsights"))["report"]["result"], "PASSED")

    # Suppressed findings a gate looks at are skipped test cases in its JUnit suite.
    def test_junit_suppressed_findings_are_skipped(self):
        self.write("findex.yml", self.REPORT_POLICY)
        self.ingest_ok("--scope", "b", SCAN2)
        g, path = self.report("junit", "--scope", "b")
        self.assertEqual(g.returncode, 1)
        self.validate("junit", path)
        import xml.etree.ElementTree as ET
        root = ET.parse(path).getroot()
        skipped = [c.get("name") for c in root.iter("testcase") if c.find("skipped") is not None]
        self.assertEqual(len(skipped), 2, skipped)
        self.assertTrue(all("Cross Site Scripting" in n for n in skipped), skipped)

    # ============================================================================================
    # 6. triage / note / history
    # ============================================================================================
    def test_triage_by_each_kind_of_id(self):
        self.ingest_ok("--no-policy", "--scope", "b", SCAN1)
        rows = json.loads(self.run_findex("query", "--format", "json").stdout)
        by_rule = {r["rule"]: r for r in rows}
        asff_id = by_rule["zap/40012"]["id"]
        fp = by_rule["zap/10062"]["fingerprint"][:10]
        rowid = str(self.finding("zap/40018")["rowid"])
        # SUPPRESSED needs a note.
        r = self.run_findex("triage", asff_id, "--status", "SUPPRESSED", "--by", "alice")
        self.assertEqual(r.returncode, 2)
        self.assertIn("suppressing needs a --note", self.err(r))
        self.assertEqual(self.finding("zap/40012")["workflow"], "NEW")
        r = self.run_findex("triage", asff_id, "--status", "SUPPRESSED", "--note", "accepted: WAF", "--by", "alice")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.err(r).strip(), "set SUPPRESSED on 1 finding")
        r = self.run_findex("triage", fp, "--status", "NOTIFIED", "--by", "bob")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.run_findex("triage", rowid, "--status", "RESOLVED", "--note", "fixed", "--by", "carol")
        self.assertEqual(r.returncode, 0, r.stderr)
        x = self.finding("zap/40012")
        self.assertEqual((x["workflow"], x["triage"], x["note"], x["note_by"], x["note_at"]),
                         ("SUPPRESSED", "SUPPRESSED", "accepted: WAF", "alice", NOW))
        self.assertEqual(self.finding("zap/10062")["workflow"], "NOTIFIED")
        self.assertEqual(self.finding("zap/40018")["workflow"], "RESOLVED")
        # The Id as gate and query print it, shortened: "findex/<hash>" or just 8+ digits of the hash.
        short = by_rule["zap/10020"]["id"]
        self.assertTrue(short.startswith("findex/"))
        for ident, status in [(short[:15], "NOTIFIED"), (short[7:15], "SUPPRESSED")]:
            r = self.run_findex("triage", ident, "--status", status, "--note", "n", "--by", "dan")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(self.finding("zap/10020")["workflow"], status)
        # Unknown id, bad status: exit 2, and nothing changes when one id of several is unknown.
        r = self.run_findex("triage", "deadbeefdead", "--status", "NOTIFIED", "--by", "x")
        self.assertEqual(r.returncode, 2)
        self.assertIn("no finding with id 'deadbeefdead'", self.err(r))
        r = self.run_findex("triage", asff_id, "--status", "BOGUS", "--by", "x")
        self.assertEqual(r.returncode, 2)
        sqli = self.finding("zap/40026")["id"]
        r = self.run_findex("triage", sqli, "findex/nope", "--status", "NOTIFIED", "--by", "x")
        self.assertEqual(r.returncode, 2)
        self.assertEqual(self.finding("zap/40026")["workflow"], "NEW")
        # Several ids at once.
        r = self.run_findex("triage", sqli, rowid, "--status", "NOTIFIED", "--by", "erin")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.err(r).strip(), "set NOTIFIED on 2 findings")
        self.assertEqual(self.finding("zap/40018")["workflow"], "NOTIFIED")
        self.assertEqual(self.history(sqli)[-1]["actor"], "erin")
        # $FINDEX_USER names the actor when --by is absent.
        env = dict(self.env, FINDEX_USER="dora")
        r = subprocess.run([FINDEX, "--db", self.db, "triage", sqli, "--status", "NOTIFIED"], capture_output=True,
                           env=env, cwd=self.tmp)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.history(sqli)[-1]["actor"], "dora")

    def test_triage_survives_rescans_and_resolved_reopens(self):
        self.ingest_ok("--no-policy", "--scope", "b", SCAN1)
        xss, sqli, pii = (self.finding(r)["id"] for r in ("zap/40012", "zap/40018", "zap/10062"))
        self.assertEqual(self.run_findex("triage", xss, "--status", "SUPPRESSED", "--note", "WAF", "--by", "alice").returncode, 0)
        self.assertEqual(self.run_findex("triage", pii, "--status", "SUPPRESSED", "--note", "test data", "--by", "alice").returncode, 0)
        self.assertEqual(self.run_findex("triage", sqli, "--status", "RESOLVED", "--note", "fixed in 1.2", "--by", "bob",
                                         now="2026-02-03T05:00:00Z").returncode, 0)
        # The same bytes again: not read again, decisions kept, but the scan still reports SQLi,
        # so a person's RESOLVED is reopened (as a full ingest would).
        s = self.ingest_ok("--no-policy", "--scope", "b", SCAN1, now="2026-02-03T06:00:00Z")
        self.assertEqual((s["status"], s["reopened"]), ("unchanged", 1))
        self.assertEqual(self.finding("zap/40012")["workflow"], "SUPPRESSED")
        self.assertEqual(self.finding("zap/40018")["workflow"], "NEW")
        # scan2 still reports XSS (stays SUPPRESSED) and SQLi; PII is absent: archived, but it
        # stays SUPPRESSED.
        s = self.ingest_ok("--no-policy", "--scope", "b", SCAN2, now="2026-02-04T00:00:00Z")
        self.assertEqual((s["new"], s["reopened"], s["resolved"]), (4, 0, 1))
        x = self.finding("zap/40012")
        self.assertEqual((x["workflow"], x["triage"], x["state"], x["note"]), ("SUPPRESSED", "SUPPRESSED", "ACTIVE", "WAF"))
        q = self.finding("zap/40018")
        self.assertEqual((q["workflow"], q["triage"], q["state"]), ("NEW", None, "ACTIVE"))
        p = self.finding("zap/10062")
        self.assertEqual((p["workflow"], p["state"]), ("SUPPRESSED", "ARCHIVED"))
        # Its history still says it went away, without touching the person's decision.
        ph = self.history(pii)
        self.assertEqual([e["action"] for e in ph], ["created", "triage", "archived"])
        self.assertEqual((ph[2]["field"], ph[2]["old"], ph[2]["new"], ph[2]["actor"]),
                         ("state", "ACTIVE", "ARCHIVED", "ingest run %d" % self.rows("SELECT max(id) AS id FROM runs")[0]["id"]))
        h = self.history(sqli)
        self.assertEqual([e["action"] for e in h], ["created", "triage", "reopened"])
        self.assertEqual((h[1]["actor"], h[1]["old"], h[1]["new"], h[1]["note"], h[1]["at"]),
                         ("bob", "NEW", "RESOLVED", "fixed in 1.2", "2026-02-03T05:00:00Z"))
        self.assertEqual((h[2]["actor"], h[2]["old"], h[2]["new"], h[2]["at"]),
                         ("ingest run 2", "RESOLVED", "NEW", "2026-02-03T06:00:00Z"))
        self.assertIn("reported again by " + SCAN1, h[2]["note"])
        # A person's NOTIFIED survives a later scan too.
        self.assertEqual(self.run_findex("triage", sqli, "--status", "NOTIFIED", "--by", "bob").returncode, 0)
        self.ingest_ok("--no-policy", "--scope", "b", SCAN1, now="2026-02-05T00:00:00Z")
        self.assertEqual(self.finding("zap/40018")["workflow"], "NOTIFIED")
        self.assertEqual(self.finding("zap/40012")["workflow"], "SUPPRESSED")

    def test_triage_suppressed_is_not_unsuppressed_by_policy_change(self):
        self.write("findex.yml", XSS_SUPPRESSION)
        self.ingest_ok("--scope", "b", SCAN1)
        xss = self.finding("zap/40012")["id"]
        self.assertEqual(self.run_findex("triage", xss, "--status", "SUPPRESSED", "--note", "risk accepted by CISO",
                                         "--by", "alice").returncode, 0)
        # The policy no longer suppresses XSS: the policy's decision goes, the person's stays.
        self.write("findex.yml", "version: 1\n")
        s = self.ingest_ok("--scope", "b", SCAN1, now="2026-02-04T00:00:00Z")
        self.assertEqual(s["unsuppressed"], 2)
        x = self.finding("zap/40012")
        self.assertEqual((x["workflow"], x["triage"], x["policy_workflow"]), ("SUPPRESSED", "SUPPRESSED", None))
        self.assertEqual(x["note"], "risk accepted by CISO")
        self.assertEqual(self.finding("zap/40026")["workflow"], "NEW")
        # And a gate counts it as suppressed: XSS DOM + SQLi + PII = 3 HIGH, not 4.
        g = self.run_findex("gate", "--no-policy", "--scope", "b", "--fail-on", "HIGH")
        self.assertEqual(self.err(g).splitlines()[0], "gate FAILED: 3 findings at or above HIGH (3 HIGH)")

    def test_note_command(self):
        self.ingest_ok("--no-policy", "--scope", "b", SCAN1)
        sqli = self.finding("zap/40018")
        r = self.run_findex("note", sqli["id"], "ticket SEC-12", "--by", "carol", now="2026-02-05T00:00:00Z")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.err(r).strip(), "noted 1 finding")
        x = self.finding("zap/40018")
        self.assertEqual((x["note"], x["note_by"], x["note_at"], x["workflow"]),
                         ("ticket SEC-12", "carol", "2026-02-05T00:00:00Z", "NEW"))
        h = self.history(sqli["id"])
        self.assertEqual(h[-1], {"at": "2026-02-05T00:00:00Z", "actor": "carol", "action": "note", "field": "note",
                                 "new": "ticket SEC-12"})

    def test_history_table_and_json(self):
        self.write("findex.yml", XSS_SUPPRESSION)
        self.ingest_ok("--scope", "b", SCAN1, now="2026-02-01T00:00:00Z")
        xss = self.finding("zap/40012")["id"]
        pii = self.finding("zap/10062")
        r = self.run_findex("triage", pii["fingerprint"][:12], "--status", "NOTIFIED", "--note", "ticket SEC-7",
                            "--by", "bob", now="2026-02-02T00:00:00Z")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.ingest_ok("--scope", "b", SCAN2, now="2026-02-03T00:00:00Z")
        # PII: created, triage, resolved (absent from scan2).
        h = self.history(pii["id"])
        self.assertEqual([(e["action"], e["actor"], e["at"]) for e in h], [
            ("created", "ingest run 1", "2026-02-01T00:00:00Z"),
            ("triage", "bob", "2026-02-02T00:00:00Z"),
            ("resolved", "ingest run 2", "2026-02-03T00:00:00Z")])
        self.assertEqual(h[0]["note"], "first seen in " + SCAN1)
        self.assertEqual((h[1]["old"], h[1]["new"], h[1]["note"]), ("NEW", "NOTIFIED", "ticket SEC-7"))
        self.assertEqual((h[2]["old"], h[2]["new"], h[2]["note"]), ("NOTIFIED", "RESOLVED", "absent from " + SCAN2))
        self.assertEqual(self.finding("zap/10062")["state"], "ARCHIVED")
        # The table shows the same, one line per entry, by ASFF id, fingerprint prefix or row id.
        for ident in (pii["id"], pii["fingerprint"][:8], str(pii["rowid"])):
            r = self.run_findex("history", ident)
            self.assertEqual(r.returncode, 0, r.stderr)
            lines = r.stdout.decode().splitlines()
            self.assertEqual(lines[0].split(), ["AT", "ACTOR", "ACTION", "CHANGE", "NOTE"])
            self.assertEqual(len(lines), 4)
            self.assertRegex(lines[2], r"^2026-02-02T00:00:00Z\s+bob\s+triage\s+workflow: NEW -> NOTIFIED\s+ticket SEC-7$")
            self.assertRegex(lines[3], r"^2026-02-03T00:00:00Z\s+ingest run 2\s+resolved\s+workflow: NOTIFIED -> RESOLVED\s+absent from ")
        # XSS: a policy suppressed it at creation; history then shows the policy lifting it.
        self.write("findex.yml", "version: 1\n")
        self.ingest_ok("--scope", "b", SCAN2, now="2026-02-04T00:00:00Z")
        h = self.history(xss)
        self.assertEqual([(e["action"], e["actor"]) for e in h], [("created", "ingest run 1"), ("policy", "policy")])
        self.assertEqual((h[1]["old"], h[1]["new"], h[1]["at"]), ("SUPPRESSED", "NEW", "2026-02-04T00:00:00Z"))
        # Unknown ids.
        r = self.run_findex("history", "findex/nope")
        self.assertEqual(r.returncode, 2)
        self.assertIn("no finding with id 'findex/nope'", self.err(r))
        r = self.run_findex("history", "--format", "xml", xss)
        self.assertEqual(r.returncode, 2)


if __name__ == "__main__":
    findex_cli.main()
