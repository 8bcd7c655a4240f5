#!/usr/bin/env bash
# Installs what is missing (Debian bookworm, as root) and builds findex into build/.
# Idempotent: with everything installed and built it only checks and re-links what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(g++ cmake ninja-build pkg-config python3
          libsimdjson-dev libpugixml-dev libsqlite3-dev libre2-dev libspdlog-dev libfmt-dev
          libcli11-dev libxxhash-dev zlib1g-dev libzstd-dev libyaml-cpp-dev libgtest-dev libgmock-dev libbenchmark-dev
          python3-jsonschema python3-junitparser libxml2-utils
          clang libclang-rt-14-dev  # clang + libFuzzer: tests/fuzz/run.sh (the fuzz_smoke test in CI)
          postgresql libpq-dev      # libpq: the PostgreSQL store; the server: scripts/pg_cluster.sh (tests)
          chromium                  # headless: renders `findex report` pages (tests/cli/report_html_test.py)
          libcurl4-openssl-dev)     # response actions: webhooks, Jira (rules/deliver*.cpp)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

BUILD_TYPE="${FINDEX_BUILD_TYPE:-RelWithDebInfo}"
# Warnings are errors here (CI and developers); a plain user build leaves them warnings. A build
# folder configured without it (a user build) is switched on.
if [ ! -f build/build.ninja ]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE="$BUILD_TYPE" -DFINDEX_WERROR=ON >&2
elif ! grep -q '^FINDEX_WERROR:BOOL=ON$' build/CMakeCache.txt; then
  cmake -S . -B build -DFINDEX_WERROR=ON >&2
fi
cmake --build build -j "$(nproc)" >&2
