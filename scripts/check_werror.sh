#!/usr/bin/env bash
# CI check: the scripts' build (build/) compiles every findex source with -Werror, and a plain
# user configure (`cmake -DCMAKE_BUILD_TYPE=Release`, no FINDEX_WERROR) does not.
set -euo pipefail
cd "$(dirname "$0")/.."
cc=build/compile_commands.json
if [ ! -f "$cc" ]; then
  echo "check_werror: $cc missing (run scripts/setup.sh)" >&2
  exit 1
fi
# Every compile command of our own sources carries -Werror.
python3 - "$cc" <<'PY'
import json, sys
cmds = [c for c in json.load(open(sys.argv[1])) if "/_deps/" not in c["file"]]
missing = [c["file"] for c in cmds if "-Werror" not in c.get("command", " ".join(c.get("arguments", [])))]
if not cmds or missing:
    print("check_werror: -Werror is off in build/ for %d of %d sources, e.g. %s (FINDEX_WERROR=ON expected)"
          % (len(missing), len(cmds), missing[:1]), file=sys.stderr)
    sys.exit(1)
print("check_werror: -Werror on for all %d sources in build/" % len(cmds), file=sys.stderr)
PY
# A user's plain Release configure: warnings stay warnings.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake -S . -B "$tmp" -G Ninja -DCMAKE_BUILD_TYPE=Release -DFINDEX_BUILD_TESTS=OFF -DFINDEX_BUILD_BENCH=OFF >/dev/null
if grep -q -- '-Werror' "$tmp/compile_commands.json"; then
  echo "check_werror: a plain Release configure turns warnings into errors (FINDEX_WERROR must default to OFF)" >&2
  exit 1
fi
echo "check_werror: a plain Release configure leaves -Werror off" >&2
