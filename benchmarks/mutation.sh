#!/usr/bin/env bash
# Mutation testing of the modules that compute numbers planners see ([tool.mutmut]
# in pyproject.toml). Slow (minutes per module on 2 cores): not part of CI.
#
#   bash benchmarks/mutation.sh                 # every module of [tool.mutmut], one run
#   bash benchmarks/mutation.sh stats           # one module with its own tests (faster):
#                                               # stats | sizing | delay | results | travel_times
#
# A one-module run works on a copy of the tree in a temporary folder (mutmut
# reads its settings from pyproject.toml only) and writes
# benchmarks/results/mutation_run_<module>.txt: every mutant's status, then the
# diff of each one not killed. The triage of the survivors (killed by which test,
# equivalent and why) is kept in benchmarks/results/mutation_survivors_<module>.txt.
# Numba kernels (dispatch/_kernels.py) are not mutated: mutmut's trampolines do not
# compile; tests/dispatch/test_insertion_boundaries.py mutates them by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
"$PY" -m pip install -q "mutmut>=3.3"

declare -A MODULE=(
  [stats]="idrt/experiments/stats.py"
  [sizing]="idrt/experiments/sizing.py"
  [delay]="idrt/traffic/delay.py"
  [results]="idrt/sim/results.py"
  [travel_times]="idrt/traffic/travel_times.py"
)
declare -A TESTS=(
  [stats]="tests/experiments/test_stats.py tests/experiments/test_share_ci.py tests/experiments/test_stats_mutants.py"
  [sizing]="tests/experiments/test_sizing_rule.py"
  [delay]="tests/traffic/test_delay.py tests/traffic/test_delay_mutants.py tests/traffic/test_delay_inputs.py"
  [results]="tests/sim/test_summarize.py tests/sim/test_result_tables.py"
  [travel_times]="tests/traffic/test_travel_times.py tests/traffic/test_travel_times_mutants.py"
)

if [[ $# -eq 0 ]]; then
  rm -rf mutants
  "$PY" -m mutmut run --max-children "${JOBS:-2}" || true
  "$PY" -m mutmut results > benchmarks/results/mutation_survivors.txt || true
  echo "survivors: $(grep -c ': survived' benchmarks/results/mutation_survivors.txt || true)"
  exit 0
fi

name=$1
[[ -n "${MODULE[$name]:-}" ]] || { echo "unknown module '$name': ${!MODULE[*]}" >&2; exit 2; }
# absolute, but not through realpath: that resolves a venv's python symlink to the
# base interpreter, which has no mutmut (the run then checked nothing, silently)
[[ "$PY" != */* || "$PY" == /* ]] || PY="$PWD/$PY"
root=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar cf - --exclude=.git --exclude=.venv --exclude=mutants --exclude=__pycache__ . | tar xf - -C "$work"
"$PY" - "$work/pyproject.toml" "${MODULE[$name]}" ${TESTS[$name]} <<'PY'
import re
import sys

path, module, *tests = sys.argv[1:]
text = open(path).read()
text = re.sub(r"only_mutate = \[.*?\]", f'only_mutate = ["{module}"]', text, flags=re.S)
selection = ", ".join(f'"{t}"' for t in tests)
text = re.sub(
    r"pytest_add_cli_args_test_selection = \[.*?\]",
    f"pytest_add_cli_args_test_selection = [{selection}]",
    text,
    flags=re.S,
)
open(path, "w").write(text)
PY
out="$root/benchmarks/results/mutation_run_$name.txt"
(
  cd "$work"
  timeout "${TIMEOUT_S:-3600}" "$PY" -m mutmut run --max-children "${JOBS:-1}" > mutmut.log 2>&1 || true
  "$PY" -m mutmut results --all true 2>/dev/null > all.txt || true
  grep -v 'not checked' all.txt > results.txt || true
  if ! grep -q ': killed' all.txt; then
    echo "mutmut checked no mutant of ${MODULE[$name]}; its log ends:" >&2
    tail -c 2000 mutmut.log >&2
    exit 1
  fi
  {
    echo "# mutmut on ${MODULE[$name]} with ${TESTS[$name]}"
    echo "# $(grep -c . all.txt) mutants: $(grep -c ': killed' all.txt) killed," \
      "$(grep -c ': survived' results.txt || true) survived," \
      "$(grep -c ': no tests' results.txt || true) without a test," \
      "$(grep -c ': not checked' all.txt || true) not checked (timeout)"
    grep -E ': (survived|no tests|timeout|suspicious)' results.txt || true
    for m in $(grep -E ': (survived|no tests|timeout|suspicious)' results.txt | sed 's/:.*//'); do
      echo "=== $m"
      "$PY" -m mutmut show "$m" 2>/dev/null | grep -E '^[-+][^-+]' || true
    done
  } > "$out"
)
head -2 "$out"
