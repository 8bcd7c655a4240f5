#!/usr/bin/env python3
"""Lifecycle per scanned target (issue 8, defects 1 and 5): resolution by absence only from a
later report of the same scanner about the same target in the same scope, all reports of one
`findex ingest` as one batch, reports with rejected records that resolve nothing, --target,
--max-rejects, and identical re-ingests that still move LastObservedAt. Real Trivy reports:
an image scan (juice-shop, 25 CRITICAL) and a filesystem scan (catalina.jar, 3 findings).
Usage: lifecycle_test.py PATH_TO_FINDEX (run from the source tree)."""
import json, os, shutil, subprocess, sys

import findex_cli
from findex_cli import StoreCase

FINDEX = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else "build/cli/findex"
SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TRIVY = os.path.join(SRC, "samples", "trivy")
IMAGE = os.path.join(TRIVY, "scb_trivy_image_juiceshop_v10.2.0.json")  # ArtifactName bkimminich/juice-shop:v10.2.0
FS = os.path.join(TRIVY, "dd_trivy_cvssv4_filesystem.json")           # ArtifactName lib/catalina.jar
# FS with every "VulnerabilityID" renamed "VulnID" (tests/data/PROVENANCE.tsv): all 3 records rejected.
FS_RENAMED = os.path.join(SRC, "tests", "data", "lifecycle", "trivy_fs_renamed_key.json")


class Lifecycle(StoreCase):
    TMP_PREFIX = "findex-lifecycle-"

    def setUp(self):
        super().setUp()
        self.env = findex_cli.clean_env(FINDEX_NOW="2026-02-03T04:05:06.000Z")

    def run_findex(self, *args, now=None):
        env = dict(self.env, FINDEX_NOW=now) if now else self.env
        return subprocess.run([FINDEX, "--db", self.db, *args], capture_output=True, env=env, cwd=self.tmp)

    def ingest(self, *args, now=None, rc=0):
        r = self.run_findex("ingest", "--summary", "json", *args, now=now)
        self.assertEqual(r.returncode, rc, r.stderr.decode())
        return r, [json.loads(l) for l in r.stdout.decode().splitlines() if l.strip()]

    def states(self):
        """{target: {state: count}}"""
        out = {}
        for r in self.rows("SELECT target, state, count(*) AS n FROM v_findings GROUP BY 1, 2"):
            out.setdefault(r["target"], {})[r["state"]] = r["n"]
        return out

    def folder(self, name, files):
        d = os.path.join(self.tmp, name)
        os.makedirs(d)
        for dest, src in files.items():
            if isinstance(src, dict):
                with open(os.path.join(d, dest), "w") as f:
                    json.dump(src, f)
            else:
                shutil.copy(src, os.path.join(d, dest))
        return d

    def trivy_subset(self, path, keep):
        """The report with only the vulnerabilities whose index (in report order) is in `keep`."""
        with open(path) as f:
            doc = json.load(f)
        i = 0
        for res in doc.get("Results", []):
            vulns = []
            for v in res.get("Vulnerabilities") or []:
                if i in keep:
                    vulns.append(v)
                i += 1
            res["Vulnerabilities"] = vulns
        return doc

    # --- defect 1: reports about different targets never resolve each other ---
    def test_target_is_what_the_report_scanned(self):
        _, out = self.ingest(IMAGE, FS)
        self.assertEqual([o["targets"] for o in out], [["bkimminich/juice-shop:v10.2.0"], ["lib/catalina.jar"]])
        self.assertEqual(self.states(), {"bkimminich/juice-shop:v10.2.0": {"ACTIVE": 198}, "lib/catalina.jar": {"ACTIVE": 3}})
        runs = self.rows("SELECT target FROM runs ORDER BY id")
        self.assertEqual([r["target"] for r in runs], ["bkimminich/juice-shop:v10.2.0", "lib/catalina.jar"])

    def test_image_and_filesystem_scan_in_one_call_do_not_resolve_each_other(self):
        # One folder, both orders: the file order must not matter.
        for names in (("a_image.json", "b_fs.json"), ("b_image.json", "a_fs.json")):
            for f in ("t.db", "t.db-wal", "t.db-shm"):
                if os.path.exists(os.path.join(self.tmp, f)):
                    os.remove(os.path.join(self.tmp, f))
            d = self.folder("reports-" + names[0], {names[0]: IMAGE, names[1]: FS})
            _, out = self.ingest(d)
            self.assertEqual(sum(o["resolved"] for o in out), 0)
            self.assertEqual(self.states(), {"bkimminich/juice-shop:v10.2.0": {"ACTIVE": 198}, "lib/catalina.jar": {"ACTIVE": 3}})
            g = self.run_findex("gate", "--fail-on", "CRITICAL", "--no-policy")
            self.assertEqual(g.returncode, 1, g.stdout.decode() + g.stderr.decode())

    def test_image_and_filesystem_scan_in_two_calls_do_not_resolve_each_other(self):
        self.ingest(IMAGE)
        _, out = self.ingest(FS, now="2026-02-04T00:00:00.000Z")
        self.assertEqual(out[0]["resolved"], 0)
        self.ingest(IMAGE, now="2026-02-05T00:00:00.000Z")  # and back: a repeat, nothing about the fs scan
        self.assertEqual(self.states(), {"bkimminich/juice-shop:v10.2.0": {"ACTIVE": 198}, "lib/catalina.jar": {"ACTIVE": 3}})
        g = self.run_findex("gate", "--fail-on", "CRITICAL", "--no-policy")
        self.assertEqual(g.returncode, 1)

    def test_later_report_about_the_same_target_resolves(self):
        self.ingest(FS)
        _, out = self.ingest(self.folder("later", {"fs.json": self.trivy_subset(FS, {0})}), now="2026-02-04T00:00:00.000Z")
        self.assertEqual(out[0]["resolved"], 2)
        self.assertEqual(out[0]["absence"][0]["target"], "lib/catalina.jar")
        self.assertEqual(self.states(), {"lib/catalina.jar": {"ACTIVE": 1, "ARCHIVED": 2}})

    def test_target_flag_overrides_the_reports(self):
        _, out = self.ingest("--target", "prod", IMAGE)
        self.assertEqual(out[0]["targets"], ["prod"])
        # The fs scan named "prod" too: now it is a later report about the same target.
        _, out = self.ingest("--target", "prod", FS, now="2026-02-04T00:00:00.000Z")
        self.assertEqual(out[0]["resolved"], 198)
        self.assertEqual(self.states(), {"prod": {"ACTIVE": 3, "ARCHIVED": 198}})

    # --- batches: the union of a scanner's reports about a target ---
    def test_two_reports_of_one_target_in_one_batch_are_a_union(self):
        self.ingest(FS)
        part1, part2 = self.trivy_subset(FS, {0}), self.trivy_subset(FS, {1, 2})
        for order in (("a.json", "b.json"), ("b.json", "a.json")):
            d = self.folder("split-" + order[0], {order[0]: part1, order[1]: part2})
            _, out = self.ingest(d, now="2026-02-04T00:00:00.000Z")
            # (the second time, a file identical to one of the first batch is a repeat: an observation)
            self.assertTrue(all(o["status"] in ("ok", "unchanged") for o in out), out)
            self.assertEqual(sum(o["resolved"] for o in out), 0)
            self.assertEqual(sum(o["reopened"] for o in out), 0)
            self.assertEqual(self.states(), {"lib/catalina.jar": {"ACTIVE": 3}})
            hist = self.rows("SELECT count(*) AS n FROM history WHERE action IN ('resolved', 'reopened')")
            self.assertEqual(hist[0]["n"], 0)
        # The next batch has only part 1: the rest is absent from every report about the target.
        _, out = self.ingest(self.folder("only1", {"a.json": part1, "c.json": self.trivy_subset(FS, set())}),
                             now="2026-02-05T00:00:00.000Z")
        self.assertEqual(sum(o["resolved"] for o in out), 2)

    # --- defect 5: a report whose every record is rejected is not a clean scan ---
    def test_all_records_rejected_is_an_error_and_resolves_nothing(self):
        self.ingest(FS)
        g = self.run_findex("gate", "--fail-on", "MEDIUM", "--no-policy")
        self.assertEqual(g.returncode, 1)
        r, out = self.ingest(FS_RENAMED, now="2026-02-04T00:00:00.000Z", rc=2)
        err = r.stderr.decode()
        self.assertIn("trivy_fs_renamed_key.json", err)
        self.assertIn("every record was rejected (3 rejects)", err)
        self.assertIn("SELECT * FROM rejects", err)
        self.assertEqual(out[0]["status"], "error")
        self.assertEqual(out[0]["rejects"], 3)
        self.assertEqual(out[0]["resolved"], 0)
        self.assertEqual(self.states(), {"lib/catalina.jar": {"ACTIVE": 3}})
        self.assertEqual(len(self.rows("SELECT * FROM rejects")), 3)  # stored as before
        g = self.run_findex("gate", "--fail-on", "MEDIUM", "--no-policy")
        self.assertEqual(g.returncode, 1)  # the gate that failed still fails
        # Again, identical: read again (never a "repeat" of an incomplete report), fails again.
        self.ingest(FS_RENAMED, now="2026-02-05T00:00:00.000Z", rc=2)
        # Even with --max-rejects: no records at all is not a scan.
        self.ingest("--max-rejects", "100%", FS_RENAMED, now="2026-02-06T00:00:00.000Z", rc=2)
        self.assertEqual(self.states(), {"lib/catalina.jar": {"ACTIVE": 3}})

    def test_all_rejected_blocks_the_batch_of_its_target(self):
        # The good report and the broken one in one batch: the union is incomplete.
        self.ingest(FS)
        d = self.folder("mixed", {"a.json": self.trivy_subset(FS, {0}), "b.json": FS_RENAMED})
        r, out = self.ingest(d, now="2026-02-04T00:00:00.000Z", rc=2)
        self.assertEqual(sum(o["resolved"] for o in out), 0)
        self.assertEqual(self.states(), {"lib/catalina.jar": {"ACTIVE": 3}})

    def test_genuinely_empty_report_is_a_clean_scan(self):
        self.ingest(FS)
        _, out = self.ingest(self.folder("clean", {"fs.json": self.trivy_subset(FS, set())}), now="2026-02-04T00:00:00.000Z")
        self.assertEqual(out[0]["status"], "ok")
        self.assertEqual(out[0]["resolved"], 3)

    def test_max_rejects(self):
        # One record of three renamed: 2 good, 1 rejected (CVE-2025-66614, the MEDIUM one).
        with open(FS) as f:
            text = f.read()
        partial = os.path.join(self.tmp, "partial.json")
        with open(partial, "w") as f:
            f.write(text.replace('"VulnerabilityID"', '"VulnID"', 1))
        self.ingest(FS)
        r, out = self.ingest(partial, now="2026-02-04T00:00:00.000Z")  # default 0: stored, resolves nothing
        self.assertEqual((out[0]["records"], out[0]["rejects"], out[0]["complete"]), (2, 1, False))
        self.assertIn("1 record rejected", r.stderr.decode())
        self.assertIn("--max-rejects", r.stderr.decode())
        self.assertEqual(out[0]["resolved"], 0)
        self.assertEqual(self.states(), {"lib/catalina.jar": {"ACTIVE": 3}})
        t = self.run_findex("ingest", partial, now="2026-02-04T12:00:00.000Z")  # text summary says so too
        self.assertIn("1 records rejected, see findex sql", t.stdout.decode())
        r, out = self.ingest("--max-rejects", "1", partial, now="2026-02-05T00:00:00.000Z")
        self.assertTrue(out[0]["complete"])
        self.assertEqual(out[0]["resolved"], 1)
        self.ingest(FS, now="2026-02-06T00:00:00.000Z")
        r, out = self.ingest("--max-rejects", "20%", partial, now="2026-02-07T00:00:00.000Z")  # 1 of 3 > 20%
        self.assertEqual(out[0]["resolved"], 0)
        r, out = self.ingest("--max-rejects", "34%", partial, now="2026-02-08T00:00:00.000Z")
        self.assertEqual(out[0]["resolved"], 1)
        bad = self.run_findex("ingest", "--max-rejects", "ten", partial)
        self.assertEqual(bad.returncode, 2)
        self.assertIn("--max-rejects", bad.stderr.decode())

    # --- requirement: an identical re-ingest is still an observation ---
    def test_identical_reingest_moves_last_observed_at(self):
        self.ingest(FS, now="2026-02-03T00:00:00.000Z")
        _, out = self.ingest(FS, now="2026-02-10T00:00:00.000Z")
        self.assertEqual(out[0]["status"], "unchanged")
        rows = self.rows("SELECT first_observed_at, last_observed_at FROM v_findings")
        self.assertEqual(len(rows), 3)
        for r in rows:
            self.assertEqual(r["first_observed_at"], "2026-02-03T00:00:00.000Z")
            self.assertEqual(r["last_observed_at"], "2026-02-10T00:00:00.000Z")
        # asff (rendered by findex from the columns and details) shows the moved observation: the
        # view's asff column on SQLite; on PostgreSQL (no asff in findex sql) the ASFF export.
        if findex_cli.PG:
            r = self.run_findex("export", "--format", "asff")
            self.assertEqual(r.returncode, 0, r.stderr)
            docs = json.loads(r.stdout)
        else:
            r = self.run_findex("sql", "--format", "json", "SELECT asff FROM v_findings")
            self.assertEqual(r.returncode, 0, r.stderr)
            docs = [json.loads(x["asff"]) for x in json.loads(r.stdout)]
        self.assertEqual(len(docs), 3)
        self.assertEqual({d["LastObservedAt"] for d in docs}, {"2026-02-10T00:00:00.000Z"})
        self.assertEqual({d["FirstObservedAt"] for d in docs}, {"2026-02-03T00:00:00.000Z"})
        q = json.loads(self.run_findex("query", "--format", "json").stdout)
        self.assertEqual({x["last_observed_at"] for x in q}, {"2026-02-10T00:00:00.000Z"})


if __name__ == "__main__":
    findex_cli.main()
