#!/usr/bin/env python3
"""CLI tests for issue 11's SLA and exploitation fields: a store built at one FINDEX_NOW, queried and
gated at later ones; a reopened finding's clock restarts; suppressed and resolved findings have no
clock; `kev: due_date` caps a KEV finding's SLA; a query or gate using the SLA without `sla:` in
the policy fails closed (exit 2); the KEV/EPSS query fields, policy matchers and gates after
`findex enrich` with the feed fixtures (tests/data/feeds). Usage: sla_test.py PATH_TO_FINDEX (run
from the source tree).

Counts come from the sample reports: ZAP bodgeit scan1 has 15 alerts: HIGH 4 (40012 XSS reflected
and 40026 XSS DOM, the CWE-79 pair; 40018 SQL injection; 10062 PII disclosure), MEDIUM 3, LOW 4,
INFORMATIONAL 4. scan2 has the same minus 10062 PII, plus 40033 NoSQL injection (HIGH) and three
LOW/INFORMATIONAL alerts. Dependency-Check's large report has 34 findings with CVEs; CVE-2021-44228
(Log4Shell, CRITICAL) is the only one in kev_small.json (due 2021-12-24, ransomware Known) and in
epss_small.csv (0.94358, percentile 0.99973).
"""
import json, os, subprocess, sys

import findex_cli
from findex_cli import StoreCase

FINDEX = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else "build/cli/findex"
SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SAMPLES = os.path.join(SRC, "samples")
SCAN1 = os.path.join(SAMPLES, "zap-xml", "dd_zap_2.10.0_bodgeit_scan1.xml")
SCAN2 = os.path.join(SAMPLES, "zap-xml", "dd_zap_2.10.0_bodgeit_scan2.xml")
DC = os.path.join(SAMPLES, "dependency-check-xml", "dd_pr6439_engine7.3.0_large.xml")
KEV = os.path.join(SRC, "tests", "data", "feeds", "kev_small.json")
EPSS = os.path.join(SRC, "tests", "data", "feeds", "epss_small.csv")

SLA = "sla: {HIGH: 30, MEDIUM: 90, LOW: 180, due_soon: 7}\n"
JAN1 = "2026-01-01T00:00:00Z"


class Base(StoreCase):
    TMP_PREFIX = "findex-sla-"

    def findex(self, *args, now=JAN1, env=None):
        e = findex_cli.clean_env(FINDEX_NOW=now, **(env or {}))
        return subprocess.run([FINDEX, "--db", self.db, *args], capture_output=True, text=True, env=e, cwd=self.tmp)

    def ok(self, *args, now=JAN1, env=None):
        r = self.findex(*args, now=now, env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r

    def write(self, name, text):
        with open(os.path.join(self.tmp, name), "w") as f:
            f.write(text)

    def groups(self, field, *args, now):
        r = self.ok("query", "--group-by", field, "--format", "json", *args, now=now)
        return {g[field]: g["count"] for g in json.loads(r.stdout)}

    def titles(self, expr, *args, now):
        r = self.ok("query", expr, "--format", "json", *args, now=now)
        return sorted(f["title"] for f in json.loads(r.stdout))


class SlaOverTime(Base):
    def test_states_move_with_the_clock(self):
        self.ok("ingest", SCAN1)
        self.write("findex.yml", SLA)
        # HIGH is due on Jan 31 (30 days), MEDIUM on Apr 1, LOW on Jun 30; INFORMATIONAL has none.
        self.assertEqual(self.groups("sla", now="2026-01-23T23:59:59.999Z"), {"ok": 11, "none": 4})
        self.assertEqual(self.groups("sla", now="2026-01-24T00:00:00Z"), {"ok": 7, "due_soon": 4, "none": 4})
        self.assertEqual(self.groups("sla", now="2026-01-30T23:59:59.999Z"), {"ok": 7, "due_soon": 4, "none": 4})
        self.assertEqual(self.groups("sla", now="2026-01-31T00:00:00Z"), {"ok": 7, "breached": 4, "none": 4})
        self.assertEqual(self.groups("sla", now="2026-04-01T00:00:00Z"), {"breached": 7, "ok": 4, "none": 4})
        # The numeric fields agree.
        at = "2026-01-28T12:00:00Z"  # HIGH: 2.5 days left
        self.assertEqual(len(self.titles("sla_days_left<3", now=at)), 4)
        self.assertEqual(len(self.titles("sla_days_left<2.5", now=at)), 0)
        self.assertEqual(len(self.titles("sla_days_left<=2.5 and severity=HIGH", now=at)), 4)
        self.assertEqual(len(self.titles("sla_due<=2026-01-31", now=at)), 4)
        self.assertEqual(len(self.titles("sla_due<now+90d", now=at)), 7)
        # --sort sla: the HIGH findings (due first) lead, no clock last.
        r = self.ok("query", "--sort", "sla", "--format", "json", now=at)
        sev = [f["severity"] for f in json.loads(r.stdout)]
        self.assertEqual(sev[:4], ["HIGH"] * 4)
        self.assertEqual(sev[-4:], ["INFORMATIONAL"] * 4)

    def test_reopened_finding_restarts_its_clock(self):
        self.ok("ingest", SCAN1, now=JAN1)
        self.ok("ingest", SCAN2, now="2026-01-10T00:00:00Z")  # 10062 PII resolved
        self.ok("ingest", SCAN1, now="2026-01-20T01:30:00.500+01:30")  # PII reopened (Jan 20, 00:00:00.5 UTC)
        self.write("findex.yml", SLA)
        now = "2026-01-31T00:00:00Z"
        breached = self.titles("sla=breached", now=now)
        self.assertEqual(len(breached), 3)
        self.assertNotIn("PII Disclosure", breached)
        self.assertEqual(self.titles("sla=ok and severity=HIGH", now=now), ["PII Disclosure"])
        # Its clock started on Jan 20 (the run's time, offset and fraction read to the ms): due Feb 19.
        self.assertEqual(self.titles("sla_due>2026-02-19T00:00:00.499Z and sla_due<2026-02-19T00:00:00.501Z", now=now),
                         ["PII Disclosure"])
        self.assertEqual(self.titles("sla_days_left>19 and sla_days_left<19.0001", now=now), ["PII Disclosure"])
        # Resolved by absence (ARCHIVED, NoSQL injection among them): no clock.
        archived = self.groups("sla", "--state", "ARCHIVED", now="2027-01-01T00:00:00Z")
        self.assertEqual(archived, {"none": 4})

    def test_suppressed_and_resolved_have_no_clock(self):
        self.write("findex.yml", SLA + "suppressions:\n  - name: xss\n    match: {cwe: 79}\n    reason: WAF\n")
        self.ok("ingest", SCAN1)
        now = "2026-02-01T00:00:00Z"
        self.assertEqual(self.titles("sla=breached and severity=HIGH", now=now), ["PII Disclosure", "SQL Injection"])
        self.assertEqual(len(self.titles("sla=none and severity=HIGH", now=now)), 2)
        ids = json.loads(self.ok("query", "title=\"SQL Injection\"", "--format", "json").stdout)
        self.ok("triage", ids[0]["id"], "--status", "RESOLVED", "--by", "alice")
        self.assertEqual(self.titles("sla=breached", now=now), ["PII Disclosure"])
        self.assertEqual(self.groups("sla", "--severity", "HIGH", now=now), {"none": 3, "breached": 1})

    def test_sla_without_policy_fails_closed(self):
        self.ok("ingest", SCAN1)
        for args in (["query", "sla=breached"], ["query", "--group-by", "sla"], ["query", "--sort", "sla"],
                     ["export", "--format", "json", "sla_days_left<3"]):
            r = self.findex(*args)
            self.assertEqual(r.returncode, 2, args)
            self.assertIn("needs a policy with an sla: key", r.stderr, args)
            self.assertEqual(r.stdout, "", args)
        self.write("findex.yml", "gates: []\n")
        r = self.findex("query", "sla=breached")
        self.assertEqual(r.returncode, 2)
        self.assertIn("findex.yml has none", r.stderr)
        r = self.findex("query", "sla=breached", "--no-policy")
        self.assertEqual(r.returncode, 2)
        # Typos in the SLA fields are syntax errors with a position, policy or not.
        r = self.findex("query", "sla=late")
        self.assertEqual(r.returncode, 2)
        self.assertIn("query: 1:5: sla takes breached, due_soon, ok or none", r.stderr)
        # --policy FILE instead of findex.yml; export reads it too.
        self.write("sla.yml", SLA)
        self.assertEqual(len(self.titles("sla=breached", "--policy", "sla.yml", now="2026-02-01T00:00:00Z")), 4)
        r = self.ok("export", "--format", "json", "--policy", "sla.yml", "sla=breached", now="2026-02-01T00:00:00Z")
        self.assertEqual(len(json.loads(r.stdout)), 4)
        # A query without SLA fields reads no policy: a broken findex.yml does not matter to it.
        self.write("findex.yml", "sla: {HIGH: soon}\n")
        self.ok("query", "severity=HIGH")
        r = self.findex("query", "sla=ok")
        self.assertEqual(r.returncode, 2)
        self.assertIn("P015", r.stderr)


class SlaGate(Base):
    GATES = SLA + "gates:\n  - name: overdue\n    sla: breached\n    max: {HIGH: 0}\n"

    def gate(self, now, docs, *args):
        return self.findex("gate", *args, now=now, env={"FINDEX_GATE_DOCS": "1"} if docs else None)

    def test_gate_counts_only_breached_on_both_paths(self):
        self.ok("ingest", SCAN1)
        self.write("findex.yml", self.GATES)
        for docs in (False, True):
            r = self.gate("2026-01-30T00:00:00Z", docs)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("SLA: 0 breached, 4 due soon", r.stderr)
            r = self.gate("2026-01-31T00:00:00Z", docs)
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn("gate 'overdue' FAILED: HIGH: 4 > 0 (SLA breached)", r.stderr)
            self.assertIn("SLA: 4 breached, 0 due soon", r.stderr)
            self.assertIn("overdue 0.0d (due 2026-01-31)", r.stderr)
        # The Markdown comment shows the breaches.
        r = self.gate("2026-02-02T00:00:00Z", False, "--report", "markdown")
        self.assertEqual(r.returncode, 1)
        self.assertIn("### SLA\n\n4 breached, 0 due soon\n", r.stdout)
        self.assertIn("| HIGH | 2.0 days | 2026-01-31 | zap |", r.stdout)
        # The JSON verdict and the JUnit report carry them too, on both paths.
        for docs in (False, True):
            r = self.gate("2026-02-02T00:00:00Z", docs, "--report", "json")
            self.assertEqual(r.returncode, 1, r.stderr)
            v = json.loads(r.stdout)
            self.assertEqual((v["sla"]["breached"], v["sla"]["due_soon"]), (4, 0))
            self.assertEqual(len(v["sla"]["worst"]), 4)
            w = v["sla"]["worst"][0]
            self.assertEqual((w["severity"], w["scanner"], w["due"][:10], w["days_overdue"]), ("HIGH", "zap", "2026-01-31", 2.0))
            self.assertTrue(w["id"].startswith("findex/"), w)
            violating = [f for f in v["findings"] if f["status"] == "violation"]
            self.assertEqual(len(violating), 4)
            for f in violating:
                self.assertEqual((f["sla"], f["sla_due"][:10]), ("breached", "2026-01-31"), f)
        r = self.gate("2026-02-02T00:00:00Z", True, "--report", "junit")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(r.stdout.count("sla: breached (due 2026-01-31)"), 4, r.stdout)
        # Without sla: in the policy there is no "sla" key at all.
        os.remove(os.path.join(self.tmp, "findex.yml"))
        v = json.loads(self.findex("gate", "--fail-on", "HIGH", "--report", "json", now="2026-02-02T00:00:00Z").stdout)
        self.assertNotIn("sla", v)
        self.assertTrue(all("sla" not in f for f in v["findings"]))

    def test_gate_sla_without_sla_policy_is_an_error(self):
        self.ok("ingest", SCAN1)
        self.write("findex.yml", "gates:\n  - name: overdue\n    sla: breached\n    max: {HIGH: 0}\n")
        r = self.findex("gate")
        self.assertEqual(r.returncode, 2)
        self.assertIn("error P017: gate 'overdue' has sla: but the policy has no sla: key", r.stderr)
        r = self.findex("policy", "check")
        self.assertEqual(r.returncode, 2)
        self.assertIn("P017", r.stderr)
        self.write("findex.yml", self.GATES)
        r = self.ok("policy", "check")
        self.assertIn("sla: HIGH 30d, MEDIUM 90d, LOW 180d; due soon within 7d", r.stderr)


class Exploitation(Base):
    NOW = "2026-12-02T10:00:00Z"

    def enrich(self, kev=KEV, epss=EPSS):
        self.ok("enrich", "--kev", kev, "--epss", epss, now=self.NOW)

    def test_fields_after_enrich(self):
        self.ok("ingest", DC, now=self.NOW)
        # Before any feed: no data, neither in KEV nor not.
        self.assertEqual(self.groups("kev", now=self.NOW), {"(none)": 34})
        self.assertEqual(self.titles("kev=false", now=self.NOW), [])
        self.assertEqual(len(self.titles("kev=unknown", now=self.NOW)), 34)
        self.enrich()
        log4shell = ["CVE-2021-44228 in pax-logging-log4j2 2.1.3"]
        self.assertEqual(self.titles("kev=true and severity>=HIGH", now=self.NOW), log4shell)
        self.assertEqual(self.titles("epss>=0.1", now=self.NOW), log4shell)
        self.assertEqual(self.titles("epss_percentile>=0.999", now=self.NOW), log4shell)
        self.assertEqual(self.titles("ransomware=true and kev_due<2022-01-01", now=self.NOW), log4shell)
        self.assertEqual(self.groups("kev", now=self.NOW), {"true": 1, "false": 33})
        self.assertEqual(len(self.titles("not kev=true", now=self.NOW)), 33)
        self.assertEqual(self.titles("epss<0.1", now=self.NOW), [])  # no score is not a low score
        r = self.ok("query", "--sort", "epss", "--format", "json", now=self.NOW)
        self.assertEqual(json.loads(r.stdout)[0]["title"], log4shell[0])

    def medium(self):
        """The first unsuppressed MEDIUM finding (by title): Log4Shell is suppressed in the report."""
        rows = json.loads(self.ok("query", "severity=MEDIUM and workflow!=SUPPRESSED", "--sort", "title",
                                  "--format", "json").stdout)
        return rows[0]

    def feeds_with(self, cve, due, epss):
        """kev_small.json and epss_small.csv (published shapes) with `cve` added."""
        with open(KEV) as f:
            doc = json.load(f)
        doc["vulnerabilities"].append(dict(doc["vulnerabilities"][0], cveID=cve, dueDate=due,
                                           knownRansomwareCampaignUse="Unknown"))
        doc["count"] = len(doc["vulnerabilities"])
        self.write("kev.json", json.dumps(doc))
        with open(EPSS) as f:
            self.write("epss.csv", f.read() + "%s,%s,0.98\n" % (cve, epss))
        self.enrich(kev=os.path.join(self.tmp, "kev.json"), epss=os.path.join(self.tmp, "epss.csv"))

    def test_kev_due_date_caps_the_sla(self):
        self.ok("ingest", DC, now=self.NOW)
        m = self.medium()
        self.feeds_with(m["vuln_id"], "2026-12-02", "0.6")  # due by the end of Dec 2
        self.write("findex.yml", "sla: {CRITICAL: 30, HIGH: 60, MEDIUM: 90, LOW: 180}\n")
        self.assertEqual(self.titles("sla=breached", now="2026-12-03T00:00:00Z"), [])
        self.write("findex.yml", "sla: {CRITICAL: 30, HIGH: 60, MEDIUM: 90, LOW: 180, kev: due_date}\n")
        self.assertEqual(self.titles("sla=breached", now="2026-12-02T23:59:59.999Z"), [])
        self.assertEqual(self.titles("sla=due_soon", now="2026-12-02T23:59:59.999Z"), [m["title"]])
        self.assertEqual(self.titles("sla=breached", now="2026-12-03T00:00:00Z"), [m["title"]])
        self.assertEqual(self.titles("sla_due<=2026-12-03", now="2026-12-03T00:00:00Z"), [m["title"]])
        # The suppressed Log4Shell (due 2021-12-24) has no clock, KEV or not.
        self.assertEqual(self.titles("kev=true and sla=none", now="2026-12-03T00:00:00Z"),
                         ["CVE-2021-44228 in pax-logging-log4j2 2.1.3"])
        # The gate sees the same.
        self.write("findex.yml", "sla: {CRITICAL: 30, HIGH: 60, MEDIUM: 90, LOW: 180, kev: due_date}\n"
                   "gates:\n  - name: overdue\n    sla: breached\n    max: {MEDIUM: 0}\n")
        for docs in (False, True):
            env = {"FINDEX_GATE_DOCS": "1"} if docs else None
            r = self.findex("gate", now="2026-12-02T23:59:59.999Z", env=env)
            self.assertEqual(r.returncode, 0, r.stderr)
            r = self.findex("gate", now="2026-12-03T00:00:00Z", env=env)
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn("gate 'overdue' FAILED: MEDIUM: 1 > 0 (SLA breached)", r.stderr)

    def test_policy_matchers_override_and_gate(self):
        self.ok("ingest", DC, now=self.NOW)
        m = self.medium()
        self.feeds_with(m["vuln_id"], "2026-12-20", "0.6")
        self.assertEqual(self.groups("severity", "kev=true", now=self.NOW), {"CRITICAL": 1, "MEDIUM": 1})
        self.write("findex.yml", """\
severity_overrides:
  - name: kev-critical
    match: {kev: true}
    severity: CRITICAL
gates:
  - name: exploited
    match: {kev: true}
    max: {CRITICAL: 0}
  - name: likely
    match: {epss_at_least: 0.5}
    max: {CRITICAL: 0}
  - name: unlikely
    match: {epss_percentile_at_least: 0.999}
    max: {CRITICAL: 0}
""")
        for docs in (False, True):
            r = self.findex("gate", now=self.NOW, env={"FINDEX_GATE_DOCS": "1"} if docs else None)
            self.assertEqual(r.returncode, 1, r.stderr)
            # Log4Shell is suppressed in the report: counted by no gate. The MEDIUM one is raised.
            self.assertIn("gate 'exploited' FAILED: CRITICAL: 1 > 0 (in CISA KEV)", r.stderr)
            self.assertIn("gate 'likely' FAILED: CRITICAL: 1 > 0 (EPSS >= 0.5)", r.stderr)
            self.assertNotIn("'unlikely'", r.stderr)
            self.assertIn(m["title"], r.stderr)
        # The override applies at ingest: the MEDIUM one is stored CRITICAL.
        self.ok("ingest", DC, now="2026-12-02T11:00:00Z")
        self.assertEqual(self.groups("severity", "kev=true", now=self.NOW), {"CRITICAL": 2})
        # kev: false suppresses the known-unlisted ones only.
        self.write("findex.yml", "suppressions:\n  - name: not-exploited\n    match: {kev: false}\n    reason: r\n")
        self.ok("ingest", DC, now="2026-12-02T12:00:00Z")
        self.assertEqual(self.groups("workflow", "kev=true", now=self.NOW), {"SUPPRESSED": 1, "NEW": 1})
        self.assertEqual(self.groups("workflow", "kev=false", now=self.NOW), {"SUPPRESSED": 32})


if __name__ == "__main__":
    findex_cli.main()
