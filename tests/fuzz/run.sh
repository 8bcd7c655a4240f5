#!/usr/bin/env bash
# Bounded fuzz run of every reader: builds the libFuzzer targets with clang in build-fuzz/
# (FINDEX_FUZZ=ON), then runs each for an equal share of SECONDS (default 60, at least 2 s a
# target), seeded from samples/<format>/ and tests/fuzz/regressions/. Crashing inputs are
# written to build-fuzz/artifacts/; copy them into tests/fuzz/regressions/ once fixed.
#   tests/fuzz/run.sh [SECONDS] [FORMAT...]
# Exit 0: no crash; 1: a target crashed; 77: skipped (no clang or no libFuzzer runtime).
set -euo pipefail
cd "$(dirname "$0")/../.."
total=${1:-60}
shift || true
CXX_BIN=$(command -v clang++ || command -v clang++-14 || true)
CC_BIN=$(command -v clang || command -v clang-14 || true)
if [ -z "$CXX_BIN" ] || [ -z "$CC_BIN" ]; then
  echo "fuzz: clang not found, skipped" >&2
  exit 77
fi
if ! echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' |
    "$CXX_BIN" -x c++ -fsanitize=fuzzer - -o /tmp/findex-fuzz-probe.$$ 2>/dev/null; then
  echo "fuzz: clang has no libFuzzer runtime (libclang-rt-dev), skipped" >&2
  exit 77
fi
rm -f /tmp/findex-fuzz-probe.$$
B=build-fuzz
if [ ! -f $B/build.ninja ]; then
  launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  cmake -S . -B $B -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER="$CXX_BIN" \
    -DFINDEX_FUZZ=ON -DFINDEX_BUILD_BENCH=OFF "${launcher[@]}" >&2
fi
if [ $# -gt 0 ]; then formats=("$@"); else
  formats=(auto asff bandit cfn-guard cfn-nag checkov codeguru dependency-check-json dependency-check-xml falco
           gitleaks grype inspector2 phpstan sarif semgrep sonarqube trivy zap-json zap-xml)
fi
targets=()
for f in "${formats[@]}"; do targets+=("fuzz_$f"); done
cmake --build $B -j "$(nproc)" --target "${targets[@]}" >&2
per=$(( total / ${#formats[@]} ))
[ "$per" -ge 2 ] || per=2
mkdir -p $B/artifacts
status=0
for f in "${formats[@]}"; do
  corpus=$B/corpus/$f
  mkdir -p "$corpus"
  seeds=(tests/fuzz/regressions)
  if [ "$f" = auto ]; then seeds+=(samples); elif [ -d "samples/$f" ]; then seeds+=("samples/$f"); fi
  # Seeds: the samples (not their expected output), at most 1 MB each to keep runs short.
  seed_dir=$B/seeds/$f
  if [ ! -d "$seed_dir" ]; then
    mkdir -p "$seed_dir"
    find "${seeds[@]}" -type f ! -name '*.expected.json' ! -name PROVENANCE.tsv ! -name 'README*' -size -1024k \
      -exec cp -t "$seed_dir" {} + 2>/dev/null || true
  fi
  echo "fuzz: $f for ${per}s" >&2
  if ! ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      $B/tests/fuzz/fuzz_$f "$corpus" "$seed_dir" -max_total_time="$per" -max_len=262144 -rss_limit_mb=2048 \
      -timeout=20 -print_final_stats=0 -artifact_prefix="$B/artifacts/$f-" 2>"$B/fuzz_$f.log"; then
    echo "fuzz: $f CRASHED, see $B/fuzz_$f.log and $B/artifacts/" >&2
    tail -40 "$B/fuzz_$f.log" >&2
    status=1
  fi
done
exit $status
