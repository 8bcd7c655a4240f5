#!/usr/bin/env python3
"""CLI tests for the readers' limits (issue 8, defects 12 and 13): --max-report-size on files,
on gzip and on standard input; a report that used to crash findex (bare `n`, deep nesting) is
one file's error (exit 2) and the files after it are still read.
Usage: readers_test.py PATH_TO_FINDEX (run from the source tree)."""
import gzip, os, subprocess, sys

import findex_cli
from findex_cli import StoreCase

FINDEX = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else "build/cli/findex"
SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
GOOD = os.path.join(SRC, "samples", "bandit", "dd_bandit_many_vulns.json")


class Readers(StoreCase):
    TMP_PREFIX = "findex-readers-"

    def setUp(self):
        super().setUp()
        self.env = findex_cli.clean_env(FINDEX_NOW="2026-02-03T04:05:06.000Z")

    def findex(self, *args, stdin=None):
        return subprocess.run([FINDEX, "--db", self.db, *args], capture_output=True, env=self.env, cwd=self.tmp,
                              input=stdin, timeout=120)

    def write(self, name, data):
        path = os.path.join(self.tmp, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def stored(self):
        r = self.findex("query", "--format", "json")
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout.count(b'"id"')

    def test_max_report_size_on_a_file(self):
        r = self.findex("ingest", "--max-report-size", "1K", GOOD)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn(b"maximum report size", r.stderr)
        self.assertIn(b"--max-report-size", r.stderr)
        r = self.findex("ingest", "--max-report-size", "64M", GOOD)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_bad_size_is_a_usage_error(self):
        for bad in ("0", "2X", "-5", "lots"):
            r = self.findex("ingest", "--max-report-size", bad, GOOD)
            self.assertEqual(r.returncode, 2, bad)
            self.assertIn(b"--max-report-size", r.stderr)

    def test_gzip_inflated_past_the_cap(self):
        with open(GOOD, "rb") as f:
            raw = f.read()
        gz = self.write("bandit.json.gz", gzip.compress(raw))
        self.assertLess(os.path.getsize(gz), 64 * 1024)
        r = self.findex("ingest", "--max-report-size", "64K", gz)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn(b"decompressed report is larger than the maximum report size", r.stderr)
        r = self.findex("ingest", gz)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_stdin_is_capped(self):
        with open(GOOD, "rb") as f:
            raw = f.read()
        r = self.findex("ingest", "--max-report-size", "4K", "-", stdin=raw + b" " * 200000)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn(b"maximum report size", r.stderr)
        r = self.findex("ingest", "-", stdin=gzip.compress(raw))  # gzip on stdin is inflated too
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_crashing_inputs_are_file_errors_and_later_files_are_read(self):
        bare_n = self.write("a-semgrep.json", b'{"results":[n],"errors":[]}')
        deep = self.write("b-semgrep.json", b'{"results":[],"errors":[],"x":' + b"[" * 200000 + b"]" * 200000 + b"}")
        deep_sarif = self.write("c.sarif", b'{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[],'
                                b'"properties":{"p":' + b"[" * 1000000 + b"]" * 1000000 + b"}}]}")
        long_line = self.write("d-codeguru.json", b'[{"FilePath":"a.py","RecommendationId":"r","StartLine":"'
                               + b"z" * 20000 + b'","Description":"d"}]')
        with open(GOOD, "rb") as f:
            good = self.write("z-bandit.json", f.read())
        r = self.findex("ingest", bare_n, deep, deep_sarif, long_line, good)
        self.assertEqual(r.returncode, 2, r.stderr)  # not 134 (abort) or 139 (stack overflow)
        err = r.stderr.decode()
        self.assertIn("a-semgrep.json", err)
        self.assertIn("b-semgrep.json", err)
        self.assertIn("too deep", err)
        self.assertGreater(self.stored(), 0)  # the Bandit report after them was stored


if __name__ == "__main__":
    findex_cli.main()
