#!/usr/bin/env python3
"""Runs asff_check.py over the findings of every golden file in samples/ (they are stored as
{"Findings": [...]}, which asff_check reads directly). Fails if any finding is invalid or no
golden file exists."""
import glob, subprocess, sys

checker = sys.argv[1]
files = sorted(glob.glob("samples/*/*.expected.json"))
if not files:
    print("no golden files found"); sys.exit(1)
r = subprocess.run([sys.executable, checker] + files, capture_output=True, text=True)
print(r.stdout[-4000:], r.stderr[-2000:])
sys.exit(r.returncode)
