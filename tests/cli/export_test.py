#!/usr/bin/env python3
"""CLI tests for `findex export --format asff --batch-dir DIR`: Security Hub BatchImportFindings
batches (at most 100 findings and 6 MB per file, each finding under 240 KB), checked with
../shared/asff/asff_check.py when it is present (the limits are asserted either way).
Usage: export_test.py PATH_TO_FINDEX (run from the source tree)."""
import json, os, re, shutil, subprocess, sys, tempfile, unittest

import findex_cli

FINDEX = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else "build/cli/findex"
SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ASFF_CHECK = os.path.join(SRC, "..", "shared", "asff", "asff_check.py")
SAMPLES = os.path.join(SRC, "samples")
INPUTS = [
    os.path.join(SAMPLES, "grype", "dd_grype_0.7.0_many_vulns3.json"),
    os.path.join(SAMPLES, "trivy", "scb_trivy_image_juiceshop_v10.2.0.json"),
    os.path.join(SAMPLES, "bandit", "dd_bandit_many_vulns.json"),
    os.path.join(SAMPLES, "zap-xml", "dd_zap_2.10.0_bodgeit_scan1.xml"),
]
MAX_FINDINGS, MAX_FILE_BYTES, MAX_FINDING_BYTES = 100, 6000000, 240000


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def write_text(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


class Export(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="findex-export-")
        cls.db = findex_cli.new_store(cls.tmp)
        cls.env = findex_cli.clean_env(FINDEX_NOW="2026-02-03T04:05:06.000Z")
        r = subprocess.run([FINDEX, "--db", cls.db, "ingest", "--scope", "x", *INPUTS], capture_output=True, env=cls.env)
        assert r.returncode == 0, r.stderr

    @classmethod
    def tearDownClass(cls):
        findex_cli.drop(cls.db)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def run_findex(self, *args):
        return subprocess.run([FINDEX, "--db", self.db, "--account-id", "123456789012", *args], capture_output=True,
                              env=self.env, cwd=self.tmp)

    def batch_files(self, d):
        return sorted(f for f in os.listdir(d) if re.fullmatch(r"batch-\d{4,}\.json", f))

    def check_batches(self, d):
        """Asserts the limits on every batch file in d; returns all findings in order."""
        names = self.batch_files(d)
        self.assertEqual(names, ["batch-%04d.json" % (i + 1) for i in range(len(names))])
        findings = []
        for name in names:
            path = os.path.join(d, name)
            self.assertLessEqual(os.path.getsize(path), MAX_FILE_BYTES, name)
            data = read_json(path)
            self.assertIsInstance(data, list)
            self.assertGreaterEqual(len(data), 1, name)
            self.assertLessEqual(len(data), MAX_FINDINGS, name)
            for f in data:
                self.assertLess(len(json.dumps(f, separators=(",", ":"), ensure_ascii=False).encode()), MAX_FINDING_BYTES)
            findings.extend(data)
        if names and os.path.exists(ASFF_CHECK):
            c = subprocess.run([sys.executable, ASFF_CHECK, *[os.path.join(d, n) for n in names]],
                               capture_output=True, text=True)
            self.assertEqual(c.returncode, 0, c.stdout[-3000:])
        return findings

    def test_batches_hold_the_same_findings_as_stdout(self):
        r = self.run_findex("export")
        self.assertEqual(r.returncode, 0, r.stderr)
        whole = json.loads(r.stdout)
        self.assertGreater(len(whole), 700)  # needs several files
        d = os.path.join(self.tmp, "batches")
        r = self.run_findex("export", "--format", "asff", "--batch-dir", d)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, b"")  # the files are the output
        findings = self.check_batches(d)
        nfiles = len(self.batch_files(d))
        self.assertEqual(nfiles, (len(whole) + MAX_FINDINGS - 1) // MAX_FINDINGS)
        self.assertEqual([f["Id"] for f in findings], [f["Id"] for f in whole])
        self.assertEqual(findings, whole)  # small findings: identical to the stdout array
        self.assertTrue(all(f["AwsAccountId"] == "123456789012" for f in findings))
        self.assertEqual(r.stderr.decode().strip(), "wrote %d findings in %d files to %s" % (len(whole), nfiles, d))

    def test_stale_batches_are_replaced_and_other_files_kept(self):
        d = os.path.join(self.tmp, "stale")
        os.makedirs(d)
        for name in ["batch-0001.json", "batch-0099.json", "notes.txt", "batch-1.json"]:
            write_text(os.path.join(d, name), "old")
        r = self.run_findex("export", "--batch-dir", d, "scanner=zap")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.batch_files(d), ["batch-0001.json"])
        self.assertTrue(os.path.exists(os.path.join(d, "notes.txt")))
        self.assertTrue(os.path.exists(os.path.join(d, "batch-1.json")))  # not our naming
        findings = self.check_batches(d)
        self.assertTrue(findings)
        self.assertTrue(all(f["ProductFields"]["findex/Scanner"] == "zap" for f in findings))

    def test_output_file_and_batches_together(self):
        d = os.path.join(self.tmp, "both")
        out = os.path.join(self.tmp, "all.json")
        r = self.run_findex("export", "--batch-dir", d, "-o", out, "--severity", "HIGH")
        self.assertEqual(r.returncode, 0, r.stderr)
        whole = read_json(out)
        self.assertEqual(self.check_batches(d), whole)
        self.assertTrue(all(f["Severity"]["Label"] in ("HIGH", "CRITICAL") for f in whole))

    def test_empty_selection_writes_no_files(self):
        d = os.path.join(self.tmp, "empty")
        r = self.run_findex("export", "--batch-dir", d, "scanner=nothing")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.batch_files(d), [])
        self.assertIn("wrote 0 findings in 0 files", r.stderr.decode())

    def test_report_formats_are_valid_and_complete(self):
        # The same findings as the JSON export, in SARIF, JUnit and Code Insights, each checked by
        # tests/tools/validate_reports.py (SARIF 2.1.0 schema, JUnit schema + junitparser counts).
        n = len(json.loads(self.run_findex("export", "--format", "json").stdout))
        paths = {}
        for fmt in ["sarif", "junit", "codeinsights", "markdown"]:
            paths[fmt] = os.path.join(self.tmp, "all." + fmt)
            r = self.run_findex("export", "--format", fmt, "-o", paths[fmt])
            self.assertEqual(r.returncode, 0, r.stderr)
        v = subprocess.run([sys.executable, os.path.join(SRC, "tests", "tools", "validate_reports.py"),
                            "--sarif", paths["sarif"], "--junit", paths["junit"], "--codeinsights", paths["codeinsights"]],
                           capture_output=True, text=True)
        self.assertEqual(v.returncode, 0, v.stdout + v.stderr)
        self.assertEqual(len(read_json(paths["sarif"])["runs"][0]["results"]), n)
        self.assertIn("%d test cases" % n, v.stdout)
        with open(paths["markdown"], encoding="utf-8") as f:
            md = f.read()
        self.assertTrue(md.startswith("## findex findings"), md[:80])
        self.assertIn("| **Total** |", md)
        # Every finding was ingested in the one (latest) ingest: all are new.
        total = [l for l in md.splitlines() if l.startswith("| **Total** |")][0].split("|")
        self.assertEqual(int(total[2]), n)

    def test_report_exports_leave_fixed_findings_out(self):
        # bodgeit scan1 -> scan2 in one scope: one alert (10062) is gone, ARCHIVED. SARIF must not
        # present it as open (GitHub would reopen the alert); --state ARCHIVED asks for it.
        db = findex_cli.new_store(self.tmp, "fixed.db")
        self.addCleanup(findex_cli.drop, db)
        zap = os.path.join(SAMPLES, "zap-xml")
        for scan in ["dd_zap_2.10.0_bodgeit_scan1.xml", "dd_zap_2.10.0_bodgeit_scan2.xml"]:
            r = subprocess.run([FINDEX, "--db", db, "ingest", "--scope", "b", os.path.join(zap, scan)],
                               capture_output=True, env=self.env, cwd=self.tmp)
            self.assertEqual(r.returncode, 0, r.stderr)
        def sarif(*extra):
            r = subprocess.run([FINDEX, "--db", db, "export", "--format", "sarif", *extra], capture_output=True,
                               env=self.env, cwd=self.tmp)
            self.assertEqual(r.returncode, 0, r.stderr)
            return [x["ruleId"] for x in json.loads(r.stdout)["runs"][0]["results"]]
        active = sarif()
        self.assertEqual(len(active), 18)  # scan2's 18 alerts
        self.assertNotIn("zap/10062", active)
        self.assertEqual(sarif("--state", "ARCHIVED"), ["zap/10062"])

    def test_sarif_export_truncates_with_a_warning(self):
        out = os.path.join(self.tmp, "small.sarif")
        r = self.run_findex("export", "--format", "sarif", "--sarif-max-results", "5", "-o", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(read_json(out)["runs"][0]["results"]), 5)
        self.assertIn("SARIF export truncated", r.stderr.decode())

    def test_batch_dir_needs_asff_and_a_directory(self):
        r = self.run_findex("export", "--format", "csv", "--batch-dir", os.path.join(self.tmp, "c"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("--format asff", r.stderr.decode())
        blocker = os.path.join(self.tmp, "afile")
        write_text(blocker, "x")
        r = self.run_findex("export", "--batch-dir", blocker)
        self.assertEqual(r.returncode, 2)
        self.assertIn("afile", r.stderr.decode())


EXPLOIT = os.path.join(SRC, "tests", "data", "exploit")


class ExploitExport(unittest.TestCase):
    """EPSS and KEV values that reports carry (tests/data/exploit/, hand-made in the published
    shapes) reach the ASFF export (Vulnerabilities[].EpssScore / ExploitAvailable /
    LastKnownExploitAt, ProductFields findex/kev, kev_due, ransomware, epss_percentile) and the
    SARIF result properties, with no feed loaded."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="findex-exploit-")
        cls.db = findex_cli.new_store(cls.tmp, "exploit.db")
        cls.env = findex_cli.clean_env(FINDEX_NOW="2026-12-02T00:00:00.000Z")
        files = [os.path.join(EXPLOIT, n) for n in
                 ["grype_epss_kev.json", "dependency-check_kev.json", "inspector2_exploit.json", "asff_exploit.json"]]
        r = subprocess.run([FINDEX, "--db", cls.db, "ingest", "--scope", "app", *files], capture_output=True, env=cls.env)
        assert r.returncode == 0, r.stderr

    @classmethod
    def tearDownClass(cls):
        findex_cli.drop(cls.db)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def export(self, db, *args):
        r = subprocess.run([FINDEX, "--db", db, "--account-id", "123456789012", "export", *args], capture_output=True,
                           env=self.env, cwd=self.tmp)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    @staticmethod
    def by_vuln(findings):
        return {f["Vulnerabilities"][0]["Id"]: f for f in findings}

    def check_asff(self, findings):
        if not os.path.exists(ASFF_CHECK):
            return
        path = os.path.join(self.tmp, "check.json")
        write_text(path, json.dumps(findings))
        c = subprocess.run([sys.executable, ASFF_CHECK, path], capture_output=True, text=True)
        self.assertEqual(c.returncode, 0, c.stdout[-3000:])

    def assert_exploitation(self, asff):
        f = self.by_vuln(asff)
        log4shell = f["GHSA-jfh8-c2jp-5v3q"]  # Grype: EPSS and KEV of its CVE alias
        v = log4shell["Vulnerabilities"][0]
        self.assertEqual(v["EpssScore"], 0.9)
        self.assertEqual(v["ExploitAvailable"], "YES")
        pf = log4shell["ProductFields"]
        self.assertEqual(pf["findex/kev"], "true")
        self.assertEqual(pf["findex/kev_due"], "2021-12-31")
        self.assertEqual(pf["findex/ransomware"], "false")
        self.assertEqual(pf["findex/epss_percentile"], "0.98")
        dc = f["CVE-2021-44228"]  # Dependency-Check: listed, no ransomware data, no EPSS
        self.assertEqual(dc["ProductFields"]["findex/kev_due"], "2021-12-24")
        self.assertNotIn("findex/ransomware", dc["ProductFields"])
        self.assertNotIn("EpssScore", dc["Vulnerabilities"][0])
        insp = f["CVE-2024-0001"]["Vulnerabilities"][0]  # Inspector: epoch seconds -> RFC 3339
        self.assertEqual((insp["EpssScore"], insp["ExploitAvailable"], insp["LastKnownExploitAt"]),
                         (0.04211, "YES", "2023-01-16T06:14:29.000Z"))
        self.assertNotIn("findex/kev", f["CVE-2024-0001"]["ProductFields"])  # Inspector says nothing of KEV
        self.assertEqual(f["CVE-2024-1001"]["Vulnerabilities"][0]["LastKnownExploitAt"], "2023-01-16T06:14:29Z")
        self.assertEqual(f["CVE-2024-0005"]["Vulnerabilities"][0]["EpssScore"], 0)  # a score of 0 is data
        for none in ["CVE-2024-0004", "CVE-2024-1003", "CVE-2021-44832"]:  # no data, or malformed only
            self.assertFalse({"EpssScore", "ExploitAvailable", "LastKnownExploitAt"} & set(f[none]["Vulnerabilities"][0]), none)
            self.assertFalse([k for k in f[none]["ProductFields"] if k in ("findex/kev", "findex/epss_percentile")], none)

    def test_asff_export_carries_report_values(self):
        asff = json.loads(self.export(self.db))
        self.assertEqual(len(asff), 16)
        self.check_asff(asff)
        self.assert_exploitation(asff)

    def test_asff_export_reingested_keeps_them(self):
        # findex's own export into another store: the same values come out again.
        first = json.loads(self.export(self.db))
        path = os.path.join(self.tmp, "asff-export.json")
        write_text(path, json.dumps(first))
        db2 = findex_cli.new_store(self.tmp, "again.db")
        self.addCleanup(findex_cli.drop, db2)
        r = subprocess.run([FINDEX, "--db", db2, "ingest", "--scope", "app", path], capture_output=True, env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        again = json.loads(self.export(db2))
        self.assert_exploitation(again)
        strip = lambda fs: {k: (f["Vulnerabilities"], {p: v for p, v in f["ProductFields"].items() if p.startswith("findex/")
                                                       and p[7].islower()}) for k, f in self.by_vuln(fs).items()}
        self.assertEqual(strip(again), strip(first))

    def test_sarif_results_show_them(self):
        path = os.path.join(self.tmp, "exploit.sarif")
        self.export(self.db, "--format", "sarif", "-o", path)
        v = subprocess.run([sys.executable, os.path.join(SRC, "tests", "tools", "validate_reports.py"), "--sarif", path],
                           capture_output=True, text=True)
        self.assertEqual(v.returncode, 0, v.stdout + v.stderr)
        props = {}
        for res in read_json(path)["runs"][0]["results"]:
            p = res["properties"]
            props[res["ruleId"]] = {k: p[k] for k in ("epss", "epss_percentile", "kev", "kev_due", "ransomware") if k in p}
        self.assertEqual(props["grype/GHSA-jfh8-c2jp-5v3q"],
                         {"epss": 0.9, "epss_percentile": 0.98, "kev": True, "kev_due": "2021-12-31", "ransomware": False})
        self.assertEqual(props["grype/GHSA-aaaa-bbbb-cccc"],
                         {"epss": 0.5, "epss_percentile": 0.97, "kev": True, "kev_due": "2023-02-22", "ransomware": False})
        self.assertEqual(props["inspector/CVE-2024-0001"], {"epss": 0.04211})
        self.assertEqual(props["grype/CVE-2024-0004"], {})  # no data: nothing claimed

    def test_loaded_feed_wins_where_it_has_the_cve(self):
        # tests/data/feeds: CVE-2021-44228 in KEV (due 2021-12-24, ransomware Known) and EPSS
        # (0.94358, percentile 0.99973). The Grype report says 0.9/0.98, due 2021-12-31, Unknown:
        # the feed wins for Log4Shell; for ids the feeds lack, the report's values stay; findings
        # the report says nothing about become "not listed" (kev false) once KEV is loaded.
        # Both orders: feeds loaded after the reports (enrich recomputes) and before (ingest applies them).
        for order in ("ingest-then-enrich", "enrich-then-ingest"):
            with self.subTest(order=order):
                self.check_feed_precedence(order)

    def check_feed_precedence(self, order):
        db = findex_cli.new_store(self.tmp, order + ".db")
        self.addCleanup(findex_cli.drop, db)
        files = [os.path.join(EXPLOIT, n) for n in ["grype_epss_kev.json", "dependency-check_kev.json"]]
        feeds = os.path.join(SRC, "tests", "data", "feeds")
        steps = [["ingest", "--scope", "app", *files],
                 ["enrich", "--kev", os.path.join(feeds, "kev_small.json"), "--epss", os.path.join(feeds, "epss_small.csv")]]
        for step in (steps if order == "ingest-then-enrich" else steps[::-1]):
            r = subprocess.run([FINDEX, "--db", db, *step], capture_output=True, env=self.env)
            self.assertEqual(r.returncode, 0, r.stderr)
        asff = json.loads(self.export(db))
        self.check_asff(asff)
        f = self.by_vuln(asff)
        log4shell = f["GHSA-jfh8-c2jp-5v3q"]
        self.assertEqual(log4shell["Vulnerabilities"][0]["EpssScore"], 0.94358)
        pf = log4shell["ProductFields"]
        self.assertEqual((pf["findex/kev"], pf["findex/kev_due"], pf["findex/ransomware"], pf["findex/epss_percentile"]),
                         ("true", "2021-12-24", "true", "0.99973"))
        dc = f["CVE-2021-44228"]  # Dependency-Check named no ransomware use and no EPSS: the feed's
        self.assertEqual(dc["Vulnerabilities"][0]["EpssScore"], 0.94358)
        self.assertEqual(dc["ProductFields"]["findex/ransomware"], "true")
        two = f["GHSA-aaaa-bbbb-cccc"]  # not in either feed: the report's values stay
        self.assertEqual(two["Vulnerabilities"][0]["EpssScore"], 0.5)
        self.assertEqual((two["ProductFields"]["findex/kev"], two["ProductFields"]["findex/kev_due"]), ("true", "2023-02-22"))
        none = f["CVE-2024-0004"]
        self.assertNotIn("findex/kev", none["ProductFields"])
        self.assertNotIn("EpssScore", none["Vulnerabilities"][0])
        path = os.path.join(self.tmp, "feeds.sarif")
        self.export(db, "--format", "sarif", "-o", path)
        props = {res["ruleId"]: res["properties"] for res in read_json(path)["runs"][0]["results"]}
        self.assertEqual(props["grype/GHSA-jfh8-c2jp-5v3q"]["epss"], 0.94358)
        self.assertEqual(props["grype/GHSA-jfh8-c2jp-5v3q"]["kev_due"], "2021-12-24")
        self.assertIs(props["grype/CVE-2024-0004"]["kev"], False)  # KEV loaded, not listed
        self.assertNotIn("epss", props["grype/CVE-2024-0004"])
        self.assertEqual(props["grype/GHSA-aaaa-bbbb-cccc"]["epss"], 0.5)


if __name__ == "__main__":
    findex_cli.main()
