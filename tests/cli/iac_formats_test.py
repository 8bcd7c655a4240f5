#!/usr/bin/env python3
"""CLI tests for the IaC / lint readers: tfsec, kics, terrascan, hadolint, tflint.
A finding repeated verbatim in one report is stored once; Terrascan's skipped violations are
SUPPRESSED findings visible with `findex query`; TFLint's errors[] are INFORMATIONAL scan-gap
findings; a report re-scanned with every line moved keeps every identity (nothing new, nothing
resolved); a truncated report is one file error (exit 2) and nothing of it is stored.
Usage: iac_formats_test.py PATH_TO_FINDEX (run from the source tree)."""
import json, os, re, subprocess, sys

import findex_cli
from findex_cli import StoreCase

FINDEX = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else "build/cli/findex"
SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def sample(fmt, name):
    return os.path.join(SRC, "samples", fmt, name)


SAMPLES = {
    "tfsec": ["dd_many_findings_current.json", "dd_one_finding_legacy.json", "tfsec_v1_status_handmade.json"],
    "kics": ["dd_many_findings.json", "kics_2x_severities_handmade.json"],
    "terrascan": ["dd_many_findings.json", "upstream_skip_single_rule.json", "terrascan_skipped_handmade.json"],
    "hadolint": ["dd_one_dockerfile.json", "hadolint_shellcheck_handmade.json"],
    "tflint": ["upstream_bundled_basic.json", "upstream_inspection_dynblock.json", "upstream_inspection_expand.json",
               "upstream_inspection_module.json"],
}


class IacFormats(StoreCase):
    TMP_PREFIX = "findex-iac-"

    def setUp(self):
        super().setUp()
        self.env = findex_cli.clean_env(FINDEX_NOW="2026-02-03T04:05:06.000Z")

    def findex(self, *args):
        return subprocess.run([FINDEX, "--db", self.db, *args], capture_output=True, env=self.env, cwd=self.tmp,
                              timeout=120)

    def ingest(self, *args):
        r = self.findex("ingest", "--no-policy", "--summary", "json", *args)
        self.assertEqual(r.returncode, 0, r.stderr)
        return [json.loads(line) for line in r.stdout.decode().splitlines() if line.strip()]

    def query(self, *expr):
        r = self.findex("query", "--no-policy", "--format", "json", *expr)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def write(self, name, data):
        path = os.path.join(self.tmp, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(data)
        return path

    def test_duplicates_in_one_report_are_stored_once(self):
        # KICS repeats one RBAC entry four times (one similarity_id): 18 entries, 15 findings.
        s = self.ingest(sample("kics", "dd_many_findings.json"))
        self.assertEqual(s[0]["format"], "kics")
        self.assertEqual(s[0]["records"], 18)
        self.assertEqual(len(self.query("scanner=kics")), 15)
        # TFLint repeats issues of expanded dynamic blocks verbatim: 24 issues, 15 distinct.
        self.ingest(sample("tflint", "upstream_inspection_dynblock.json"))
        self.assertEqual(len(self.query("scanner=tflint")), 15)
        # A hand-written tfsec report, terrascan report and hadolint report each hold one exact duplicate.
        self.ingest(sample("tfsec", "tfsec_v1_status_handmade.json"))
        self.assertEqual(len(self.query("--all-states", "scanner=tfsec")), 4)
        self.ingest(sample("hadolint", "hadolint_shellcheck_handmade.json"))
        self.assertEqual(len(self.query("scanner=hadolint")), 5)
        # ...but one rule on one resource at two lines is two findings (tfsec: ports 155 and 156).
        self.ingest(sample("tfsec", "dd_many_findings_current.json"))
        acl = [f for f in self.query("scanner=tfsec") if "public_inbound[0]" in f["resource"]]
        self.assertEqual(len(acl), 2)

    def test_terrascan_skipped_violation_is_suppressed(self):
        s = self.ingest(sample("terrascan", "terrascan_skipped_handmade.json"))
        self.assertEqual(s[0]["rejects"], 1)
        suppressed = self.query("scanner=terrascan", "--state", "SUPPRESSED")
        self.assertEqual(len(suppressed), 1, suppressed)
        self.assertEqual(suppressed[0]["rule"], "terrascan/AWS.S3Bucket.IAM.High.0370")
        self.assertEqual(suppressed[0]["resource"], "aws_s3_bucket.logs")
        self.assertEqual(suppressed[0]["workflow"], "SUPPRESSED")
        active = self.query("scanner=terrascan and workflow=NEW")
        self.assertEqual(sorted(f["rule"] for f in active), ["terrascan/AC_AWS_0214", "terrascan/AC_K8S_0085"])

    def test_tflint_errors_are_informational_scan_gaps(self):
        self.ingest(sample("tflint", "upstream_inspection_bad_config.json"))
        rows = self.query("scanner=tflint")
        self.assertEqual(len(rows), 1, rows)
        self.assertEqual(rows[0]["severity"], "INFORMATIONAL")
        self.assertEqual(rows[0]["rule"], "tflint/scan-error")
        self.assertIn("TFLint could not check template.tf", rows[0]["title"])
        # An error without a range names the whole configuration.
        path = self.write("cfg-tflint.json", json.dumps({"issues": [], "errors": [
            {"message": "Failed to load configurations", "severity": "error"}]}))
        self.ingest("--scope", "config", path)
        titles = [f["title"] for f in self.query("scanner=tflint and scope=config")]
        self.assertEqual(len(titles), 1)
        self.assertIn("TFLint could not check the configuration: Failed to load configurations", titles)

    def test_moved_lines_keep_identity(self):
        # Every line number shifted by 7 (a block added above): a re-scan, nothing new, nothing resolved.
        def shift(o):
            if isinstance(o, dict):
                return {k: (v + 7 if k in ("line", "start_line", "end_line") and isinstance(v, int) and v > 0
                            else shift(v)) for k, v in o.items()}
            if isinstance(o, list):
                return [shift(v) for v in o]
            return o

        for fmt, names in SAMPLES.items():
            for name in names:
                with self.subTest(fmt=fmt, name=name):
                    scope = "moved:" + fmt + ":" + name
                    with open(sample(fmt, name), encoding="utf-8") as f:
                        doc = json.load(f)
                    first = self.ingest("--scope", scope, "--format", fmt, sample(fmt, name))[0]
                    self.assertGreater(first["new"], 0)
                    moved = self.write(fmt + "-moved-" + name, json.dumps(shift(doc)))
                    again = self.ingest("--scope", scope, "--format", fmt, moved)[0]
                    self.assertEqual(again["new"], 0, again)
                    self.assertEqual(again["resolved"], 0, again)

    def test_truncated_report_is_one_error(self):
        self.ingest(sample("tfsec", "dd_no_findings.json"))  # creates the store
        for fmt, names in SAMPLES.items():
            with self.subTest(fmt=fmt):
                with open(sample(fmt, names[0]), encoding="utf-8") as f:
                    text = f.read()
                path = self.write("truncated-" + fmt + ".json", text[: len(text) * 2 // 3])
                before = len(self.query("--all-states"))
                r = self.findex("ingest", "--no-policy", "--format", fmt, path)
                self.assertEqual(r.returncode, 2, r.stderr)
                err = r.stderr.decode()
                self.assertEqual(len(re.findall(re.escape(os.path.basename(path)), err)), 1, err)
                self.assertEqual(len(self.query("--all-states")), before)  # nothing of it stored
                # Detected by content as well (the head still names the scanner).
                r = self.findex("ingest", "--no-policy", path)
                self.assertEqual(r.returncode, 2, r.stderr)

    def test_another_tools_report_forced_is_an_error(self):
        # Forced onto a report of another shape, a reader says so instead of storing nothing quietly.
        cases = {
            "hadolint": sample("kics", "dd_many_findings.json"),  # an object, not Hadolint's array
            "tflint": sample("tfsec", "dd_one_finding_legacy.json"),
            "terrascan": sample("tflint", "upstream_bundled_basic.json"),
            "kics": sample("terrascan", "dd_many_findings.json"),
            "tfsec": sample("hadolint", "dd_one_dockerfile.json"),
        }
        self.ingest(sample("tfsec", "dd_no_findings.json"))  # creates the store
        for fmt, path in cases.items():
            with self.subTest(fmt=fmt):
                r = self.findex("ingest", "--no-policy", "--format", fmt, path)
                self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(len(self.query("--all-states")), 0)


if __name__ == "__main__":
    findex_cli.main()
