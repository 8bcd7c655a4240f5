#!/usr/bin/env python3
"""CLI tests for the TruffleHog, Nuclei and Prowler (OCSF) readers: a TruffleHog secret is never
in an export nor in the store, duplicates stored once, Prowler PASS not stored and muted ->
SUPPRESSED, a broken JSON line of a Nuclei report is one counted reject, broken files are one
clear error (exit 2).
Usage: misc_formats_test.py PATH_TO_FINDEX (run from the source tree)."""
import base64, glob, json, os, subprocess, sys

import findex_cli
from findex_cli import StoreCase

FINDEX = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else "build/cli/findex"
SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SAMPLES = os.path.join(SRC, "samples")
TH = os.path.join(SAMPLES, "trufflehog")
TH_REPORTS = [os.path.join(TH, n) for n in ("dd_v3_git.json", "dd_v3_github.json", "dd_v2_many_vulns.json")]


def read(path, mode="rb"):
    with open(path, mode) as f:
        return f.read()


def trufflehog_secrets():
    """Every secret-bearing value of the TruffleHog samples (Raw decoded and as written, RawV2,
    Redacted, v2 stringsFound), 8 characters or more."""
    out = set()
    for path in TH_REPORTS:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
        for line in lines:
            if not line.strip():
                continue
            d = json.loads(line)
            for k in ("Raw", "RawV2", "Redacted"):
                v = d.get(k) or ""
                out.add(v)
                try:
                    out.add(base64.b64decode(v, validate=True).decode("utf-8"))
                except Exception:
                    pass
            for s in d.get("stringsFound") or []:
                out.add(s)
    return sorted(s for s in out if len(s) >= 8)


class MiscFormats(StoreCase):
    TMP_PREFIX = "findex-misc-"

    def setUp(self):
        super().setUp()
        self.env = findex_cli.clean_env(FINDEX_NOW="2026-03-01T00:00:00.000Z")

    def findex(self, *args, stdin=None):
        return subprocess.run([FINDEX, "--db", self.db, *args], capture_output=True, env=self.env, cwd=self.tmp,
                              input=stdin, timeout=120)

    def ingest(self, *args, rc=0):
        r = self.findex("ingest", "--summary", "json", *args)
        self.assertEqual(r.returncode, rc, r.stderr.decode())
        return [json.loads(l) for l in r.stdout.decode().splitlines() if l.strip()]

    def write(self, name, data):
        path = os.path.join(self.tmp, name)
        with open(path, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())
        return path

    def count(self, scanner, where=""):
        return self.value("SELECT count(*) FROM findings WHERE scanner = ?" + where, scanner)

    # --- TruffleHog ---
    def test_trufflehog_secret_never_exported_nor_stored(self):
        secrets = trufflehog_secrets()
        self.assertGreater(len(secrets), 10)
        self.ingest(*TH_REPORTS)
        self.assertGreater(self.count("trufflehog"), 0)
        outputs = []
        for fmt in ("asff", "json", "csv", "sarif", "markdown"):
            r = self.findex("export", "--format", fmt)
            self.assertEqual(r.returncode, 0, r.stderr.decode())
            outputs.append((fmt, r.stdout))
        r = self.findex("query", "--format", "json")
        self.assertEqual(r.returncode, 0)
        outputs.append(("query", r.stdout))
        for t in findex_cli.tables(self.db):
            r = self.findex("sql", "--format", "json", "SELECT * FROM " + t)
            self.assertEqual(r.returncode, 0, r.stderr.decode())
            outputs.append(("sql " + t, r.stdout))
        if not findex_cli.PG:
            for p in glob.glob(self.db + "*"):  # the SQLite file and its WAL
                with open(p, "rb") as f:
                    outputs.append((p, f.read()))
        # The preview and the hash are there, so the check above is not vacuous.
        asff = json.loads(outputs[0][1])
        pf = [f["ProductFields"] for f in asff if f["ProductFields"].get("trufflehog/SecretHash")]
        self.assertEqual(len(pf), len(asff))
        self.assertTrue(all("trufflehog/SecretPreview" in p for p in pf))
        for name, data in outputs:
            text = data.decode("utf-8", "replace")
            for s in secrets:
                self.assertNotIn(s, text, "a secret is in %s" % name)
                for part in s.splitlines():  # a private key's lines, one by one
                    if len(part) >= 16 and "PRIVATE KEY" not in part:
                        self.assertNotIn(part, text, "a secret line is in %s" % name)

    def test_trufflehog_duplicates_and_severity(self):
        out = self.ingest(os.path.join(TH, "dd_v3_git.json"))
        self.assertEqual(out[0]["format"], "trufflehog")
        # 4 results, two of them the same URI secret in the same file: 3 findings, all verified.
        self.assertEqual(self.count("trufflehog"), 3)
        self.assertEqual(self.count("trufflehog", " AND severity = 4"), 3)
        # The GitHub scan of the same repository (".git" URL) finds the same secrets: no new finding.
        out = self.ingest(os.path.join(TH, "dd_v3_github.json"))
        self.assertEqual(out[0]["new"], 0, out)
        self.assertEqual(self.count("trufflehog"), 3)
        # v2: 64 lines, 20 distinct (rule, file, secret): unverified -> HIGH.
        self.ingest(os.path.join(TH, "dd_v2_many_vulns.json"))
        self.assertEqual(self.count("trufflehog", " AND severity = 3"), 20)

    def test_trufflehog_broken_line_and_broken_file(self):
        lines = read(os.path.join(TH, "dd_v3_git.json")).splitlines()
        data = b"\n".join(lines[:2]) + b'\n{"SourceMetadata": {"Data": \n' + lines[3] + b"\n"
        out = self.ingest(self.write("th.jsonl", data))
        self.assertEqual(out[0]["rejects"], 1)
        rej = self.rows("SELECT line, reason FROM rejects")
        self.assertEqual([r["line"] for r in rej], [3])
        self.assertEqual(self.count("trufflehog"), 2)  # AWS and URI (line 4 repeats line 2's URI)
        out = self.ingest("--format", "trufflehog", self.write("not.json", '{"a": 1}\n{"b": 2}\n'), rc=2)
        self.assertEqual(out[0]["status"], "error")

    # --- Nuclei ---
    def test_nuclei_broken_line_is_one_reject_and_duplicates_once(self):
        src = read(os.path.join(SAMPLES, "nuclei", "dd_many_findings.json")).splitlines()
        src = [l for l in src if l.strip()]
        data = b"\n".join(src[:3] + [src[0], b'{"template-id": "x", "info": {"sev'] + src[3:]) + b"\n"
        out = self.ingest(self.write("nuclei.jsonl", data))
        self.assertEqual(out[0]["format"], "nuclei")
        self.assertEqual(out[0]["rejects"], 1)
        rej = self.rows("SELECT line, reason FROM rejects")
        self.assertEqual(len(rej), 1)
        self.assertEqual(rej[0]["line"], 5)
        self.assertIn("JSON", rej[0]["reason"])
        # The duplicate (line 4 = line 1) is stored once.
        clean = self.new_store("clean.db")
        r = subprocess.run([FINDEX, "--db", clean, "ingest", os.path.join(SAMPLES, "nuclei", "dd_many_findings.json")],
                           capture_output=True, env=self.env, cwd=self.tmp, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        expected = findex_cli.value(clean, "SELECT count(*) FROM findings")
        self.assertEqual(self.count("nuclei"), expected)

    def test_nuclei_broken_first_line_is_a_reject(self):
        src = [l for l in read(os.path.join(SAMPLES, "nuclei", "dd_many_findings.json")).splitlines() if l.strip()]
        out = self.ingest("--format", "nuclei", self.write("first.jsonl", b"\n".join([src[0][:40]] + src[1:]) + b"\n"))
        self.assertEqual(out[0]["rejects"], 1)
        self.assertEqual([r["line"] for r in self.rows("SELECT line FROM rejects")], [1])
        self.assertEqual(self.count("nuclei"), len(src) - 1)

    def test_nuclei_array_and_lines_agree(self):
        lines = [json.loads(l) for l in read(os.path.join(SAMPLES, "nuclei", "dd_many_findings.json"), "r").splitlines()
                 if l.strip()]
        self.ingest(self.write("a.jsonl", "\n".join(json.dumps(x) for x in lines)))
        ids = self.rows("SELECT asff_id FROM findings ORDER BY asff_id")
        out = self.ingest(self.write("b.json", json.dumps(lines, indent=2)))
        self.assertEqual(out[0]["new"], 0)
        self.assertEqual(self.rows("SELECT asff_id FROM findings ORDER BY asff_id"), ids)

    def test_nuclei_classification_and_severity(self):
        cve = {"template-id": "CVE-2021-44228", "info": {"name": "Log4Shell", "severity": "critical",
               "classification": {"cve-id": ["cve-2021-44228"], "cwe-id": ["cwe-502", "cwe-917"],
                                  "cvss-metrics": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", "cvss-score": 10,
                                  "epss-score": 0.97}},
               "matcher-name": "dns", "type": "http", "host": "https://app.example", "matched-at":
               "https://app.example/api?x=${jndi}", "extracted-results": ["tok1", "tok2"], "matcher-status": True,
               "request": "GET /api HTTP/1.1\r\nAuthorization: Bearer SECRETTOKEN", "curl-command": "curl SECRETTOKEN"}
        unk = {"template-id": "odd", "info": {"name": "Odd", "severity": "unknown"}, "type": "http",
               "host": "https://app.example", "matched-at": "https://app.example/odd"}
        nomatch = dict(unk, **{"template-id": "no-match", "matcher-status": False})
        self.ingest(self.write("n.jsonl", "\n".join(json.dumps(x) for x in (cve, unk, nomatch))))
        asff = json.loads(self.findex("export", "--format", "asff").stdout)
        self.assertEqual(len(asff), 2)  # matcher-status false is not a finding
        by = {f["GeneratorId"]: f for f in asff}
        f = by["nuclei/CVE-2021-44228"]
        self.assertEqual(f["Severity"]["Label"], "CRITICAL")
        self.assertEqual([v["Id"] for v in f["Vulnerabilities"]], ["CVE-2021-44228"])
        self.assertEqual(f["Vulnerabilities"][0]["Cvss"][0]["BaseScore"], 10)
        self.assertEqual(f["ProductFields"]["nuclei/ExtractedResults"], "2")
        self.assertEqual(f["Resources"][0]["Id"], "https://app.example/api?x=${jndi}")
        self.assertNotIn("SECRETTOKEN", json.dumps(asff))
        self.assertNotIn("tok1", json.dumps(asff))
        self.assertEqual(by["nuclei/odd"]["Severity"]["Label"], "INFORMATIONAL")

    # --- Prowler ---
    def prowler_events(self):
        return json.loads(read(os.path.join(SAMPLES, "prowler", "dd_aws.ocsf.json")))

    def test_prowler_pass_not_stored_muted_suppressed(self):
        ev = self.prowler_events()
        self.assertEqual([e["status_code"] for e in ev], ["FAIL", "MANUAL", "FAIL"])
        passed = json.loads(json.dumps(ev[0]))
        passed["status_code"] = "PASS"
        passed["metadata"]["event_code"] = "check_that_passed"
        muted = json.loads(json.dumps(ev[2]))
        muted["metadata"]["event_code"] = "muted_check"
        muted["status_id"] = 3
        muted["status"] = "Suppressed"
        out = self.ingest(self.write("prowler.ocsf.json", json.dumps(ev + [passed, muted, ev[0]], indent=4)))
        self.assertEqual(out[0]["format"], "prowler")
        self.assertEqual(out[0]["rejects"], 0)
        # FAIL, FAIL and the muted FAIL; MANUAL and PASS are not findings; ev[0] twice is stored once.
        self.assertEqual(self.count("prowler"), 3)
        self.assertEqual(self.value("SELECT count(*) FROM findings WHERE generator_id = 'prowler-check_that_passed'"), 0)
        self.assertEqual(self.value("SELECT workflow FROM findings WHERE generator_id = 'prowler-muted_check'"),
                         "SUPPRESSED")
        self.assertEqual(self.count("prowler", " AND workflow = 'SUPPRESSED'"), 1)
        asff = json.loads(self.findex("export", "--format", "asff").stdout)
        f = [x for x in asff if x["GeneratorId"] == "prowler-accessanalyzer_enabled"][0]
        self.assertEqual(f["Severity"]["Label"], "LOW")
        self.assertEqual(f["Resources"][0]["Id"], "<resource_uid>")
        self.assertEqual(f["Resources"][0]["Details"]["Other"]["CloudAccountUid"], "<account_uid>")
        self.assertIn("CIS-1.4: 1.20", f["ProductFields"]["prowler/Compliance"])

    def test_prowler_json_lines_and_rejects(self):
        ev = self.prowler_events()
        other = json.loads(json.dumps(ev[0]))
        other["class_uid"] = 2003  # a Compliance Finding: not read as a Detection Finding
        k8s = json.loads(json.dumps(ev[2]))
        del k8s["cloud"]
        k8s["resources"][0]["namespace"] = "kube-system"
        k8s["metadata"]["event_code"] = "apiserver_check"
        lines = [json.dumps(ev[0]), json.dumps(other), '{"metadata": {"event_code": "x"', json.dumps(k8s)]
        out = self.ingest("--format", "prowler", self.write("p.ndjson", "\n".join(lines) + "\n"))
        self.assertEqual(out[0]["rejects"], 2)
        self.assertEqual(sorted(r["line"] for r in self.rows("SELECT line FROM rejects")), [2, 3])
        self.assertEqual(self.count("prowler"), 2)

    def test_prowler_broken_files(self):
        # Not OCSF at all: one clear error.
        out = self.ingest("--format", "prowler", self.write("x.json", '[{"a": 1}]'), rc=2)
        self.assertEqual(out[0]["status"], "error")
        # A truncated array: one clear error, nothing stored.
        data = read(os.path.join(SAMPLES, "prowler", "dd_azure.ocsf.json"))
        out = self.ingest(self.write("cut.ocsf.json", data[: len(data) // 2]), rc=2)
        self.assertEqual(self.count("prowler"), 0)


if __name__ == "__main__":
    findex_cli.main()
