#!/usr/bin/env python3
"""ctest report_validation: runs report_fixture into a temporary directory, validates every file
it writes with validate_reports.py, then checks that deliberately broken copies are rejected (so
the validation itself can fail).

    report_validation_test.py PATH_TO_REPORT_FIXTURE
"""
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


def main():
    fixture = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="findex-reports-") as d:
        p = subprocess.run([fixture, d], capture_output=True, text=True)
        if p.returncode != 0:
            print(f"report_fixture failed ({p.returncode}): {p.stderr}", file=sys.stderr)
            return 1
        print(p.stdout.strip())
        j = lambda name: os.path.join(d, name)
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

        with open(j("report.junit.xml")) as f:
            junit = f.read()
        with open(j("nameless.junit.xml"), "w") as f:
            f.write(re.sub(r'<testcase classname="([^"]*)" name="[^"]*"', r'<testcase classname="\1"', junit, count=1))
        expect_invalid("JUnit test case without name", "--junit", j("nameless.junit.xml"), message=r"name")
        with open(j("miscounted.junit.xml"), "w") as f:
            f.write(re.sub(r'failures="(\d+)"', lambda m: f'failures="{int(m.group(1)) + 1}"', junit, count=2))
        expect_invalid("JUnit wrong failure count", "--junit", j("miscounted.junit.xml"), message=r"failures=")

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
