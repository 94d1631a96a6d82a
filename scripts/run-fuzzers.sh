#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) with clang in build-fuzz and runs each
# for FUZZ_SECONDS (default 20). Skips with a message when clang is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET="${FUZZ_SECONDS:-20}"
BUILD="${FUZZ_BUILD:-build-fuzz}"
if ! command -v clang++ >/dev/null 2>&1 || ! command -v clang >/dev/null 2>&1; then
  echo "run-fuzzers: clang not found; skipping fuzzers (install clang to run them)"
  exit 0
fi
if ! echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long){return 0;}' |
    clang++ -x c++ -fsanitize=fuzzer - -o /tmp/kiln-fuzz-probe.$$ >/dev/null 2>&1; then
  echo "run-fuzzers: clang has no libFuzzer here; skipping fuzzers"
  exit 0
fi
rm -f /tmp/kiln-fuzz-probe.$$
TARGETS=(blob_xml_fuzzer blob_sas_fuzzer)
if [ ! -f "$BUILD/build.ninja" ]; then
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER=clang++ -DKILN_FUZZ=ON >/dev/null
fi
cmake --build "$BUILD" --target "${TARGETS[@]}" -j "${JOBS:-2}"
status=0
for t in "${TARGETS[@]}"; do
  name="${t%_fuzzer}"
  seeds="tests/fuzz/corpus/$name"
  work="$BUILD/fuzz-corpus/$name"
  mkdir -p "$work"
  echo "run-fuzzers: $t for ${SECONDS_PER_TARGET}s"
  if ! "$BUILD/tests/fuzz/$t" -max_total_time="$SECONDS_PER_TARGET" -max_len=4096 -timeout=10 \
      -rss_limit_mb=1024 -print_final_stats=1 -artifact_prefix="$BUILD/" "$work" "$seeds" \
      > "$BUILD/$t.log" 2>&1; then
    echo "run-fuzzers: $t FAILED; see $BUILD/$t.log"
    tail -40 "$BUILD/$t.log"
    status=1
  else
    grep -E "stat::number_of_executed_units" "$BUILD/$t.log" || true
  fi
done
exit $status
