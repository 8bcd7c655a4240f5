#!/usr/bin/env python3
"""Runs asff_check.py over the findings of every golden file in samples/. Golden files of
reports that must fail hold an "error" and no "Findings"; they are skipped here (the golden
test checks them). Fails if any finding is invalid or there are no findings at all."""
import glob, json, os, subprocess, sys, tempfile

checker = sys.argv[1]
findings = []
for path in sorted(glob.glob("samples/*/*.expected.json")):
    findings.extend(json.load(open(path, encoding="utf-8")).get("Findings", []))
if not findings:
    print("no findings in golden files"); sys.exit(1)
with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as tmp:
    json.dump(findings, tmp)
try:
    r = subprocess.run([sys.executable, checker, tmp.name], capture_output=True, text=True)
finally:
    os.unlink(tmp.name)
print(r.stdout[-4000:], r.stderr[-2000:])
sys.exit(r.returncode)
