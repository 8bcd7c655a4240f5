#!/usr/bin/env python3
"""CLI tests for `findex export --format ocsf` (OCSF 1.6.0 events as JSON lines) and
`--format ocsf-json` (a JSON array): every event of a store built from every sample under
samples/*/ (and, when ../shared/corpus is there, from the corpus folder of every format that
`findex formats` lists) passes ../shared/ocsf/ocsf_check.py; the class per scanner
(normalize/ocsf_writer.cpp's table); finding_info.uid is the ASFF Id; the lifecycle
(status_id / activity_id) after a rescan that resolves a finding and a triage suppression;
EPSS and KEV after `findex enrich` with tests/data/feeds; the cloud object with an account; and
that the export streams (peak RSS within a margin of the ASFF export's).
Usage: ocsf_export_test.py PATH_TO_FINDEX (run from the source tree)."""
import json, os, shutil, subprocess, sys, tempfile, unittest

import findex_cli

FINDEX = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else "build/cli/findex"
SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# The team's shared checks and corpus sit beside the project (../shared); FINDEX_SHARED names
# another place. A clean clone elsewhere has neither: then the events are checked by this test's
# own assertions only, and ocsf_check.py is reported as not run (as asff_check_golden is left out).
SHARED = os.environ.get("FINDEX_SHARED") or os.path.join(SRC, "..", "shared")
OCSF_CHECK = os.path.join(SHARED, "ocsf", "ocsf_check.py")
CORPUS = os.path.join(SHARED, "corpus")
SAMPLES = os.path.join(SRC, "samples")
FEEDS = os.path.join(SRC, "tests", "data", "feeds")
NOW = "2026-02-03T04:05:06.000Z"

VULN, COMPLIANCE, DETECTION = 2002, 2003, 2004
# The scanners whose class is fixed by the table (the others are decided per finding).
EXPECTED_CLASS = {
    "grype": VULN, "dependency-check": VULN, "osv-scanner": VULN, "npm-audit": VULN, "pip-audit": VULN,
    "cyclonedx": VULN, "semgrep": VULN, "bandit": VULN, "codeql": VULN, "codeguru": VULN,
    "sonarqube": VULN, "phpstan": VULN, "gitleaks": VULN, "trufflehog": VULN,
    "checkov": COMPLIANCE, "cfn-nag": COMPLIANCE, "cfn-guard": COMPLIANCE, "tfsec": COMPLIANCE,
    "terrascan": COMPLIANCE, "kics": COMPLIANCE, "prowler": COMPLIANCE, "tflint": COMPLIANCE,
    "hadolint": COMPLIANCE,
    "falco": DETECTION, "zap": DETECTION, "nuclei": DETECTION,
}


def report_files(folder):
    out = []
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if os.path.isfile(path) and not name.endswith(".expected.json") and not name.endswith(".tsv") \
                and not name.endswith(".md") and name != "findex.yml":
            out.append(path)
    return out


def parse_lines(text):
    return [json.loads(line) for line in text.splitlines() if line.strip()]


class OcsfBase(unittest.TestCase):
    def findex(self, db, *args, account=None, check=True):
        cmd = [FINDEX, "--db", db] + (["--account-id", account] if account else []) + list(args)
        r = subprocess.run(cmd, capture_output=True, text=True, env=self.env, cwd=self.tmp)
        if check:
            self.assertEqual(r.returncode, 0, "%s: %s" % (" ".join(args), r.stderr[-3000:]))
        return r

    def export(self, db, fmt="ocsf", *args, account=None):
        r = self.findex(db, "export", "--format", fmt, *args, account=account)
        return parse_lines(r.stdout) if fmt == "ocsf" else json.loads(r.stdout)

    def ocsf_check(self, paths, expect):
        """Runs ocsf_check.py on `paths`; asserts every one of their `expect` events is valid."""
        if not os.path.exists(OCSF_CHECK):
            sys.stderr.write("ocsf_export_test: %s not found: OCSF schema validation not run\n" % OCSF_CHECK)
            return ""
        c = subprocess.run([sys.executable, OCSF_CHECK, *paths], capture_output=True, text=True)
        errors = [l for l in c.stdout.splitlines() if ": error: " in l]
        self.assertEqual(c.returncode, 0, "\n".join(errors[:40]) or c.stdout[-2000:] + c.stderr[-2000:])
        self.assertIn("%d events, %d valid, 0 invalid" % (expect, expect), c.stdout)
        return c.stdout

    def check_exports(self, db, account=None):
        """Exports db as ocsf and ocsf-json, checks both with ocsf_check.py; returns the events."""
        lines_path = os.path.join(self.tmp, "out.ocsf.jsonl")
        array_path = os.path.join(self.tmp, "out.ocsf.json")
        self.findex(db, "export", "--format", "ocsf", "-o", lines_path, account=account)
        self.findex(db, "export", "--format", "ocsf-json", "-o", array_path, account=account)
        with open(lines_path, encoding="utf-8") as f:
            events = parse_lines(f.read())
        with open(array_path, encoding="utf-8") as f:
            array = json.load(f)
        self.assertEqual(events, array)  # the same events, one format a line, the other an array
        total = int(findex_cli.value(db, "SELECT count(*) FROM findings"))
        self.assertEqual(len(events), total)
        if events:
            self.ocsf_check([lines_path, array_path], 2 * len(events))
        return events

    def check_classes(self, events):
        seen = {}
        for e in events:
            scanner = e["unmapped"]["findex"]["scanner"]
            seen.setdefault(scanner, set()).add(e["class_uid"])
            self.assertEqual(e["type_uid"], e["class_uid"] * 100 + e["activity_id"])
            self.assertEqual(e["category_uid"], 2)
            self.assertEqual(e["metadata"]["version"], "1.6.0")
            self.assertIn(e["severity_id"], (1, 2, 3, 4, 5))
            if e["class_uid"] == VULN:
                self.assertGreater(len(e["vulnerabilities"]), 0)
            if e["class_uid"] == COMPLIANCE:
                self.assertIn(e["compliance"]["status_id"], (0, 1, 2, 3))
        for scanner, classes in seen.items():
            if scanner in EXPECTED_CLASS:
                self.assertEqual(classes, {EXPECTED_CLASS[scanner]}, scanner)
        return seen


class SamplesStore(OcsfBase):
    """One store holding every sample (a scope per format folder)."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="findex-ocsf-")
        cls.db = findex_cli.new_store(cls.tmp)
        cls.env = findex_cli.clean_env(FINDEX_NOW=NOW)
        cls.folders = []
        for folder in sorted(os.listdir(SAMPLES)):
            path = os.path.join(SAMPLES, folder)
            if os.path.isdir(path):
                # One call per folder; deliberately broken or mislabeled samples make it exit 2,
                # the other files' findings are stored.
                subprocess.run([FINDEX, "--db", cls.db, "-q", "ingest", "--scope", folder, *report_files(path)],
                               capture_output=True, env=cls.env, cwd=cls.tmp)
                cls.folders.append(folder)

    @classmethod
    def tearDownClass(cls):
        findex_cli.drop(cls.db)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_every_sample_exports_valid_ocsf(self):
        scopes = {r["scope"]: int(r["n"]) for r in findex_cli.rows(self.db, "SELECT scope, count(*) AS n FROM findings"
                                                                             " GROUP BY scope")}
        for folder in self.folders:
            self.assertGreater(scopes.get(folder, 0), 0, folder)
        events = self.check_exports(self.db)
        self.assertGreater(len(events), 1000)
        seen = self.check_classes(events)
        # The sample folders' scanners are there, each with its class.
        for scanner, cls in (("grype", VULN), ("trivy", VULN), ("bandit", VULN), ("semgrep", VULN),
                             ("gitleaks", VULN), ("checkov", COMPLIANCE), ("cfn-nag", COMPLIANCE),
                             ("cfn-guard", COMPLIANCE), ("falco", DETECTION), ("zap", DETECTION)):
            self.assertIn(cls, seen.get(scanner, set()), scanner)
        # Trivy reports mix kinds: misconfigurations are compliance findings.
        self.assertIn(COMPLIANCE, seen["trivy"])
        # Without an account there is no cloud object (and no cloud profile), except where an ASFF
        # input named its own account.
        for e in events:
            if e["unmapped"]["findex"]["format"] != "asff":
                self.assertNotIn("cloud", e)
                self.assertNotIn("profiles", e["metadata"])
        self.assertTrue(any("cloud" in e for e in events))

    def test_uid_is_the_asff_id(self):
        events = self.export(self.db, "ocsf")
        asff = json.loads(self.findex(self.db, "export", "--format", "asff").stdout)
        self.assertEqual(sorted(e["finding_info"]["uid"] for e in events), sorted(f["Id"] for f in asff))
        by_id = {f["Id"]: f for f in asff}
        for e in events:
            f = by_id[e["finding_info"]["uid"]]
            self.assertEqual(e["severity"].upper(), f["Severity"]["Label"])
            self.assertEqual(e["finding_info"]["analytic"]["uid"], f["GeneratorId"])

    def test_vulnerability_and_code_mapping(self):
        events = self.export(self.db, "ocsf")
        cve = [v for e in events if e["class_uid"] == VULN for v in e["vulnerabilities"] if "cve" in v]
        pkgs = [p for v in cve for p in v.get("affected_packages", [])]
        self.assertGreater(len(pkgs), 100)
        self.assertTrue(any(p.get("purl", "").startswith("pkg:") for p in pkgs))
        self.assertTrue(any(p.get("fixed_in_version") for p in pkgs))
        self.assertTrue(any(c.get("base_score", -1) >= 0 for v in cve for c in v["cve"].get("cvss", [])))
        code = [v for e in events if e["unmapped"]["findex"]["scanner"] == "bandit" for v in e["vulnerabilities"]]
        self.assertTrue(all("affected_code" in v for v in code))
        self.assertTrue(any("cwe" in v and v["cwe"]["uid"].startswith("CWE-") for v in code))
        for v in code:
            self.assertEqual(sum(k in v for k in ("cve", "cwe", "advisory")), 1)
        # Grype's own EPSS scores (dd_grype_0.94.0_epss.json) reach cve.epss without a feed.
        self.assertTrue(any("epss" in v["cve"] for e in events if e["unmapped"]["findex"]["scanner"] == "grype"
                            for v in e["vulnerabilities"] if "cve" in v))

    def test_with_an_account_the_events_carry_cloud(self):
        events = self.check_exports(self.db, account="123456789012")
        for e in events:
            self.assertEqual(e["cloud"]["account"]["uid"], "123456789012")
            self.assertEqual(e["cloud"]["provider"], "AWS")
            self.assertEqual(e["metadata"]["profiles"], ["cloud"])
            self.assertIn("123456789012", e["metadata"]["product"]["uid"])

    def test_filters_apply(self):
        events = self.export(self.db, "ocsf", "--scope", "checkov")
        self.assertGreater(len(events), 0)
        self.assertEqual({e["unmapped"]["findex"]["scope"] for e in events}, {"checkov"})
        self.assertEqual(self.export(self.db, "ocsf-json", "--id", "ffffffffffffffff"), [])


@unittest.skipUnless(os.path.isdir(CORPUS), "no ../shared/corpus")
class CorpusStores(OcsfBase):
    """A store per format that `findex formats` lists, from its corpus folder: as helpers add
    formats, their corpus is covered here without a change."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="findex-ocsf-corpus-")
        cls.env = findex_cli.clean_env(FINDEX_NOW=NOW)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def formats(self):
        r = subprocess.run([FINDEX, "formats"], capture_output=True, text=True, env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        names = [line.split()[0] for line in r.stdout.splitlines()[1:] if line.strip() and not line.startswith(" ")]
        self.assertIn("trivy", names)
        return names

    def test_every_format_corpus(self):
        checked = 0
        for fmt in self.formats():
            folder = os.path.join(CORPUS, fmt)
            if not os.path.isdir(folder):
                continue
            with self.subTest(format=fmt):
                db = findex_cli.new_store(self.tmp, fmt + ".db")
                try:
                    subprocess.run([FINDEX, "--db", db, "-q", "ingest", *report_files(folder)], capture_output=True,
                                   env=self.env, cwd=self.tmp)
                    if not findex_cli.exists(db):
                        continue
                    events = self.check_exports(db)
                    self.check_classes(events)
                    checked += len(events)
                finally:
                    findex_cli.drop(db)
        self.assertGreater(checked, 1000)


class Lifecycle(OcsfBase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="findex-ocsf-life-")
        self.db = findex_cli.new_store(self.tmp)
        self.env = findex_cli.clean_env(FINDEX_NOW=NOW)

    def tearDown(self):
        findex_cli.drop(self.db)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def by_cve(self, events):
        return {e["vulnerabilities"][0]["cve"]["uid"] + " " + e["vulnerabilities"][0]["affected_packages"][0]["name"]: e
                for e in events}

    def test_rescan_resolves_and_triage_suppresses(self):
        src = os.path.join(SAMPLES, "grype", "dd_grype_0.94.0_epss.json")
        with open(src, encoding="utf-8") as f:
            doc = json.load(f)
        self.findex(self.db, "-q", "ingest", src)
        first = self.check_exports(self.db)
        self.assertEqual(len(first), 15)
        for e in first:
            self.assertEqual((e["activity_id"], e["status_id"], e["status"]), (1, 1, "New"))
            self.assertEqual(e["class_uid"], VULN)

        # A rescan of the same image without the first match resolves its finding.
        gone = doc["matches"].pop(0)
        rescan = os.path.join(self.tmp, "rescan.json")
        with open(rescan, "w", encoding="utf-8") as f:
            json.dump(doc, f)
        self.env["FINDEX_NOW"] = "2026-02-04T04:05:06.000Z"
        self.findex(self.db, "-q", "ingest", rescan)
        # A person suppresses another one.
        victim = next(e for e in first if e["vulnerabilities"][0]["cve"]["uid"] != gone["vulnerability"]["id"])
        self.findex(self.db, "-q", "triage", victim["finding_info"]["uid"], "--status", "SUPPRESSED",
                    "--note", "not reachable", "--by", "alice")
        after = self.check_exports(self.db)
        self.assertEqual(len(after), 15)
        resolved = [e for e in after if e["status_id"] == 4]
        self.assertEqual(len(resolved), 1)
        r = resolved[0]
        self.assertEqual(r["vulnerabilities"][0]["cve"]["uid"], gone["vulnerability"]["id"])
        self.assertEqual((r["activity_id"], r["activity_name"], r["status"]), (3, "Close", "Resolved"))
        self.assertEqual(r["type_uid"], 200203)
        sup = [e for e in after if e["status_id"] == 3]
        self.assertEqual([e["finding_info"]["uid"] for e in sup], [victim["finding_info"]["uid"]])
        self.assertEqual((sup[0]["activity_id"], sup[0]["status"]), (2, "Suppressed"))
        self.assertEqual(sup[0]["comment"], "not reachable")
        rest = [e for e in after if e["status_id"] not in (3, 4)]
        self.assertEqual(len(rest), 13)
        for e in rest:  # seen again by the rescan: an update of a finding still new
            self.assertEqual((e["activity_id"], e["status_id"], e["status_detail"]), (2, 1, "seen again"))
            self.assertGreater(e["finding_info"]["modified_time"], e["finding_info"]["created_time"])
            self.assertEqual(e["time"], e["finding_info"]["last_seen_time"])

        # The first report again reopens the resolved finding.
        self.env["FINDEX_NOW"] = "2026-02-05T04:05:06.000Z"
        self.findex(self.db, "-q", "ingest", src)
        again = {e["finding_info"]["uid"]: e for e in self.check_exports(self.db)}
        e = again[r["finding_info"]["uid"]]
        self.assertEqual((e["activity_id"], e["status_id"], e["status_detail"]), (2, 1, "reopened"))

    def test_compliance_status_follows_the_lifecycle(self):
        src = os.path.join(SAMPLES, "checkov", "dd_checkov_1.0.467_terraform.json")
        self.findex(self.db, "-q", "ingest", "--target", "iac", src)
        events = self.check_exports(self.db)
        self.assertGreater(len(events), 0)
        for e in events:
            self.assertEqual(e["class_uid"], COMPLIANCE)
            self.assertEqual((e["compliance"]["status_id"], e["compliance"]["status"]), (3, "Fail"))
        # An empty report of the same target: every check now passes.
        empty = os.path.join(self.tmp, "empty_checkov.json")
        with open(empty, "w", encoding="utf-8") as f:
            json.dump({"check_type": "terraform", "results": {"passed_checks": [], "failed_checks": []},
                       "summary": {"passed": 0, "failed": 0, "skipped": 0, "parsing_errors": 0}}, f)
        self.env["FINDEX_NOW"] = "2026-02-04T04:05:06.000Z"
        self.findex(self.db, "-q", "ingest", "--target", "iac", "--format", "checkov", empty)
        after = self.check_exports(self.db)
        self.assertEqual(len(after), len(events))
        for e in after:
            self.assertEqual(e["activity_id"], 3)
            if e["status_id"] == 4:
                self.assertEqual((e["activity_id"], e["compliance"]["status_id"], e["compliance"]["status"]),
                                 (3, 1, "Pass"))

    def test_epss_and_kev_after_enrich(self):
        src = os.path.join(SAMPLES, "dependency-check-json", "derived_pr6439_engine7.3.0_from_xml.json")
        self.findex(self.db, "-q", "ingest", src)

        def log4shell(events):
            found = [v for e in events for v in e.get("vulnerabilities", [])
                     if v.get("cve", {}).get("uid") == "CVE-2021-44228"]
            self.assertGreater(len(found), 0)
            return found

        for v in log4shell(self.check_exports(self.db)):
            self.assertNotIn("epss", v["cve"])
            self.assertNotIn("is_exploit_available", v)
        self.findex(self.db, "-q", "enrich", "--kev", os.path.join(FEEDS, "kev_small.json"),
                    "--epss", os.path.join(FEEDS, "epss_small.csv"))
        events = self.check_exports(self.db)
        for v in log4shell(events):
            self.assertEqual(v["cve"]["epss"]["score"], "0.94358")
            self.assertAlmostEqual(v["cve"]["epss"]["percentile"], 0.99973)
            self.assertIn("created_time", v["cve"]["epss"])
            self.assertIs(v["is_exploit_available"], True)
        kev = [e for e in events if any(v.get("cve", {}).get("uid") == "CVE-2021-44228" for v in e["vulnerabilities"])]
        for e in kev:
            self.assertIs(e["unmapped"]["findex"]["kev"], True)


class Streams(OcsfBase):
    """The OCSF export writes as it reads: its peak RSS stays within 16 MB of the ASFF export's."""

    def test_peak_rss(self):
        self.tmp = tempfile.mkdtemp(prefix="findex-ocsf-stream-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.db = findex_cli.new_store(self.tmp, "big.db")
        self.addCleanup(findex_cli.drop, self.db)
        self.env = findex_cli.clean_env(FINDEX_NOW=NOW)
        slab = ("lorem ipsum dolor sit amet " * 600)[:16000]
        report = os.path.join(self.tmp, "big.sarif")
        with open(report, "w", encoding="utf-8") as f:
            f.write('{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"demo"}},"results":[')
            for i in range(3000):
                f.write((',' if i else '') + json.dumps({
                    "ruleId": "rule-%d" % (i % 20), "level": "warning",
                    "message": {"text": "Finding %d: %s" % (i, slab)},
                    "locations": [{"physicalLocation": {"artifactLocation": {"uri": "src/f%d.py" % i},
                                                        "region": {"startLine": 1 + i % 300}}}]}))
            f.write("]}]}\n")
        self.findex(self.db, "-q", "ingest", report)

        def peak(fmt):
            with open(os.devnull, "wb") as o:
                p = subprocess.Popen([FINDEX, "--db", self.db, "export", "--format", fmt], stdout=o,
                                     stderr=subprocess.DEVNULL, env=self.env)
                _, status, usage = os.wait4(p.pid, 0)
                p.returncode = os.waitstatus_to_exitcode(status)
            self.assertEqual(os.waitstatus_to_exitcode(status), 0, fmt)
            return usage.ru_maxrss

        asff = peak("asff")
        for fmt in ("ocsf", "ocsf-json"):
            self.assertLessEqual(peak(fmt), asff + 16 * 1024, fmt)


if __name__ == "__main__":
    unittest.main()
