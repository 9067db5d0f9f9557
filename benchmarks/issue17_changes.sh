#!/usr/bin/env bash
# The four wrong numbers of issue 17's table, made again on a copy of the tree:
# each must make at least one test fail. Prints the first failing test per change.
#   bash benchmarks/issue17_changes.sh        (about 10 minutes on 2 cores)
set -uo pipefail
cd "$(dirname "$0")/.."
PY=$(realpath "${PY:-.venv/bin/python}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar cf - --exclude=.git --exclude=.venv --exclude=mutants --exclude=__pycache__ . | tar xf - -C "$work"
cd "$work"
export PYTHONPATH=$PWD
status=0
check() {  # name file old new tests...
  local name=$1 file=$2 old=$3 new=$4
  shift 4
  cp "$file" "$file.orig"
  if ! "$PY" - "$file" "$old" "$new" <<'PY'
import sys

path, old, new = sys.argv[1:]
text = open(path).read()
if text.count(old) != 1:
    sys.exit(f"{path}: the line to change is gone ({old!r}); update this script")
open(path, "w").write(text.replace(old, new))
PY
  then status=1; return; fi
  echo "=== $name: $old -> $new"
  if "$PY" -m pytest -q -p no:cacheprovider -x "$@" > log.txt 2>&1; then
    echo "NOT NOTICED by $*"; status=1
  else
    grep -E "^FAILED" log.txt | head -1
  fi
  mv "$file.orig" "$file"
}
check "insertion feasibility" idrt/dispatch/_kernels.py \
  "if not (delay <= slack[j]):" "if not (delay < slack[j]):" \
  tests/dispatch/test_insertion_boundaries.py
check "wait p95 as p90" idrt/sim/results.py \
  '"wait_p95_s": q(wait, 0.95),' '"wait_p95_s": q(wait, 0.90),' tests/sim/test_summarize.py
check "passenger-km per group" idrt/sim/engine.py \
  "vehicle.pax_km += km * vehicle.load" "vehicle.pax_km += km * len(vehicle.onboard)" \
  tests/sim/test_conservation.py
check "d2 dropped from the signal delay" idrt/traffic/delay.py \
  "return (1.0 - red_share_removed) * uniform_s + incremental_s" \
  "return (1.0 - red_share_removed) * uniform_s" tests/traffic/test_delay.py
exit $status
