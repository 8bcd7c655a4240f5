#!/usr/bin/env python3
"""CLI test: `findex export` writes as it reads, in every format, and `query --format json` too.

A store of 4,500 findings with 16 KB texts each (~75 MB of findings) is exported in each format;
each export's peak RSS (os.wait4: this child alone) must stay within 16 MB of the ASFF export's,
whose writer has always streamed (one row at a time), so that both hold only the store reader's
working set (SQLite page cache and sorter, bounded by their settings; on PostgreSQL the rows
as they arrive, not the whole result). Before issue 9 the SARIF,
JUnit, Markdown and Code Insights writers collected every finding first: ~180 MB here
against the ASFF export's 142 MB (on a 500k-finding store, 2.3 and 4.6 GB against 140 MB).
No timing is asserted.
Usage: export_stream_test.py PATH_TO_FINDEX (run from the source tree)."""
import json, os, shutil, subprocess, sys, tempfile, unittest

import findex_cli

FINDEX = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else "build/cli/findex"
FINDINGS, TEXT_BYTES = 4500, 16000
MARGIN_KB = 16 * 1024


def write_sarif(path, n, size):
    slab = ("lorem ipsum dolor sit amet " * (size // 27 + 1))[:size]
    rules = [{"id": "rule-%d" % i, "shortDescription": {"text": "Rule %d" % i},
              "properties": {"tags": ["CWE-%d" % (i + 20)]}} for i in range(20)]
    with open(path, "w", encoding="utf-8") as f:
        f.write('{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"demo","rules":%s}},"results":['
                % json.dumps(rules))
        for i in range(n):
            f.write((',' if i else '') + json.dumps({
                "ruleId": "rule-%d" % (i % 20), "level": ["error", "warning", "note"][i % 3],
                "message": {"text": "Finding %d: %s" % (i, slab)},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": "src/f%d.py" % i},
                                                    "region": {"startLine": 1 + i % 300}}}]}))
        f.write("]}]}\n")


class ExportStreams(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="findex-export-stream-")
        cls.db = findex_cli.new_store(cls.tmp, "big.db")
        cls.env = findex_cli.clean_env(FINDEX_NOW="2026-02-03T04:05:06.000Z")
        report = os.path.join(cls.tmp, "big.sarif")
        write_sarif(report, FINDINGS, TEXT_BYTES)
        r = subprocess.run([FINDEX, "--db", cls.db, "-q", "ingest", report], capture_output=True, env=cls.env)
        assert r.returncode == 0, r.stderr
        os.remove(report)
        # Suppressed findings too: the report writers read them in a pass of their own.
        r = subprocess.run([FINDEX, "--db", cls.db, "-q", "triage", "1", "2", "3", "--status", "SUPPRESSED",
                            "--note", "accepted", "--by", "test"], capture_output=True, env=cls.env)
        assert r.returncode == 0, r.stderr
        cls.asff_kb = cls.peak_rss_kb(["export", "--format", "asff"])

    @classmethod
    def tearDownClass(cls):
        findex_cli.drop(cls.db)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def peak_rss_kb(cls, args, keep=False):
        """Runs findex (stdout to a file when `keep`, else /dev/null); returns its own peak RSS in KiB."""
        out = os.path.join(cls.tmp, "out") if keep else os.devnull
        err = os.path.join(cls.tmp, "err")
        with open(out, "wb") as o, open(err, "wb") as e:
            p = subprocess.Popen([FINDEX, "--db", cls.db, "--account-id", "123456789012", *args], stdout=o,
                                 stderr=e, env=cls.env)
            _, status, usage = os.wait4(p.pid, 0)
            p.returncode = os.waitstatus_to_exitcode(status)
        with open(err, encoding="utf-8", errors="replace") as e:
            assert p.returncode == 0, e.read()
        return usage.ru_maxrss

    def check(self, *args, keep=False):
        kb = self.peak_rss_kb(list(args), keep)
        self.assertLessEqual(kb, self.asff_kb + MARGIN_KB,
                             "%s: peak RSS %d KiB, the streaming ASFF export %d KiB" % (" ".join(args), kb, self.asff_kb))
        return kb

    def test_sarif_streams(self):
        self.check("export", "--format", "sarif", "--sarif-max-results", str(FINDINGS * 2))

    def test_junit_streams(self):
        self.check("export", "--format", "junit", keep=True)
        with open(os.path.join(self.tmp, "out"), encoding="utf-8") as f:
            head = f.read(300)
        self.assertIn('tests="%d" failures="%d"' % (FINDINGS, FINDINGS - 3), head)

    def test_markdown_streams(self):
        self.check("export", "--format", "markdown")

    def test_codeinsights_streams(self):
        self.check("export", "--format", "codeinsights")

    def test_query_json_streams(self):
        self.check("query", "--format", "json")


class ReportOrderFromTheStore(unittest.TestCase):
    """The report writers read open findings, then suppressed ones, in two queries: the order must
    be the one they had when they sorted the findings in memory (open before suppressed, most
    severe first, the store's order otherwise), across severities and with a user expression."""

    def test_suppressed_last_most_severe_first(self):
        tmp = tempfile.mkdtemp(prefix="findex-export-order-")
        self.addCleanup(shutil.rmtree, tmp, True)
        db = findex_cli.new_store(tmp)
        self.addCleanup(findex_cli.drop, db)
        env = findex_cli.clean_env(FINDEX_NOW="2026-02-03T04:05:06.000Z")
        samples = os.path.join(os.path.dirname(__file__), "..", "..", "samples")
        run = lambda *a: subprocess.run([FINDEX, "--db", db, *a], capture_output=True, env=env, cwd=tmp)
        r = run("-q", "ingest", os.path.join(samples, "zap-xml", "dd_zap_2.10.0_bodgeit_scan1.xml"),
                os.path.join(samples, "bandit", "dd_bandit_many_vulns.json"))
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = json.loads(run("export", "--format", "json").stdout)
        by_label = {}
        for row in rows:
            by_label.setdefault(row["severity"], []).append(row["id"])
        chosen = [ids[len(ids) // 2] for ids in by_label.values()]  # one of each severity, mid-list
        self.assertGreaterEqual(len(chosen), 3)
        r = run("-q", "triage", *chosen, "--status", "SUPPRESSED", "--note", "accepted", "--by", "test")
        self.assertEqual(r.returncode, 0, r.stderr)
        for expr in [[], ["scanner=bandit or severity>=MEDIUM"]]:
            rows = json.loads(run("export", "--format", "json", *expr).stdout)
            ids = [x["id"] for x in rows]
            want = [i for i in ids if i not in chosen] + [i for i in ids if i in chosen]
            self.assertNotEqual(want, ids)  # the suppressed ones move
            r = run("export", "--format", "sarif", *expr)
            self.assertEqual(r.returncode, 0, r.stderr)
            got = [x["properties"]["findex-id"] for x in json.loads(r.stdout)["runs"][0]["results"]]
            self.assertEqual(got, want)
            r = run("export", "--format", "codeinsights", *expr)
            got = [a["external_id"] for a in json.loads(r.stdout)["annotations"]]
            fp = {x["id"]: "findex-" + x["fingerprint"] for x in rows}
            self.assertEqual(got, [fp[i] for i in want])


if __name__ == "__main__":
    findex_cli.main()
