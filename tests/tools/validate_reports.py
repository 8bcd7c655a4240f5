#!/usr/bin/env python3
"""Validates findex gate/export reports against what their CI consumers accept.

    validate_reports.py [--sarif F] [--junit F] [--codeinsights F] [--verdict F] [--schema-dir D]

Each option may be repeated. Checks, in the order given on the command line:
  --sarif         SARIF 2.1.0 JSON schema (tests/data/sarif-2.1.0.json, draft-07) plus what GitHub
                  code scanning needs: a location and partialFingerprints per result, ruleIndex
                  matching ruleId, security-severity a number in a string, at most 25,000 results.
  --junit         two independent readers: `xmllint --schema tests/data/junit-findex.xsd` (the format
                  CodeBuild and Jenkins read, written for findex from their documentation), then
                  junitparser (Debian python3-junitparser) loads the file and every suite's declared
                  tests/failures/errors/skipped must equal the test cases and results it reads, and
                  every test case must have a name.
  --codeinsights  Bitbucket Code Insights report + annotations: field names, enums and limits.
  --verdict       findex's JSON verdict: keys, types, counts consistent with the findings.
Exits 0 when every file is valid, 1 at the first invalid file (message on stderr), 2 on usage
errors or a missing tool. Needs jsonschema (Debian python3-jsonschema) for SARIF and junitparser
(Debian python3-junitparser) for JUnit: re-runs itself under /usr/bin/python3, where apt installs
them, when the current interpreter lacks one.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SCHEMA_DIR = os.path.normpath(os.path.join(HERE, "..", "data"))


class Invalid(Exception):
    pass


def load_json(path):
    try:
        with open(path, "rb") as f:
            return json.loads(f.read().decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise Invalid(f"not valid UTF-8 JSON: {e}")


def need(cond, msg):
    if not cond:
        raise Invalid(msg)


# --- SARIF ---------------------------------------------------------------------------------------

def check_sarif(path, schema_dir):
    import jsonschema

    doc = load_json(path)
    with open(os.path.join(schema_dir, "sarif-2.1.0.json"), encoding="utf-8") as f:
        schema = json.load(f)
    validator = jsonschema.Draft7Validator(schema)
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    if errors:
        e = jsonschema.exceptions.best_match(errors)
        where = "/".join(str(p) for p in e.absolute_path) or "(root)"
        raise Invalid(f"SARIF schema: at {where}: {e.message}")
    need(doc.get("version") == "2.1.0", "SARIF version is not 2.1.0")
    need(len(doc.get("runs", [])) >= 1, "SARIF has no run")
    for r, run in enumerate(doc["runs"]):
        rules = run.get("tool", {}).get("driver", {}).get("rules", [])
        for i, rule in enumerate(rules):
            sev = rule.get("properties", {}).get("security-severity")
            if sev is not None:
                need(isinstance(sev, str), f"runs/{r}/rules/{i}: security-severity must be a string")
                try:
                    v = float(sev)
                except ValueError:
                    raise Invalid(f"runs/{r}/rules/{i}: security-severity {sev!r} is not a number")
                need(0.0 <= v <= 10.0, f"runs/{r}/rules/{i}: security-severity {v} outside 0..10")
        results = run.get("results", [])
        need(len(results) <= 25000, f"runs/{r}: {len(results)} results, GitHub accepts at most 25,000")
        for i, res in enumerate(results):
            at = f"runs/{r}/results/{i}"
            need(res.get("locations"), f"{at}: no location (GitHub requires one)")
            need(res.get("partialFingerprints"), f"{at}: no partialFingerprints")
            if "ruleIndex" in res:
                idx = res["ruleIndex"]
                need(idx < len(rules), f"{at}: ruleIndex {idx} past the {len(rules)} rules")
                need(rules[idx].get("id") == res.get("ruleId"),
                     f"{at}: ruleIndex {idx} names rule {rules[idx].get('id')!r}, ruleId is {res.get('ruleId')!r}")
    return f"{sum(len(run.get('results', [])) for run in doc['runs'])} results"


# --- JUnit ---------------------------------------------------------------------------------------

def check_junit(path, schema_dir):
    xmllint = shutil.which("xmllint")
    if not xmllint:
        print("validate_reports.py: xmllint not found (Debian package libxml2-utils)", file=sys.stderr)
        sys.exit(2)
    xsd = os.path.join(schema_dir, "junit-findex.xsd")
    p = subprocess.run([xmllint, "--noout", "--schema", xsd, path], capture_output=True, text=True)
    if p.returncode != 0:
        raise Invalid("JUnit schema: " + (p.stderr.strip() or p.stdout.strip() or f"xmllint exit {p.returncode}"))
    return check_junit_counts(path)


COUNTS = ("tests", "failures", "errors", "skipped")


def check_junit_counts(path):
    """Second, independent reader: junitparser's view of the suites, cases and results."""
    import junitparser

    def declared(elem, key):
        # A plain Attr reads the attribute as written; junitparser's IntAttr would fill a missing
        # count in by recounting, which would hide a wrong declared one.
        v = junitparser.Attr(key).__get__(elem, type(elem))
        if v is None:
            return None
        try:
            return int(v)
        except ValueError:
            raise Invalid(f"junitparser: {key}={v!r} is not a whole number")

    def counted(suite):
        # junitparser's own semantics: a suite's cases include those of nested suites.
        n = dict.fromkeys(COUNTS, 0)
        for case in suite:
            need(case.name, f"junitparser: a test case in suite {suite.name!r} has no name")
            n["tests"] += 1
            for r in case.result:
                if isinstance(r, junitparser.Failure):
                    n["failures"] += 1
                elif isinstance(r, junitparser.Error):
                    n["errors"] += 1
                elif isinstance(r, junitparser.Skipped):
                    n["skipped"] += 1
        return n

    def check_suite(suite):
        n = counted(suite)
        need(declared(suite, "tests") is not None, f"junitparser: suite {suite.name!r} declares no tests count")
        for key in COUNTS:
            d = declared(suite, key)
            need(d is None or d == n[key], f"junitparser: suite {suite.name!r}: {key}={d} but it reads {n[key]}")
        for inner in suite.testsuites():
            check_suite(inner)
        return n

    try:
        doc = junitparser.JUnitXml.fromfile(path)
    except junitparser.JUnitXmlError as e:
        raise Invalid(f"junitparser: {e}")
    if isinstance(doc, junitparser.TestSuite):
        total = check_suite(doc)
        suites = 1
    else:
        total = dict.fromkeys(COUNTS, 0)
        suites = 0
        for suite in doc:
            suites += 1
            for key, v in check_suite(suite).items():
                total[key] += v
        for key in COUNTS:
            d = declared(doc, key)
            need(d is None or d == total[key], f"junitparser: testsuites: {key}={d} but it reads {total[key]}")
    return (f"{suites} suites, {total['tests']} test cases, {total['failures']} failures, "
            f"{total['skipped']} skipped")


# --- Bitbucket Code Insights ---------------------------------------------------------------------
# Bitbucket Cloud REST API 2.0, Reports: "Create or update a report" and "Bulk create or update
# annotations" (https://developer.atlassian.com/cloud/bitbucket/rest/api-group-reports/).

REPORT_KEYS = {"title", "details", "external_id", "reporter", "link", "remote_link_enabled", "logo_url",
               "report_type", "result", "data"}
ANNOTATION_KEYS = {"external_id", "annotation_type", "path", "line", "summary", "details", "result",
                   "severity", "link"}
DATA_TYPES = {"BOOLEAN", "DATE", "DURATION", "LINK", "NUMBER", "PERCENTAGE", "TEXT"}


def check_data_value(at, t, v):
    if t == "BOOLEAN":
        need(isinstance(v, bool), f"{at}: BOOLEAN value {v!r}")
    elif t in ("DATE", "DURATION", "NUMBER", "PERCENTAGE"):
        need(isinstance(v, (int, float)) and not isinstance(v, bool), f"{at}: {t} value {v!r} is not a number")
    elif t == "TEXT":
        need(isinstance(v, str), f"{at}: TEXT value {v!r} is not a string")
    elif t == "LINK":
        need(isinstance(v, dict) and isinstance(v.get("text"), str) and isinstance(v.get("href"), str),
             f"{at}: LINK value must be {{text, href}}")


def check_codeinsights(path, _schema_dir):
    doc = load_json(path)
    need(isinstance(doc, dict) and set(doc) == {"report", "annotations"},
         "Code Insights: expected an object with exactly 'report' and 'annotations'")
    rep = doc["report"]
    need(isinstance(rep, dict), "report: not an object")
    extra = set(rep) - REPORT_KEYS
    need(not extra, f"report: unknown fields {sorted(extra)}")
    need(isinstance(rep.get("title"), str) and 0 < len(rep["title"]) <= 450, "report.title: required, at most 450 chars")
    need(isinstance(rep.get("details", ""), str) and len(rep.get("details", "")) <= 2000,
         "report.details: at most 2000 chars")
    need(rep.get("report_type") in {"SECURITY", "COVERAGE", "TEST", "BUG"}, f"report.report_type: {rep.get('report_type')!r}")
    need("result" not in rep or rep["result"] in {"PASSED", "FAILED", "PENDING"}, f"report.result: {rep.get('result')!r}")
    data = rep.get("data", [])
    need(isinstance(data, list) and len(data) <= 10, f"report.data: at most 10 items, has {len(data)}")
    for i, d in enumerate(data):
        at = f"report.data[{i}]"
        need(isinstance(d, dict) and set(d) <= {"title", "type", "value"}, f"{at}: fields must be title, type, value")
        need(isinstance(d.get("title"), str) and d["title"], f"{at}: title required")
        need("value" in d, f"{at}: value required")
        if "type" in d:
            need(d["type"] in DATA_TYPES, f"{at}: type {d['type']!r}")
            check_data_value(at, d["type"], d["value"])
    anns = doc["annotations"]
    need(isinstance(anns, list) and len(anns) <= 1000, f"annotations: at most 1000 per report, has {len(anns)}")
    seen = set()
    for i, a in enumerate(anns):
        at = f"annotations[{i}]"
        need(isinstance(a, dict), f"{at}: not an object")
        extra = set(a) - ANNOTATION_KEYS
        need(not extra, f"{at}: unknown fields {sorted(extra)}")
        eid = a.get("external_id")
        need(isinstance(eid, str) and eid, f"{at}: external_id required")
        need(eid not in seen, f"{at}: duplicate external_id {eid!r}")
        seen.add(eid)
        need(a.get("annotation_type") in {"VULNERABILITY", "CODE_SMELL", "BUG"}, f"{at}: annotation_type {a.get('annotation_type')!r}")
        need(isinstance(a.get("summary"), str) and 0 < len(a["summary"]) <= 450, f"{at}: summary required, at most 450 chars")
        need(isinstance(a.get("details", ""), str), f"{at}: details must be a string")
        need("severity" not in a or a["severity"] in {"CRITICAL", "HIGH", "MEDIUM", "LOW"}, f"{at}: severity {a.get('severity')!r}")
        need("result" not in a or a["result"] in {"PASSED", "FAILED", "IGNORED", "SKIPPED"}, f"{at}: result {a.get('result')!r}")
        if "path" in a:
            need(isinstance(a["path"], str) and a["path"], f"{at}: path must be a non-empty string")
        if "line" in a:
            need("path" in a, f"{at}: line without path")
            need(isinstance(a["line"], int) and not isinstance(a["line"], bool) and a["line"] >= 1, f"{at}: line {a['line']!r}")
    return f"{len(data)} data items, {len(anns)} annotations"


# --- findex verdict ------------------------------------------------------------------------------

FINDING_KEYS = {"id": str, "fingerprint": str, "severity": str, "scanner": str, "rule": str, "title": str,
                "location": str, "status": str, "is_new": bool, "gates": list, "policy": list}
GATE_KEYS = {"name": str, "passed": bool, "max": dict, "counts": dict, "violated": list, "new_only": bool,
             "baseline": str, "fixable_only": bool}
LABELS = {"CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL"}


def check_verdict(path, _schema_dir):
    doc = load_json(path)
    need(isinstance(doc, dict), "verdict: not an object")
    for k in ("passed", "scope", "baseline", "generated_at", "gates", "counts", "notices", "findings"):
        need(k in doc, f"verdict: missing {k!r}")
    need(doc["passed"] is None or isinstance(doc["passed"], bool), "verdict.passed: must be a boolean (or null for exports)")
    for i, g in enumerate(doc["gates"]):
        for k, t in GATE_KEYS.items():
            need(isinstance(g.get(k), t), f"gates[{i}].{k}: missing or not {t.__name__}")
        for k in ("max", "counts"):
            for label, n in g[k].items():
                need(label in LABELS and isinstance(n, int), f"gates[{i}].{k}: {label!r}: {n!r}")
    if doc["passed"] is not None and doc["gates"]:
        need(doc["passed"] == all(g["passed"] for g in doc["gates"]), "verdict.passed disagrees with the gates")
    status = {"violation": 0, "open": 0, "suppressed": 0}
    fresh = 0
    for i, f in enumerate(doc["findings"]):
        for k, t in FINDING_KEYS.items():
            need(isinstance(f.get(k), t), f"findings[{i}].{k}: missing or not {t.__name__}")
        need(f["severity"] in LABELS, f"findings[{i}].severity: {f['severity']!r}")
        need(f["status"] in status, f"findings[{i}].status: {f['status']!r}")
        need(len(f["fingerprint"]) == 32 and all(c in "0123456789abcdef" for c in f["fingerprint"]),
             f"findings[{i}].fingerprint: {f['fingerprint']!r} is not 32 hex digits")
        status[f["status"]] += 1
        fresh += f["is_new"]
    c = doc["counts"]
    for k, want in (("violations", status["violation"]), ("open", status["open"]),
                    ("suppressed", status["suppressed"]), ("new", fresh)):
        need(c.get(k) == want, f"counts.{k}={c.get(k)!r} but the findings give {want}")
    return f"{len(doc['findings'])} findings, passed={doc['passed']}"


CHECKS = {"sarif": check_sarif, "junit": check_junit, "codeinsights": check_codeinsights, "verdict": check_verdict}


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for kind in CHECKS:
        ap.add_argument(f"--{kind}", action="append", default=[], metavar="FILE")
    ap.add_argument("--schema-dir", default=DEFAULT_SCHEMA_DIR)
    args = ap.parse_args(argv)
    # Command-line order, so the first invalid file named is the one reported.
    jobs = []
    it = iter(argv)
    for a in it:
        for kind in CHECKS:
            if a == f"--{kind}":
                jobs.append((kind, next(it)))
            elif a.startswith(f"--{kind}="):
                jobs.append((kind, a.split("=", 1)[1]))
    if not jobs:
        ap.error("nothing to validate: give --sarif, --junit, --codeinsights or --verdict")
    kinds = {kind for kind, _ in jobs}
    for kind, module, package in (("sarif", "jsonschema", "python3-jsonschema"),
                                  ("junit", "junitparser", "python3-junitparser")):
        if kind not in kinds:
            continue
        try:
            __import__(module)
        except ImportError:
            if os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3") and os.path.exists("/usr/bin/python3"):
                os.execv("/usr/bin/python3", ["/usr/bin/python3", os.path.abspath(__file__)] + argv)
            print(f"validate_reports.py: {module} is not installed (Debian package {package})", file=sys.stderr)
            return 2
    for kind, path in jobs:
        if not os.path.exists(path):
            print(f"{path}: no such file", file=sys.stderr)
            return 1
        try:
            what = CHECKS[kind](path, args.schema_dir)
        except Invalid as e:
            print(f"{path}: invalid {kind}: {e}", file=sys.stderr)
            return 1
        except (ET.ParseError, KeyError, TypeError, ValueError, AttributeError) as e:
            print(f"{path}: invalid {kind}: {type(e).__name__}: {e}", file=sys.stderr)
            return 1
        print(f"ok {kind}: {path}: {what}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
