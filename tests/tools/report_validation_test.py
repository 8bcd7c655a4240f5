#!/usr/bin/env python3
"""ctest report_validation: runs report_fixture into a temporary directory, validates every file
it writes with validate_reports.py, then checks that deliberately broken copies are rejected (so
the validation itself can fail).

    report_validation_test.py PATH_TO_REPORT_FIXTURE
"""
import difflib
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
VALIDATE = os.path.join(HERE, "validate_reports.py")
failures = []


def validate(*args):
    return subprocess.run([sys.executable, VALIDATE, *args], capture_output=True, text=True)


def expect_valid(*args):
    p = validate(*args)
    sys.stdout.write(p.stdout)
    if p.returncode != 0:
        failures.append(f"expected valid: {' '.join(args)}\n{p.stderr}")


def expect_invalid(label, *args, message):
    p = validate(*args)
    if p.returncode != 1 or not re.search(message, p.stderr):
        failures.append(f"{label}: expected exit 1 with /{message}/, got {p.returncode}: {p.stderr}{p.stdout}")
    else:
        print(f"rejected as expected ({label}): {p.stderr.strip().splitlines()[0]}")


TOLERATED_JUNIT = """<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="scan" tests="4" failures="1" errors="1" skipped="1" time="1.5" timestamp="2024-05-01T10:00:00"
           hostname="localhost" id="0" package="findex">
  <properties>
    <property name="scope" value="repo:main"/>
    <property name="note">multi-line
value</property>
  </properties>
  <testcase name="passes" classname="zap" time="0.25" assertions="2" file="src/app.py" line="12"/>
  <testcase name="errs" classname="zap">
    <error message="scanner crashed" type="RuntimeError">trace</error>
    <system-err>stderr text</system-err>
  </testcase>
  <testsuite name="nested" tests="2" failures="1" skipped="1">
    <testcase name="fails"><failure>no message or type</failure></testcase>
    <testcase name="skips"><skipped/></testcase>
  </testsuite>
  <system-out>suite output</system-out>
</testsuite>
"""


GOLDEN = os.path.join(HERE, "..", "golden", "reports")


def compare_golden(d):
    """Every file the fixture writes must equal tests/golden/reports/<name> (checked by hand when
    written); FINDEX_UPDATE_GOLDEN=1 rewrites them."""
    update = os.environ.get("FINDEX_UPDATE_GOLDEN") == "1"
    os.makedirs(GOLDEN, exist_ok=True)
    names = sorted(os.listdir(d))
    for name in names:
        with open(os.path.join(d, name), encoding="utf-8") as f:
            got = f.read()
        path = os.path.join(GOLDEN, name)
        if update:
            with open(path, "w", encoding="utf-8") as f:
                f.write(got)
            continue
        if not os.path.exists(path):
            failures.append(f"no golden file {path} (FINDEX_UPDATE_GOLDEN=1 writes it; check it by hand)")
            continue
        with open(path, encoding="utf-8") as f:
            want = f.read()
        if got != want:
            diff = difflib.unified_diff(want.splitlines(), got.splitlines(), "golden/" + name, "got/" + name, lineterm="")
            failures.append("differs from its golden file:\n" + "\n".join(list(diff)[:40]))
    for name in sorted(os.listdir(GOLDEN)):
        if name not in names:
            failures.append(f"golden file {name} is no longer written by report_fixture")


def main():
    fixture = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="findex-reports-") as d:
        p = subprocess.run([fixture, d], capture_output=True, text=True)
        if p.returncode != 0:
            print(f"report_fixture failed ({p.returncode}): {p.stderr}", file=sys.stderr)
            return 1
        print(p.stdout.strip())
        j = lambda name: os.path.join(d, name)
        compare_golden(d)
        expect_valid("--sarif", j("report.sarif"), "--junit", j("report.junit.xml"),
                     "--codeinsights", j("report.codeinsights.json"), "--verdict", j("report.json"))
        expect_valid("--sarif", j("export.sarif"), "--junit", j("export.junit.xml"),
                     "--codeinsights", j("export.codeinsights.json"), "--verdict", j("export.json"))

        # The fixture's gate must have failed with violations, suppressions and a notice.
        with open(j("report.json")) as f:
            verdict = json.load(f)
        if verdict["passed"] is not False or verdict["counts"]["violations"] == 0 or verdict["counts"]["suppressed"] == 0:
            failures.append(f"fixture verdict lacks a failure/violations/suppressions: {verdict['counts']}")
        with open(j("report.md")) as f:
            md = f.read()
        if not md.startswith("## findex gate: FAILED") or "### Notices" not in md or len(md) >= 65000:
            failures.append("report.md: headline, notices or size wrong")

        # Negative checks: one defect each, each must be caught.
        with open(j("report.sarif")) as f:
            sarif = json.load(f)
        broken = json.loads(json.dumps(sarif))
        del broken["runs"][0]["results"][0]["message"]
        with open(j("no_message.sarif"), "w") as f:
            json.dump(broken, f)
        expect_invalid("SARIF result without message", "--sarif", j("no_message.sarif"), message=r"message")

        broken = json.loads(json.dumps(sarif))
        broken["runs"][0]["results"][0]["level"] = "fatal"
        with open(j("bad_level.sarif"), "w") as f:
            json.dump(broken, f)
        expect_invalid("SARIF bad level", "--sarif", j("bad_level.sarif"), message=r"fatal")

        broken = json.loads(json.dumps(sarif))
        del broken["runs"][0]["results"][0]["partialFingerprints"]
        with open(j("no_fp.sarif"), "w") as f:
            json.dump(broken, f)
        expect_invalid("SARIF without partialFingerprints", "--sarif", j("no_fp.sarif"), message=r"partialFingerprints")

        # JUnit: the schema (junit-findex.xsd) and junitparser's counts are two separate checks;
        # the message says which one rejected the file.
        with open(j("report.junit.xml")) as f:
            junit = f.read()

        def junit_variant(name, text):
            if text == junit:
                failures.append(f"{name}: the substitution did not change the report")
            with open(j(name), "w") as f:
                f.write(text)
            return j(name)

        nameless = junit_variant("nameless.junit.xml", re.sub(
            r'<testcase classname="([^"]*)" name="[^"]*"', r'<testcase classname="\1"', junit, count=1))
        expect_invalid("JUnit test case without name", "--junit", nameless, message=r"JUnit schema: .*'name' is required")
        worded = junit_variant("worded_count.junit.xml", re.sub(
            r'(<testsuite [^>]*?)tests="\d+"', r'\1tests="three"', junit, count=1))
        expect_invalid("JUnit non-numeric tests count", "--junit", worded, message=r"JUnit schema: .*'tests'")
        late_out = junit_variant("late_output.junit.xml", junit.replace(
            "  </testsuite>\n", "    <system-out>gate log</system-out>\n    <testcase name=\"late\" time=\"0\"/>\n  </testsuite>\n", 1))
        expect_invalid("JUnit test case after system-out", "--junit", late_out, message=r"JUnit schema: .*testcase")
        two_results = junit_variant("two_results.junit.xml", re.sub(
            r'(<failure [^>]*>.*?</failure>\n)', r'\1      <skipped message="also"/>\n', junit, count=1, flags=re.S))
        expect_invalid("JUnit test case with two results", "--junit", two_results, message=r"JUnit schema: .*skipped")

        # What the consumers also accept must pass both checks: a lone <testsuite> root with
        # properties, an error, output, nested suites and the optional attributes.
        with open(j("tolerated.junit.xml"), "w") as f:
            f.write(TOLERATED_JUNIT)
        expect_valid("--junit", j("tolerated.junit.xml"))

        # Valid to the schema, caught only by junitparser's counts.
        miscounted = junit_variant("miscounted.junit.xml", re.sub(
            r'(<testsuites [^>]*?)failures="(\d+)"', lambda m: f'{m.group(1)}failures="{int(m.group(2)) + 1}"', junit, count=1))
        expect_invalid("JUnit wrong total failure count", "--junit", miscounted,
                       message=r"junitparser: testsuites: failures=\d+ but it reads \d+")
        suite_only = junit_variant("suite_failures.junit.xml", re.sub(
            r'(<testsuite [^>]*?)failures="(\d+)"', lambda m: f'{m.group(1)}failures="{int(m.group(2)) + 1}"', junit, count=1))
        expect_invalid("JUnit one suite's failures attribute wrong", "--junit", suite_only,
                       message=r"junitparser: suite .*: failures=\d+ but it reads \d+")
        skip_count = junit_variant("skipped_count.junit.xml", re.sub(
            r'(<testsuite [^>]*?)skipped="(\d+)"', lambda m: f'{m.group(1)}skipped="{int(m.group(2)) + 2}"', junit, count=1))
        expect_invalid("JUnit skipped attribute wrong", "--junit", skip_count, message=r"junitparser: suite .*: skipped=")
        errors_total = junit_variant("errors_total.junit.xml", re.sub(
            r'(<testsuites [^>]*?)errors="0"', r'\1errors="1"', junit, count=1))
        expect_invalid("JUnit testsuites errors total wrong", "--junit", errors_total, message=r"junitparser: testsuites: errors=1")

        with open(j("report.codeinsights.json")) as f:
            ci = json.load(f)
        broken = json.loads(json.dumps(ci))
        broken["report"]["data"] = [{"title": f"n{i}", "type": "NUMBER", "value": i} for i in range(11)]
        with open(j("too_much_data.json"), "w") as f:
            json.dump(broken, f)
        expect_invalid("Code Insights 11 data items", "--codeinsights", j("too_much_data.json"), message=r"at most 10")
        broken = json.loads(json.dumps(ci))
        broken["annotations"][0]["summary"] = "x" * 451
        with open(j("long_summary.json"), "w") as f:
            json.dump(broken, f)
        expect_invalid("Code Insights long summary", "--codeinsights", j("long_summary.json"), message=r"450")

        broken = json.loads(json.dumps(verdict))
        broken["counts"]["violations"] += 1
        with open(j("bad_verdict.json"), "w") as f:
            json.dump(broken, f)
        expect_invalid("verdict counts", "--verdict", j("bad_verdict.json"), message=r"counts.violations")

        # The first invalid file stops the run: a valid file after it is not reported.
        p = validate("--verdict", j("bad_verdict.json"), "--sarif", j("report.sarif"))
        if p.returncode != 1 or "ok sarif" in p.stdout:
            failures.append("validation went on after the first invalid file")

    if failures:
        for f in failures:
            print("FAIL: " + f, file=sys.stderr)
        return 1
    print("report_validation: all reports valid, all broken copies rejected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
