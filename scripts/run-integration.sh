#!/usr/bin/env bash
# Runs each integration area (blob, batch, tutorial) in its own pytest session —
# areas share test-file basenames and helper-module names — then prints one
# combined closing line. Exit status is non-zero if any area failed.
set -uo pipefail
cd "$(dirname "$0")/.."
: "${KILN_BIN:=$PWD/build/src/cli/kiln}"
export KILN_BIN
results=$(mktemp -d)
status=0
for area in tests/integration/*/; do
  name=$(basename "$area")
  [ "$name" = "__pycache__" ] && continue
  echo "=== integration: $name ==="
  # A private basetemp: pytest prunes old temp dirs, which must never be a live server's.
  if ! /usr/bin/python3 -m pytest -q "$area" --basetemp="$results/tmp-$name" \
      --junitxml="$results/$name.xml" "$@"; then
    status=1
    keep=1
  fi
done
/usr/bin/python3 - "$results" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
passed = failed = skipped = 0
for path in glob.glob(sys.argv[1] + "/*.xml"):
    for suite in ET.parse(path).getroot().iter("testsuite"):
        tests, fail = int(suite.get("tests", 0)), int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skip = int(suite.get("skipped", 0))
        passed += tests - fail - skip; failed += fail; skipped += skip
print(f"integration: {passed} passed, {failed} failed, {skipped} skipped")
PY
if [ -n "${keep:-}" ]; then
  echo "server logs of the failed areas are kept under $results/tmp-*/"
else
  rm -rf "$results"
fi
exit $status
